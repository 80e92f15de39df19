//! An incident the security team handled, as it records it: what happened and when, what it
//! touched, what gave the attacker away, how they worked (ATT&CK techniques), what was done and
//! what was learned. It is what Rapport shares with peers, once redacted.

use core::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// One sentence: what happened.
    pub summary: String,
    pub timeline: Vec<Moment>,
    /// The estate's assets it touched, by name.
    pub assets: Vec<String>,
    pub indicators: Vec<Indicator>,
    /// ATT&CK technique ids, like T1566 or T1566.002.
    pub techniques: Vec<String>,
    pub malware: Vec<String>,
    pub threat_actor: Option<String>,
    /// What was done about it.
    pub response: String,
    pub lessons: String,
}

/// One moment of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub what: String,
}

/// Something that gave the attacker away, which a peer can look for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub kind: IndicatorKind,
    /// As checked: addresses as written, domains, hashes and senders in lower case.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKind {
    Ipv4,
    Ipv6,
    Domain,
    Url,
    Md5,
    Sha1,
    Sha256,
    /// The sender of a phishing email.
    EmailSender,
}

impl IndicatorKind {
    pub const ALL: [IndicatorKind; 8] = [
        IndicatorKind::Ipv4,
        IndicatorKind::Ipv6,
        IndicatorKind::Domain,
        IndicatorKind::Url,
        IndicatorKind::Md5,
        IndicatorKind::Sha1,
        IndicatorKind::Sha256,
        IndicatorKind::EmailSender,
    ];

    /// As written in an incident file.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ipv4 => "ipv4",
            IndicatorKind::Ipv6 => "ipv6",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Md5 => "md5",
            IndicatorKind::Sha1 => "sha1",
            IndicatorKind::Sha256 => "sha256",
            IndicatorKind::EmailSender => "email-sender",
        }
    }

    pub fn parse(word: &str) -> Option<IndicatorKind> {
        IndicatorKind::ALL.into_iter().find(|kind| kind.as_str() == word)
    }

    /// The value checked and written as it is kept, or what is wrong with it.
    pub fn checked(self, value: &str) -> Result<String, String> {
        let value = value.trim();
        let fits = match self {
            IndicatorKind::Ipv4 => value.parse::<Ipv4Addr>().is_ok(),
            IndicatorKind::Ipv6 => value.parse::<Ipv6Addr>().is_ok(),
            IndicatorKind::Domain => is_domain(value),
            IndicatorKind::Url => is_url(value),
            IndicatorKind::Md5 => is_hex(value, 32),
            IndicatorKind::Sha1 => is_hex(value, 40),
            IndicatorKind::Sha256 => is_hex(value, 64),
            IndicatorKind::EmailSender => {
                value.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && is_domain(domain))
            }
        };
        if !fits {
            return Err(format!("{value:?} is not {}", self.expected()));
        }
        Ok(match self {
            IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Url => value.to_owned(),
            _ => value.to_ascii_lowercase(),
        })
    }

    fn expected(self) -> &'static str {
        match self {
            IndicatorKind::Ipv4 => "an IPv4 address, like 198.51.100.3",
            IndicatorKind::Ipv6 => "an IPv6 address, like 2001:db8::3",
            IndicatorKind::Domain => "a domain name, like login.example.net",
            IndicatorKind::Url => "an http:// or https:// address",
            IndicatorKind::Md5 => "an MD5 hash: 32 hex digits",
            IndicatorKind::Sha1 => "a SHA-1 hash: 40 hex digits",
            IndicatorKind::Sha256 => "a SHA-256 hash: 64 hex digits",
            IndicatorKind::EmailSender => "an email address, like invoice@example.net",
        }
    }
}

fn is_hex(value: &str, digits: usize) -> bool {
    value.len() == digits && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Labels of letters, digits and inner hyphens, at least two of them, the last not all digits.
fn is_domain(value: &str) -> bool {
    let labels: Vec<&str> = value.trim_end_matches('.').split('.').collect();
    value.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|top| !top.bytes().all(|b| b.is_ascii_digit()))
}

fn is_url(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
        let host = host.split(':').next().unwrap_or_default();
        !value.chars().any(char::is_whitespace) && (is_domain(host) || host.parse::<Ipv4Addr>().is_ok())
    })
}

/// `T` and four digits, and `.` and three more for a sub-technique.
pub fn is_technique_id(id: &str) -> bool {
    let digits = |text: &str, count: usize| text.len() == count && text.bytes().all(|b| b.is_ascii_digit());
    match id.strip_prefix('T').map(|rest| rest.split_once('.').unwrap_or((rest, ""))) {
        Some((technique, "")) => digits(technique, 4),
        Some((technique, sub)) => digits(technique, 4) && digits(sub, 3),
        None => false,
    }
}

impl Incident {
    /// What is wrong with the record as a whole, by field: it says what happened, what was
    /// done, and when, in order.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.summary.trim().is_empty() {
            problems.push(("summary", "is empty: say in one sentence what happened".to_owned()));
        }
        if self.response.trim().is_empty() {
            problems.push(("response", "is empty: say what was done about it".to_owned()));
        }
        if self.timeline.is_empty() {
            problems.push(("timeline", "is empty: give at least when it was found".to_owned()));
        }
        if self.timeline.windows(2).any(|pair| matches!(pair, [before, after] if after.at < before.at)) {
            problems.push(("timeline", "is out of order: list its moments from first to last".to_owned()));
        }
        for technique in self.techniques.iter().filter(|id| !is_technique_id(id)) {
            problems.push((
                "techniques",
                format!("{technique:?} is not an ATT&CK technique id, like T1566 or T1566.002"),
            ));
        }
        problems
    }

    /// When it was first noticed: the timeline's first moment.
    pub fn first_seen(&self) -> Option<OffsetDateTime> {
        self.timeline.first().map(|moment| moment.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_are_checked_and_kept_in_one_form() {
        assert_eq!(IndicatorKind::Domain.checked(" Login.Example.NET "), Ok("login.example.net".into()));
        assert_eq!(IndicatorKind::Ipv4.checked("198.51.100.3"), Ok("198.51.100.3".into()));
        assert!(IndicatorKind::Ipv4.checked("198.51.100.300").unwrap_err().contains("an IPv4 address"));
        assert!(IndicatorKind::Domain.checked("localhost").is_err());
        assert!(IndicatorKind::Domain.checked("10.0.0.1").is_err());
        assert!(IndicatorKind::Url.checked("https://example.net/login?next=/").is_ok());
        assert!(IndicatorKind::Url.checked("ftp://example.net/").is_err());
        assert!(IndicatorKind::Sha256.checked(&"A".repeat(64)).is_ok_and(|hash| hash == "a".repeat(64)));
        assert!(IndicatorKind::Md5.checked("abc").unwrap_err().contains("32 hex digits"));
        assert!(
            IndicatorKind::EmailSender
                .checked("Invoice@Example.net")
                .is_ok_and(|sender| sender == "invoice@example.net")
        );
        assert!(IndicatorKind::ALL.iter().all(|kind| IndicatorKind::parse(kind.as_str()) == Some(*kind)));
    }

    #[test]
    fn a_record_says_what_happened_what_was_done_and_when() {
        let moment = |at: i64, what: &str| Moment {
            at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
            what: what.into(),
        };
        let mut incident = Incident {
            summary: "A phishing email stole a VPN session.".into(),
            timeline: vec![moment(100, "Reported"), moment(200, "Contained")],
            assets: vec![],
            indicators: vec![],
            techniques: vec!["T1566.002".into(), "T1078".into()],
            malware: vec![],
            threat_actor: None,
            response: "Sessions revoked.".into(),
            lessons: String::new(),
        };
        assert!(incident.problems().is_empty(), "{:?}", incident.problems());
        incident.timeline.reverse();
        incident.techniques.push("T15".into());
        incident.response.clear();
        let fields: Vec<&str> = incident.problems().iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["response", "timeline", "techniques"]);
        assert!(is_technique_id("T0800") && !is_technique_id("T1566.2") && !is_technique_id("t1566"));
    }
}
