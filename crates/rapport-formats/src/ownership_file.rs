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

use rapport_core::{OwnershipSpec, Patterns, RuleSpec};

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

/// The file with `rules` written before its first rule, in its own syntax, so that they
/// decide first; everything else (comments, order, spacing) is kept as written. The result
/// is read back, and refused unless it says exactly the new rules and then the old ones: a
/// layout this cannot extend (TOML's inline `rule = [...]`, YAML's flow `rule: [...]`) is
/// for a person to edit.
pub fn with_rules_first(text: &str, rules: &[RuleSpec]) -> Result<String, ParseError> {
    let (syntax, before) = parse_ownership(text)?;
    let written = match syntax {
        OwnershipSyntax::Toml => toml_with_rules_first(text, rules),
        OwnershipSyntax::Yaml => yaml_with_rules_first(text, rules),
    };
    let expected: Vec<RuleSpec> = rules.iter().chain(&before.rules).cloned().collect();
    match parse_ownership(&written) {
        Ok((_, after)) if after.rules == expected => Ok(written),
        _ => Err(ParseError::invalid(
            Position::Start,
            "the rules are not written as a list of rules Rapport can add to; add the rule by hand"
                .to_owned(),
        )),
    }
}

/// A string both TOML and YAML read back as written: JSON's quoting is valid in each.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn patterns_value(patterns: &Patterns) -> String {
    match patterns {
        Patterns::One(one) => quoted(one),
        _ => format!("[{}]", patterns.list().into_iter().map(quoted).collect::<Vec<_>>().join(", ")),
    }
}

/// A rule's settings as (key, value) pairs in the file's order, values quoted.
fn settings(rule: &RuleSpec) -> Vec<(&'static str, String)> {
    let mut settings = Vec::new();
    if let Some(name) = &rule.name {
        settings.push(("name", quoted(name)));
    }
    if let Some(team) = &rule.team {
        settings.push(("team", quoted(team)));
    }
    if rule.team_of_device_user {
        settings.push(("team_of_device_user", "true".to_owned()));
    }
    if let Some(criticality) = rule.criticality {
        settings.push(("criticality", quoted(criticality.as_str())));
    }
    if let Some(exposure) = rule.exposure {
        settings.push(("exposure", quoted(exposure.as_str())));
    }
    settings
}

fn conditions(rule: &RuleSpec) -> impl Iterator<Item = (&'static str, String)> + '_ {
    let fields = rule.conditions.fields().into_iter();
    fields
        .filter(|(_, patterns)| !patterns.is_empty())
        .map(|(field, patterns)| (field, patterns_value(patterns)))
}

/// Where new rules go: before `first` (the line of the first rule) and the comment lines
/// right above it, which belong to that rule.
fn insertion_line(lines: &[&str], first: usize) -> usize {
    let mut at = first;
    while at > 0 && lines.get(at - 1).is_some_and(|line| line.trim_start().starts_with('#')) {
        at -= 1;
    }
    at
}

/// Byte offset where line `index` starts (the text's end past the last line).
fn line_start(text: &str, index: usize) -> usize {
    text.split_inclusive('\n').take(index).map(str::len).sum()
}

fn toml_with_rules_first(text: &str, rules: &[RuleSpec]) -> String {
    let mut block = String::new();
    for rule in rules {
        block.push_str("[[rule]]\n");
        for (key, value) in settings(rule) {
            block.push_str(&format!("{key} = {value}\n"));
        }
        for (field, value) in conditions(rule) {
            block.push_str(&format!("match.{field} = {value}\n"));
        }
        block.push('\n');
    }
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|line| line.trim().replace([' ', '\t'], "") == "[[rule]]");
    splice(text, first.map(|first| line_start(text, insertion_line(&lines, first))), &block)
}

fn yaml_with_rules_first(text: &str, rules: &[RuleSpec]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let key = lines.iter().position(|line| line.trim_end() == "rule:");
    let first_item = key.and_then(|key| {
        let after = lines.iter().enumerate().skip(key + 1);
        let mut said =
            after.filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'));
        said.next().filter(|(_, line)| line.trim_start().starts_with('-'))
    });
    let indent = first_item.map_or(2, |(_, line)| line.len() - line.trim_start().len());
    let pad = " ".repeat(indent);
    let mut block = String::new();
    if key.is_none() {
        block.push_str("rule:\n");
    }
    for rule in rules {
        let mut marker = format!("{pad}- ");
        for (key, value) in settings(rule) {
            block.push_str(&format!("{marker}{key}: {value}\n"));
            marker = format!("{pad}  ");
        }
        block.push_str(&format!("{marker}match:\n"));
        for (field, value) in conditions(rule) {
            block.push_str(&format!("{pad}    {field}: {value}\n"));
        }
    }
    let at = match (key, first_item) {
        (_, Some((first, _))) => Some(line_start(text, insertion_line(&lines, first))),
        (Some(key), None) => Some(line_start(text, key + 1)),
        (None, None) => None,
    };
    splice(text, at, &block)
}

/// `block` inserted at byte `at`, or added at the end (on a line of its own) when `None`.
fn splice(text: &str, at: Option<usize>, block: &str) -> String {
    match at {
        Some(at) if text.is_char_boundary(at) => {
            let (before, after) = text.split_at(at);
            format!("{before}{block}{after}")
        }
        _ => {
            let mut joined = text.to_owned();
            if !joined.is_empty() && !joined.ends_with('\n') {
                joined.push('\n');
            }
            if !joined.is_empty() && !joined.ends_with("\n\n") {
                joined.push('\n');
            }
            joined.push_str(block);
            joined
        }
    }
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

    fn given(name: &str, team: &str) -> RuleSpec {
        let conditions = rapport_core::Conditions {
            kind: Patterns::One("host".into()),
            name: Patterns::exactly(name),
            ..rapport_core::Conditions::default()
        };
        RuleSpec {
            name: Some(format!("{name} \"given\" to {team}")),
            team: Some(team.into()),
            conditions,
            ..RuleSpec::default()
        }
    }

    #[test]
    fn new_rules_go_first_in_the_file_own_syntax_and_keep_the_rest_as_written() {
        let toml = "# Who owns what.\n\n# Web first.\n[[rule]]\nteam = \"web\"\nmatch.kind = \"host\"\n";
        let written = with_rules_first(toml, &[given("db-1*", "Data")]).unwrap();
        assert!(written.starts_with("# Who owns what.\n\n[[rule]]\nname = "), "{written}");
        assert!(
            written.ends_with("\n# Web first.\n[[rule]]\nteam = \"web\"\nmatch.kind = \"host\"\n"),
            "{written}"
        );
        let (_, spec) = parse_ownership(&written).unwrap();
        assert_eq!(spec.rules[0], given("db-1*", "Data"));

        let yaml =
            "# Who owns what.\nrule:\n    # Web first.\n    - team: web\n      match:\n        kind: host\n";
        let written = with_rules_first(yaml, &[given("db-1", "Data"), given("db-2", "Data")]).unwrap();
        assert!(
            written.ends_with("    # Web first.\n    - team: web\n      match:\n        kind: host\n"),
            "{written}"
        );
        let (syntax, spec) = parse_ownership(&written).unwrap();
        assert_eq!(syntax, OwnershipSyntax::Yaml);
        assert_eq!(spec.rules.len(), 3);
        assert_eq!(spec.rules[1], given("db-2", "Data"));

        for empty in ["", "# nothing yet\n"] {
            let written = with_rules_first(empty, &[given("db-1", "Data")]).unwrap();
            assert_eq!(parse_ownership(&written).unwrap().1.rules, vec![given("db-1", "Data")], "{written}");
        }
    }

    #[test]
    fn a_layout_it_cannot_extend_is_refused_not_rewritten() {
        let inline = "rule = [{ team = \"web\", match = { kind = \"host\" } }]\n";
        let error = with_rules_first(inline, &[given("db-1", "Data")]).unwrap_err().to_string();
        assert!(error.contains("add the rule by hand"), "{error}");
        let flow = "rule: [{team: web, match: {kind: host}}]\n";
        assert!(with_rules_first(flow, &[given("db-1", "Data")]).is_err());
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
