//! An incident as the security team writes it down (TOML): its summary, timeline, affected
//! assets, indicators, ATT&CK techniques, malware, threat actor, response and lessons. A
//! mistake is refused with its line and the field.
//!
//! ```toml
//! summary = "A phishing email led to a stolen VPN session."
//! assets = ["vpn-gw-01"]
//! techniques = ["T1566.002", "T1078"]
//! response = "Sessions revoked, the sender blocked, passwords reset."
//! lessons = "Phishing reports reach us within minutes; act on them as fast."
//!
//! [[timeline]]
//! at = 2026-11-20T08:10:00Z
//! what = "An employee reported the email."
//!
//! [[indicator]]
//! kind = "domain"
//! value = "login-examplecorp.net"
//! note = "The phishing page."
//! ```

use rapport_core::{Incident, Indicator, IndicatorKind, Moment};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use toml::Spanned;

use crate::ownership_file::line_column;
use crate::{ParseError, Position};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentFile {
    summary: String,
    #[serde(default)]
    timeline: Vec<Spanned<MomentFile>>,
    #[serde(default)]
    assets: Vec<String>,
    #[serde(default)]
    indicator: Vec<IndicatorFile>,
    #[serde(default)]
    techniques: Vec<Spanned<String>>,
    #[serde(default)]
    malware: Vec<String>,
    threat_actor: Option<String>,
    response: Spanned<String>,
    #[serde(default)]
    lessons: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MomentFile {
    at: Spanned<toml::value::Datetime>,
    what: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    kind: Spanned<String>,
    value: Spanned<String>,
    note: Option<String>,
}

/// Reads and checks an incident file.
pub fn parse_incident(text: &str) -> Result<Incident, ParseError> {
    let file: IncidentFile = toml::from_str(text).map_err(|error| {
        let position = error.span().map_or(Position::Start, |span| line_column(text, span.start));
        ParseError::invalid(position, error.message().trim().to_owned())
    })?;
    let at = |span: std::ops::Range<usize>, message: String| {
        ParseError::invalid(line_column(text, span.start), message)
    };
    let mut timeline = Vec::new();
    for moment in &file.timeline {
        let moment = moment.get_ref();
        let written = moment.at.get_ref().to_string();
        let when = OffsetDateTime::parse(&written, &Rfc3339).map_err(|_| {
            at(
                moment.at.span(),
                format!(
                    "timeline.at: {written} has no time zone; expected a moment like 2026-11-20T08:10:00Z"
                ),
            )
        })?;
        timeline.push(Moment { at: when, what: moment.what.trim().to_owned() });
    }
    let mut indicators = Vec::new();
    for indicator in &file.indicator {
        let word = indicator.kind.get_ref();
        let kind = IndicatorKind::parse(word.trim()).ok_or_else(|| {
            let kinds: Vec<&str> = IndicatorKind::ALL.iter().map(|kind| kind.as_str()).collect();
            at(indicator.kind.span(), format!("indicator.kind: {word:?} is not one of {}", kinds.join(", ")))
        })?;
        let value = kind
            .checked(indicator.value.get_ref())
            .map_err(|problem| at(indicator.value.span(), format!("indicator.value: {problem}")))?;
        if indicators.iter().any(|known: &Indicator| known.kind == kind && known.value == value) {
            return Err(at(indicator.value.span(), format!("indicator.value: {value} is listed twice")));
        }
        indicators.push(Indicator {
            kind,
            value,
            note: indicator.note.clone().filter(|note| !note.trim().is_empty()),
        });
    }
    let trimmed = |items: &[String]| -> Vec<String> {
        items.iter().map(|item| item.trim().to_owned()).filter(|item| !item.is_empty()).collect()
    };
    let incident = Incident {
        summary: file.summary.trim().to_owned(),
        timeline,
        assets: trimmed(&file.assets),
        indicators,
        techniques: file.techniques.iter().map(|id| id.get_ref().trim().to_owned()).collect(),
        malware: trimmed(&file.malware),
        threat_actor: file
            .threat_actor
            .map(|actor| actor.trim().to_owned())
            .filter(|actor| !actor.is_empty()),
        response: file.response.get_ref().trim().to_owned(),
        lessons: file.lessons.trim().to_owned(),
    };
    if let Some((field, problem)) = incident.problems().into_iter().next() {
        let span = match field {
            "techniques" => file
                .techniques
                .iter()
                .find(|id| !rapport_core::is_technique_id(id.get_ref().trim()))
                .map(Spanned::span),
            "response" => Some(file.response.span()),
            "timeline" => file.timeline.first().map(Spanned::span),
            _ => None,
        };
        let position = span.map_or(Position::Start, |span| line_column(text, span.start));
        return Err(ParseError::invalid(position, format!("{field}: {problem}")));
    }
    Ok(incident)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"summary = "A phishing email led to a stolen VPN session."
assets = ["vpn-gw-01"]
techniques = ["T1566.002", "T1078"]
threat_actor = "  "
response = "Sessions revoked, the sender blocked, passwords reset."

[[timeline]]
at = 2026-11-20T08:10:00Z
what = "An employee reported the email."

[[timeline]]
at = 2026-11-20T09:32:00+01:00
what = "The session was revoked."

[[indicator]]
kind = "domain"
value = "Login-ExampleCorp.net"
note = "The phishing page."
"#;

    #[test]
    fn reads_an_incident_with_its_moments_in_utc_and_its_indicators_checked() {
        let incident = parse_incident(FILE).unwrap();
        assert_eq!(incident.timeline.len(), 2);
        assert_eq!(incident.first_seen().map(|at| at.unix_timestamp()), Some(1_795_162_200));
        assert_eq!(incident.indicators[0].value, "login-examplecorp.net");
        assert_eq!(incident.threat_actor, None);
        assert_eq!(incident.lessons, "");
    }

    #[test]
    fn refuses_a_mistake_with_its_line_and_field() {
        let error = |text: &str| parse_incident(text).unwrap_err().to_string();
        let wrong_kind = FILE.replace("kind = \"domain\"", "kind = \"hostname\"");
        assert!(
            error(&wrong_kind)
                .starts_with("at line 16, column 8: indicator.kind: \"hostname\" is not one of ipv4"),
            "{}",
            error(&wrong_kind)
        );
        let wrong_value = FILE.replace("Login-ExampleCorp.net", "not a domain");
        assert!(
            error(&wrong_value)
                .starts_with("at line 17, column 9: indicator.value: \"not a domain\" is not a domain name"),
            "{}",
            error(&wrong_value)
        );
        let no_zone = FILE.replace("at = 2026-11-20T08:10:00Z", "at = 2026-11-20T08:10:00");
        assert!(
            error(&no_zone).contains("line 8, column 6: timeline.at: 2026-11-20T08:10:00 has no time zone"),
            "{}",
            error(&no_zone)
        );
        let technique = FILE.replace("\"T1078\"", "\"Valid Accounts\"");
        assert!(
            error(&technique).starts_with(
                "at line 3, column 28: techniques: \"Valid Accounts\" is not an ATT&CK technique id"
            ),
            "{}",
            error(&technique)
        );
        let unknown = FILE.replace("assets =", "asset =");
        assert!(error(&unknown).contains("unknown field `asset`"), "{}", error(&unknown));
        let backwards = FILE.replace("09:32:00+01:00", "09:02:00+01:00");
        assert!(error(&backwards).contains("timeline: is out of order"), "{}", error(&backwards));
    }
}
