//! Directories of people and teams: a people CSV, a teams CSV (what each team is measured on
//! and its weekly remediation capacity), and SCIM 2.0 JSON (a User or Group resource, a
//! `ListResponse`, or an array of resources).
//!
//! SCIM says nothing of audiences: a person named as someone's manager is a manager, a
//! member of a group (a team) is an engineer, anyone else an end user. A CSV can say it
//! with an `audience` column.

use std::collections::HashSet;
use std::io::{BufRead, Seek};

use rapport_core::{Audience, Directory, Person, Team};
use serde::Deserialize;

use crate::csv_table::{ColumnSpec, Columns, CsvTable};
use crate::json::JsonReader;
use crate::{ParseError, Position};

/// The kinds of directory file Rapport reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryFormat {
    PeopleCsv,
    TeamsCsv,
    Scim,
}

impl DirectoryFormat {
    pub fn name(self) -> &'static str {
        match self {
            DirectoryFormat::PeopleCsv => "people-csv",
            DirectoryFormat::TeamsCsv => "teams-csv",
            DirectoryFormat::Scim => "scim",
        }
    }
}

impl std::fmt::Display for DirectoryFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Names the kind of a directory file from its first bytes.
pub fn detect_directory(prefix: &[u8]) -> Result<DirectoryFormat, String> {
    let body = prefix.get(crate::bom_len(prefix)..).unwrap_or_default();
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err("the file is empty".into()),
        Some(b'{' | b'[') => {
            let head = String::from_utf8_lossy(body.get(..8192).unwrap_or(body)).to_ascii_lowercase();
            if head.contains("urn:ietf:params:scim") || head.contains("\"username\"") {
                Ok(DirectoryFormat::Scim)
            } else {
                Err("JSON that is not SCIM 2.0 (no `urn:ietf:params:scim` schema and no `userName`)".into())
            }
        }
        Some(_) => {
            let header = body.split(|b| *b == b'\n').next().unwrap_or_default();
            let header = String::from_utf8_lossy(header).to_ascii_lowercase().replace(['_', '-'], " ");
            if header.contains("email") || header.contains("mail") || header.contains("username") {
                Ok(DirectoryFormat::PeopleCsv)
            } else if header.contains("team") && (header.contains("capacity") || header.contains("measured"))
            {
                Ok(DirectoryFormat::TeamsCsv)
            } else {
                let shown: String = header.chars().take(80).collect();
                Err(format!(
                    "a CSV whose header {shown:?} has neither an email column (people) nor team and capacity columns (teams)"
                ))
            }
        }
    }
}

pub fn parse_directory<R: BufRead + Seek>(
    format: DirectoryFormat,
    input: R,
) -> Result<Directory, ParseError> {
    match format {
        DirectoryFormat::PeopleCsv => people_csv(input),
        DirectoryFormat::TeamsCsv => teams_csv(input),
        DirectoryFormat::Scim => scim(input),
    }
}

const PEOPLE_COLUMNS: &[ColumnSpec] = &[
    ("email", &["email", "e-mail", "mail", "email address"], false),
    ("username", &["username", "login", "user"], false),
    ("name", &["name", "full name", "display name"], false),
    ("team", &["team", "department", "group"], false),
    ("manager", &["manager", "manager email"], false),
    ("audience", &["audience"], false),
    ("time zone", &["time zone", "timezone", "tz"], false),
    ("locale", &["locale", "language"], false),
    ("chat", &["chat", "chat handle", "slack", "handle"], false),
    ("active", &["active"], false),
    ("mfa", &["mfa", "mfa enabled", "mfa registered", "two step", "2fa"], false),
    ("phishing reports", &["phishing reports", "reported phishing", "phish reports"], false),
];

fn people_csv<R: BufRead>(input: R) -> Result<Directory, ParseError> {
    let mut table = CsvTable::new(input, |_| true, "a header with `email` and `name`")?;
    let columns = Columns::find(table.header(), PEOPLE_COLUMNS).map_err(|m| table.header_error(m))?;
    let mut directory = Directory::default();
    let mut seen = HashSet::new();
    while table.advance()? {
        let record = table.record();
        let get = |key: &str| columns.get(record, key).map(str::to_owned);
        let email = get("email");
        if let Some(email) = &email {
            check_email(email).map_err(|m| table.record_error(m))?;
        }
        let audience = match get("audience") {
            Some(word) => Audience::parse(&word).ok_or_else(|| {
                table.record_error(format!(
                    "unknown audience {word:?}: expected executive, manager, engineer or end user"
                ))
            })?,
            None => Audience::EndUser,
        };
        if let Some(zone) = get("time zone") {
            check_time_zone(&zone).map_err(|m| table.record_error(m))?;
        }
        let active = match get("active").map(|a| a.to_ascii_lowercase()) {
            None => true,
            Some(word) => match word.as_str() {
                "yes" | "true" | "1" | "active" => true,
                "no" | "false" | "0" | "inactive" => false,
                _ => return Err(table.record_error(format!("`active` is {word:?}: expected yes or no"))),
            },
        };
        let mfa = match get("mfa").map(|word| word.to_ascii_lowercase()) {
            None => None,
            Some(word) => Some(match word.as_str() {
                "yes" | "true" | "1" | "enabled" | "registered" => true,
                "no" | "false" | "0" | "disabled" | "not registered" => false,
                _ => return Err(table.record_error(format!("`mfa` is {word:?}: expected yes or no"))),
            }),
        };
        let phishing_reports = match get("phishing reports") {
            None => None,
            Some(count) => Some(count.parse::<u32>().map_err(|_| {
                table.record_error(format!(
                    "`phishing reports` is {count:?}: expected a whole number of messages reported"
                ))
            })?),
        };
        let username = get("username");
        let name = get("name").or_else(|| email.clone()).or_else(|| username.clone()).unwrap_or_default();
        let person = Person {
            email,
            name,
            directory_id: None,
            username,
            team: get("team"),
            manager: get("manager"),
            audience,
            time_zone: get("time zone"),
            locale: get("locale"),
            chat: get("chat"),
            active,
            mfa,
            phishing_reports,
        };
        let key = person.key().ok_or_else(|| table.record_error("a person needs an email or a username"))?;
        if !seen.insert(key.clone()) {
            return Err(table.record_error(format!("{key} is listed twice")));
        }
        directory.people.push(person);
    }
    Ok(directory)
}

const TEAM_COLUMNS: &[ColumnSpec] = &[
    ("team", &["team", "name", "team name"], true),
    ("measured on", &["measured on", "incentives", "goals"], false),
    ("capacity", &["weekly capacity hours", "capacity hours", "weekly capacity", "capacity"], false),
];

fn teams_csv<R: BufRead>(input: R) -> Result<Directory, ParseError> {
    let mut table = CsvTable::new(input, |_| true, "a header with `team` and `weekly capacity hours`")?;
    let columns = Columns::find(table.header(), TEAM_COLUMNS).map_err(|m| table.header_error(m))?;
    let mut directory = Directory::default();
    while table.advance()? {
        let record = table.record();
        let name = columns.get(record, "team").ok_or_else(|| table.record_error("the team name is empty"))?;
        let capacity = match columns.get(record, "capacity") {
            None => None,
            Some(text) => {
                let hours = text.trim_end_matches(['h', 'H']).trim().parse::<f64>().ok();
                let hours = hours.filter(|h| h.is_finite() && *h >= 0.0).ok_or_else(|| {
                    table.record_error(format!(
                        "capacity {text:?} is not a number of hours (like `6` or `7.5`)"
                    ))
                })?;
                Some(hours)
            }
        };
        if directory.teams.iter().any(|team: &Team| team.name.eq_ignore_ascii_case(name)) {
            return Err(table.record_error(format!("team {name:?} is listed twice")));
        }
        directory.teams.push(Team {
            name: name.to_owned(),
            measured_on: columns.get(record, "measured on").map(str::to_owned),
            weekly_capacity_hours: capacity,
        });
    }
    Ok(directory)
}

fn check_email(email: &str) -> Result<(), String> {
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(format!("{email:?} is not an email address")),
    }
}

/// IANA names are `Area/Location` (`Europe/Paris`, `America/Argentina/Salta`) or `UTC`.
fn check_time_zone(zone: &str) -> Result<(), String> {
    let well_formed = zone == "UTC"
        || (zone.contains('/')
            && zone.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            }));
    if well_formed {
        Ok(())
    } else {
        Err(format!("time zone {zone:?} is not an IANA name like `Europe/Paris`"))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resource {
    #[serde(default)]
    schemas: Vec<String>,
    id: Option<String>,
    // User
    user_name: Option<String>,
    name: Option<Name>,
    display_name: Option<String>,
    #[serde(default)]
    emails: Vec<Email>,
    timezone: Option<String>,
    locale: Option<String>,
    preferred_language: Option<String>,
    active: Option<bool>,
    #[serde(default)]
    ims: Vec<Email>,
    #[serde(default)]
    groups: Vec<Member>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    enterprise: Option<Enterprise>,
    // Group
    #[serde(default)]
    members: Vec<Member>,
    // ListResponse
    #[serde(rename = "Resources", default)]
    resources: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Name {
    formatted: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    value: Option<String>,
    #[serde(default)]
    primary: bool,
}

#[derive(Deserialize)]
struct Member {
    value: Option<String>,
    display: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Enterprise {
    department: Option<String>,
    manager: Option<Manager>,
}

#[derive(Deserialize)]
struct Manager {
    value: Option<String>,
}

fn scim<R: BufRead>(input: R) -> Result<Directory, ParseError> {
    let mut json = JsonReader::new(input);
    let mut resources = Vec::new();
    if json.peek()? == Some(b'[') {
        json.array("an array of SCIM resources", |json| {
            resources.push(json.value::<serde_json::Value>()?);
            Ok(())
        })?;
    } else {
        resources.push(json.value::<serde_json::Value>()?);
    }
    json.end()?;
    let mut directory = Directory::default();
    let mut users = Vec::new();
    let mut pending = resources;
    let mut number = 0;
    while let Some(value) = pending.pop() {
        number += 1;
        let at = |message: String| {
            ParseError::invalid(Position::Start, format!("SCIM resource {number}: {message}"))
        };
        let resource: Resource = serde_json::from_value(value).map_err(|e| at(e.to_string()))?;
        let schemas = resource.schemas.join(" ");
        if schemas.contains("ListResponse") || !resource.resources.is_empty() {
            pending.extend(resource.resources.into_iter().rev());
        } else if schemas.contains("Group") || (!resource.members.is_empty() && resource.user_name.is_none())
        {
            let team = resource.display_name.ok_or_else(|| at("a Group without a `displayName`".into()))?;
            for member in resource.members {
                let is_user = member.kind.as_deref().is_none_or(|k| k.eq_ignore_ascii_case("user"));
                if let (Some(id), true) = (member.value, is_user) {
                    directory.members.push((team.clone(), id));
                }
            }
            directory.teams.push(Team { name: team, measured_on: None, weekly_capacity_hours: None });
        } else {
            users.push(user(resource).map_err(at)?);
        }
    }
    settle_audiences(&mut users, &directory.members);
    directory.people = users;
    Ok(directory)
}

fn user(resource: Resource) -> Result<Person, String> {
    let primary = resource.emails.iter().find(|e| e.primary).or(resource.emails.first());
    let email = primary
        .and_then(|e| e.value.clone())
        .or_else(|| resource.user_name.clone().filter(|u| u.contains('@')));
    let name = resource
        .display_name
        .or_else(|| resource.name.as_ref().and_then(|n| n.formatted.clone()))
        .or_else(|| {
            let name = resource.name.as_ref()?;
            let parts: Vec<&str> =
                [&name.given_name, &name.family_name].into_iter().flatten().map(String::as_str).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .or_else(|| resource.user_name.clone())
        .unwrap_or_default();
    let enterprise = resource.enterprise.as_ref();
    // A user's own `groups` come first; a department stands in when there are none.
    let team = resource
        .groups
        .first()
        .and_then(|g| g.display.clone())
        .or_else(|| enterprise.and_then(|e| e.department.clone()));
    let time_zone = resource.timezone;
    if let Some(zone) = &time_zone {
        check_time_zone(zone)?;
    }
    let person = Person {
        email,
        name,
        directory_id: resource.id,
        username: resource.user_name,
        team,
        manager: enterprise.and_then(|e| e.manager.as_ref()).and_then(|m| m.value.clone()),
        audience: Audience::EndUser,
        time_zone,
        locale: resource.locale.or(resource.preferred_language),
        chat: resource.ims.iter().find_map(|im| im.value.clone()),
        active: resource.active.unwrap_or(true),
        // SCIM has no standard attribute for either: the people CSV carries them.
        mfa: None,
        phishing_reports: None,
    };
    if person.key().is_none() {
        return Err("a User without an `id`, `userName` or email".into());
    }
    Ok(person)
}

/// Managers are the people others name as manager; group members are engineers.
fn settle_audiences(people: &mut [Person], members: &[(String, String)]) {
    let managers: HashSet<String> = people.iter().filter_map(|p| p.manager.clone()).collect();
    for person in people.iter_mut() {
        let id = person.directory_id.as_deref();
        let names_them =
            |reference: &String| Some(reference.as_str()) == id || Some(reference) == person.email.as_ref();
        if managers.iter().any(names_them) {
            person.audience = Audience::Manager;
        } else if person.team.is_some() || members.iter().any(|(_, member)| Some(member.as_str()) == id) {
            person.audience = Audience::Engineer;
        }
    }
}
