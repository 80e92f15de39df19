//! Deep and wide nesting inside a OpenVAS record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

const DOCUMENT: &str = r#"<?xml version="1.0"?><report id="r"><report id="r"><results><result id="1"><host>10.0.0.1</host><port>443/tcp</port><nvt oid="1.3.6"><name>n</name><refs><ref type="cve" id="CVE-2024-0001"/></refs></nvt><threat>High</threat><severity>7.5</severity>{nest}</result></results></report></report>"#;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_nested_xml(Format::OpenVasXml, DOCUMENT, data));
