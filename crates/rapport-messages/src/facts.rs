//! What a template may say: the facts of one event for one reader, already in that reader's
//! words (dates in their time zone, no vulnerability ids for those who do not read them).
//! Every variable is listed in [`VARIABLES`] with what it holds; `docs/messages.md` lists the
//! same, and a test keeps the two equal.

use rapport_core::{Audience, Topic};
use serde::Serialize;

/// The variables of one message.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Facts {
    pub person: PersonFacts,
    pub team: TeamFacts,
    /// The security team's name, as the directory spells it.
    pub security_team: String,
    pub action: Option<ActionFacts>,
    pub exception: Option<ExceptionFacts>,
    pub emergency: Option<EmergencyFacts>,
    pub policy: Option<PolicyFacts>,
    pub answer: Option<AnswerFacts>,
    pub digest: Option<DigestFacts>,
    pub campaign: Option<CampaignFacts>,
    pub follow_through: Option<FollowThroughFacts>,
    pub win: Option<WinFacts>,
    pub briefing: Option<BriefingFacts>,
}

/// The month's briefing, as its reader's part of the organisation reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BriefingFacts {
    pub title: String,
    /// "November 2026".
    pub month: String,
    pub accomplishments: Vec<String>,
    pub issues: Vec<String>,
    pub responses: Vec<String>,
    pub plans: Vec<String>,
    /// The request for feedback, one line.
    pub feedback: String,
}

/// A team's win, to thank it for. The action (for work finished) is in `action`, and the
/// campaign (for a habit) in `campaign`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WinFacts {
    /// "on_time", "large_risk_removed", "on_time_weeks" or "habit_across_the_team".
    pub kind: String,
    /// Whether the managers' own managers are told too.
    pub large: bool,
    /// Weeks in a row on time (for "on_time_weeks").
    pub weeks: Option<u32>,
    /// The people of the team who took up the habit (for "habit_across_the_team").
    pub people: Option<usize>,
    /// Who outside the team is told of it too, by name: the managers' managers.
    pub in_copy: Vec<String>,
}

/// An advisory rewritten into one thing to do, in the words of its draft for this reader.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FollowThroughFacts {
    /// Who published it: "Chrome Releases", "CISA KEV".
    pub source: String,
    pub title: String,
    /// The publisher's page, when it has one.
    pub link: Option<String>,
    pub subject: String,
    pub body: String,
    pub ask: String,
    /// The reader's own devices it concerns (end users), or their team's systems.
    pub places: Vec<String>,
    pub more_places: usize,
}

/// A hygiene campaign, for its nudges and its thanks.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CampaignFacts {
    pub name: String,
    /// What it asks, in one line, for the security team.
    pub goal: String,
    /// Whether it is the series for the person's own phone, home network and family.
    pub personal: bool,
    /// The nudge being sent (none in the thanks): its subject, words and one thing to do.
    pub nudge: Option<NudgeFacts>,
    /// What the habit now does for the person.
    pub thanks: String,
    /// The person's devices that show the gap ("Annas-MacBook-Pro.local").
    pub devices: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NudgeFacts {
    /// From 1, and how many the campaign sends at most.
    pub number: usize,
    pub of: u32,
    pub subject: String,
    pub body: String,
    pub ask: String,
}

/// Messages that could wait, gathered into one.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DigestFacts {
    /// What it covers: "today", "since yesterday", "since Monday".
    pub period: String,
    pub items: Vec<DigestItem>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DigestItem {
    pub subject: String,
    pub ask: String,
    /// The page, a path on this server.
    pub link: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PersonFacts {
    pub name: String,
    pub first_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TeamFacts {
    pub name: String,
    /// What the team is measured on, in its own words.
    pub measured_on: Option<String>,
    /// "4 hours a week": the time the team set aside for this work.
    pub capacity: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActionFacts {
    pub id: i64,
    /// What to do, as engineers read it, vulnerability ids included.
    pub what: String,
    /// What to do, without vulnerability ids.
    pub what_in_words: String,
    /// "2 flaws in openssl, which attackers are using now".
    pub fixes_in_words: String,
    /// The vulnerability ids it fixes, CVEs first.
    pub vulnerabilities: Vec<String>,
    /// The package, product or rule to change.
    pub package: String,
    /// The package manager's command, where one is known.
    pub command: Option<String>,
    /// Where, with the version there and the one that fixes it (the first ten).
    pub places: Vec<PlaceFacts>,
    /// How many places are not listed.
    pub more_places: usize,
    /// The reader's own device it concerns (end users).
    pub device: Option<String>,
    /// The decision, as a word: "act", "attend", "track*", "track".
    pub outcome: String,
    /// Why, in one sentence, from the evidence.
    pub reason: String,
    /// Whether attackers are known to use one of its flaws now.
    pub exploited: bool,
    /// "Friday 4 December", in the reader's time zone; none when it has no due date.
    pub due: Option<String>,
    /// Days from today to the due date; below zero once it is late.
    pub days_left: Option<i64>,
    /// "about 2 hours".
    pub effort: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PlaceFacts {
    pub name: String,
    pub installed: Option<String>,
    pub fix: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExceptionFacts {
    pub granted: bool,
    /// Its last day, when granted.
    pub until: Option<String>,
    /// Why the team asked, in its words.
    pub asked: String,
    /// What the security team said.
    pub reply: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EmergencyFacts {
    pub reason: String,
    pub declared_by: String,
    /// Whether it meets the policy's emergency criteria, or was declared by override.
    pub within_policy: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PolicyFacts {
    pub name: String,
    pub version: i64,
    /// What changed since the version the team acknowledged, one sentence each.
    pub changes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnswerFacts {
    /// "feedback" or "not ours".
    pub kind: String,
    /// What they said.
    pub words: String,
    pub by: String,
    /// The security team's reply.
    pub reply: Option<String>,
}

/// Every variable a template may use, with what it holds.
pub const VARIABLES: &[(&str, &str)] = &[
    ("person.name", "the reader's name"),
    ("person.first_name", "the reader's first name"),
    ("team.name", "the team the message is about"),
    ("team.measured_on", "what the team is measured on, in its own words (may be none)"),
    ("team.capacity", "the time the team set aside, \"4 hours a week\" (may be none)"),
    ("security_team", "the security team's name"),
    ("action.id", "the action's number"),
    ("action.what", "what to do, with vulnerability ids (for engineers)"),
    ("action.what_in_words", "what to do, without vulnerability ids"),
    ("action.fixes_in_words", "what it fixes, \"2 flaws in openssl, which attackers are using now\""),
    ("action.vulnerabilities", "the vulnerability ids it fixes, a list"),
    ("action.package", "the package, product or rule to change"),
    ("action.command", "the package manager's command (may be none)"),
    ("action.places", "where: a list of places, each with name, installed and fix"),
    ("action.more_places", "how many places are not listed"),
    ("action.device", "the reader's own device it is on (end users; may be none)"),
    ("action.outcome", "the decision: act, attend, track* or track"),
    ("action.reason", "why, in one sentence, from the evidence"),
    ("action.exploited", "true when attackers are known to use one of its flaws now"),
    ("action.due", "the due date in the reader's time zone, \"Friday 4 December\" (may be none)"),
    ("action.days_left", "days until the due date, below zero once late (may be none)"),
    ("action.effort", "the time it takes, \"about 2 hours\""),
    ("exception.granted", "true when the exception was granted"),
    ("exception.until", "the exception's last day, when granted"),
    ("exception.asked", "why the team asked for it"),
    ("exception.reply", "what the security team said (may be none)"),
    ("emergency.reason", "why it is an emergency"),
    ("emergency.declared_by", "who declared it"),
    ("emergency.within_policy", "true when it meets the policy's emergency criteria"),
    ("policy.name", "the policy's name"),
    ("policy.version", "the new version's number"),
    ("policy.changes", "what changed, a list of sentences"),
    ("answer.kind", "\"feedback\", \"not ours\" or, to a campaign, \"I can't\""),
    ("answer.words", "what the person said"),
    ("answer.by", "who said it"),
    ("answer.reply", "the security team's reply"),
    ("digest.period", "what it covers: \"today\", \"since yesterday\", \"since Monday\""),
    ("digest.items", "the messages gathered: a list, each with subject, ask and link"),
    ("campaign.name", "the hygiene campaign's name, \"restart-weekly\""),
    ("campaign.goal", "what the campaign asks, in one line for the security team"),
    ("campaign.personal", "true for the series for the person's own phone, home and family"),
    ("campaign.nudge.number", "which nudge this is, from 1 (nudges only)"),
    ("campaign.nudge.of", "how many nudges the campaign sends at most (nudges only)"),
    ("campaign.nudge.subject", "the nudge's subject, as the campaign file words it (nudges only)"),
    ("campaign.nudge.body", "the nudge's words, as the campaign file has them (nudges only)"),
    ("campaign.nudge.ask", "the nudge's one thing to do (nudges only)"),
    ("campaign.thanks", "what the habit now does for the person, in one line"),
    ("campaign.devices", "the person's devices that showed the gap, a list"),
    ("follow_through.source", "who published the advisory, \"Chrome Releases\""),
    ("follow_through.title", "the advisory's title, as its publisher wrote it"),
    ("follow_through.link", "the publisher's page about it (may be none)"),
    ("follow_through.subject", "the draft's subject, as the security team left it"),
    ("follow_through.body", "the draft's words, as the security team left them"),
    ("follow_through.ask", "the draft's one thing to do"),
    ("follow_through.places", "the reader's devices, or the team's systems, it concerns: a list"),
    ("follow_through.more_places", "how many places are not listed"),
    ("win.kind", "what the team did: on_time, large_risk_removed, on_time_weeks or habit_across_the_team"),
    ("win.large", "true when the managers' own managers are told too"),
    ("win.weeks", "weeks in a row with everything closed on time (on_time_weeks only)"),
    ("win.people", "how many of the team took up the habit (habit_across_the_team only)"),
    ("win.in_copy", "who outside the team is told too, by name: a list (may be empty)"),
    ("briefing.title", "the briefing's title, \"Security in November 2026\""),
    ("briefing.month", "the month it covers, \"November 2026\""),
    ("briefing.accomplishments", "what was done: a list of sentences"),
    ("briefing.issues", "what went wrong, and where a relationship needs care: a list of sentences"),
    ("briefing.responses", "what the security team did about it, its own record: a list of sentences"),
    ("briefing.plans", "what comes next month: a list of sentences"),
    ("briefing.feedback", "the request for feedback, one sentence"),
];

impl Facts {
    /// Believable facts for a topic, for previews and for checking a template before it is
    /// used: every variable the topic has is set, so a template that names one it does not
    /// have is refused.
    pub fn sample(topic: Topic, audience: Audience) -> Facts {
        let (name, first_name) = match audience {
            Audience::Executive => ("Dana Whitfield", "Dana"),
            Audience::Manager => ("Priya Raman", "Priya"),
            Audience::Engineer => ("Sam Okafor", "Sam"),
            Audience::EndUser => ("Lea Martin", "Lea"),
        };
        let mut facts = Facts {
            person: PersonFacts { name: name.into(), first_name: first_name.into() },
            team: TeamFacts {
                name: "Payments".into(),
                measured_on: Some("checkout uptime".into()),
                capacity: Some("6 hours a week".into()),
            },
            security_team: "Security".into(),
            ..Facts::default()
        };
        let action = || ActionFacts {
            id: 42,
            what: "Upgrade openssl from 3.0.7 to 3.0.15 (CVE-2024-5535, CVE-2023-5678)".into(),
            what_in_words: "Upgrade openssl from 3.0.7 to 3.0.15".into(),
            fixes_in_words: "2 flaws in openssl, and attackers are using at least one of them now".into(),
            vulnerabilities: vec!["CVE-2024-5535".into(), "CVE-2023-5678".into()],
            package: "openssl".into(),
            command: Some("apt-get install --only-upgrade openssl".into()),
            places: vec![
                PlaceFacts {
                    name: "web-01".into(),
                    installed: Some("3.0.7".into()),
                    fix: Some("3.0.15".into()),
                },
                PlaceFacts {
                    name: "web-02".into(),
                    installed: Some("3.0.7".into()),
                    fix: Some("3.0.15".into()),
                },
            ],
            more_places: 0,
            device: (audience == Audience::EndUser).then(|| "laptop LT-0231".into()),
            outcome: "act".into(),
            reason: "Attackers are using this flaw now, and web-01 is reachable from the internet.".into(),
            exploited: true,
            due: Some("Friday 4 December".into()),
            days_left: Some(if topic == Topic::ActionOverdue { -2 } else { 3 }),
            effort: "about 2 hours".into(),
        };
        match topic {
            Topic::PolicyChanged => {
                facts.policy = Some(PolicyFacts {
                    name: "Remediation policy".into(),
                    version: 3,
                    changes: vec![
                        "Act work is now due in 10 days instead of 14.".into(),
                        "No planned changes from 24 December to 1 January.".into(),
                    ],
                });
            }
            Topic::ExceptionDecided | Topic::ExceptionEnding => {
                facts.action = Some(action());
                facts.exception = Some(ExceptionFacts {
                    granted: true,
                    until: Some("Sunday 31 January".into()),
                    asked: "The vendor's fixed build ships in January.".into(),
                    reply: Some(
                        "Granted until the vendor's build ships; keep the firewall rule in place.".into(),
                    ),
                });
            }
            Topic::EmergencyDeclared => {
                facts.action = Some(action());
                facts.emergency = Some(EmergencyFacts {
                    reason: "Attackers are breaking into servers like ours through this flaw this week."
                        .into(),
                    declared_by: "Alex Chen".into(),
                    within_policy: true,
                });
            }
            Topic::OwnershipDisputed | Topic::SecurityReplied => {
                facts.action = Some(action());
                let not_ours = topic == Topic::OwnershipDisputed;
                facts.answer = Some(AnswerFacts {
                    kind: if not_ours { "not ours" } else { "feedback" }.into(),
                    words: if not_ours {
                        "These servers belong to the Platform team now."
                    } else {
                        "The due date clashes with our release freeze."
                    }
                    .into(),
                    by: "Sam Okafor".into(),
                    reply: (!not_ours).then(|| "Thanks. We moved the due date to after your release.".into()),
                });
            }
            Topic::Digest => {
                facts.digest = Some(DigestFacts {
                    period: "today".into(),
                    items: vec![
                        DigestItem {
                            subject: "New security work for Payments, due Friday 4 December".into(),
                            ask: "Check that it fits your team's plan.".into(),
                            link: "/actions/42".into(),
                        },
                        DigestItem {
                            subject: "Payments finished a security task".into(),
                            ask: "Tell us how this task went for your team.".into(),
                            link: "/actions/40".into(),
                        },
                    ],
                });
            }
            Topic::Nudge | Topic::HabitThanks | Topic::CampaignReplied => {
                if topic == Topic::CampaignReplied {
                    facts.answer = Some(AnswerFacts {
                        kind: "I can't".into(),
                        words: "My laptop is shared with the lab and runs all night.".into(),
                        by: name.into(),
                        reply: Some(
                            "Thanks for telling us. We will restart it for you on Sunday nights.".into(),
                        ),
                    });
                }
                facts.campaign = Some(CampaignFacts {
                    name: "restart-weekly".into(),
                    goal: "Every computer restarts at least once a week.".into(),
                    personal: false,
                    nudge: (topic == Topic::Nudge).then(|| NudgeFacts {
                        number: 2,
                        of: 8,
                        subject: "Like checking your tyres".into(),
                        body: "A car runs for months without a tyre check, but it runs safer with one. \
                               A weekly restart is the same small habit for your computer."
                            .into(),
                        ask: "Restart your computer before you go home today.".into(),
                    }),
                    thanks: "Your computer restarted this week. Its new updates now keep you safe.".into(),
                    devices: vec!["laptop LT-0231".into()],
                });
            }
            Topic::FollowThrough => {
                let end_user = audience == Audience::EndUser;
                facts.follow_through = Some(FollowThroughFacts {
                    source: "Chrome Releases".into(),
                    title: "Stable Channel Update for Desktop".into(),
                    link: Some("https://chromereleases.googleblog.com/".into()),
                    subject: if end_user {
                        "Your browser needs one restart today".into()
                    } else {
                        "Update Google Chrome to 131.0.6778.108".into()
                    },
                    body: if end_user {
                        "Google Chrome 131.0.6778.108 fixes security flaws that a web page could use to get \
                         into your device. Your device has an older version. The update is already there: it \
                         only needs the browser to restart."
                    } else {
                        "Chrome Releases says Google Chrome 131.0.6778.108 fixes security flaws. Some of your \
                         team's systems still run an older version. They are listed below."
                    }
                    .into(),
                    ask: if end_user {
                        "Restart Google Chrome today.".into()
                    } else {
                        "Update Google Chrome on these systems this week.".into()
                    },
                    places: if end_user {
                        vec!["laptop LT-0231".into()]
                    } else {
                        vec!["kiosk-01 (Google Chrome 130.0.6723.91)".into(), "kiosk-02 (Google Chrome 130.0.6723.91)".into()]
                    },
                    more_places: 0,
                });
            }
            // End users hear of a habit their team took up; the others of a large risk removed.
            Topic::Win if audience == Audience::EndUser => {
                facts.campaign = Some(CampaignFacts {
                    name: "restart-weekly".into(),
                    goal: "Every computer restarts at least once a week.".into(),
                    thanks: "Your computer restarted this week. Its new updates now keep you safe.".into(),
                    ..CampaignFacts::default()
                });
                facts.win = Some(WinFacts {
                    kind: "habit_across_the_team".into(),
                    people: Some(12),
                    ..WinFacts::default()
                });
            }
            Topic::Win => {
                facts.action = Some(action());
                facts.win = Some(WinFacts {
                    kind: "large_risk_removed".into(),
                    large: true,
                    in_copy: vec!["Dana Whitfield".into()],
                    ..WinFacts::default()
                });
            }
            Topic::Briefing => {
                let executive = audience == Audience::Executive;
                facts.briefing = Some(BriefingFacts {
                    title: if executive {
                        "Security in November 2026"
                    } else {
                        "Payments and security in November 2026"
                    }
                    .into(),
                    month: "November 2026".into(),
                    accomplishments: vec![
                        if executive {
                            "Teams closed 42 pieces of security work in November 2026, 37 of them on time."
                        } else {
                            "Your team closed 6 pieces of security work in November 2026, 5 of them on time."
                        }
                        .into(),
                        "Payments removed a serious risk, and a scan confirms it is gone.".into(),
                    ],
                    issues: vec![
                        "At the end of November 2026, 4 pieces of work were past their due date, up from 1."
                            .into(),
                        "1 piece of work is waiting under an agreed exception.".into(),
                    ],
                    responses: vec![
                        "We decided requests for exceptions in 1 day on the median.".into(),
                        "No question from a team is waiting for our answer.".into(),
                    ],
                    plans: vec!["3 pieces of work are due in December 2026, and 1 of them is urgent.".into()],
                    feedback: "Is this briefing useful to you? Tell us in one line what you would change."
                        .into(),
                });
            }
            Topic::ActionOpened
            | Topic::ActionDueSoon
            | Topic::ActionOverdue
            | Topic::ActionFinished
            | Topic::ActionReopened => facts.action = Some(action()),
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documentation_lists_every_variable() {
        let doc = include_str!("../../../docs/messages.md");
        for (name, meaning) in VARIABLES {
            let row = format!("| `{name}` | {meaning} |");
            assert!(doc.contains(&row), "docs/messages.md lacks the row {row}");
        }
        let rows = doc.lines().filter(|line| line.starts_with("| `")).count();
        assert_eq!(rows, VARIABLES.len(), "docs/messages.md lists variables that do not exist");
    }
}
