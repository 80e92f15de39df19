//! NVD CVE API 2.0 responses (one page of `vulnerabilities`): descriptions, CVSS v2, v3.x
//! and v4 metrics with their source, CWEs, references, and NVD's copy of the KEV dates.

use std::collections::HashMap;
use std::io::BufRead;

use rapport_core::{Automatable, Cvss, Edition, ExploitSignal, Exploitation, VulnId, VulnRecord, parse_cwe};
use serde::Deserialize;
use serde_json::Value;

use crate::ParseError;
use crate::intel::{IntelItem, IntelSink, IntelSummary, parse_date, parse_timestamp};
use crate::json::JsonReader;

#[derive(Deserialize)]
struct Item {
    cve: NvdCve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdCve {
    id: String,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<Text>,
    /// `cvssMetricV2`, `cvssMetricV31`, `cvssMetricV40`, and CISA's `ssvcV203` points.
    #[serde(default)]
    metrics: HashMap<String, Vec<Value>>,
    #[serde(default)]
    weaknesses: Vec<Weakness>,
    #[serde(default)]
    references: Vec<Reference>,
    cisa_exploit_add: Option<String>,
    cisa_vulnerability_name: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    lang: String,
    value: String,
}

#[derive(Deserialize)]
struct Weakness {
    #[serde(default)]
    description: Vec<Text>,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

pub(crate) fn parse<R: BufRead>(input: R, sink: &mut IntelSink<'_>) -> Result<IntelSummary, ParseError> {
    let mut json = JsonReader::new(input);
    let mut format: Option<String> = None;
    let mut version: Option<String> = None;
    let mut timestamp: Option<String> = None;
    let mut items = 0;
    json.object("an NVD API response object", |json, key| {
        match key {
            "format" => format = Some(json.value()?),
            "version" => version = Some(json.value()?),
            "timestamp" => timestamp = Some(json.value()?),
            "vulnerabilities" => json.array("an array of vulnerabilities", |json| {
                let item: Item = json.value()?;
                items += 1;
                sink(IntelItem::Record(Box::new(item.cve.record())))?;
                Ok(())
            })?,
            _ => json.skip()?,
        }
        Ok(())
    })?;
    json.end()?;
    if format.as_deref().is_some_and(|format| format != "NVD_CVE") {
        return Err(json.invalid(format!("format is {format:?}; expected \"NVD_CVE\"")));
    }
    let version = version.unwrap_or_else(|| "2.0".to_owned());
    if !version.starts_with("2.") {
        return Err(json.invalid(format!("NVD API version {version:?}; expected 2.0")));
    }
    let edition = timestamp.as_deref().and_then(parse_date).map(|date| Edition { version, date });
    Ok(IntelSummary { edition, items })
}

impl NvdCve {
    fn record(self) -> VulnRecord {
        let mut record = VulnRecord::new(VulnId::new(&self.id), "nvd");
        record.published = self.published.as_deref().and_then(parse_timestamp);
        record.modified = self.last_modified.as_deref().and_then(parse_timestamp);
        record.withdrawn = self.vuln_status.as_deref() == Some("Rejected");
        record.description =
            self.descriptions.into_iter().find(|text| text.lang == "en").map(|text| text.value);
        // Newest CVSS version first.
        let mut metrics: Vec<(String, Vec<Value>)> = self.metrics.into_iter().collect();
        metrics.sort_by(|a, b| b.0.cmp(&a.0));
        for (kind, entries) in metrics {
            for metric in entries {
                let source = metric.get("source").and_then(Value::as_str).unwrap_or("nvd@nist.gov");
                if kind.starts_with("cvssMetric") {
                    let data = metric.get("cvssData");
                    let Some(vector) = data.and_then(|d| d.get("vectorString")).and_then(Value::as_str)
                    else {
                        continue;
                    };
                    let score = data.and_then(|d| d.get("baseScore")).and_then(Value::as_f64);
                    record.cvss.push(Cvss::from_vector(vector, score, Some(&format!("nvd ({source})"))));
                } else if kind.starts_with("ssvc") {
                    record.signals.push(ssvc_signal(&metric));
                }
            }
        }
        for text in self.weaknesses.into_iter().flat_map(|weakness| weakness.description) {
            if let Some(cwe) = parse_cwe(&text.value).filter(|cwe| !record.cwes.contains(cwe)) {
                record.cwes.push(cwe);
            }
        }
        record.references = self.references.into_iter().map(|reference| reference.url).collect();
        record.title = self.cisa_vulnerability_name;
        if let Some(added) = self.cisa_exploit_add.as_deref().and_then(parse_date) {
            record.signals.push(ExploitSignal {
                source: "NVD (CISA KEV date)".to_owned(),
                exploitation: Some(Exploitation::Active),
                automatable: None,
                technical_impact: None,
                as_of: Some(added),
            });
        }
        record
    }
}

/// CISA's vulnrichment points as NVD copies them: `{"ssvcData": {"timestamp", "options":
/// [{"exploitation": "none"}, {"automatable": "yes"}, {"technicalImpact": "total"}]}}`.
fn ssvc_signal(metric: &Value) -> ExploitSignal {
    let data = metric.get("ssvcData");
    let options = data.and_then(|d| d.get("options")).and_then(Value::as_array);
    let option = |name: &str| {
        options
            .into_iter()
            .flatten()
            .find_map(|o| o.get(name))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    ExploitSignal {
        source: "CISA ADP (via NVD)".to_owned(),
        exploitation: option("exploitation").and_then(|word| match word.as_str() {
            "none" => Some(Exploitation::None),
            "poc" | "public poc" => Some(Exploitation::PublicPoc),
            "active" => Some(Exploitation::Active),
            _ => None,
        }),
        automatable: option("automatable").and_then(|word| Automatable::parse(&word)),
        technical_impact: option("technicalImpact"),
        as_of: data.and_then(|d| d.get("timestamp")).and_then(Value::as_str).and_then(parse_date),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn reads_a_page() {
        let text = r#"{"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE", "version": "2.0",
            "timestamp": "2024-10-17T03:00:48.680", "vulnerabilities": [{"cve": {"id": "CVE-2021-44228",
            "published": "2021-12-10T10:15:09.143", "lastModified": "2024-07-24T17:08:24.167", "vulnStatus": "Analyzed",
            "cisaExploitAdd": "2021-12-10", "cisaVulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
            "descriptions": [{"lang": "en", "value": "Apache Log4j2 JNDI features..."}],
            "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {"version": "3.1",
              "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "baseScore": 10.0}}],
              "cvssMetricV2": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {"version": "2.0",
              "vectorString": "AV:N/AC:M/Au:N/C:C/I:C/A:C", "baseScore": 9.3}}]},
            "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary", "description": [{"lang": "en", "value": "CWE-917"}]}],
            "references": [{"url": "https://logging.apache.org/log4j/2.x/security.html"}]}}]}"#;
        let mut records = Vec::new();
        let summary = parse(Cursor::new(text), &mut |item| {
            if let IntelItem::Record(record) = item {
                records.push(record);
            }
            Ok(())
        })
        .map_err(|e| e.to_string());
        assert_eq!(
            summary.map(|s| (s.items, s.edition.map(|e| e.date.to_string()))),
            Ok((1, Some("2024-10-17".into())))
        );
        let record = records.first().map(|r| r.as_ref());
        assert_eq!(
            record.map(|r| r.cvss.iter().map(|c| c.score).collect()),
            Some(vec![Some(10.0), Some(9.3)])
        );
        assert_eq!(record.map(|r| r.cwes.clone()), Some(vec![917]));
        assert_eq!(
            record.and_then(|r| r.signals.first()).map(|s| (s.exploitation, s.as_of.map(|d| d.to_string()))),
            Some((Some(Exploitation::Active), Some("2021-12-10".into())))
        );
    }
}
