//! Shared machinery for the JSON formats: streaming arrays item by item through serde,
//! turning serde errors into positioned [`ParseError`]s, and a key sniffer for detection.

use std::cell::Cell;
use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};

use crate::{ParseError, Position, Sink, Stop};
use rapport_core::Finding;

/// Runs `seed` over a whole JSON document read from `input`, rejecting trailing data.
pub(crate) fn run<'de, R: Read, S: DeserializeSeed<'de>>(
    input: R,
    seed: S,
    stopped: &Cell<bool>,
) -> Result<S::Value, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    let value = seed.deserialize(&mut deserializer).map_err(|e| convert(e, stopped))?;
    deserializer.end().map_err(|e| convert(e, stopped))?;
    Ok(value)
}

fn convert(error: serde_json::Error, stopped: &Cell<bool>) -> ParseError {
    if stopped.get() {
        return ParseError::Stopped;
    }
    let position = Position::LineColumn { line: error.line() as u64, column: error.column() as u64 };
    let message = strip_position(&error.to_string());
    match error.classify() {
        serde_json::error::Category::Io => ParseError::Io(std::io::Error::other(message)),
        serde_json::error::Category::Eof => ParseError::Truncated { position, message },
        _ => ParseError::Invalid { position, message },
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message.get(..cut).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

/// Where findings go from inside serde visitors: the sink plus the flag that tells a
/// stopped import apart from bad input.
pub(crate) struct Emitter<'s, 'a> {
    sink: &'s mut Sink<'a>,
    pub stopped: &'s Cell<bool>,
}

impl<'s, 'a> Emitter<'s, 'a> {
    pub fn new(sink: &'s mut Sink<'a>, stopped: &'s Cell<bool>) -> Self {
        Emitter { sink, stopped }
    }

    pub fn emit<E: de::Error>(&mut self, finding: Finding) -> Result<(), E> {
        (self.sink)(finding).map_err(|Stop| {
            self.stopped.set(true);
            E::custom("import stopped")
        })
    }
}

/// Deserializes a JSON array one element at a time, handing each to `each`; `null` counts
/// as an empty array. This is what keeps memory flat on files of any size.
pub(crate) struct EachItem<'f, T, F> {
    each: &'f mut F,
    item: PhantomData<fn() -> T>,
}

impl<'f, T, F> EachItem<'f, T, F> {
    pub fn new(each: &'f mut F) -> Self {
        EachItem { each, item: PhantomData }
    }
}

impl<'de, T, F> DeserializeSeed<'de> for EachItem<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T) -> Result<(), ItemError>,
{
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, F> Visitor<'de> for EachItem<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T) -> Result<(), ItemError>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.each)(item).map_err(|e| de::Error::custom(e.0))?;
        }
        Ok(())
    }
}

/// An error raised while handling one array element (its message is what serde reports).
#[derive(Debug)]
pub(crate) struct ItemError(pub String);

/// Skips a value of any shape without keeping it.
pub(crate) fn skip<'de, A: de::MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
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

    #[test]
    fn root_array_objects_are_depth_one() {
        let keys = keys_near_top(br#"[{"Target": "x"}]"#);
        assert_eq!(keys, vec![(1, "Target".into())]);
    }
}
