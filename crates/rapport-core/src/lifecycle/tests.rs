//! Every change from every state, and every cause refused.

use super::*;
use crate::Role;
use ActionState::{Accepted, Closed, Open, Verifying};

const ALL_CHANGES: [Change; 20] = [
    Change::Open,
    Change::ChangeDecision,
    Change::MarkDone,
    Change::Verify,
    Change::Refute,
    Change::Close,
    Change::Reopen,
    Change::DueSoon,
    Change::Overdue,
    Change::RequestException,
    Change::GrantException,
    Change::RejectException,
    Change::ExceptionEnding,
    Change::ExpireException,
    Change::DeclareEmergency,
    Change::GiveFeedback,
    Change::DisputeOwnership,
    Change::AnswerReachability,
    Change::Reply,
    Change::Acknowledge,
];

/// The whole table: for each change, where it leads from not stored, open, verifying,
/// accepted and closed (`None`: refused).
fn expected(change: Change) -> [Option<ActionState>; 5] {
    match change {
        Change::Open => [Some(Open), None, None, None, None],
        Change::ChangeDecision
        | Change::DeclareEmergency
        | Change::DisputeOwnership
        | Change::AnswerReachability
        | Change::Acknowledge => [None, Some(Open), Some(Verifying), Some(Accepted), None],
        Change::MarkDone => [None, Some(Verifying), None, Some(Verifying), None],
        Change::Verify => [None, None, Some(Closed), None, None],
        Change::Refute => [None, None, Some(Open), None, None],
        Change::Close => [None, Some(Closed), None, Some(Closed), None],
        Change::Reopen => [None, None, None, None, Some(Open)],
        Change::DueSoon | Change::Overdue | Change::RequestException => [None, Some(Open), None, None, None],
        Change::GrantException => [None, Some(Accepted), None, None, None],
        Change::ExceptionEnding => [None, None, None, Some(Accepted), None],
        Change::ExpireException => [None, None, None, Some(Open), None],
        Change::RejectException | Change::GiveFeedback | Change::Reply => {
            [None, Some(Open), Some(Verifying), Some(Accepted), Some(Closed)]
        }
    }
}

fn principal(role: Role, team: Option<&str>) -> Principal {
    Principal { email: "someone@example.org".into(), role, team: team.map(str::to_owned) }
}

/// Someone who may cause `change` on an action of team Payments.
fn rightful<'a>(change: Change, engineer: &'a Principal, analyst: &'a Principal) -> By<'a> {
    match change.cause() {
        Cause::Team | Cause::Reader => By::Person(engineer),
        Cause::Security => By::Person(analyst),
        Cause::Scan => By::Scan,
        Cause::Clock => By::Clock,
    }
}

#[test]
fn every_change_moves_only_from_the_states_the_table_allows() {
    let engineer = principal(Role::TeamEngineer, Some("Payments"));
    let analyst = principal(Role::SecurityAnalyst, None);
    let froms = [None, Some(Open), Some(Verifying), Some(Accepted), Some(Closed)];
    for change in ALL_CHANGES {
        for (from, expected) in froms.into_iter().zip(expected(change)) {
            let by = rightful(change, &engineer, &analyst);
            let result = step(7, "Payments", from, change, by);
            match expected {
                Some(state) => {
                    let step = result.unwrap_or_else(|e| panic!("{change:?} from {from:?}: {e}"));
                    assert_eq!(step.state, state, "{change:?} from {from:?}");
                    assert_eq!(step.event, change.event());
                    assert_eq!(step.actor, by.actor());
                }
                None => {
                    let refusal = result.expect_err(&format!("{change:?} from {from:?} must be refused"));
                    let code = if from.is_none() { "not_found" } else { "conflict" };
                    assert_eq!(refusal.code(), code, "{change:?} from {from:?}: {refusal}");
                }
            }
        }
    }
}

#[test]
fn only_the_rightful_cause_may_make_each_change() {
    let outsider = principal(Role::TeamEngineer, Some("Web"));
    let engineer = principal(Role::TeamEngineer, Some("Payments"));
    let manager = principal(Role::TeamManager, Some("Payments"));
    let executive = principal(Role::Executive, None);
    let analyst = principal(Role::SecurityAnalyst, None);
    let admin = principal(Role::Admin, None);
    let people = [&outsider, &engineer, &manager, &executive, &analyst, &admin];
    for change in ALL_CHANGES {
        // A state the change may happen in, so that only who causes it decides.
        let froms = [None, Some(Open), Some(Verifying), Some(Accepted), Some(Closed)];
        let Some((from, _)) = froms.into_iter().zip(expected(change)).find(|(_, to)| to.is_some()) else {
            continue;
        };
        let readers = people.iter().map(|p| By::Reader(p));
        for by in people.iter().map(|p| By::Person(p)).chain(readers).chain([By::Scan, By::Clock]) {
            if let Err(refusal) = step(7, "Payments", from, change, by) {
                assert_eq!(refusal.code(), "forbidden", "{change:?} by {by:?}: {refusal}");
            }
        }
        let may = |by: By<'_>| step(7, "Payments", from, change, by).is_ok();
        match change.cause() {
            Cause::Team => {
                assert!(may(By::Person(&engineer)) && may(By::Person(&manager)), "{change:?}");
                assert!(
                    may(By::Person(&analyst)) && may(By::Person(&admin)),
                    "{change:?}: security acts for a team"
                );
                assert!(!may(By::Person(&outsider)) && !may(By::Person(&executive)), "{change:?}");
                // A message proves someone was told, not that they may act for the team.
                assert!(!may(By::Reader(&outsider)) && !may(By::Reader(&executive)), "{change:?}");
                assert!(may(By::Reader(&engineer)), "{change:?}: the team may act from its messages");
                assert!(!may(By::Scan) && !may(By::Clock), "{change:?}");
            }
            Cause::Reader => {
                assert!(may(By::Person(&engineer)) && may(By::Person(&analyst)), "{change:?}");
                assert!(!may(By::Person(&outsider)) && !may(By::Person(&executive)), "{change:?}");
                assert!(
                    may(By::Reader(&outsider)) && may(By::Reader(&executive)),
                    "{change:?}: whoever was written to may answer it"
                );
                assert!(!may(By::Scan) && !may(By::Clock), "{change:?}");
            }
            Cause::Security => {
                assert!(may(By::Person(&analyst)) && may(By::Person(&admin)), "{change:?}");
                assert!(!may(By::Person(&engineer)) && !may(By::Person(&manager)), "{change:?}");
                assert!(!may(By::Person(&executive)) && !may(By::Scan) && !may(By::Clock), "{change:?}");
                assert!(!may(By::Reader(&engineer)) && !may(By::Reader(&executive)), "{change:?}");
            }
            Cause::Scan => {
                assert!(may(By::Scan) && !may(By::Clock), "{change:?}");
                assert!(people.iter().all(|p| !may(By::Person(p))), "{change:?}: no person fakes a scan");
            }
            Cause::Clock => {
                assert!(may(By::Clock) && !may(By::Scan), "{change:?}");
                assert!(people.iter().all(|p| !may(By::Person(p))), "{change:?}: no person moves the clock");
            }
        }
    }
}

#[test]
fn refusals_say_what_stands_in_the_way() {
    let engineer = principal(Role::TeamEngineer, Some("Payments"));
    let analyst = principal(Role::SecurityAnalyst, None);
    let words = |from, change, by| step(7, "Payments", from, change, by).unwrap_err().to_string();
    assert_eq!(
        words(Some(Accepted), Change::RequestException, By::Person(&engineer)),
        "action #7 is accepted under an exception already"
    );
    assert_eq!(
        words(Some(Verifying), Change::MarkDone, By::Person(&engineer)),
        "action #7 is marked done already and waits for a scan to confirm it"
    );
    assert_eq!(words(Some(Closed), Change::DeclareEmergency, By::Person(&analyst)), "action #7 is closed");
    assert_eq!(
        words(Some(Open), Change::GrantException, By::Person(&engineer)),
        "only the security team may grant an exception; someone@example.org is not in it"
    );
    assert_eq!(words(None, Change::MarkDone, By::Person(&engineer)), "there is no action #7");
}

#[test]
fn stored_names_read_back() {
    for state in ActionState::ALL {
        assert_eq!(ActionState::parse(state.as_str()), Some(state));
    }
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
    }
    for change in ALL_CHANGES {
        assert!(EventKind::ALL.contains(&change.event()));
    }
    for actor in [
        Actor::Person("a@x".into()),
        Actor::Security(Some("b@x".into())),
        Actor::Security(None),
        Actor::Scan,
        Actor::Clock,
    ] {
        assert_eq!(Actor::from_parts(actor.kind(), actor.email().map(str::to_owned)), Some(actor));
    }
    assert_eq!(Actor::from_parts("scan", Some("a@x".into())), None);
}
