//! Deep and wide nesting inside a Nessus record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

const DOCUMENT: &str = r#"<?xml version="1.0"?><NessusClientData_v2><Report name="r"><ReportHost name="10.0.0.1"><HostProperties><tag name="host-ip">10.0.0.1</tag></HostProperties><ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="1" pluginName="p" pluginFamily="f"><cve>CVE-2024-0001</cve>{nest}</ReportItem></ReportHost></Report></NessusClientData_v2>"#;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_nested_xml(Format::NessusXml, DOCUMENT, data));
