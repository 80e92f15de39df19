//! Parse errors that say where and what was expected.

/// A place in the input, in the most useful unit the format has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    LineColumn {
        line: u64,
        column: u64,
    },
    ByteOffset(u64),
    /// A CSV record (1-based, the header is record 1) and its line.
    Record {
        record: u64,
        line: u64,
    },
    Start,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Position::ByteOffset(offset) => write!(f, "byte {offset}"),
            Position::Record { record, line } => write!(f, "record {record} (line {line})"),
            Position::Start => f.write_str("the start"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The input does not follow the format: says where and what was expected.
    #[error("at {position}: {message}")]
    Invalid { position: Position, message: String },
    #[error("the file ended early at {position}: {message}")]
    Truncated { position: Position, message: String },
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The receiving side stopped the import; its own error says why.
    #[error("the import was stopped")]
    Stopped,
}

impl From<crate::Stop> for ParseError {
    fn from(_: crate::Stop) -> ParseError {
        ParseError::Stopped
    }
}

impl ParseError {
    pub fn invalid(position: Position, message: impl Into<String>) -> ParseError {
        ParseError::Invalid { position, message: message.into() }
    }
}
