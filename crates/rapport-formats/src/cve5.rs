//! CVE JSON 5 records (cvelistV5), read with the `cve` crate: the CNA's description, scores,
//! CWEs and affected products, and what ADP containers add, above all CISA's vulnrichment:
//! SSVC points (exploitation, automatable, technical impact) with their date, and the KEV
//! date where CISA lists the CVE.

use std::io::BufRead;

use cve::published::{AdpContainer, Metric};
use rapport_core::{
    AffectedPackage, Automatable, Cvss, ExploitSignal, Exploitation, VulnId, VulnRecord, parse_cwe,
};
use serde_json::Value;

use crate::ParseError;
use crate::intel::{IntelItem, IntelSink, IntelSummary, parse_date};
use crate::json::JsonReader;

/// One record, or an array of them.
pub(crate) fn parse<R: BufRead>(input: R, sink: &mut IntelSink<'_>) -> Result<IntelSummary, ParseError> {
    let mut json = JsonReader::new(input);
    let mut items = 0;
    let mut each = |json: &mut JsonReader<R>| -> Result<(), ParseError> {
        let record: cve::Cve = json.value()?;
        items += 1;
        sink(IntelItem::Record(Box::new(record_of(record))))?;
        Ok(())
    };
    if json.peek()? == Some(b'[') {
        json.array("an array of CVE records", &mut each)?;
    } else {
        each(&mut json)?;
    }
    json.end()?;
    Ok(IntelSummary { edition: None, items })
}

fn record_of(record: cve::Cve) -> VulnRecord {
    let metadata = record.common_metadata();
    let mut out = VulnRecord::new(VulnId::new(&metadata.id), "cve.org");
    out.published = metadata.date_published.map(cve::Timestamp::assume_utc);
    out.modified = metadata.date_updated.map(cve::Timestamp::assume_utc);
    let cve::Cve::Published(published) = record else {
        out.withdrawn = true;
        return out;
    };
    let cna = published.containers.cna;
    out.title = cna.title;
    out.description = cna.descriptions.into_iter().find(|d| d.language.starts_with("en")).map(|d| d.value);
    let assigner = published.metadata.common.assigner_short_name.unwrap_or_else(|| "CNA".to_owned());
    add_metrics(&mut out, &cna.metrics, &assigner);
    for problem in cna.problem_types.iter().flat_map(|p| &p.descriptions) {
        if let Some(cwe) = problem.cwe_id.as_deref().and_then(parse_cwe).filter(|cwe| !out.cwes.contains(cwe))
        {
            out.cwes.push(cwe);
        }
    }
    out.references = cna.references.into_iter().map(|r| r.url).collect();
    for product in cna.affected {
        let name = product.package_name.or(product.product).unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let mut affected = AffectedPackage {
            ecosystem: product.collection_url,
            name,
            purl: product.package_url,
            ..AffectedPackage::default()
        };
        for version in &product.versions {
            let text = serde_json::to_value(version).unwrap_or(Value::Null);
            let word = |key: &str| text.get(key).and_then(Value::as_str);
            let status = word("status").unwrap_or("affected");
            match (word("version"), word("lessThan").or(word("lessThanOrEqual"))) {
                (Some(from), Some(to)) => affected.ranges.push(format!("{status} {from} to {to}")),
                (Some(version), None) => affected.ranges.push(format!("{status} {version}")),
                _ => {}
            }
            if let Some(version) = word("version").filter(|_| status == "unaffected") {
                affected.fixed.push(version.to_owned());
            }
        }
        out.affected.push(affected);
    }
    for adp in &published.containers.adp {
        add_adp(&mut out, adp);
    }
    out
}

fn add_metrics(out: &mut VulnRecord, metrics: &[Metric], source: &str) {
    for metric in metrics {
        let scored = [&metric.cvss_v4_0, &metric.cvss_v3_1, &metric.cvss_v3_0, &metric.cvss_v2_0];
        for cvss in scored.into_iter().flatten() {
            let Some(vector) = cvss.get("vectorString").and_then(Value::as_str) else { continue };
            let score = cvss.get("baseScore").and_then(Value::as_f64);
            out.cvss.push(Cvss::from_vector(vector, score, Some(source)));
        }
    }
}

/// CISA's vulnrichment container ("CISA-ADP") carries SSVC points and the KEV date.
fn add_adp(out: &mut VulnRecord, adp: &AdpContainer) {
    let provider = adp.provider_metadata.short_name.clone().unwrap_or_else(|| "ADP".to_owned());
    let source = if provider == "CISA-ADP" { "CISA ADP".to_owned() } else { provider };
    add_metrics(out, &adp.metrics, &source);
    for other in adp.metrics.iter().filter_map(|metric| metric.other.as_ref()) {
        let content = &other.content;
        match other.r#type.as_str() {
            "ssvc" => {
                let options = content.get("options").and_then(Value::as_array);
                let option = |name: &str| {
                    options
                        .into_iter()
                        .flatten()
                        .find_map(|option| option.get(name))
                        .and_then(Value::as_str)
                        .map(str::to_ascii_lowercase)
                };
                let exploitation = option("Exploitation").and_then(|word| match word.as_str() {
                    "none" => Some(Exploitation::None),
                    "poc" | "public poc" => Some(Exploitation::PublicPoc),
                    "active" => Some(Exploitation::Active),
                    _ => None,
                });
                let automatable = option("Automatable").and_then(|word| Automatable::parse(&word));
                out.signals.push(ExploitSignal {
                    source: source.clone(),
                    exploitation,
                    automatable,
                    technical_impact: option("Technical Impact"),
                    as_of: content.get("timestamp").and_then(Value::as_str).and_then(parse_date),
                });
            }
            "kev" => {
                let added = content.get("dateAdded").and_then(Value::as_str).and_then(parse_date);
                out.signals.push(ExploitSignal {
                    source: format!("{source} (CISA KEV date)"),
                    exploitation: Some(Exploitation::Active),
                    automatable: None,
                    technical_impact: None,
                    as_of: added,
                });
            }
            _ => {}
        }
    }
    for problem in adp.problem_types.iter().flat_map(|p| &p.descriptions) {
        if let Some(cwe) = problem.cwe_id.as_deref().and_then(parse_cwe).filter(|cwe| !out.cwes.contains(cwe))
        {
            out.cwes.push(cwe);
        }
    }
}
