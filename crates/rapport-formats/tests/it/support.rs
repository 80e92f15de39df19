//! Reading a file the way the importer does: detect, skip a byte-order mark, parse.

use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rapport_core::{Finding, VexStatement};
use rapport_formats::{
    DETECT_PREFIX_LEN, Format, ParseError, ScanContext, bom_len, detect, parse, parse_vex,
};

pub fn corpus(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus").join(relative)
}

#[derive(Debug)]
pub enum Outcome {
    Parsed(Format, Vec<Finding>),
    Statements(Format, Vec<VexStatement>),
    Undetected(String),
    Rejected(ParseError),
}

pub fn read_bytes(bytes: &[u8]) -> Outcome {
    let prefix = &bytes[..bytes.len().min(DETECT_PREFIX_LEN)];
    let format = match detect(prefix) {
        Ok(format) => format,
        Err(error) => return Outcome::Undetected(error.to_string()),
    };
    let mut cursor = Cursor::new(bytes);
    cursor.seek(SeekFrom::Start(bom_len(prefix) as u64)).unwrap();
    if format.is_vex() {
        let mut statements = Vec::new();
        let result = parse_vex(format, BufReader::new(cursor), &mut |statement| {
            statements.push(statement);
            Ok(())
        });
        return match result {
            Ok(()) => Outcome::Statements(format, statements),
            Err(error) => Outcome::Rejected(error),
        };
    }
    let mut findings = Vec::new();
    let context = ScanContext { fallback_target: "fallback".into() };
    let result = parse(format, BufReader::new(cursor), &context, &mut |finding| {
        findings.push(finding);
        Ok(())
    });
    match result {
        Ok(_) => Outcome::Parsed(format, findings),
        Err(error) => Outcome::Rejected(error),
    }
}

pub fn read(path: &Path) -> Outcome {
    let mut bytes = Vec::new();
    std::fs::File::open(path).unwrap().read_to_end(&mut bytes).unwrap();
    read_bytes(&bytes)
}

pub fn findings(relative: &str) -> Vec<Finding> {
    match read(&corpus(relative)) {
        Outcome::Parsed(_, findings) => findings,
        other => panic!("{relative}: {other:?}"),
    }
}

/// Findings of an inline document, which must parse.
pub fn parsed(bytes: &[u8]) -> Vec<Finding> {
    match read_bytes(bytes) {
        Outcome::Parsed(_, findings) => findings,
        other => panic!("{other:?}"),
    }
}

/// The statements of a VEX corpus file, which must parse.
pub fn statements(relative: &str) -> Vec<VexStatement> {
    match read(&corpus(relative)) {
        Outcome::Statements(_, statements) => statements,
        other => panic!("{relative}: {other:?}"),
    }
}
