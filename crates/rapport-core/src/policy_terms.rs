//! The policy in plain sentences, for the partner teams asked to acknowledge it: what each
//! decision means and how long it may take, what makes an emergency, the freezes, the
//! exceptions and how often people are messaged. Comparing two versions' sentences says what
//! changed in the same words.

use time::Date;

use crate::words::count;
use crate::{Exploitation, Outcome, Policy, SystemExposure};

impl Outcome {
    /// What the decision asks of the team, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Act => "fix it now, ahead of other work",
            Outcome::Attend => "fix it sooner than routine work",
            Outcome::TrackStar => "fix it in routine work; the security team keeps watching it",
            Outcome::Track => "fix it in routine work",
        }
    }

    /// Every decision with its meaning, most urgent first: the legend beside decisions.
    pub fn legend() -> Vec<(&'static str, &'static str)> {
        [Outcome::Act, Outcome::Attend, Outcome::TrackStar, Outcome::Track]
            .into_iter()
            .map(|outcome| (outcome.label(), outcome.meaning()))
            .collect()
    }
}

impl Exploitation {
    /// The evidence of exploitation in words.
    pub fn plain(self) -> &'static str {
        match self {
            Exploitation::None => "nobody is known to exploit it",
            Exploitation::PublicPoc => "a way to exploit it is public",
            Exploitation::Active => "attackers are using it now",
        }
    }
}

impl SystemExposure {
    /// How reachable the system is, in words.
    pub fn plain(self) -> &'static str {
        match self {
            SystemExposure::Small => "isolated",
            SystemExposure::Controlled => "reachable only from inside",
            SystemExposure::Open => "reachable from the internet",
        }
    }
}

impl Policy {
    /// The policy as it applies to `team` from `today`, one sentence per rule, in the order
    /// a manager reads them; a freeze already over is left out.
    pub fn terms_for(&self, team: &str, today: Date) -> Vec<String> {
        let spec = &self.spec;
        let due = &spec.due_days;
        let mut terms = vec![
            decision_term(Outcome::Act, Some(due.act)),
            decision_term(Outcome::Attend, Some(due.attend)),
            decision_term(Outcome::TrackStar, Some(due.track_star)),
            decision_term(Outcome::Track, due.track),
            emergency_term(self),
            format!(
                "Work is planned {} ahead, at {} a week for a team that has not said how many it has.",
                count(spec.capacity.plan_weeks, "week", "weeks"),
                count(spec.capacity.default_weekly_hours, "hour", "hours"),
            ),
        ];
        for freeze in self.freezes_of(team).filter(|freeze| freeze.until >= today) {
            terms.push(format!(
                "No planned changes from {} to {} ({}); only an emergency breaks the freeze.",
                freeze.from, freeze.until, freeze.reason
            ));
        }
        terms.push(format!(
            "An exception lasts at most {}; the security team ({}) decides, and nobody approves their own request.",
            count(spec.exceptions.max_days, "day", "days"),
            spec.security_team
        ));
        terms.push(format!(
            "Each person gets at most {} a week, emergencies aside, and none from {} to {} their time.",
            count(spec.messages.weekly_budget_per_person, "message", "messages"),
            spec.messages.quiet_from,
            spec.messages.quiet_until
        ));
        terms.push(format!(
            "The team is told {} before work is due and {} before an exception ends.",
            count(spec.reminders.due_soon_days, "day", "days"),
            count(spec.reminders.exception_ending_days, "day", "days")
        ));
        terms
    }
}

fn decision_term(outcome: Outcome, days: Option<u32>) -> String {
    let when = match days {
        Some(days) => format!("due {} after the decision", count(days, "day", "days")),
        None => "no due date".to_owned(),
    };
    format!("{}: {}; {when}.", outcome.label(), outcome.meaning())
}

fn emergency_term(policy: &Policy) -> String {
    let criteria = &policy.spec.emergency;
    let either = |words: Vec<&str>| match words.as_slice() {
        [] => "never".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    format!(
        "An emergency is due {} after it is declared. It is one where the decision is {}, {}, and the system is {}; \
         the security team may declare another, and every such declaration is reviewed.",
        count(criteria.due_hours, "hour", "hours"),
        either(criteria.outcomes.iter().map(|o| o.label()).collect()),
        either(criteria.exploitation.iter().map(|e| e.plain()).collect()),
        either(criteria.exposure.iter().map(|e| e.plain()).collect()),
    )
}

/// What changed between two versions' terms: the sentences only the new one has, and those
/// only the old one had.
pub fn changed_terms(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let added = new.iter().filter(|term| !old.contains(term)).cloned().collect();
    let removed = old.iter().filter(|term| !new.contains(term)).cloned().collect();
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicySpec;

    const DAY: Date = time::macros::date!(2026 - 12 - 02);

    fn policy(edit: impl FnOnce(&mut PolicySpec)) -> Policy {
        let mut spec: PolicySpec = a_spec();
        edit(&mut spec);
        Policy::compile(spec).expect("a valid policy")
    }

    fn a_spec() -> PolicySpec {
        PolicySpec {
            name: "Remediation policy".into(),
            security_team: "Security".into(),
            due_days: crate::DueDays { act: 14, attend: 45, track_star: 120, track: None },
            emergency: Default::default(),
            capacity: Default::default(),
            effort: Default::default(),
            freezes: vec![crate::Freeze {
                teams: vec!["Payments".into()],
                from: time::macros::date!(2026 - 12 - 24),
                until: time::macros::date!(2027 - 01 - 01),
                reason: "End-of-year shutdown".into(),
            }],
            exceptions: Default::default(),
            messages: Default::default(),
            reminders: Default::default(),
        }
    }

    #[test]
    fn the_terms_say_each_rule_in_words_and_only_the_teams_own_freezes() {
        let payments = policy(|_| {}).terms_for("payments", DAY);
        assert_eq!(payments[0], "Act: fix it now, ahead of other work; due 14 days after the decision.");
        assert_eq!(payments[3], "Track: fix it in routine work; no due date.");
        assert_eq!(
            payments[4],
            "An emergency is due 72 hours after it is declared. It is one where the decision is Act, attackers are \
             using it now, and the system is reachable from the internet; the security team may declare another, \
             and every such declaration is reviewed."
        );
        assert_eq!(
            payments[5],
            "Work is planned 4 weeks ahead, at 4 hours a week for a team that has not said how many it has."
        );
        assert!(payments.contains(&"No planned changes from 2026-12-24 to 2027-01-01 (End-of-year shutdown); only an emergency breaks the freeze.".to_owned()));
        assert!(payments.contains(&"Each person gets at most 3 messages a week, emergencies aside, and none from 19:00 to 08:00 their time.".to_owned()));
        let after = policy(|_| {}).terms_for("Payments", time::macros::date!(2027 - 01 - 02));
        assert!(!after.iter().any(|term| term.contains("freeze")), "a freeze over is left out: {after:?}");
        let web = policy(|_| {}).terms_for("Web", DAY);
        assert!(!web.iter().any(|term| term.contains("freeze")), "{web:?}");
    }

    #[test]
    fn a_changed_rule_shows_as_the_new_sentence_and_the_old_one() {
        let old = policy(|_| {}).terms_for("Payments", DAY);
        let new = policy(|spec| {
            spec.due_days.act = 7;
            spec.emergency.exposure.push(SystemExposure::Controlled);
        })
        .terms_for("Payments", DAY);
        let (added, removed) = changed_terms(&old, &new);
        assert_eq!(added.len(), 2, "{added:?}");
        assert_eq!(added[0], "Act: fix it now, ahead of other work; due 7 days after the decision.");
        assert!(added[1].contains("the system is reachable from the internet or reachable only from inside"));
        assert_eq!(removed.len(), 2);
        assert!(changed_terms(&old, &old).0.is_empty());
    }

    #[test]
    fn the_legend_names_every_decision_most_urgent_first() {
        let labels: Vec<_> = Outcome::legend().into_iter().map(|(label, _)| label).collect();
        assert_eq!(labels, ["Act", "Attend", "Track*", "Track"]);
    }
}
