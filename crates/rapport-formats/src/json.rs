//! Shared machinery for the JSON formats: [`JsonReader`], which walks a document's outer
//! structure from a stream and hands each record to serde as one slice; positioned errors;
//! and a key sniffer for detection.
//!
//! Why not serde over the whole stream: serde_json reading from an `io::Read` copies and
//! checks every byte one call at a time, which made it the slowest part of an import. Here
//! serde parses each value straight from a buffer of the file, at slice speed, and reports
//! where it ended. Memory is bounded by the largest single value the parser asks for (one
//! vulnerability, one SARIF `tool` with its rules), never by the file.

use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, IgnoredAny};

use crate::{ParseError, Position};

/// Bytes read from the input at a time.
const CHUNK: usize = 256 * 1024;

/// A JSON document read from a stream. The parser navigates it with [`object`](Self::object)
/// and [`array`](Self::array) and takes each value it needs with [`value`](Self::value) or
/// leaves it with [`skip`](Self::skip).
pub(crate) struct JsonReader<R> {
    input: R,
    buffer: Vec<u8>,
    /// The next unread byte of `buffer`.
    at: usize,
    /// Bytes of the file before `buffer[0]`.
    offset: u64,
    /// Lines that ended before `buffer[0]`, and the length of the part of the current line
    /// that lies before it: positions are counted as bytes are dropped, not kept.
    lines_before: u64,
    column_before: u64,
    eof: bool,
}

impl<R: Read> JsonReader<R> {
    pub fn new(input: R) -> Self {
        JsonReader {
            input,
            buffer: Vec::with_capacity(CHUNK),
            at: 0,
            offset: 0,
            lines_before: 0,
            column_before: 0,
            eof: false,
        }
    }

    /// The first byte of the next value (after whitespace), without taking it; `None` at the
    /// end of the input.
    pub fn peek(&mut self) -> Result<Option<u8>, ParseError> {
        loop {
            let unread = self.buffer.get(self.at..).unwrap_or_default();
            match unread.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(skipped) => {
                    self.at += skipped;
                    return Ok(self.buffer.get(self.at).copied());
                }
                None => {
                    self.at = self.buffer.len();
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Deserializes the next value. serde parses it straight from the buffer; when the buffer
    /// ends inside it, more is read (at least doubling what is buffered, so a large value
    /// costs a few retries, not one per chunk) and it is parsed again.
    pub fn value<T: DeserializeOwned>(&mut self) -> Result<T, ParseError> {
        if self.peek()?.is_none() {
            return Err(ParseError::Truncated {
                position: self.position_of(self.at),
                message: "expected a value".into(),
            });
        }
        loop {
            let unread = self.buffer.get(self.at..).unwrap_or_default();
            let mut values = serde_json::Deserializer::from_slice(unread).into_iter::<T>();
            let parsed = values.next();
            let length = values.byte_offset();
            // A value that reaches the end of the buffer may go on after it (a number).
            let complete = length < unread.len() || self.eof;
            match parsed {
                Some(Ok(value)) if complete => {
                    self.at += length;
                    return Ok(value);
                }
                Some(Err(error)) if !error.is_eof() || self.eof => {
                    return Err(self.serde_error(self.at, &error));
                }
                None if self.eof => {
                    return Err(ParseError::Truncated {
                        position: self.position_of(self.buffer.len()),
                        message: "expected a value".into(),
                    });
                }
                _ => {
                    self.fill()?;
                }
            }
        }
    }

    /// Passes over the next value, still checking that it is well-formed JSON. Arrays and
    /// objects are walked rather than read whole, so skipping a section of any size (a BOM's
    /// `dependencies`, a log's `artifacts`) keeps memory flat.
    pub fn skip(&mut self) -> Result<(), ParseError> {
        self.skip_nested(0)
    }

    fn skip_nested(&mut self, depth: u32) -> Result<(), ParseError> {
        // Deeper than this, serde reads the rest whole (and refuses nesting past 128 levels).
        const WALKED_DEPTH: u32 = 32;
        match self.peek()? {
            Some(b'[') if depth < WALKED_DEPTH => self.array("an array", |json| json.skip_nested(depth + 1)),
            Some(b'{') if depth < WALKED_DEPTH => {
                self.object("an object", |json, _| json.skip_nested(depth + 1))
            }
            _ => self.value::<IgnoredAny>().map(|_| ()),
        }
    }

    /// Walks an object, calling `each` with every key; `each` must take the key's value
    /// (with `value`, `skip`, `object` or `array`).
    pub fn object(
        &mut self,
        what: &str,
        mut each: impl FnMut(&mut Self, &str) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        self.open(b'{', what)?;
        if self.close_if(b'}')? {
            return Ok(());
        }
        loop {
            if self.peek()? != Some(b'"') {
                return Err(self.expected("a key in double quotes"));
            }
            let key: String = self.value()?;
            if self.peek()? != Some(b':') {
                return Err(self.expected("`:` after the key"));
            }
            self.at += 1;
            each(self, &key)?;
            if !self.more(b'}')? {
                return Ok(());
            }
        }
    }

    /// Walks an array, calling `each` for every element; `each` must take the element.
    /// `null` is an empty array (tools write it for "nothing found").
    pub fn array(
        &mut self,
        what: &str,
        mut each: impl FnMut(&mut Self) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        if self.peek()? == Some(b'n') {
            return self.value::<()>();
        }
        self.open(b'[', what)?;
        if self.close_if(b']')? {
            return Ok(());
        }
        loop {
            each(self)?;
            if !self.more(b']')? {
                return Ok(());
            }
        }
    }

    /// Checks that nothing but whitespace follows the document.
    pub fn end(&mut self) -> Result<(), ParseError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.invalid("trailing characters after the document")),
        }
    }

    /// Where the next unread byte is: after [`peek`](Self::peek), the start of the next value.
    pub fn here(&self) -> Position {
        self.position_of(self.at)
    }

    /// An error at the next unread byte.
    pub fn invalid(&self, message: impl Into<String>) -> ParseError {
        ParseError::invalid(self.position_of(self.at), message)
    }

    fn expected(&self, what: &str) -> ParseError {
        match self.buffer.get(self.at) {
            Some(found) => self.invalid(format!("expected {what}, found {}", describe(*found))),
            None => ParseError::Truncated {
                position: self.position_of(self.at),
                message: format!("expected {what}"),
            },
        }
    }

    fn open(&mut self, bracket: u8, what: &str) -> Result<(), ParseError> {
        if self.peek()? == Some(bracket) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// After an element: takes the `,` (true: another follows) or the closing bracket (false).
    fn more(&mut self, bracket: u8) -> Result<bool, ParseError> {
        let next = self.peek()?;
        if next == Some(b',') || next == Some(bracket) {
            self.at += 1;
            Ok(next == Some(b','))
        } else {
            Err(self.expected(&format!("`,` or `{}`", bracket as char)))
        }
    }

    fn close_if(&mut self, bracket: u8) -> Result<bool, ParseError> {
        let closes = self.peek()? == Some(bracket);
        if closes {
            self.at += 1;
        }
        Ok(closes)
    }

    /// Reads more input, first dropping what was read (counting its lines): a chunk, or as
    /// much as is still unread if that is more. False at the end.
    fn fill(&mut self) -> Result<bool, ParseError> {
        if self.eof {
            return Ok(false);
        }
        let read = self.buffer.get(..self.at).unwrap_or_default();
        let lines = memchr::memchr_iter(b'\n', read).count() as u64;
        match memchr::memrchr(b'\n', read) {
            Some(newline) => self.column_before = (read.len() - newline - 1) as u64,
            None => self.column_before += read.len() as u64,
        }
        self.lines_before += lines;
        self.offset += self.at as u64;
        self.buffer.drain(..self.at);
        self.at = 0;
        let kept = self.buffer.len();
        self.buffer.resize(kept + kept.max(CHUNK), 0);
        let count = loop {
            match self.input.read(self.buffer.get_mut(kept..).unwrap_or_default()) {
                Ok(count) => break count,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.buffer.truncate(kept);
                    return Err(ParseError::Io(error));
                }
            }
        };
        self.buffer.truncate(kept + count);
        self.eof = count == 0;
        Ok(count > 0)
    }

    /// Line and column (both from 1) of `buffer[index]`.
    fn position_of(&self, index: usize) -> Position {
        let before = self.buffer.get(..index).unwrap_or_default();
        let lines = memchr::memchr_iter(b'\n', before).count() as u64;
        let column = match memchr::memrchr(b'\n', before) {
            Some(newline) => (index - newline - 1) as u64,
            None => self.column_before + index as u64,
        };
        Position::LineColumn { line: self.lines_before + lines + 1, column: column + 1 }
    }

    /// A serde error inside the value that starts at `buffer[start]`, placed in the file.
    fn serde_error(&self, start: usize, error: &serde_json::Error) -> ParseError {
        let Position::LineColumn { line, column } = self.position_of(start) else {
            return ParseError::invalid(Position::Start, error.to_string());
        };
        let (inner_line, inner_column) = (error.line() as u64, error.column() as u64);
        let position = if inner_line <= 1 {
            Position::LineColumn { line, column: column - 1 + inner_column }
        } else {
            Position::LineColumn { line: line + inner_line - 1, column: inner_column }
        };
        let message = strip_position(&error.to_string());
        match error.classify() {
            serde_json::error::Category::Eof => ParseError::Truncated { position, message },
            _ => ParseError::Invalid { position, message },
        }
    }
}

fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() { format!("`{}`", byte as char) } else { format!("byte 0x{byte:02x}") }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message.get(..cut).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

/// Object keys in the first bytes of a JSON document, with their object depth (keys of the
/// root object, or of objects directly in a root array, are depth 1). Tolerates a document
/// cut short, since detection only sees a prefix.
pub(crate) fn keys_near_top(body: &[u8]) -> Vec<(usize, String)> {
    const MAX_KEYS: usize = 400;
    let mut keys = Vec::new();
    let mut containers: Vec<u8> = Vec::new();
    let mut bytes = body.iter().copied().enumerate().peekable();
    while let Some((start, byte)) = bytes.next() {
        match byte {
            b'{' | b'[' => containers.push(byte),
            b'}' | b']' => {
                containers.pop();
            }
            b'"' => {
                let mut end = start + 1;
                let mut escaped = false;
                for (index, inner) in bytes.by_ref() {
                    end = index;
                    match (escaped, inner) {
                        (false, b'\\') => escaped = true,
                        (false, b'"') => break,
                        _ => escaped = false,
                    }
                }
                while bytes.next_if(|(_, b)| b.is_ascii_whitespace()).is_some() {}
                let is_key = bytes.peek().is_some_and(|(_, b)| *b == b':');
                if is_key && containers.last() == Some(&b'{') {
                    let depth = containers.iter().filter(|c| **c == b'{').count();
                    let key = body.get(start + 1..end).unwrap_or_default();
                    keys.push((depth, String::from_utf8_lossy(key).into_owned()));
                    if keys.len() >= MAX_KEYS {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    keys
}

/// A JSON value that may be a string or a number, read as text (tools disagree).
#[derive(Debug, Default, Clone)]
pub(crate) struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Text(match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }))
    }
}

/// A JSON value that may be a number or a numeric string.
pub(crate) fn number(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_keys_with_depth_even_when_cut() {
        let keys = keys_near_top(br#"{"a": {"b": [1, {"c": "x\"y"}]}, "d": "#);
        assert_eq!(keys, vec![(1, "a".into()), (2, "b".into()), (3, "c".into()), (1, "d".into())]);
    }

    /// Hands out at most three bytes per read, so values are cut by the buffer's end
    /// everywhere: inside strings, escapes, numbers and literals.
    struct Dribble<'a>(&'a [u8]);

    impl Read for Dribble<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let count = self.0.len().min(buffer.len()).min(3);
            let (head, tail) = self.0.split_at(count);
            buffer.get_mut(..count).unwrap_or_default().copy_from_slice(head);
            self.0 = tail;
            Ok(count)
        }
    }

    fn walk(document: &[u8]) -> Result<Vec<String>, ParseError> {
        let mut json = JsonReader::new(Dribble(document));
        let mut seen = Vec::new();
        json.object("an object", |json, key| match key {
            "list" => json.array("an array", |json| {
                seen.push(json.value::<serde_json::Value>()?.to_string());
                Ok(())
            }),
            _ => {
                seen.push(format!("{key}={}", json.value::<serde_json::Value>()?));
                Ok(())
            }
        })?;
        json.end()?;
        Ok(seen)
    }

    #[test]
    fn values_cut_by_the_buffer_end_are_read_whole() {
        let document = br#" {"list": [12345, -6.5e3, true, null, "a\"b\\", {"x": [1, {"y": "}"}]}],
            "n": 987654321, "s": "\u00e9t\u00e9"} "#;
        let seen = walk(document).unwrap();
        assert_eq!(
            seen,
            [
                "12345",
                "-6500.0",
                "true",
                "null",
                r#""a\"b\\""#,
                r#"{"x":[1,{"y":"}"}]}"#,
                "n=987654321",
                "s=\"été\""
            ]
        );
    }

    #[test]
    fn a_document_cut_short_is_truncated_and_says_where() {
        let error = walk(b"{\"list\": [1, 2,\n 3").unwrap_err();
        assert!(matches!(error, ParseError::Truncated { .. }), "{error}");
        assert_eq!(error.to_string(), "the file ended early at line 2, column 3: expected `,` or `]`");
    }

    #[test]
    fn corrupt_values_are_placed_in_the_file() {
        let error = walk(b"{\"list\": [1,\n  {\"a\": tru}]}").unwrap_err();
        assert_eq!(error.to_string(), "at line 2, column 12: expected ident");
    }

    #[test]
    fn skipping_a_large_section_keeps_the_buffer_small() {
        let mut document = br#"{"skipped": ["#.to_vec();
        for n in 0..200_000 {
            document.extend_from_slice(
                format!(r#"{{"ref": "pkg:npm/a{n}@1", "dependsOn": [1, 2]}},"#).as_bytes(),
            );
        }
        document.extend_from_slice(br#"null], "kept": 7}"#);
        assert!(document.len() > 10 * CHUNK);
        let mut json = JsonReader::new(&document[..]);
        let mut kept = None;
        json.object("an object", |json, key| match key {
            "kept" => json.value().map(|v: u32| kept = Some(v)),
            _ => json.skip(),
        })
        .unwrap();
        json.end().unwrap();
        assert_eq!(kept, Some(7));
        assert!(json.buffer.capacity() <= 4 * CHUNK, "buffer grew to {}", json.buffer.capacity());
    }

    #[test]
    fn root_array_objects_are_depth_one() {
        let keys = keys_near_top(br#"[{"Target": "x"}]"#);
        assert_eq!(keys, vec![(1, "Target".into())]);
    }
}
