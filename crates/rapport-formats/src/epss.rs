//! FIRST's daily EPSS scores: a `#model_version:…,score_date:…` line, the header
//! `cve,epss,percentile`, then one row per CVE (over 300,000). Without the first line there
//! is no telling which day's scores a file holds, so it is required.

use std::io::BufRead;

use rapport_core::{Edition, EpssScore, VulnId};

use crate::intel::{IntelItem, IntelSink, IntelSummary, parse_date};
use crate::{ParseError, Position};

pub(crate) fn parse<R: BufRead>(mut input: R, sink: &mut IntelSink<'_>) -> Result<IntelSummary, ParseError> {
    let mut first = String::new();
    input.read_line(&mut first)?;
    let edition = edition(first.trim_start_matches('\u{feff}').trim()).ok_or_else(|| {
        ParseError::invalid(
            Position::LineColumn { line: 1, column: 1 },
            "expected FIRST's first line `#model_version:…,score_date:YYYY-MM-DD…`, which says which day's \
             scores these are",
        )
    })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let header = reader.byte_headers().map_err(|error| csv_error(&error))?;
    if header.iter().collect::<Vec<_>>() != [&b"cve"[..], b"epss", b"percentile"] {
        return Err(ParseError::invalid(
            Position::Record { record: 1, line: 2 },
            format!(
                "the header is {:?}; expected cve,epss,percentile",
                String::from_utf8_lossy(header.as_slice())
            ),
        ));
    }
    let mut record = csv::ByteRecord::new();
    let mut items = 0;
    while reader.read_byte_record(&mut record).map_err(|error| csv_error(&error))? {
        let place = || {
            record
                .position()
                .map_or(Position::Start, |p| Position::Record { record: p.record() + 1, line: p.line() + 1 })
        };
        let text =
            |index: usize| record.get(index).and_then(|field| std::str::from_utf8(field).ok()).unwrap_or("");
        let cve = text(0);
        if !cve.starts_with("CVE-") {
            return Err(ParseError::invalid(place(), format!("the cve field is {cve:?}; expected a CVE id")));
        }
        let probability = text(1).parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p));
        let percentile = text(2).parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p));
        let (Some(probability), Some(percentile)) = (probability, percentile) else {
            return Err(ParseError::invalid(
                place(),
                format!(
                    "{cve}: epss {:?} and percentile {:?}; expected numbers from 0 to 1",
                    text(1),
                    text(2)
                ),
            ));
        };
        items += 1;
        sink(IntelItem::Epss(EpssScore { cve: VulnId::new(cve), probability, percentile }))?;
    }
    Ok(IntelSummary { edition: Some(edition), items })
}

/// `#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z`
fn edition(line: &str) -> Option<Edition> {
    let fields = line.strip_prefix('#')?;
    let mut version = None;
    let mut date = None;
    for field in fields.split(',') {
        match field.split_once(':') {
            Some(("model_version", value)) => version = Some(value.trim().to_owned()),
            Some(("score_date", value)) => date = parse_date(value),
            _ => {}
        }
    }
    Some(Edition { version: version?, date: date? })
}

fn csv_error(error: &csv::Error) -> ParseError {
    let position = error
        .position()
        .map_or(Position::Start, |p| Position::Record { record: p.record() + 1, line: p.line() + 1 });
    ParseError::invalid(position, error.to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn read(text: &str) -> Result<(IntelSummary, Vec<EpssScore>), ParseError> {
        let mut scores = Vec::new();
        let summary = parse(Cursor::new(text.as_bytes()), &mut |item| {
            if let IntelItem::Epss(score) = item {
                scores.push(score);
            }
            Ok(())
        })?;
        Ok((summary, scores))
    }

    #[test]
    fn reads_the_edition_and_scores() {
        let text = "#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z\ncve,epss,percentile\n\
                    CVE-1999-0001,0.01151,0.78086\nCVE-2021-44228,0.94358,0.99958\n";
        let (summary, scores) = read(text).map_err(|e| e.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let edition = summary.edition.map(|e| format!("{} {}", e.version, e.date));
        assert_eq!(edition.as_deref(), Some("v2025.03.14 2026-01-30"));
        assert_eq!(scores.len(), 2);
        assert_eq!(scores.last().map(|s| (s.cve.as_str(), s.probability)), Some(("CVE-2021-44228", 0.94358)));
    }

    #[test]
    fn refuses_what_it_cannot_date_or_read() {
        let error = read("cve,epss,percentile\nCVE-1999-0001,0.01,0.7\n").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("which day's scores")));
        let text = "#model_version:v1,score_date:2026-01-30\ncve,epss,percentile\nCVE-1999-0001,0.01,0.7\nCVE-1999-0002,1.5,0.7\n";
        let error = read(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            error,
            "at record 3 (line 4): CVE-1999-0002: epss \"1.5\" and percentile \"0.7\"; expected numbers from 0 to 1"
        );
        let cut = "#model_version:v1,score_date:2026-01-30\ncve,epss,percentile\nCVE-1999-0001,0.0";
        assert!(read(cut).is_err());
    }
}
