//! Shared machinery for the XML formats: a pull reader over quick-xml that hands out small
//! subtrees ("records": one Nessus ReportItem, one CycloneDX vulnerability) so that parsers
//! map records, never whole documents.

use std::io::BufRead;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::{ParseError, Position};

/// One element with its attributes, text and children.
#[derive(Debug, Default, Clone)]
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    text: String,
}

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    pub fn children_named<'e>(&'e self, name: &'e str) -> impl Iterator<Item = &'e Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The element's own text, trimmed; `None` when empty.
    pub fn text(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|text| !text.is_empty())
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(Element::text)
    }

    /// Text of a descendant reached by a path of names: `path_text(&["source", "name"])`.
    pub fn path_text(&self, path: &[&str]) -> Option<&str> {
        let mut element = self;
        for name in path {
            element = element.child(name)?;
        }
        element.text()
    }
}

pub(crate) enum Step {
    /// An element opened; `empty` is true for `<x/>`, which has no content and no Close.
    Open {
        element: Element,
        empty: bool,
    },
    Close,
    Eof,
}

/// How deep elements may nest, in the whole document and inside one record. The formats Rapport
/// reads nest a dozen deep at most; a hostile file nests tens of thousands deep, and a tree that
/// deep would take the process's stack when it is dropped.
pub(crate) const MAX_DEPTH: usize = 256;

pub(crate) struct XmlReader<R: BufRead> {
    reader: quick_xml::Reader<R>,
    buffer: Vec<u8>,
    /// Names of the open elements, outermost first.
    pub path: Vec<String>,
}

impl<R: BufRead> XmlReader<R> {
    pub fn new(input: R) -> Self {
        XmlReader { reader: quick_xml::Reader::from_reader(input), buffer: Vec::new(), path: Vec::new() }
    }

    pub fn position(&self) -> Position {
        Position::ByteOffset(self.reader.buffer_position())
    }

    pub fn invalid(&self, message: impl Into<String>) -> ParseError {
        ParseError::invalid(self.position(), message)
    }

    /// The next element opening or closing at any depth; text outside records is skipped.
    pub fn step(&mut self) -> Result<Step, ParseError> {
        loop {
            match self.next_event()? {
                Piece::Open(element) => {
                    if self.path.len() >= MAX_DEPTH {
                        return Err(self.too_deep(&element.name));
                    }
                    self.path.push(element.name.clone());
                    return Ok(Step::Open { element, empty: false });
                }
                Piece::Empty(element) => {
                    return Ok(Step::Open { element, empty: true });
                }
                Piece::Close => {
                    self.path.pop();
                    return Ok(Step::Close);
                }
                Piece::Text(_) => {}
                Piece::Eof => return Ok(Step::Eof),
            }
        }
    }

    /// Reads the content of `element`, which [`step`](Self::step) just opened, up to and
    /// including its end tag.
    pub fn subtree(&mut self, element: Element, empty: bool) -> Result<Element, ParseError> {
        if empty {
            return Ok(element);
        }
        let mut stack = vec![element];
        loop {
            match self.next_event()? {
                Piece::Open(child) => {
                    if self.path.len() + stack.len() >= MAX_DEPTH {
                        return Err(self.too_deep(&child.name));
                    }
                    stack.push(child)
                }
                Piece::Empty(child) => {
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(child);
                    }
                }
                Piece::Text(text) => {
                    if let Some(current) = stack.last_mut() {
                        current.text.push_str(&text);
                    }
                }
                Piece::Close => {
                    let Some(done) = stack.pop() else {
                        return Err(self.invalid("unbalanced end tag"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => {
                            self.path.pop();
                            return Ok(done);
                        }
                    }
                }
                Piece::Eof => return Err(self.truncated(stack.last().map(|e| e.name.as_str()))),
            }
        }
    }

    fn too_deep(&self, name: &str) -> ParseError {
        let inside = self.path.last().map_or("the document", String::as_str);
        self.invalid(format!(
            "elements nest more than {MAX_DEPTH} deep (at <{name}> inside <{inside}>); no scanner writes that, so the file is refused"
        ))
    }

    fn truncated(&self, inside: Option<&str>) -> ParseError {
        let inside = inside.or(self.path.last().map(String::as_str)).unwrap_or("the document");
        ParseError::Truncated {
            position: self.position(),
            message: format!("the document ends inside <{inside}>"),
        }
    }

    fn next_event(&mut self) -> Result<Piece, ParseError> {
        self.buffer.clear();
        let event = self.reader.read_event_into(&mut self.buffer).map_err(|error| {
            ParseError::invalid(
                Position::ByteOffset(self.reader.error_position()),
                format!("malformed XML: {error}"),
            )
        })?;
        let piece = match event {
            Event::Start(start) => Piece::Open(element_of(&start)?),
            Event::Empty(start) => Piece::Empty(element_of(&start)?),
            Event::End(_) => Piece::Close,
            Event::Text(text) => Piece::Text(text.xml10_content().into_owned()),
            Event::CData(data) => Piece::Text(data.xml10_content().into_owned()),
            Event::GeneralRef(reference) => Piece::Text(resolve(&reference)?),
            Event::Eof if self.path.is_empty() => Piece::Eof,
            Event::Eof => return Err(self.truncated(None)),
            _ => Piece::Text(String::new()),
        };
        Ok(piece)
    }
}

enum Piece {
    Open(Element),
    Empty(Element),
    Close,
    Text(String),
    Eof,
}

fn element_of(start: &BytesStart<'_>) -> Result<Element, ParseError> {
    let mut element = Element { name: start.local_name().as_ref().to_owned(), ..Element::default() };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| {
            ParseError::invalid(Position::Start, format!("malformed attribute in <{}>: {e}", element.name))
        })?;
        let value = quick_xml::escape::unescape(&attribute.value).map_err(|e| {
            ParseError::invalid(Position::Start, format!("bad escape in <{}>: {e}", element.name))
        })?;
        element.attributes.push((attribute.key.local_name().as_ref().to_owned(), value.into_owned()));
    }
    Ok(element)
}

fn resolve(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, ParseError> {
    if reference.is_char_ref() {
        let character = reference
            .resolve_char_ref()
            .map_err(|e| ParseError::invalid(Position::Start, format!("bad character reference: {e}")))?;
        return Ok(character.map(String::from).unwrap_or_default());
    }
    let name = reference.xml10_content();
    resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| ParseError::invalid(Position::Start, format!("unknown entity &{name};")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("<doc><record>{}x{}</record></doc>", "<a>".repeat(depth), "</a>".repeat(depth))
    }

    /// Reads the first `<record>` as parsers do: step to it, then take its subtree.
    fn first_record(xml: &str) -> Result<Element, ParseError> {
        let mut reader = XmlReader::new(xml.as_bytes());
        loop {
            match reader.step()? {
                Step::Open { element, empty } if element.name == "record" => {
                    return reader.subtree(element, empty);
                }
                Step::Eof => panic!("no record"),
                _ => {}
            }
        }
    }

    #[test]
    fn records_nest_as_deep_as_real_files_do() {
        let record = first_record(&nested(100)).unwrap();
        assert_eq!(record.children.len(), 1);
    }

    /// Issue 18, item 1: 50,000 nested elements in one record took the process's stack.
    #[test]
    fn a_record_nested_fifty_thousand_deep_is_refused_with_its_place() {
        let error = first_record(&nested(50_000)).unwrap_err().to_string();
        assert!(error.contains("elements nest more than 256 deep (at <a> inside <record>)"), "{error}");
        assert!(error.contains("byte"), "the place in the file: {error}");
    }

    #[test]
    fn a_document_nested_deep_outside_records_is_refused_too() {
        let xml = format!("{}{}", "<a>".repeat(50_000), "</a>".repeat(50_000));
        let mut reader = XmlReader::new(xml.as_bytes());
        let error = loop {
            match reader.step() {
                Ok(Step::Eof) => panic!("read to the end"),
                Ok(_) => {}
                Err(error) => break error.to_string(),
            }
        };
        assert!(error.contains("elements nest more than 256 deep"), "{error}");
    }
}
