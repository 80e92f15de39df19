//! The life of a remediation action as data: the states it can be in, every change that may
//! happen to it, who may cause each one, and the event each records. Planning, the partners'
//! answers, the security team's decisions and the clock all move an action through
//! [`step`]; nothing else changes an action's state.
//!
//! ```text
//!            opened ──► Open ◄──────────── reopened ───────────┐
//!                       │  ▲ ▲                                  │
//!          marked done  │  │ └─ exception expired ─ Accepted    │
//!                       ▼  │ refuted                   ▲        │
//!                  Verifying                 exception granted  │
//!                       │                     (from Open)       │
//!             verified  ▼        closed (from Open, Accepted)   │
//!                     Closed ───────────────────────────────────┘
//! ```
//! Everything else (a decision changed, due soon, overdue, an exception asked or turned down,
//! an emergency declared, feedback, "not ours", the security team's reply) is recorded
//! without moving the action.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::{Outcome, Principal, Refusal};

/// Where an action is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// Work for its team.
    Open,
    /// The team says it is done; the next scan of its places confirms or refutes it.
    Verifying,
    /// Set aside under an approved exception or risk acceptance until it ends.
    Accepted,
    /// Its findings are gone (the evidence is in its history).
    Closed,
}

impl ActionState {
    pub const ALL: [ActionState; 4] =
        [ActionState::Open, ActionState::Verifying, ActionState::Accepted, ActionState::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Open => "open",
            ActionState::Verifying => "verifying",
            ActionState::Accepted => "accepted",
            ActionState::Closed => "closed",
        }
    }

    pub fn parse(word: &str) -> Option<ActionState> {
        ActionState::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// In plain words, for people.
    pub fn label(self) -> &'static str {
        match self {
            ActionState::Open => "open",
            ActionState::Verifying => "done, waiting for a scan to confirm",
            ActionState::Accepted => "accepted under an exception",
            ActionState::Closed => "closed",
        }
    }

    /// Still the team's concern: not closed.
    pub fn is_live(self) -> bool {
        self != ActionState::Closed
    }
}

/// What happened, as recorded in the event stream. The names are stored and read by the
/// layers above (messages, health, sharing); never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ActionOpened,
    DecisionChanged,
    ActionMarkedDone,
    /// Marked done, and a rescan shows its findings gone.
    ActionVerified,
    /// Marked done, but a rescan still shows its findings.
    DoneRefuted,
    /// Its findings are gone without the team having said it was done.
    ActionClosed,
    ActionReopened,
    ActionDueSoon,
    ActionOverdue,
    ExceptionRequested,
    ExceptionGranted,
    ExceptionRejected,
    ExceptionExpiring,
    ExceptionExpired,
    EmergencyDeclared,
    FeedbackGiven,
    OwnershipDisputed,
    SecurityReplied,
    PolicyApplied,
    PolicyAcknowledged,
    /// The owning team said whether an asset of the action is reachable from the internet.
    ReachabilityAnswered,
    /// Someone told of the action said they have seen it and will see to it.
    ActionAcknowledged,
    /// The security team replaced a message template, or went back to Rapport's.
    TemplateChanged,
    /// A person was nudged toward a campaign's habit.
    CampaignNudged,
    /// A person's devices show a campaign's habit after they were nudged toward it.
    HabitShown,
    /// The security team applied, changed or switched off a campaign.
    CampaignChanged,
    /// A person answered a nudge: "done", or "I can't, because...".
    CampaignAnswered,
    /// The security team replied to someone's "I can't".
    CampaignReplied,
    /// An advisory's follow-through was sent to one person or one team it concerns.
    FollowThroughSent,
    /// An advisory that concerns someone was drafted into one thing to do.
    FollowThroughDrafted,
    /// The security team changed a draft's words.
    FollowThroughEdited,
    /// The security team set a draft aside without a message.
    FollowThroughDismissed,
    /// The security team applied a follow-through settings file.
    FollowThroughSettingsApplied,
    /// A team's win was found in the stream, to be thanked for (once).
    WinRecognised,
    /// A month ended, and its briefing is ready for the executives and the managers (once).
    BriefingPublished,
    /// Someone said how useful a month's briefing was, and what they would change.
    BriefingAnswered,
    /// The security team imported a STIX bundle: peers' intel, or reference data like ATT&CK.
    StixImported,
    /// The security team recorded an incident it handled.
    IncidentRecorded,
}

impl EventKind {
    pub const ALL: [EventKind; 38] = [
        EventKind::ActionOpened,
        EventKind::DecisionChanged,
        EventKind::ActionMarkedDone,
        EventKind::ActionVerified,
        EventKind::DoneRefuted,
        EventKind::ActionClosed,
        EventKind::ActionReopened,
        EventKind::ActionDueSoon,
        EventKind::ActionOverdue,
        EventKind::ExceptionRequested,
        EventKind::ExceptionGranted,
        EventKind::ExceptionRejected,
        EventKind::ExceptionExpiring,
        EventKind::ExceptionExpired,
        EventKind::EmergencyDeclared,
        EventKind::FeedbackGiven,
        EventKind::OwnershipDisputed,
        EventKind::SecurityReplied,
        EventKind::PolicyApplied,
        EventKind::PolicyAcknowledged,
        EventKind::ReachabilityAnswered,
        EventKind::ActionAcknowledged,
        EventKind::TemplateChanged,
        EventKind::CampaignNudged,
        EventKind::HabitShown,
        EventKind::CampaignChanged,
        EventKind::CampaignAnswered,
        EventKind::CampaignReplied,
        EventKind::FollowThroughSent,
        EventKind::FollowThroughDrafted,
        EventKind::FollowThroughEdited,
        EventKind::FollowThroughDismissed,
        EventKind::FollowThroughSettingsApplied,
        EventKind::WinRecognised,
        EventKind::BriefingPublished,
        EventKind::BriefingAnswered,
        EventKind::StixImported,
        EventKind::IncidentRecorded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ActionOpened => "action_opened",
            EventKind::DecisionChanged => "decision_changed",
            EventKind::ActionMarkedDone => "action_marked_done",
            EventKind::ActionVerified => "action_verified",
            EventKind::DoneRefuted => "done_refuted",
            EventKind::ActionClosed => "action_closed",
            EventKind::ActionReopened => "action_reopened",
            EventKind::ActionDueSoon => "action_due_soon",
            EventKind::ActionOverdue => "action_overdue",
            EventKind::ExceptionRequested => "exception_requested",
            EventKind::ExceptionGranted => "exception_granted",
            EventKind::ExceptionRejected => "exception_rejected",
            EventKind::ExceptionExpiring => "exception_expiring",
            EventKind::ExceptionExpired => "exception_expired",
            EventKind::EmergencyDeclared => "emergency_declared",
            EventKind::FeedbackGiven => "feedback_given",
            EventKind::OwnershipDisputed => "ownership_disputed",
            EventKind::SecurityReplied => "security_replied",
            EventKind::PolicyApplied => "policy_applied",
            EventKind::PolicyAcknowledged => "policy_acknowledged",
            EventKind::ReachabilityAnswered => "reachability_answered",
            EventKind::ActionAcknowledged => "action_acknowledged",
            EventKind::TemplateChanged => "template_changed",
            EventKind::CampaignNudged => "campaign_nudged",
            EventKind::HabitShown => "habit_shown",
            EventKind::CampaignChanged => "campaign_changed",
            EventKind::CampaignAnswered => "campaign_answered",
            EventKind::CampaignReplied => "campaign_replied",
            EventKind::FollowThroughSent => "follow_through_sent",
            EventKind::FollowThroughDrafted => "follow_through_drafted",
            EventKind::FollowThroughEdited => "follow_through_edited",
            EventKind::FollowThroughDismissed => "follow_through_dismissed",
            EventKind::FollowThroughSettingsApplied => "follow_through_settings_applied",
            EventKind::WinRecognised => "win_recognised",
            EventKind::BriefingPublished => "briefing_published",
            EventKind::BriefingAnswered => "briefing_answered",
            EventKind::StixImported => "stix_imported",
            EventKind::IncidentRecorded => "incident_recorded",
        }
    }

    pub fn parse(word: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == word)
    }

    /// In an action's history, for people.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::ActionOpened => "opened",
            EventKind::DecisionChanged => "decision changed",
            EventKind::ActionMarkedDone => "marked done",
            EventKind::ActionVerified => "done and confirmed",
            EventKind::DoneRefuted => "still open after being marked done",
            EventKind::ActionClosed => "closed",
            EventKind::ActionReopened => "reopened",
            EventKind::ActionDueSoon => "due soon",
            EventKind::ActionOverdue => "overdue",
            EventKind::ExceptionRequested => "exception requested",
            EventKind::ExceptionGranted => "exception granted",
            EventKind::ExceptionRejected => "exception turned down",
            EventKind::ExceptionExpiring => "exception ending soon",
            EventKind::ExceptionExpired => "exception ended",
            EventKind::EmergencyDeclared => "emergency declared",
            EventKind::FeedbackGiven => "feedback given",
            EventKind::OwnershipDisputed => "ownership disputed",
            EventKind::SecurityReplied => "security team replied",
            EventKind::PolicyApplied => "policy applied",
            EventKind::PolicyAcknowledged => "policy acknowledged",
            EventKind::ReachabilityAnswered => "said whether it is reachable from the internet",
            EventKind::ActionAcknowledged => "acknowledged",
            EventKind::TemplateChanged => "message template changed",
            EventKind::CampaignNudged => "nudged toward a habit",
            EventKind::HabitShown => "habit shown",
            EventKind::CampaignChanged => "campaign changed",
            EventKind::CampaignAnswered => "answered a nudge",
            EventKind::CampaignReplied => "security team replied to a nudge's answer",
            EventKind::FollowThroughSent => "told of an advisory",
            EventKind::FollowThroughDrafted => "advisory drafted",
            EventKind::FollowThroughEdited => "advisory's draft changed",
            EventKind::FollowThroughDismissed => "advisory's draft set aside",
            EventKind::FollowThroughSettingsApplied => "follow-through settings applied",
            EventKind::WinRecognised => "thanked for a win",
            EventKind::BriefingPublished => "monthly briefing published",
            EventKind::BriefingAnswered => "answered a monthly briefing",
            EventKind::StixImported => "STIX bundle imported",
            EventKind::IncidentRecorded => "incident recorded",
        }
    }
}

/// How the name an answer given from a message is recorded once under begins: the rest is the
/// message's id (`answered:message:12`).
pub const ANSWERED_FROM_MESSAGE: &str = "answered:message:";

/// The few typed facts an event carries besides its words, for the layers that read the
/// stream (a due date to put in a message, the exception or answer to link to).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_outcome: Option<Outcome>,
    /// The imports whose scans are the evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<i64>,
    /// The team a partner says owns the action instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_team: Option<String>,
    /// The hygiene campaign, the person in it (their email) and the nudge (from 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nudge: Option<usize>,
    /// The person's devices that showed the campaign's gap, or the devices and systems an
    /// advisory concerns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// The follow-through draft sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_through: Option<i64>,
    /// How a team said the work went, 1 (badly) to 5 (well), with its feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The win a team is thanked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub win: Option<crate::Feat>,
    /// The month a briefing covers: its first day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<Date>,
    /// Where an action's work is (its targets' names, the first few), when it opened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<String>,
    /// Urgent by the policy's own emergency criteria when the action opened or its decision
    /// rose: an emergency no one had to declare.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub emergency: bool,
}

/// Who caused an event: a person acting in their role, Rapport reading scans and decisions,
/// or the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// Someone of a partner team (or anyone acting for themselves).
    Person(String),
    /// The security team, through the member named when one is.
    Security(Option<String>),
    /// Rapport, from what scans, decisions and ownership now say.
    Scan,
    /// Time passing: due dates and the ends of exceptions.
    Clock,
}

impl Actor {
    /// The actor a signed-in person is.
    pub fn of(principal: &Principal) -> Actor {
        if principal.is_security() {
            Actor::Security(Some(principal.email.clone()))
        } else {
            Actor::Person(principal.email.clone())
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Person(_) => "person",
            Actor::Security(_) => "security",
            Actor::Scan => "scan",
            Actor::Clock => "clock",
        }
    }

    pub fn email(&self) -> Option<&str> {
        match self {
            Actor::Person(email) | Actor::Security(Some(email)) => Some(email),
            Actor::Security(None) | Actor::Scan | Actor::Clock => None,
        }
    }

    /// Reads back a stored kind and email.
    pub fn from_parts(kind: &str, email: Option<String>) -> Option<Actor> {
        match (kind, email) {
            ("person", Some(email)) => Some(Actor::Person(email)),
            ("security", email) => Some(Actor::Security(email)),
            ("scan", None) => Some(Actor::Scan),
            ("clock", None) => Some(Actor::Clock),
            _ => None,
        }
    }
}

/// Something that happens to an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Planning found new work.
    Open,
    /// Planning found that its decision changed.
    ChangeDecision,
    /// Its team says it is done.
    MarkDone,
    /// A rescan after "done" shows its findings gone.
    Verify,
    /// A rescan after "done" still shows them.
    Refute,
    /// Its findings are gone without a "done".
    Close,
    /// Findings of a closed action are open again.
    Reopen,
    DueSoon,
    Overdue,
    RequestException,
    GrantException,
    RejectException,
    ExceptionEnding,
    ExpireException,
    DeclareEmergency,
    GiveFeedback,
    DisputeOwnership,
    /// The team says whether an asset of the action is reachable from the internet.
    AnswerReachability,
    Reply,
    /// Someone told of it says they have seen it and will see to it.
    Acknowledge,
}

/// Who may cause a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A member of the action's team, or the security team acting for it.
    Team,
    /// Anyone the action was told to, answering from their message, besides the team.
    Reader,
    /// A member of the security team.
    Security,
    /// Rapport reading scans and decisions.
    Scan,
    /// The clock.
    Clock,
}

impl Change {
    pub fn event(self) -> EventKind {
        match self {
            Change::Open => EventKind::ActionOpened,
            Change::ChangeDecision => EventKind::DecisionChanged,
            Change::MarkDone => EventKind::ActionMarkedDone,
            Change::Verify => EventKind::ActionVerified,
            Change::Refute => EventKind::DoneRefuted,
            Change::Close => EventKind::ActionClosed,
            Change::Reopen => EventKind::ActionReopened,
            Change::DueSoon => EventKind::ActionDueSoon,
            Change::Overdue => EventKind::ActionOverdue,
            Change::RequestException => EventKind::ExceptionRequested,
            Change::GrantException => EventKind::ExceptionGranted,
            Change::RejectException => EventKind::ExceptionRejected,
            Change::ExceptionEnding => EventKind::ExceptionExpiring,
            Change::ExpireException => EventKind::ExceptionExpired,
            Change::DeclareEmergency => EventKind::EmergencyDeclared,
            Change::GiveFeedback => EventKind::FeedbackGiven,
            Change::DisputeOwnership => EventKind::OwnershipDisputed,
            Change::AnswerReachability => EventKind::ReachabilityAnswered,
            Change::Reply => EventKind::SecurityReplied,
            Change::Acknowledge => EventKind::ActionAcknowledged,
        }
    }

    /// What it is to do, for refusals: "only the security team may {verb}".
    pub fn verb(self) -> &'static str {
        match self {
            Change::Open => "open an action",
            Change::ChangeDecision => "change an action's decision",
            Change::MarkDone => "mark it done",
            Change::Verify => "confirm it done",
            Change::Refute => "find it still open",
            Change::Close => "close it",
            Change::Reopen => "reopen it",
            Change::DueSoon => "say it is due soon",
            Change::Overdue => "say it is overdue",
            Change::RequestException => "ask for an exception",
            Change::GrantException => "grant an exception",
            Change::RejectException => "turn down an exception",
            Change::ExceptionEnding => "say an exception is ending",
            Change::ExpireException => "end an exception",
            Change::DeclareEmergency => "declare an emergency",
            Change::GiveFeedback => "give feedback on it",
            Change::DisputeOwnership => "dispute its ownership",
            Change::AnswerReachability => "say whether it is reachable from the internet",
            Change::Reply => "reply to an answer",
            Change::Acknowledge => "acknowledge it",
        }
    }

    pub fn cause(self) -> Cause {
        match self {
            Change::Open
            | Change::ChangeDecision
            | Change::Verify
            | Change::Refute
            | Change::Close
            | Change::Reopen => Cause::Scan,
            Change::DueSoon | Change::Overdue | Change::ExceptionEnding | Change::ExpireException => {
                Cause::Clock
            }
            Change::MarkDone
            | Change::RequestException
            | Change::DisputeOwnership
            | Change::AnswerReachability => Cause::Team,
            Change::GiveFeedback | Change::Acknowledge => Cause::Reader,
            Change::GrantException | Change::RejectException | Change::DeclareEmergency | Change::Reply => {
                Cause::Security
            }
        }
    }

    /// The state it may happen in (`None` for an action not yet stored) and the state it
    /// leaves the action in; `None` where the change cannot happen.
    pub fn transition(self, from: Option<ActionState>) -> Option<ActionState> {
        use ActionState::{Accepted, Closed, Open, Verifying};
        let Some(from) = from else {
            return (self == Change::Open).then_some(Open);
        };
        match (self, from) {
            (Change::Open, _) => None,
            // Done during an exception is still done.
            (Change::MarkDone, Open | Accepted) => Some(Verifying),
            (Change::Verify, Verifying) => Some(Closed),
            (Change::Refute, Verifying) => Some(Open),
            (Change::Close, Open | Accepted) => Some(Closed),
            (Change::Reopen, Closed) => Some(Open),
            (Change::GrantException, Open) => Some(Accepted),
            (Change::ExpireException, Accepted) => Some(Open),
            (Change::ExceptionEnding, Accepted) => Some(Accepted),
            (Change::DueSoon | Change::Overdue | Change::RequestException, Open) => Some(Open),
            (
                Change::ChangeDecision
                | Change::DeclareEmergency
                | Change::DisputeOwnership
                | Change::AnswerReachability
                | Change::Acknowledge,
                Open | Verifying | Accepted,
            ) => Some(from),
            // A request may still wait when its action moves on; it is answered whatever the state.
            (Change::RejectException | Change::GiveFeedback | Change::Reply, _) => Some(from),
            _ => None,
        }
    }
}

/// Who is causing a change.
#[derive(Clone, Copy, Debug)]
pub enum By<'a> {
    Person(&'a Principal),
    /// Someone answering from a message written to them about this action: its link is the
    /// proof that they were told, whatever their team.
    Reader(&'a Principal),
    Scan,
    Clock,
}

impl By<'_> {
    pub fn actor(&self) -> Actor {
        match self {
            By::Person(principal) | By::Reader(principal) => Actor::of(principal),
            By::Scan => Actor::Scan,
            By::Clock => Actor::Clock,
        }
    }
}

/// What a change did: the state the action is now in and the event to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub state: ActionState,
    pub event: EventKind,
    pub actor: Actor,
}

/// Applies `change` to action `id` of `team`, in state `from` (`None` before it is stored),
/// if `by` may cause it there.
pub fn step(
    id: i64,
    team: &str,
    from: Option<ActionState>,
    change: Change,
    by: By<'_>,
) -> Result<Step, Refusal> {
    may_cause(id, team, change, by)?;
    let state = change.transition(from).ok_or_else(|| not_now(id, from, change))?;
    Ok(Step { state, event: change.event(), actor: by.actor() })
}

fn may_cause(id: i64, team: &str, change: Change, by: By<'_>) -> Result<(), Refusal> {
    let allowed = match (change.cause(), by) {
        (Cause::Team | Cause::Reader, By::Person(principal) | By::Reader(principal)) => {
            principal.may_answer_for_team(team)
                || (change.cause() == Cause::Reader && matches!(by, By::Reader(_)))
        }
        (Cause::Security, By::Person(principal) | By::Reader(principal)) => principal.may_decide(),
        (Cause::Scan, By::Scan) | (Cause::Clock, By::Clock) => true,
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let who = match by {
        By::Person(principal) | By::Reader(principal) => principal.email.as_str(),
        By::Scan => "a scan",
        By::Clock => "the clock",
    };
    let verb = change.verb();
    Err(Refusal::forbidden(match change.cause() {
        Cause::Team => {
            format!("{who} may not {verb}: {who} is not in team {team:?}, which owns action #{id}")
        }
        Cause::Reader => format!(
            "{who} may not {verb}: {who} is not in team {team:?}, which owns action #{id}, and was not written to about it"
        ),
        Cause::Security => format!("only the security team may {verb}; {who} is not in it"),
        Cause::Scan => format!("only a scan may {verb} (action #{id})"),
        Cause::Clock => format!("only the clock may {verb} (action #{id})"),
    }))
}

fn not_now(id: i64, from: Option<ActionState>, change: Change) -> Refusal {
    let Some(from) = from else {
        return Refusal::not_found(format!("there is no action #{id}"));
    };
    let words = match (change, from) {
        (Change::Open, _) => format!("action #{id} exists already"),
        (Change::MarkDone, ActionState::Verifying) => {
            format!("action #{id} is marked done already and waits for a scan to confirm it")
        }
        (Change::RequestException | Change::GrantException, ActionState::Accepted) => {
            format!("action #{id} is accepted under an exception already")
        }
        (Change::RequestException | Change::GrantException, ActionState::Verifying) => {
            format!("action #{id} is marked done and waits for a scan; nothing to except")
        }
        (_, ActionState::Closed) => format!("action #{id} is closed"),
        _ => format!("action #{id} is {}, so it cannot be {}", from.label(), change.event().label()),
    };
    Refusal::conflict(words)
}

#[cfg(test)]
mod tests;
