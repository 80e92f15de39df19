//! Who is told of an event, and as which reader. A team's engineers and managers hear of its
//! work, each in their own words; executives hear of emergencies in the teams they lead and
//! of the policy; the people whose own devices the work is on hear of it as end users,
//! whatever their role; the security team hears of disputes; whoever answered hears the reply.

use crate::{Audience, Feat, Person, Topic};

/// What the choice of readers depends on, besides the directory.
#[derive(Clone, Debug, Default)]
pub struct Occasion<'a> {
    /// The team the event concerns (none for the policy, which concerns every team).
    pub team: Option<&'a str>,
    /// The login names or emails of the people who use the devices the action is on.
    pub device_users: &'a [String],
    /// Who gave the answer the security team replied to (an email).
    pub answered_by: Option<&'a str>,
    /// The security team's name in the directory.
    pub security_team: &'a str,
    /// The win a team is thanked for.
    pub win: Option<&'a Feat>,
}

/// One reader of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipient<'p> {
    pub person: &'p Person,
    pub audience: Audience,
    /// The team the message is written about.
    pub team: Option<String>,
}

/// The people to tell of `topic`, each once, among the active people with an email.
pub fn recipients<'p>(topic: Topic, occasion: &Occasion<'_>, people: &'p [Person]) -> Vec<Recipient<'p>> {
    let reachable: Vec<&Person> =
        people.iter().filter(|person| person.active && person.email.is_some()).collect();
    let written_for = |audience: Audience| topic.audiences().contains(&audience);
    let in_team = |person: &Person, team: &str| {
        person.team.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(team))
    };
    let mut told: Vec<Recipient<'p>> = Vec::new();
    let mut tell = |person: &'p Person, audience: Audience, team: Option<&str>| {
        let already = told.iter().any(|recipient| same_person(recipient.person, person));
        if !already && written_for(audience) {
            told.push(Recipient { person, audience, team: team.map(str::to_owned) });
        }
    };
    match topic {
        Topic::PolicyChanged => {
            for person in &reachable {
                if matches!(person.audience, Audience::Manager | Audience::Executive) {
                    tell(person, person.audience, person.team.as_deref());
                }
            }
        }
        Topic::OwnershipDisputed => {
            for person in reachable.iter().filter(|person| in_team(person, occasion.security_team)) {
                let audience = if person.audience == Audience::Engineer {
                    Audience::Engineer
                } else {
                    Audience::Manager
                };
                tell(person, audience, occasion.team);
            }
        }
        // A digest gathers messages already addressed.
        Topic::Digest => {}
        // The person in the campaign, named as the user of their devices.
        Topic::Nudge | Topic::HabitThanks | Topic::CampaignReplied => {
            for person in &reachable {
                if uses_a_device(person, occasion.device_users) {
                    tell(person, Audience::EndUser, person.team.as_deref());
                }
            }
        }
        // An advisory reaches a team's engineers and managers, or the person whose own
        // devices it concerns: each of its events names one or the other.
        Topic::FollowThrough => {
            if let Some(team) = occasion.team {
                for person in reachable.iter().filter(|person| in_team(person, team)) {
                    if matches!(person.audience, Audience::Engineer | Audience::Manager) {
                        tell(person, person.audience, Some(team));
                    }
                }
            }
            for person in &reachable {
                if uses_a_device(person, occasion.device_users) {
                    tell(person, Audience::EndUser, person.team.as_deref());
                }
            }
        }
        // The team that won; its end users too for a habit they took up together, and the
        // managers' own managers for a large win, so that the thanks is said before them.
        Topic::Win => {
            let Some(team) = occasion.team else { return told };
            let habit = matches!(occasion.win, Some(Feat::HabitAcrossTheTeam { .. }));
            let members: Vec<&Person> =
                reachable.iter().copied().filter(|person| in_team(person, team)).collect();
            for person in members.iter().filter(|person| habit || person.audience != Audience::EndUser) {
                tell(person, person.audience, Some(team));
            }
            if occasion.win.is_some_and(Feat::is_large) {
                for manager in members.iter().filter(|person| person.audience == Audience::Manager) {
                    let Some(boss) = boss_of(manager, &reachable, |_| true) else { continue };
                    let audience = if boss.audience == Audience::Executive {
                        Audience::Executive
                    } else {
                        Audience::Manager
                    };
                    tell(boss, audience, Some(team));
                }
            }
        }
        // Every executive reads the organisation's; every manager of a partner team, their team's.
        Topic::Briefing => {
            for person in &reachable {
                match (person.audience, person.team.as_deref()) {
                    (Audience::Executive, _) => tell(person, Audience::Executive, None),
                    (Audience::Manager, Some(team)) if !team.eq_ignore_ascii_case(occasion.security_team) => {
                        tell(person, Audience::Manager, Some(team));
                    }
                    _ => {}
                }
            }
        }
        Topic::SecurityReplied => {
            let answerer = occasion
                .answered_by
                .and_then(|email| reachable.iter().find(|person| has_email(person, email)));
            if let Some(person) = answerer {
                tell(person, person.audience, occasion.team);
            }
        }
        _ => {
            let Some(team) = occasion.team else { return told };
            let members: Vec<&Person> =
                reachable.iter().copied().filter(|person| in_team(person, team)).collect();
            for person in &members {
                if matches!(person.audience, Audience::Engineer | Audience::Manager | Audience::Executive) {
                    tell(person, person.audience, Some(team));
                }
            }
            // The executives the team's managers report to.
            for manager in members.iter().filter(|person| person.audience == Audience::Manager) {
                let boss = boss_of(manager, &reachable, |boss| boss.audience == Audience::Executive);
                if let Some(boss) = boss {
                    tell(boss, Audience::Executive, Some(team));
                }
            }
            for person in &reachable {
                if uses_a_device(person, occasion.device_users) {
                    tell(person, Audience::EndUser, Some(team));
                }
            }
        }
    }
    told
}

/// The person `manager` reports to, by email or directory id, among those `fits`.
fn boss_of<'p>(
    manager: &Person,
    reachable: &[&'p Person],
    fits: impl Fn(&Person) -> bool,
) -> Option<&'p Person> {
    let named = manager.manager.as_deref()?;
    reachable.iter().copied().find(|person| {
        fits(person) && (has_email(person, named) || person.directory_id.as_deref() == Some(named))
    })
}

fn has_email(person: &Person, email: &str) -> bool {
    person.email.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(email))
}

fn same_person(a: &Person, b: &Person) -> bool {
    a.email.as_deref().zip(b.email.as_deref()).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
}

fn uses_a_device(person: &Person, device_users: &[String]) -> bool {
    device_users.iter().any(|user| {
        person.email.as_deref().is_some_and(|email| email.eq_ignore_ascii_case(user))
            || person.username.as_deref().is_some_and(|name| name.eq_ignore_ascii_case(user))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: &str, team: &str, audience: Audience) -> Person {
        Person {
            email: Some(email.into()),
            name: email.split('@').next().unwrap_or_default().into(),
            team: Some(team.into()),
            audience,
            active: true,
            ..Person::default()
        }
    }

    fn directory() -> Vec<Person> {
        let mut manager = person("mona@example.org", "Payments", Audience::Manager);
        manager.manager = Some("erin@example.org".into());
        let mut lea = person("lea@example.org", "Sales", Audience::EndUser);
        lea.username = Some("lmartin".into());
        let mut gone = person("old@example.org", "Payments", Audience::Engineer);
        gone.active = false;
        vec![
            person("sam@example.org", "Payments", Audience::Engineer),
            manager,
            person("erin@example.org", "Board", Audience::Executive),
            person("omar@example.org", "Payments", Audience::EndUser),
            lea,
            gone,
            person("alex@example.org", "Security", Audience::Engineer),
            person("ines@example.org", "Security", Audience::Manager),
        ]
    }

    fn told(topic: Topic, occasion: &Occasion<'_>) -> Vec<(String, Audience)> {
        let people = directory();
        recipients(topic, occasion, &people)
            .into_iter()
            .map(|recipient| (recipient.person.email.clone().unwrap_or_default(), recipient.audience))
            .collect()
    }

    #[test]
    fn new_work_reaches_the_team_and_the_people_whose_devices_it_is_on() {
        let users = ["LMARTIN".to_owned()];
        let occasion = Occasion {
            team: Some("payments"),
            device_users: &users,
            security_team: "Security",
            ..Occasion::default()
        };
        assert_eq!(
            told(Topic::ActionOpened, &occasion),
            [
                ("sam@example.org".to_owned(), Audience::Engineer),
                ("mona@example.org".to_owned(), Audience::Manager),
                ("lea@example.org".to_owned(), Audience::EndUser),
            ]
        );
    }

    #[test]
    fn an_emergency_also_reaches_the_executive_the_manager_reports_to() {
        let occasion = Occasion { team: Some("Payments"), security_team: "Security", ..Occasion::default() };
        let emails: Vec<String> =
            told(Topic::EmergencyDeclared, &occasion).into_iter().map(|(email, _)| email).collect();
        assert_eq!(emails, ["sam@example.org", "mona@example.org", "erin@example.org"]);
    }

    #[test]
    fn the_policy_reaches_every_manager_and_executive_and_disputes_the_security_team() {
        let occasion = Occasion { security_team: "Security", ..Occasion::default() };
        let policy: Vec<String> =
            told(Topic::PolicyChanged, &occasion).into_iter().map(|(email, _)| email).collect();
        assert_eq!(policy, ["mona@example.org", "erin@example.org", "ines@example.org"]);
        let occasion = Occasion { team: Some("Payments"), security_team: "Security", ..Occasion::default() };
        assert_eq!(
            told(Topic::OwnershipDisputed, &occasion),
            [
                ("alex@example.org".to_owned(), Audience::Engineer),
                ("ines@example.org".to_owned(), Audience::Manager)
            ]
        );
    }

    #[test]
    fn an_advisory_reaches_the_teams_people_or_the_user_of_the_devices() {
        let occasion = Occasion { team: Some("Payments"), security_team: "Security", ..Occasion::default() };
        assert_eq!(
            told(Topic::FollowThrough, &occasion),
            [
                ("sam@example.org".to_owned(), Audience::Engineer),
                ("mona@example.org".to_owned(), Audience::Manager)
            ]
        );
        let users = ["mona@example.org".to_owned()];
        let occasion = Occasion { device_users: &users, security_team: "Security", ..Occasion::default() };
        assert_eq!(
            told(Topic::FollowThrough, &occasion),
            [("mona@example.org".to_owned(), Audience::EndUser)]
        );
    }

    #[test]
    fn a_reply_reaches_only_who_answered() {
        let occasion = Occasion {
            team: Some("Payments"),
            answered_by: Some("Omar@example.org"),
            security_team: "Security",
            ..Occasion::default()
        };
        assert_eq!(
            told(Topic::SecurityReplied, &occasion),
            [("omar@example.org".to_owned(), Audience::EndUser)]
        );
    }

    #[test]
    fn a_win_thanks_the_team_and_a_large_one_is_said_before_the_managers_manager() {
        let on_time = Feat::OnTime { action: 7 };
        let occasion = Occasion {
            team: Some("Payments"),
            security_team: "Security",
            win: Some(&on_time),
            ..Occasion::default()
        };
        assert_eq!(
            told(Topic::Win, &occasion),
            [
                ("sam@example.org".to_owned(), Audience::Engineer),
                ("mona@example.org".to_owned(), Audience::Manager)
            ]
        );
        let large = Feat::LargeRiskRemoved { action: 7 };
        let occasion = Occasion { win: Some(&large), ..occasion };
        let emails: Vec<String> = told(Topic::Win, &occasion).into_iter().map(|(email, _)| email).collect();
        assert_eq!(emails, ["sam@example.org", "mona@example.org", "erin@example.org"]);
        let habit = Feat::HabitAcrossTheTeam { campaign: "restart-weekly".into(), people: 3 };
        let occasion = Occasion { win: Some(&habit), ..occasion };
        let emails: Vec<String> = told(Topic::Win, &occasion).into_iter().map(|(email, _)| email).collect();
        assert_eq!(
            emails,
            ["sam@example.org", "mona@example.org", "omar@example.org"],
            "its end users took it up"
        );
    }

    #[test]
    fn the_briefing_reaches_every_executive_and_each_partner_teams_manager_for_their_team() {
        let occasion = Occasion { security_team: "Security", ..Occasion::default() };
        let people = directory();
        let told: Vec<(String, Option<String>)> = recipients(Topic::Briefing, &occasion, &people)
            .into_iter()
            .map(|recipient| (recipient.person.email.clone().unwrap_or_default(), recipient.team))
            .collect();
        assert_eq!(
            told,
            [
                ("mona@example.org".to_owned(), Some("Payments".to_owned())),
                ("erin@example.org".to_owned(), None)
            ]
        );
    }
}
