//! Vulnerability intelligence feeds, told apart by content: CISA KEV (JSON and CSV), FIRST
//! EPSS (CSV; the caller unpacks the gzip), NVD CVE API 2.0 JSON, CVE JSON 5 records, OSV
//! records and CSAF 2.0 advisories. Each is read as a stream of [`IntelItem`]s.

use std::io::BufRead;

use rapport_core::{Edition, EpssScore, Feed, KevEntry, VulnRecord};
use time::{Date, OffsetDateTime, PrimitiveDateTime, format_description::well_known::Rfc3339};

use crate::json::keys_near_top;
use crate::{ParseError, Stop};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntelFormat {
    KevJson,
    KevCsv,
    Epss,
    Nvd,
    Cve5,
    Osv,
    CsafAdvisory,
}

impl IntelFormat {
    pub fn name(self) -> &'static str {
        match self {
            IntelFormat::KevJson => "kev-json",
            IntelFormat::KevCsv => "kev-csv",
            IntelFormat::Epss => "epss",
            IntelFormat::Nvd => "nvd",
            IntelFormat::Cve5 => "cve5",
            IntelFormat::Osv => "osv",
            IntelFormat::CsafAdvisory => "csaf",
        }
    }

    pub fn feed(self) -> Feed {
        match self {
            IntelFormat::KevJson | IntelFormat::KevCsv => Feed::Kev,
            IntelFormat::Epss => Feed::Epss,
            IntelFormat::Nvd => Feed::Nvd,
            IntelFormat::Cve5 => Feed::Cve5,
            IntelFormat::Osv => Feed::Osv,
            IntelFormat::CsafAdvisory => Feed::Csaf,
        }
    }
}

impl std::fmt::Display for IntelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing a feed says.
#[derive(Clone, Debug, PartialEq)]
pub enum IntelItem {
    Kev(KevEntry),
    Epss(EpssScore),
    Record(Box<VulnRecord>),
}

pub type IntelSink<'a> = dyn FnMut(IntelItem) -> Result<(), Stop> + 'a;

/// What a whole feed file said of itself: its edition (KEV catalogue version, EPSS model
/// and score date, NVD's timestamp) and how many items it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntelSummary {
    pub edition: Option<Edition>,
    pub items: u64,
}

/// Gzip's magic bytes: EPSS ships as `.csv.gz`.
pub fn is_gzip(prefix: &[u8]) -> bool {
    prefix.starts_with(&[0x1f, 0x8b])
}

/// Zip's magic bytes: OSV databases ship as `all.zip`, one record per member.
pub fn is_zip(prefix: &[u8]) -> bool {
    prefix.starts_with(b"PK\x03\x04")
}

/// Names the feed a file's first bytes belong to, or says what the file looks like instead.
pub fn detect_intel(prefix: &[u8]) -> Result<IntelFormat, String> {
    let text = String::from_utf8_lossy(prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix));
    let first_line = text.lines().next().unwrap_or("").trim();
    if first_line.starts_with("#model_version") || first_line.replace(' ', "") == "cve,epss,percentile" {
        return Ok(IntelFormat::Epss);
    }
    if first_line.starts_with("cveID,") || first_line.starts_with("\"cveID\",") {
        return Ok(IntelFormat::KevCsv);
    }
    if !text.trim_start().starts_with(['{', '[']) {
        return Err("not a feed Rapport reads: expected CISA KEV (JSON or CSV), EPSS CSV (or .csv.gz), NVD \
                    API 2.0 JSON, a CVE JSON 5 record, OSV records or a CSAF advisory"
            .to_owned());
    }
    let keys = keys_near_top(prefix);
    let top = |name: &str| keys.iter().any(|(depth, key)| *depth == 1 && key == name);
    let format = if top("catalogVersion") || (top("vulnerabilities") && top("dateReleased")) {
        IntelFormat::KevJson
    } else if top("CVE_Items") {
        return Err("an NVD 1.1 JSON feed: NVD retired these in 2023; expected CVE API 2.0 JSON".to_owned());
    } else if top("resultsPerPage") || top("totalResults") || (top("format") && text.contains("NVD_CVE")) {
        IntelFormat::Nvd
    } else if top("cveMetadata") || (top("dataType") && text.contains("CVE_RECORD")) {
        IntelFormat::Cve5
    } else if top("csaf_version") || (top("document") && text.contains("\"csaf_version\"")) {
        IntelFormat::CsafAdvisory
    } else if top("vulns") || (top("id") && (top("affected") || top("modified") || top("schema_version"))) {
        IntelFormat::Osv
    } else {
        return Err("a JSON document that is none of the feeds Rapport reads (CISA KEV, NVD API 2.0, CVE \
                    JSON 5, OSV, CSAF)"
            .to_owned());
    };
    Ok(format)
}

/// Reads a feed file and pushes every item into `sink`. `input` is positioned at the first
/// byte of the document (after any byte-order mark); a CSAF advisory is read whole first.
pub fn parse_intel<R: BufRead>(
    format: IntelFormat,
    input: R,
    sink: &mut IntelSink<'_>,
) -> Result<IntelSummary, ParseError> {
    match format {
        IntelFormat::KevJson => crate::kev::parse_json(input, sink),
        IntelFormat::KevCsv => crate::kev::parse_csv(input, sink),
        IntelFormat::Epss => crate::epss::parse(input, sink),
        IntelFormat::Nvd => crate::nvd::parse(input, sink),
        IntelFormat::Cve5 => crate::cve5::parse(input, sink),
        IntelFormat::Osv => crate::osv::parse_feed(input, sink),
        IntelFormat::CsafAdvisory => crate::csaf::parse_advisory(input, sink),
    }
}

/// A calendar date written `2025-08-25`, or the date of a timestamp starting so.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let day = text.trim().get(..10)?;
    Date::parse(day, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// An RFC 3339 timestamp, or one without an offset (NVD writes UTC that way).
pub(crate) fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let format = time::macros::format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(text, &format).ok().map(PrimitiveDateTime::assume_utc)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(parse_date("2025-08-25").map(|d| d.to_string()), Some("2025-08-25".into()));
        assert_eq!(parse_date("2025-08-25T17:04:19.9796Z").map(|d| d.to_string()), Some("2025-08-25".into()));
        assert_eq!(parse_date("25/08/2025"), None);
        let nvd = parse_timestamp("2024-09-26T22:15:04.740").map(|t| t.unix_timestamp());
        assert_eq!(nvd, Some(1_727_388_904));
        assert!(parse_timestamp("2025-02-04T14:25:37.215Z").is_some());
    }

    #[test]
    fn detection_by_content() {
        assert_eq!(
            detect_intel(b"#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z\ncve,epss"),
            Ok(IntelFormat::Epss)
        );
        assert_eq!(detect_intel(b"cveID,vendorProject,product"), Ok(IntelFormat::KevCsv));
        assert_eq!(
            detect_intel(br#"{"title": "x", "catalogVersion": "2025.08.25""#),
            Ok(IntelFormat::KevJson)
        );
        assert_eq!(detect_intel(br#"{"resultsPerPage": 1, "format": "NVD_CVE""#), Ok(IntelFormat::Nvd));
        assert_eq!(detect_intel(br#"{"dataType": "CVE_RECORD", "cveMetadata": {}"#), Ok(IntelFormat::Cve5));
        assert_eq!(
            detect_intel(br#"{"schema_version": "1.4.0", "id": "GO-2020-0001""#),
            Ok(IntelFormat::Osv)
        );
        assert!(
            detect_intel(br#"{"CVE_data_type": "CVE", "CVE_Items": []}"#).is_err_and(|e| e.contains("1.1"))
        );
        assert!(detect_intel(b"hello").is_err());
    }
}
