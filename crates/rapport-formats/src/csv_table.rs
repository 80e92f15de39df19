//! Shared machinery for the CSV exports (Nessus, OpenVAS, Qualys): one record at a time,
//! columns found by their header names (exports reorder and rename them between versions),
//! and errors that name the record and line.

use std::io::BufRead;

use rapport_core::Finding;

use crate::{ParseError, Position, Sink};

/// A CSV export read record by record.
pub(crate) struct CsvTable<R> {
    reader: csv::Reader<R>,
    header: csv::StringRecord,
    record: csv::StringRecord,
}

impl<R: BufRead> CsvTable<R> {
    /// Opens the table whose header is the first record `is_header` accepts: some exports
    /// (Qualys) put a report title and the account's address above the header. The delimiter
    /// is `;` when the first line has more of them than commas.
    pub fn new(
        mut input: R,
        is_header: impl Fn(&csv::StringRecord) -> bool,
        expected: &str,
    ) -> Result<CsvTable<R>, ParseError> {
        let delimiter = sniff_delimiter(&mut input)?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut header = csv::StringRecord::new();
        loop {
            if !reader.read_record(&mut header).map_err(|e| csv_error(&e))? {
                return Err(ParseError::invalid(
                    Position::Start,
                    format!("no header row: expected {expected}"),
                ));
            }
            if is_header(&header) {
                break;
            }
        }
        Ok(CsvTable { reader, header, record: csv::StringRecord::new() })
    }

    pub fn header(&self) -> &csv::StringRecord {
        &self.header
    }

    /// Reads the next record; false at the end. Blank lines are skipped.
    pub fn advance(&mut self) -> Result<bool, ParseError> {
        loop {
            if !self.reader.read_record(&mut self.record).map_err(|e| csv_error(&e))? {
                return Ok(false);
            }
            if self.record.iter().any(|field| !field.trim().is_empty()) {
                return Ok(true);
            }
        }
    }

    pub fn record(&self) -> &csv::StringRecord {
        &self.record
    }

    /// An error about the current record.
    pub fn record_error(&self, message: impl Into<String>) -> ParseError {
        ParseError::invalid(position_of(self.record.position()), message)
    }

    /// Reads every record into a finding (`None` skips it) and pushes the findings into
    /// `sink`. Exports repeat a row per CVE of one finding; consecutive rows of one finding
    /// (same fingerprint) become one, with all their ids and CWEs.
    pub fn each_finding(
        &mut self,
        mut finding_of: impl FnMut(&csv::StringRecord) -> Result<Option<Finding>, String>,
        sink: &mut Sink<'_>,
    ) -> Result<(), ParseError> {
        let mut pending: Option<Finding> = None;
        while self.advance()? {
            let Some(finding) = finding_of(&self.record).map_err(|m| self.record_error(m))? else {
                continue;
            };
            match pending.as_mut() {
                Some(current) if current.fingerprint() == finding.fingerprint() => {
                    finding.ids.iter().for_each(|id| current.add_id(id.as_str()));
                    finding.cwes.iter().for_each(|cwe| current.add_cwe(*cwe));
                }
                _ => {
                    if let Some(done) = pending.replace(finding) {
                        sink(done)?;
                    }
                }
            }
        }
        if let Some(done) = pending {
            sink(done)?;
        }
        Ok(())
    }

    /// An error about the header.
    pub fn header_error(&self, message: impl Into<String>) -> ParseError {
        ParseError::invalid(position_of(self.header.position()), message)
    }
}

/// Where each wanted column is, by name.
pub(crate) struct Columns {
    found: Vec<(&'static str, Vec<usize>)>,
}

/// A wanted column: the key the parser asks for it by, the header names exports use for it
/// (in order of preference: a row's value is that of the first of them it fills), and
/// whether a table without any of them is refused. Names compare without regard to case,
/// spaces, `_` or `-` (`Time zone`, `time_zone` and `TimeZone` are one column).
pub(crate) type ColumnSpec = (&'static str, &'static [&'static str], bool);

impl Columns {
    pub fn find(header: &csv::StringRecord, wanted: &[ColumnSpec]) -> Result<Columns, String> {
        let mut found = Vec::with_capacity(wanted.len());
        let header: Vec<String> = header.iter().map(normal).collect();
        for (key, names, required) in wanted {
            let indexes: Vec<usize> =
                names.iter().filter_map(|name| header.iter().position(|h| *h == normal(name))).collect();
            if indexes.is_empty() && *required {
                let names = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ");
                return Err(format!("no {key} column: expected {names}"));
            }
            found.push((*key, indexes));
        }
        Ok(Columns { found })
    }

    /// The trimmed value of column `key` in `record`; `None` when absent or empty.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, key: &str) -> Option<&'r str> {
        let (_, indexes) = self.found.iter().find(|(name, _)| *name == key)?;
        indexes.iter().filter_map(|index| record.get(*index)).map(str::trim).find(|value| !value.is_empty())
    }
}

fn normal(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).flat_map(char::to_lowercase).collect()
}

fn sniff_delimiter<R: BufRead>(input: &mut R) -> Result<u8, ParseError> {
    let head = input.fill_buf()?;
    Ok(delimiter_of(head.split(|b| *b == b'\n').next().unwrap_or_default()))
}

/// `;` when a header line has more of them than commas, else `,`.
fn delimiter_of(line: &[u8]) -> u8 {
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    if count(b';') > count(b',') { b';' } else { b',' }
}

/// The fields of one line, quoted or not, split as [`CsvTable`] splits them: for detection,
/// which sees only the file's first bytes.
pub(crate) fn fields_of(line: &[u8]) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter_of(line))
        .from_reader(line);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => record.iter().map(|field| String::from_utf8_lossy(field).trim().to_owned()).collect(),
        _ => Vec::new(),
    }
}

fn position_of(position: Option<&csv::Position>) -> Position {
    position.map_or(Position::Start, |p| Position::Record { record: p.record() + 1, line: p.line() })
}

fn csv_error(error: &csv::Error) -> ParseError {
    let position = position_of(error.position());
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => ParseError::invalid(position, "text that is not UTF-8"),
        _ => ParseError::invalid(position, error.to_string()),
    }
}
