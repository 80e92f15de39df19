//! People and teams: who a plan and a message are for, and what each team can take on.

use serde::{Deserialize, Serialize};

/// Who a message is written for: each gets the same facts in different words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The email address: how a person is known across imports.
    pub email: String,
    pub name: String,
    /// The directory's own id (SCIM `id`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_id: Option<String>,
    /// The login name on devices and in the directory (SCIM `userName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The manager's email.
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
}

fn yes() -> bool {
    true
}

/// What a directory file holds: people, teams, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directory {
    pub people: Vec<Person>,
    pub teams: Vec<Team>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_read_as_people_write_them() {
        assert_eq!(Audience::parse("End user"), Some(Audience::EndUser));
        assert_eq!(Audience::parse("end-user"), Some(Audience::EndUser));
        assert_eq!(Audience::parse("EXECUTIVE"), Some(Audience::Executive));
        assert_eq!(Audience::parse("boss"), None);
    }
}
