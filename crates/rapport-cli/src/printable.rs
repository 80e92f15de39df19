//! Where every command prints. Scanner output is text anyone could have written, and a
//! terminal acts on control sequences in it: an escape sequence in a finding's title can
//! recolour, retitle or clear the operator's terminal, or hide the lines around it. So every
//! control character but the newline and the tab is printed as its escape (`\u001b`), and so
//! are the characters that reorder text on screen (Trojan Source). The escape is JSON's own,
//! so `--json` output stays valid and still means exactly what the scanner wrote.

use std::borrow::Cow;
use std::io::{StdoutLock, Write};

/// A moment as the terminal's lines print it: UTC, to the second (`2026-12-02 13:15:02 UTC`);
/// `--json` keeps RFC 3339.
pub fn moment(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    at.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

/// Standard output, with control characters shown rather than obeyed.
pub fn stdout() -> Printable<StdoutLock<'static>> {
    Printable(std::io::stdout().lock())
}

#[derive(Debug)]
pub struct Printable<W>(W);

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(neutralised(text).as_bytes()),
            // Not text: every byte below the space that is not a newline or tab is escaped.
            Err(_) => {
                for byte in buf {
                    match byte {
                        b'\n' | b'\t' => self.0.write_all(&[*byte])?,
                        0..0x20 | 0x7f => write!(self.0, "\\u{byte:04x}")?,
                        _ => self.0.write_all(&[*byte])?,
                    }
                }
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `text` with every character a terminal would act on written as its escape.
///
/// ```text
/// "title\u{1b}[2J" is printed  title\u001b[2J
/// ```
pub fn neutralised(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if acts_on_terminal(c) { format!("\\u{:04x}", u32::from(c)) } else { c.to_string() })
            .collect(),
    )
}

fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_as_it_is() {
        assert!(matches!(neutralised("Crème brûlée\n\tfor two"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            neutralised("\u{1b}]0;owned\u{7}\u{1b}[2J title"),
            "\\u001b]0;owned\\u0007\\u001b[2J title"
        );
        assert_eq!(neutralised("a\rb\u{9b}c"), "a\\u000db\\u009bc");
    }

    #[test]
    fn text_that_reorders_itself_on_screen_is_shown_as_written() {
        assert_eq!(neutralised("admin\u{202e}gnp.exe"), "admin\\u202egnp.exe");
    }

    #[test]
    fn bytes_that_are_not_text_are_escaped_too() {
        let mut out = Printable(Vec::new());
        out.write_all(b"\xff\x1b[31mred\n").unwrap();
        assert_eq!(out.0, b"\xff\\u001b[31mred\n");
    }
}
