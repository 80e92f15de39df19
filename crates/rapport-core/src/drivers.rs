//! What drives a team's month, in a few plain sentences beside its figures: where its new work
//! and its late work are gathered (one place carrying most of it), and how much of the new work
//! is urgent. Counted from the stream alone, like the figures: an action's places are those its
//! opening event names.

use std::collections::{BTreeMap, HashMap};

use time::Date;

use crate::health::next_month;
use crate::{EventKind, Happened, Outcome};

/// Share of a month's work on one place that makes it a driver worth saying.
const GATHERED: f64 = 0.4;

/// Fewest pieces of work for a place's share of them to mean something.
const FEWEST: usize = 3;

/// Share of new work that is urgent worth saying.
const URGENT: f64 = 0.3;

/// Per team, what drove `month` (its first day), from `events` in the stream's order.
pub fn drivers(events: &[Happened<'_>], month: Date) -> BTreeMap<String, Vec<String>> {
    let (from, to) = (month.midnight().assume_utc(), next_month(month).midnight().assume_utc());
    let mut places: HashMap<i64, &[String]> = HashMap::new();
    // Per team: the actions opened in the month, urgent ones among them, those gone overdue.
    let mut months: BTreeMap<&str, (Vec<i64>, usize, Vec<i64>)> = BTreeMap::new();
    for event in events.iter().filter(|event| event.at < to) {
        let (Some(action), Some(team)) = (event.action, event.team) else { continue };
        if event.kind == EventKind::ActionOpened && !event.facts.places.is_empty() {
            places.insert(action, &event.facts.places);
        }
        if event.at < from {
            continue;
        }
        let (opened, urgent, late) = months.entry(team).or_default();
        match event.kind {
            EventKind::ActionOpened | EventKind::ActionReopened => {
                opened.push(action);
                if event.facts.outcome == Some(Outcome::Act) {
                    *urgent += 1;
                }
            }
            EventKind::ActionOverdue => late.push(action),
            _ => {}
        }
    }
    months
        .into_iter()
        .map(|(team, (opened, urgent, late))| {
            let mut said = Vec::new();
            if let Some((place, share)) = gathered(&opened, &places) {
                said.push(format!("{share}% of the new work is on one place: {place}."));
            }
            if let Some((place, share)) = gathered(&late, &places) {
                said.push(format!("{share}% of the work that went past its due date is on {place}."));
            }
            if urgent > 0 && urgent as f64 >= URGENT * opened.len() as f64 {
                said.push(format!(
                    "{urgent} of the {} new pieces of work must be acted on first.",
                    opened.len()
                ));
            }
            (team.to_owned(), said)
        })
        .filter(|(_, said)| !said.is_empty())
        .collect()
}

/// The place most of `actions` are on, and its share in whole percent, when it carries enough.
fn gathered<'a>(actions: &[i64], places: &HashMap<i64, &'a [String]>) -> Option<(&'a str, u32)> {
    if actions.len() < FEWEST {
        return None;
    }
    let mut on: BTreeMap<&str, usize> = BTreeMap::new();
    for action in actions {
        let mut named: Vec<&str> =
            places.get(action).into_iter().flat_map(|places| places.iter()).map(String::as_str).collect();
        named.sort_unstable();
        named.dedup();
        for place in named {
            *on.entry(place).or_default() += 1;
        }
    }
    let (place, count) = on.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))?;
    let share = count as f64 / actions.len() as f64;
    (share >= GATHERED).then(|| (place, (share * 100.0).round() as u32))
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::EventFacts;

    #[test]
    fn one_place_carrying_most_of_the_new_and_the_late_work_is_said_and_a_spread_month_says_nothing() {
        let on = |place: &str, outcome| EventFacts {
            places: vec![place.into()],
            outcome: Some(outcome),
            ..EventFacts::default()
        };
        let (web, db, none) =
            (on("web-01", Outcome::Act), on("db-01", Outcome::Attend), EventFacts::default());
        let at = datetime!(2026-11-03 09:00 UTC);
        let event = |kind, action, facts| Happened {
            at,
            kind,
            team: Some("Web"),
            action: Some(action),
            facts,
            from_message: false,
        };
        let events = vec![
            event(EventKind::ActionOpened, 1, &web),
            event(EventKind::ActionOpened, 2, &web),
            event(EventKind::ActionOpened, 3, &web),
            event(EventKind::ActionOpened, 4, &db),
            event(EventKind::ActionOverdue, 1, &none),
            event(EventKind::ActionOverdue, 2, &none),
            event(EventKind::ActionOverdue, 4, &none),
        ];
        let said = drivers(&events, date!(2026 - 11 - 01));
        assert_eq!(
            said["Web"],
            [
                "75% of the new work is on one place: web-01.",
                "67% of the work that went past its due date is on web-01.",
                "3 of the 4 new pieces of work must be acted on first.",
            ]
        );
        assert!(drivers(&events, date!(2026 - 10 - 01)).is_empty(), "nothing happened in October");
    }
}
