//! The ownership file, in TOML or YAML (told apart by content): an ordered list of rules.
//!
//! ```toml
//! [[rule]]
//! name = "payment images"
//! team = "payments"
//! criticality = "high"
//! exposure = "internet"
//! match.image = "registry.example.com/payments/*"
//! ```
//!
//! Syntax errors and unknown keys are reported with their line and column; rules that do
//! not make sense (a bad glob, a bad address range, a rule that decides nothing) by their
//! number and name, once compiled by `rapport_core::Ownership`.

use rapport_core::OwnershipSpec;

use crate::{ParseError, Position};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnershipSyntax {
    Toml,
    Yaml,
}

impl OwnershipSyntax {
    pub fn name(self) -> &'static str {
        match self {
            OwnershipSyntax::Toml => "toml",
            OwnershipSyntax::Yaml => "yaml",
        }
    }

    /// TOML when the first line that says something opens a table (`[[rule]]`) or sets a key
    /// with `=`; YAML otherwise.
    pub fn of(text: &str) -> OwnershipSyntax {
        let first = text.lines().map(str::trim).find(|line| !line.is_empty() && !line.starts_with('#'));
        match first {
            Some(line)
                if line.starts_with('[')
                    || line.split_once('=').is_some_and(|(key, _)| !key.contains(':')) =>
            {
                OwnershipSyntax::Toml
            }
            _ => OwnershipSyntax::Yaml,
        }
    }
}

pub fn parse_ownership(text: &str) -> Result<(OwnershipSyntax, OwnershipSpec), ParseError> {
    let syntax = OwnershipSyntax::of(text);
    let spec = match syntax {
        OwnershipSyntax::Toml => toml::from_str(text).map_err(|error| {
            let position = error.span().map_or(Position::Start, |span| line_column(text, span.start));
            ParseError::invalid(position, error.message().trim().to_owned())
        })?,
        OwnershipSyntax::Yaml if text.trim().is_empty() => OwnershipSpec::default(),
        OwnershipSyntax::Yaml => serde_saphyr::from_str(text).map_err(|error| {
            let position = error
                .location()
                .map_or(Position::Start, |at| Position::LineColumn { line: at.line(), column: at.column() });
            ParseError::invalid(position, yaml_message(&error.to_string()))
        })?,
    };
    Ok((syntax, spec))
}

/// serde-saphyr's message without what the position already says: its own "error: line 1
/// column 1:" prefix, " at line" suffix and the source snippet it draws below.
fn yaml_message(rendered: &str) -> String {
    let first = rendered.lines().next().unwrap_or(rendered).trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim_start();
    let first = match first.strip_prefix("line ").and_then(|rest| rest.split_once(": ")) {
        Some((place, message)) if place.contains("column") => message,
        _ => first,
    };
    first.split(" at line ").next().unwrap_or(first).trim().to_owned()
}

pub(crate) fn line_column(text: &str, offset: usize) -> Position {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    Position::LineColumn { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::{Criticality, Exposure, Patterns};

    #[test]
    fn toml_and_yaml_say_the_same_thing() {
        let toml = r#"
# Who owns what.
[[rule]]
name = "payment images"
team = "payments"
criticality = "high"
exposure = "internet"
match.image = ["registry.example.com/payments/*", "ghcr.io/acme/pay-*"]

[[rule]]
team_of_device_user = true
match.device_user = "*@acme.example"
"#;
        let yaml = r#"
# Who owns what.
rule:
  - name: payment images
    team: payments
    criticality: high
    exposure: internet
    match:
      image: ["registry.example.com/payments/*", "ghcr.io/acme/pay-*"]
  - team_of_device_user: true
    match:
      device_user: "*@acme.example"
"#;
        let (toml_syntax, from_toml) = parse_ownership(toml).unwrap();
        let (yaml_syntax, from_yaml) = parse_ownership(yaml).unwrap();
        assert_eq!((toml_syntax, yaml_syntax), (OwnershipSyntax::Toml, OwnershipSyntax::Yaml));
        assert_eq!(from_toml, from_yaml);
        let first = &from_toml.rules[0];
        assert_eq!(first.criticality, Some(Criticality::High));
        assert_eq!(first.exposure, Some(Exposure::Internet));
        assert!(matches!(&first.conditions.image, Patterns::Many(list) if list.len() == 2));
        assert!(from_toml.rules[1].team_of_device_user);
    }

    #[test]
    fn mistakes_are_placed() {
        let error =
            parse_ownership("[[rule]]\nteam = \"a\"\nmatch.hostnme = \"x\"\n").unwrap_err().to_string();
        assert!(error.starts_with("at line 3, column 7: unknown field `hostnme`"), "{error}");
        let error =
            parse_ownership("[[rule]]\nteam = \"a\"\ncriticality = \"urgent\"\n").unwrap_err().to_string();
        assert!(error.starts_with("at line 3, column 15: unknown variant `urgent`"), "{error}");
        let error = parse_ownership("rule:\n  - team: a\n    exposure: outside\n").unwrap_err().to_string();
        assert!(error.starts_with("at line 3, column 15:"), "{error}");
        assert!(error.contains("outside"), "{error}");
        let error = parse_ownership("name,email\nAna,ana@example.com\n").unwrap_err().to_string();
        assert_eq!(error, "at line 1, column 1: expected mapping start");
    }
}
