//! Deep and wide nesting inside a Qualys record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

const DOCUMENT: &str = r#"<?xml version="1.0"?><SCAN value="s"><IP value="10.0.0.1"><VULNS><CAT value="c" port="443" protocol="tcp"><VULN number="1" severity="4"><TITLE>t</TITLE><CVE_ID_LIST><CVE_ID><ID>CVE-2024-0001</ID></CVE_ID></CVE_ID_LIST>{nest}</VULN></CAT></VULNS></IP></SCAN>"#;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_nested_xml(Format::QualysXml, DOCUMENT, data));
