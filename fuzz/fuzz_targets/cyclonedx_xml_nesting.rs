//! Deep and wide nesting inside a CycloneDX XML record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

const DOCUMENT: &str = r#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1"><components><component type="library" bom-ref="c1"><name>lib</name><version>1.0</version><purl>pkg:npm/lib@1.0</purl>{nest}</component></components><vulnerabilities><vulnerability><id>CVE-2024-0001</id>{nest}<affects><target><ref>c1</ref></target></affects></vulnerability></vulnerabilities></bom>"#;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_nested_xml(Format::CycloneDxXml, DOCUMENT, data));
