//! People and teams: who a plan and a message are for, and what each team can take on.

use serde::{Deserialize, Serialize};

/// Who a message is written for: each gets the same facts in different words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Executive,
    Manager,
    Engineer,
    #[default]
    EndUser,
}

impl Audience {
    pub const ALL: [Audience; 4] =
        [Audience::Executive, Audience::Manager, Audience::Engineer, Audience::EndUser];

    /// Reads `executive`, `manager`, `engineer`, `end user` / `end_user` / `end-user`.
    pub fn parse(word: &str) -> Option<Audience> {
        let normal = word.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Audience::ALL.into_iter().find(|audience| audience.as_str() == normal)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Executive => "executive",
            Audience::Manager => "manager",
            Audience::Engineer => "engineer",
            Audience::EndUser => "end_user",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Audience::EndUser => "end user",
            other => other.as_str(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub name: String,
    /// What the team is measured on, in its own words: plans and messages are framed by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_on: Option<String>,
    /// Hours a week the team can give to remediation; plans are scheduled within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_capacity_hours: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub name: String,
    /// The directory's own id (SCIM `id`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_id: Option<String>,
    /// The login name on devices and in the directory (SCIM `userName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The manager, as the source names them (an email, or a directory id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    pub audience: Audience,
    /// An IANA time zone (`Europe/Paris`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A BCP 47 language tag (`fr-FR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// A chat handle (`@jsmith`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Whether their work account has two-step sign-in, as the directory's export says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<bool>,
    /// How many suspicious messages they reported in the last year, as the mail platform
    /// counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phishing_reports: Option<u32>,
}

fn yes() -> bool {
    true
}

impl Person {
    /// How a person is known across imports and sources: their email (lower-cased), else
    /// their directory id, else their login name. `None` when the source gave none of them.
    pub fn key(&self) -> Option<String> {
        fn present(value: &Option<String>) -> Option<&str> {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        present(&self.email)
            .map(str::to_lowercase)
            .or_else(|| present(&self.directory_id).map(|id| format!("id:{id}")))
            .or_else(|| present(&self.username).map(|name| format!("user:{}", name.to_lowercase())))
    }
}

/// What a directory file holds: people, teams, or both, and group memberships that name
/// people by their directory id (a SCIM group lists its members that way).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directory {
    pub people: Vec<Person>,
    pub teams: Vec<Team>,
    /// (team, member's directory id).
    pub members: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_known_by_email_then_directory_id_then_login() {
        let mut person = Person { username: Some("BJensen".into()), ..Person::default() };
        assert_eq!(person.key().as_deref(), Some("user:bjensen"));
        person.directory_id = Some("2819c223".into());
        assert_eq!(person.key().as_deref(), Some("id:2819c223"));
        person.email = Some("BJensen@Example.com".into());
        assert_eq!(person.key().as_deref(), Some("bjensen@example.com"));
        assert_eq!(Person::default().key(), None);
    }

    #[test]
    fn audiences_read_as_people_write_them() {
        assert_eq!(Audience::parse("End user"), Some(Audience::EndUser));
        assert_eq!(Audience::parse("end-user"), Some(Audience::EndUser));
        assert_eq!(Audience::parse("EXECUTIVE"), Some(Audience::Executive));
        assert_eq!(Audience::parse("boss"), None);
    }
}
