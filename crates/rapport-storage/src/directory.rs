//! People and teams: stored from directory files, read back for ownership (a device goes to
//! its user's team) and, later, for plans and messages.

use rapport_core::{Audience, Directory, Person, Team};
use sqlx::Row;

use crate::import::{ImportSession, with_tx};
use crate::{Store, StoreError, with_pool};

/// A person seen again keeps what the new file leaves empty.
const UPSERT_PERSON: &str = "INSERT INTO people (person_key, email, name, directory_id, username, team, manager, \
     audience, time_zone, locale, chat, active, mfa, phishing_reports) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
     ON CONFLICT (person_key) DO UPDATE SET email = COALESCE(excluded.email, people.email), name = excluded.name, \
     directory_id = COALESCE(excluded.directory_id, people.directory_id), \
     username = COALESCE(excluded.username, people.username), team = COALESCE(excluded.team, people.team), \
     manager = COALESCE(excluded.manager, people.manager), audience = excluded.audience, \
     time_zone = COALESCE(excluded.time_zone, people.time_zone), locale = COALESCE(excluded.locale, people.locale), \
     chat = COALESCE(excluded.chat, people.chat), active = excluded.active, \
     mfa = COALESCE(excluded.mfa, people.mfa), \
     phishing_reports = COALESCE(excluded.phishing_reports, people.phishing_reports)";

const UPSERT_TEAM: &str = "INSERT INTO teams (name, measured_on, weekly_capacity_hours) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET measured_on = COALESCE(excluded.measured_on, teams.measured_on), \
     weekly_capacity_hours = COALESCE(excluded.weekly_capacity_hours, teams.weekly_capacity_hours)";

const ADD_TEAM: &str = "INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";

const JOIN_TEAM: &str = "UPDATE people SET team = $1 WHERE directory_id = $2";

const SELECT_PEOPLE: &str = "SELECT email, name, directory_id, username, team, manager, audience, time_zone, \
     locale, chat, active, mfa, phishing_reports FROM people ORDER BY name, person_key";

const SELECT_TEAMS: &str = "SELECT name, measured_on, weekly_capacity_hours FROM teams ORDER BY name";

impl ImportSession {
    /// Stores a directory: people by their key (a person seen again is updated, keeping what
    /// this file leaves empty), teams by name, and group memberships by directory id.
    pub async fn add_directory(&mut self, directory: &Directory) -> Result<(), StoreError> {
        with_tx!(&mut self.tx, conn => {
            for team in &directory.teams {
                sqlx::query(UPSERT_TEAM)
                    .bind(team.name.as_str())
                    .bind(team.measured_on.as_deref())
                    .bind(team.weekly_capacity_hours)
                    .execute(&mut **conn)
                    .await?;
            }
            for person in &directory.people {
                let key = person.key().ok_or_else(|| StoreError::Corrupt(format!("{} has no key", person.name)))?;
                sqlx::query(UPSERT_PERSON)
                    .bind(key)
                    .bind(person.email.as_deref())
                    .bind(person.name.as_str())
                    .bind(person.directory_id.as_deref())
                    .bind(person.username.as_deref())
                    .bind(person.team.as_deref())
                    .bind(person.manager.as_deref())
                    .bind(person.audience.as_str())
                    .bind(person.time_zone.as_deref())
                    .bind(person.locale.as_deref())
                    .bind(person.chat.as_deref())
                    .bind(person.active)
                    .bind(person.mfa)
                    .bind(person.phishing_reports.map(i64::from))
                    .execute(&mut **conn)
                    .await?;
                // A team named only on its people exists too.
                if let Some(team) = &person.team {
                    sqlx::query(ADD_TEAM).bind(team.as_str()).execute(&mut **conn).await?;
                }
            }
            for (team, member) in &directory.members {
                sqlx::query(JOIN_TEAM).bind(team.as_str()).bind(member.as_str()).execute(&mut **conn).await?;
            }
        });
        self.people += directory.people.len() as u64;
        self.teams += directory.teams.len() as u64;
        Ok(())
    }
}

impl Store {
    /// The time zone the directory gives the person with this email (in any case), if any.
    pub async fn time_zone_of(&self, email: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT time_zone FROM people WHERE LOWER(email) = LOWER($1) AND time_zone IS NOT NULL LIMIT 1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Everyone, by name.
    pub async fn people(&self) -> Result<Vec<Person>, StoreError> {
        with_pool!(self, pool => {
            // All at once: on SQLite each row fetched on its own costs a hand-off between threads.
            let rows = sqlx::query(SELECT_PEOPLE).fetch_all(pool).await?;
            let mut people = Vec::with_capacity(rows.len());
            for row in rows {
                let audience: String = row.try_get("audience")?;
                people.push(Person {
                    email: row.try_get("email")?,
                    name: row.try_get("name")?,
                    directory_id: row.try_get("directory_id")?,
                    username: row.try_get("username")?,
                    team: row.try_get("team")?,
                    manager: row.try_get("manager")?,
                    audience: Audience::parse(&audience)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown audience {audience:?}")))?,
                    time_zone: row.try_get("time_zone")?,
                    locale: row.try_get("locale")?,
                    chat: row.try_get("chat")?,
                    active: row.try_get("active")?,
                    mfa: row.try_get("mfa")?,
                    phishing_reports: row
                        .try_get::<Option<i64>, _>("phishing_reports")?
                        .map(|count| u32::try_from(count).unwrap_or(u32::MAX)),
                });
            }
            Ok(people)
        })
    }

    /// Every team, by name.
    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_TEAMS).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(Team {
                        name: row.try_get("name")?,
                        measured_on: row.try_get("measured_on")?,
                        weekly_capacity_hours: row.try_get("weekly_capacity_hours")?,
                    })
                })
                .collect()
        })
    }
}
