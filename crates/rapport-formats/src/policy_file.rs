//! The remediation policy file (TOML). Syntax errors and unknown keys are reported by line
//! and column; values that make no sense together by field, once checked by
//! `rapport_core::Policy::compile`.

use rapport_core::PolicySpec;

use crate::ownership_file::line_column;
use crate::{ParseError, Position};

/// The policy a new installation starts from (`rapport policy show --default`).
pub const DEFAULT_POLICY: &str = include_str!("data/default_policy.toml");

pub fn parse_policy(text: &str) -> Result<PolicySpec, ParseError> {
    toml::from_str(text).map_err(|error| {
        let position = error.span().map_or(Position::Start, |span| line_column(text, span.start));
        ParseError::invalid(position, error.message().trim().to_owned())
    })
}

/// The sections a policy may leave out, taking the default policy's values.
const OPTIONAL_SECTIONS: [&str; 7] =
    ["emergency", "capacity", "effort", "freeze", "exceptions", "messages", "reminders"];

/// The optional sections `text` leaves out, so a file cut short or a forgotten section shows
/// before it is applied. Empty when `text` is not TOML (parsing says why).
pub fn defaulted_sections(text: &str) -> Vec<&'static str> {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    OPTIONAL_SECTIONS.into_iter().filter(|section| !table.contains_key(*section)).collect()
}

#[cfg(test)]
mod tests {
    use rapport_core::{Outcome, Policy};

    use super::*;

    #[test]
    fn the_default_policy_is_sound() {
        let policy = Policy::compile(parse_policy(DEFAULT_POLICY).unwrap()).unwrap();
        assert_eq!(policy.spec.due_days.act, 14);
        assert_eq!(policy.spec.emergency.outcomes, [Outcome::Act]);
        assert_eq!(policy.spec.freezes.len(), 1);
    }

    #[test]
    fn sections_left_out_are_named() {
        assert!(defaulted_sections(DEFAULT_POLICY).is_empty());
        let cut = DEFAULT_POLICY.split("[emergency]").next().unwrap();
        assert_eq!(defaulted_sections(cut), OPTIONAL_SECTIONS);
        assert!(defaulted_sections("not = [toml").is_empty());
    }

    #[test]
    fn mistakes_are_placed() {
        let text = DEFAULT_POLICY.replace("act = 14", "act = \"two weeks\"");
        let error = parse_policy(&text).unwrap_err().to_string();
        assert!(error.starts_with("at line 12, column 7"), "{error}");
        assert!(error.contains("invalid type: string \"two weeks\", expected u32"), "{error}");
        let text = DEFAULT_POLICY.replace("from = \"2026-12-24\"", "from = \"24/12/2026\"");
        let error = parse_policy(&text).unwrap_err().to_string();
        assert!(error.starts_with("at line 47"), "{error}");
        let text = DEFAULT_POLICY.replace("exposure = [\"open\"]", "exposure = [\"internet\"]");
        let error = parse_policy(&text).unwrap_err().to_string();
        assert!(error.contains("unknown variant `internet`"), "{error}");
    }
}
