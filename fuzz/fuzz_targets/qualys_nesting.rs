//! Deep and wide nesting inside a Qualys record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

const DOCUMENT: &str = r#"<?xml version="1.0"?><ASSET_DATA_REPORT><HOST_LIST><HOST><IP>10.0.0.1</IP><VULN_INFO_LIST><VULN_INFO><QID id="qid_1">1</QID><TYPE>Vuln</TYPE><PORT>443</PORT><PROTOCOL>tcp</PROTOCOL><RESULT>r</RESULT>{nest}</VULN_INFO></VULN_INFO_LIST></HOST></HOST_LIST><GLOSSARY><VULN_DETAILS_LIST><VULN_DETAILS id="qid_1"><QID id="qid_1">1</QID><TITLE>t</TITLE><SEVERITY>4</SEVERITY><CVE_ID_LIST><CVE_ID><ID>CVE-2024-0001</ID></CVE_ID></CVE_ID_LIST>{nest}</VULN_DETAILS></VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>"#;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_nested_xml(Format::QualysXml, DOCUMENT, data));
