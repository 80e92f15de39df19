//! CISA's Known Exploited Vulnerabilities catalogue, as JSON (with its version, release
//! date and count) or CSV (entries only). The fields are read strictly: a renamed or missing
//! field means CISA changed the schema, and guessing would put wrong dates in front of
//! partners.

use std::io::BufRead;

use rapport_core::{Edition, KevEntry, VulnId, VulnIdKind};
use serde::Deserialize;

use crate::csv_table::{ColumnSpec, Columns, CsvTable};
use crate::intel::{IntelItem, IntelSink, IntelSummary, parse_date};
use crate::json::JsonReader;
use crate::{ParseError, Position};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    short_description: String,
    required_action: String,
    due_date: Option<String>,
    known_ransomware_campaign_use: String,
    #[serde(default)]
    notes: String,
}

impl RawEntry {
    fn entry(self) -> Result<KevEntry, String> {
        let cve = VulnId::new(&self.cve_id);
        if cve.kind() != VulnIdKind::Cve {
            return Err(format!("cveID is {:?}; expected a CVE id", self.cve_id));
        }
        let date_added = parse_date(&self.date_added).ok_or_else(|| {
            format!("{cve}: dateAdded is {:?}; expected a date like 2025-08-25", self.date_added)
        })?;
        let due_date = match self.due_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => Some(
                parse_date(text)
                    .ok_or_else(|| format!("{cve}: dueDate is {text:?}; expected a date like 2025-09-15"))?,
            ),
            None => None,
        };
        let ransomware = match self.known_ransomware_campaign_use.trim() {
            "Known" => true,
            "Unknown" => false,
            other => {
                return Err(format!(
                    "{cve}: knownRansomwareCampaignUse is {other:?}; expected Known or Unknown"
                ));
            }
        };
        Ok(KevEntry {
            cve,
            vendor: self.vendor_project,
            product: self.product,
            name: self.vulnerability_name,
            date_added,
            due_date,
            ransomware,
            description: self.short_description,
            required_action: self.required_action,
            notes: self.notes,
        })
    }
}

pub(crate) fn parse_json<R: BufRead>(input: R, sink: &mut IntelSink<'_>) -> Result<IntelSummary, ParseError> {
    let mut json = JsonReader::new(input);
    let mut version: Option<String> = None;
    let mut released: Option<String> = None;
    let mut count: Option<u64> = None;
    let mut listed: Option<u64> = None;
    json.object("a KEV catalogue object", |json, key| {
        match key {
            "catalogVersion" => version = Some(json.value()?),
            "dateReleased" => released = Some(json.value()?),
            "count" => count = Some(json.value()?),
            "vulnerabilities" => {
                let mut entries = 0;
                json.array("an array of KEV entries", |json| {
                    let entry = json.value::<RawEntry>()?.entry().map_err(|message| json.invalid(message))?;
                    entries += 1;
                    sink(IntelItem::Kev(entry))?;
                    Ok(())
                })?;
                listed = Some(entries);
            }
            _ => json.skip()?,
        }
        Ok(())
    })?;
    json.end()?;
    let edition = |field: &str| format!("the catalogue has no `{field}`: expected CISA's KEV JSON");
    let version = version.ok_or_else(|| json.invalid(edition("catalogVersion")))?;
    let released = released.ok_or_else(|| json.invalid(edition("dateReleased")))?;
    let date = parse_date(&released).ok_or_else(|| {
        json.invalid(format!("dateReleased is {released:?}; expected a timestamp like 2025-08-25T17:04:19Z"))
    })?;
    let listed = listed.ok_or_else(|| json.invalid(edition("vulnerabilities")))?;
    if let Some(count) = count.filter(|count| *count != listed) {
        return Err(json.invalid(format!(
            "the catalogue says it has {count} entries but lists {listed}: the file is incomplete or altered"
        )));
    }
    Ok(IntelSummary { edition: Some(Edition { version, date }), items: listed })
}

const COLUMNS: &[ColumnSpec] = &[
    ("cveID", &["cveID"], true),
    ("vendorProject", &["vendorProject"], true),
    ("product", &["product"], true),
    ("vulnerabilityName", &["vulnerabilityName"], true),
    ("dateAdded", &["dateAdded"], true),
    ("shortDescription", &["shortDescription"], true),
    ("requiredAction", &["requiredAction"], true),
    ("dueDate", &["dueDate"], true),
    ("knownRansomwareCampaignUse", &["knownRansomwareCampaignUse"], true),
    ("notes", &["notes"], false),
];

/// The CSV has no catalogue version: its edition is the day of its newest entry, written as
/// CISA writes versions (2025.08.25).
pub(crate) fn parse_csv<R: BufRead>(input: R, sink: &mut IntelSink<'_>) -> Result<IntelSummary, ParseError> {
    let mut table =
        CsvTable::new(input, |record| record.iter().next() == Some("cveID"), "CISA's KEV columns")?;
    let columns = Columns::find(table.header(), COLUMNS).map_err(|message| table.header_error(message))?;
    let mut items = 0;
    let mut newest = None;
    while table.advance()? {
        let record = table.record();
        let column = |name: &str| columns.get(record, name).unwrap_or("").to_owned();
        let raw = RawEntry {
            cve_id: column("cveID"),
            vendor_project: column("vendorProject"),
            product: column("product"),
            vulnerability_name: column("vulnerabilityName"),
            date_added: column("dateAdded"),
            short_description: column("shortDescription"),
            required_action: column("requiredAction"),
            due_date: Some(column("dueDate")),
            known_ransomware_campaign_use: column("knownRansomwareCampaignUse"),
            notes: column("notes"),
        };
        let entry = raw.entry().map_err(|message| table.record_error(message))?;
        newest = newest.max(Some(entry.date_added));
        items += 1;
        sink(IntelItem::Kev(entry))?;
    }
    let date = newest.ok_or_else(|| ParseError::invalid(Position::Start, "the KEV CSV has no entries"))?;
    let version = format!("{:04}.{:02}.{:02}", date.year(), u8::from(date.month()), date.day());
    Ok(IntelSummary { edition: Some(Edition { version, date }), items })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn read(text: &str, csv: bool) -> Result<(IntelSummary, Vec<KevEntry>), ParseError> {
        let mut entries = Vec::new();
        let mut sink = |item| {
            if let IntelItem::Kev(entry) = item {
                entries.push(entry);
            }
            Ok(())
        };
        let input = Cursor::new(text.as_bytes());
        let summary = if csv { parse_csv(input, &mut sink)? } else { parse_json(input, &mut sink)? };
        Ok((summary, entries))
    }

    const ENTRY: &str = r#"{"cveID": "CVE-2025-48384", "vendorProject": "Git", "product": "Git",
        "vulnerabilityName": "Git Link Following Vulnerability", "dateAdded": "2025-08-25",
        "shortDescription": "Git contains a link following vulnerability.", "requiredAction": "Apply mitigations.",
        "dueDate": "2025-09-15", "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-59"]}"#;

    #[test]
    fn reads_the_catalogue_and_its_edition() {
        let text = format!(
            r#"{{"title": "CISA Catalog", "catalogVersion": "2025.08.25", "dateReleased": "2025-08-25T17:04:19.9796Z",
                "count": 1, "vulnerabilities": [{ENTRY}]}}"#
        );
        let (summary, entries) =
            read(&text, false).map_err(|e| e.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let edition = summary.edition.map(|e| format!("{} {}", e.version, e.date));
        assert_eq!(edition.as_deref(), Some("2025.08.25 2025-08-25"));
        let entry = entries.first().map(|e| (e.cve.as_str(), e.date_added.to_string(), e.ransomware));
        assert_eq!(entry, Some(("CVE-2025-48384", "2025-08-25".into(), false)));
    }

    #[test]
    fn a_changed_schema_or_count_is_an_error() {
        let renamed = ENTRY.replace("dateAdded", "addedOn");
        let text = format!(
            r#"{{"catalogVersion": "1", "dateReleased": "2025-08-25", "vulnerabilities": [{renamed}]}}"#
        );
        let error = read(&text, false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("missing field `dateAdded`"), "{error}");
        let text = format!(
            r#"{{"catalogVersion": "1", "dateReleased": "2025-08-25", "count": 2, "vulnerabilities": [{ENTRY}]}}"#
        );
        let error = read(&text, false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("says it has 2 entries but lists 1"), "{error}");
        let error =
            read(r#"{"vulnerabilities": []}"#, false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("no `catalogVersion`"), "{error}");
    }

    #[test]
    fn reads_the_csv_with_its_newest_day_as_edition() {
        let text = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\n\
                    CVE-2025-1,A,B,C,2025-08-20,D,E,2025-09-10,Known,,\n\
                    CVE-2025-2,A,B,C,2025-08-25,D,E,,Unknown,,\n";
        let (summary, entries) =
            read(text, true).map_err(|e| e.to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.edition.map(|e| e.version).as_deref(), Some("2025.08.25"));
        assert_eq!(entries.iter().filter(|e| e.ransomware).count(), 1);
        let bad = text.replace("2025-08-20", "20/08/2025");
        let error = read(&bad, true).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("record 2") && error.contains("dateAdded"), "{error}");
    }
}
