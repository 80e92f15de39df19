//! Deep and wide nesting inside a Dependency-Check record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

const DOCUMENT: &str = r#"<?xml version="1.0"?><analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd"><projectInfo><name>p</name></projectInfo><dependencies><dependency><fileName>a.jar</fileName><filePath>/a.jar</filePath><vulnerabilities><vulnerability source="NVD"><name>CVE-2024-0001</name><severity>HIGH</severity>{nest}</vulnerability></vulnerabilities></dependency></dependencies></analysis>"#;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_nested_xml(Format::DependencyCheck, DOCUMENT, data));
