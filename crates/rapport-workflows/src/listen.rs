//! Listening: what partners say back on their actions ("done, please verify", an exception
//! request, feedback, "not ours", whether an asset is reachable from the internet) and what the security team answers (deciding exceptions,
//! replying). Each one is a change in the action's life ([`rapport_core::step`]), which says
//! who may make it and in which state.

use rapport_core::{AssetId, By, Change, Principal, Refusal, Step, step};
use rapport_storage::{
    AnswerKind, ExceptionRequest, ExceptionState, NewAnswer, NewEvent, Store, StoredAction,
};
use time::{Duration, OffsetDateTime};

use crate::actions::stored_action;
use crate::plan::PlanError;
use crate::policy::current_policy;

/// The longest answer kept, in characters: a message, not a document.
pub const MAX_ANSWER_CHARS: usize = 4000;
/// A team's name, as someone suggests it.
const MAX_TEAM_CHARS: usize = 200;

pub(crate) fn checked_text<'a>(text: &'a str, field: &str) -> Result<&'a str, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::invalid(field, "say something"));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        return Err(Refusal::invalid(field, format!("longer than {MAX_ANSWER_CHARS} characters")));
    }
    Ok(text)
}

/// An answer stored: its number and the team whose action it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub id: i64,
    pub team: String,
}

/// Where an answer comes from: the pages, the API or the command line, where who answers is
/// signed in; or a message written to them, whose link proves they were told of the action
/// and which answers once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    SignedIn,
    Message(i64),
}

impl Via {
    /// The name an answer from a message is recorded once under.
    pub fn once(self) -> Option<String> {
        match self {
            Via::SignedIn => None,
            Via::Message(id) => Some(answered_key(id)),
        }
    }
}

/// The name of the one answer a message may give.
pub fn answered_key(message: i64) -> String {
    format!("{}{message}", rapport_core::ANSWERED_FROM_MESSAGE)
}

/// The action `id` and the step `by` would take on it with `change`, if they may. An action
/// of a team `by` may not read is "not found", as a missing one is, so ids cannot be probed;
/// from a message, its reader was told of it, and may answer what a reader may.
async fn answering(
    store: &Store,
    id: i64,
    change: Change,
    by: &Principal,
    via: Via,
) -> Result<(StoredAction, Step), PlanError> {
    let stored = stored_action(store, id).await?;
    let as_who = match via {
        Via::SignedIn if !by.may_read_team(&stored.team) => {
            return Err(Refusal::not_found(format!("no action #{id} that you may see")).into());
        }
        Via::SignedIn => By::Person(by),
        Via::Message(_) => By::Reader(by),
    };
    let step = step(id, &stored.team, Some(stored.state), change, as_who)?;
    Ok((stored, step))
}

/// "Done, please verify": the next scan of the action's places confirms or refutes it.
/// Returns the action's team.
pub async fn mark_done(
    store: &Store,
    action: i64,
    by: &Principal,
    note: &str,
    now: OffsetDateTime,
) -> Result<String, PlanError> {
    mark_done_via(store, action, by, note, Via::SignedIn, now).await
}

pub(crate) async fn mark_done_via(
    store: &Store,
    action: i64,
    by: &Principal,
    note: &str,
    via: Via,
    now: OffsetDateTime,
) -> Result<String, PlanError> {
    let (stored, done) = answering(store, action, Change::MarkDone, by, via).await?;
    let note = note.trim();
    let detail = if note.is_empty() {
        "done, please verify".to_owned()
    } else {
        format!("done, please verify: {note}")
    };
    let event = NewEvent::on_action(done.event, done.actor, &stored.team, action, detail).once_as(via.once());
    if store.move_action(action, stored.state, done.state, &event, now).await? {
        Ok(stored.team)
    } else {
        Err(Refusal::conflict(format!("action #{action} changed meanwhile; look at it again")).into())
    }
}

/// Asks for an exception or a risk acceptance on an open action, within the policy's limit.
pub async fn request_exception(
    store: &Store,
    request: &ExceptionRequest,
    by: &Principal,
    now: OffsetDateTime,
) -> Result<Answered, PlanError> {
    request_exception_via(store, request, by, Via::SignedIn, now).await
}

pub(crate) async fn request_exception_via(
    store: &Store,
    request: &ExceptionRequest,
    by: &Principal,
    via: Via,
    now: OffsetDateTime,
) -> Result<Answered, PlanError> {
    let (stored, asked) = answering(store, request.action, Change::RequestException, by, via).await?;
    if !by.email.eq_ignore_ascii_case(&request.requested_by) {
        return Err(Refusal::forbidden(format!(
            "{} may ask for an exception only in their own name, not {}'s",
            by.email, request.requested_by
        ))
        .into());
    }
    if request.reason.trim().is_empty() {
        return Err(Refusal::invalid("reason", "say why the exception is needed").into());
    }
    let (policy, _) = current_policy(store, now).await?;
    let today = now.date();
    let longest = today + Duration::days(i64::from(policy.spec.exceptions.max_days));
    if request.until < today || request.until > longest {
        return Err(Refusal::invalid(
            "until",
            format!(
                "the exception must end between today ({today}) and {longest} (the policy allows {})",
                rapport_core::words::count(policy.spec.exceptions.max_days, "day", "days")
            ),
        )
        .into());
    }
    let waiting = store.exceptions(Some(ExceptionState::Requested), Some(&stored.team)).await?;
    if let Some(pending) = waiting.iter().find(|e| e.request.action == request.action) {
        return Err(Refusal::conflict(format!(
            "exception #{} on action #{} waits for the security team's decision already",
            pending.id, request.action
        ))
        .into());
    }
    let id = store.request_exception(request, &stored.team, &asked.actor, via.once(), now).await?;
    Ok(Answered { id, team: stored.team })
}

/// Approves or rejects a request: by a member of the security team who did not ask for it.
/// An approval sets the action aside as accepted until the exception ends.
pub async fn decide_exception(
    store: &Store,
    id: i64,
    approve: bool,
    by: &Principal,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    let exception = store
        .exception(id)
        .await?
        .ok_or_else(|| Refusal::not_found(format!("there is no exception #{id}")))?;
    let change = if approve { Change::GrantException } else { Change::RejectException };
    let (_, decided) = answering(store, exception.request.action, change, by, Via::SignedIn).await?;
    if exception.request.requested_by.eq_ignore_ascii_case(&by.email) {
        return Err(Refusal::forbidden(format!(
            "{} asked for exception #{id}, so someone else must decide it",
            by.email
        ))
        .into());
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Refusal::invalid("reason", "give the reason for the decision").into());
    }
    if exception.state != ExceptionState::Requested {
        return Err(
            Refusal::conflict(format!("exception #{id} is {} already", exception.state.as_str())).into()
        );
    }
    if store.decide_exception(id, approve, &decided.actor, reason, now).await? {
        Ok(())
    } else {
        Err(Refusal::conflict(format!("exception #{id} or its action changed meanwhile; look at it again"))
            .into())
    }
}

/// Feedback on an action from its team (or the security team): stored, in the action's
/// history, and waiting for a reply.
pub async fn give_feedback(
    store: &Store,
    action: i64,
    by: &Principal,
    text: &str,
    now: OffsetDateTime,
) -> Result<Answered, PlanError> {
    give_feedback_via(store, action, by, text, None, Via::SignedIn, now).await
}

/// Feedback with a rating, 1 (it went badly) to 5 (it went well), when given.
pub(crate) async fn give_feedback_via(
    store: &Store,
    action: i64,
    by: &Principal,
    text: &str,
    rating: Option<u8>,
    via: Via,
    now: OffsetDateTime,
) -> Result<Answered, PlanError> {
    let (stored, given) = answering(store, action, Change::GiveFeedback, by, via).await?;
    let body = checked_text(text, "feedback")?;
    if rating.is_some_and(|rating| !(1..=5).contains(&rating)) {
        return Err(Refusal::invalid("rating", "rate it from 1 (badly) to 5 (well)").into());
    }
    let answer = NewAnswer {
        action,
        kind: AnswerKind::Feedback,
        by: &by.email,
        body,
        suggested_team: None,
        rating,
        once: via.once(),
    };
    let id = store.add_answer(&answer, &stored.team, &given.actor, now).await?;
    Ok(Answered { id, team: stored.team })
}

/// "Not ours": the team disputes owning the action, says why, and may name the team it
/// thinks owns it. The action stays in its plan until the ownership rules change.
pub async fn dispute_ownership(
    store: &Store,
    action: i64,
    by: &Principal,
    reason: &str,
    suggested_team: Option<&str>,
    now: OffsetDateTime,
) -> Result<Answered, PlanError> {
    dispute_ownership_via(store, action, by, reason, suggested_team, Via::SignedIn, now).await
}

pub(crate) async fn dispute_ownership_via(
    store: &Store,
    action: i64,
    by: &Principal,
    reason: &str,
    suggested_team: Option<&str>,
    via: Via,
    now: OffsetDateTime,
) -> Result<Answered, PlanError> {
    let (stored, disputed) = answering(store, action, Change::DisputeOwnership, by, via).await?;
    let body = checked_text(reason, "reason")?;
    // Taken as written, unless it names a team of the directory: then in the directory's
    // spelling. An unknown name is not refused, so the form is no way to learn which teams exist.
    let suggested = suggested_team.map(str::trim).filter(|t| !t.is_empty());
    let suggested = match suggested {
        Some(suggested) => {
            let suggested = checked_text(suggested, "suggested_team")?;
            if suggested.chars().count() > MAX_TEAM_CHARS {
                return Err(Refusal::invalid(
                    "suggested_team",
                    format!("longer than {MAX_TEAM_CHARS} characters"),
                )
                .into());
            }
            if suggested.eq_ignore_ascii_case(&stored.team) {
                return Err(Refusal::invalid(
                    "suggested_team",
                    format!("action #{action} is {} already", rapport_core::words::possessive(&stored.team)),
                )
                .into());
            }
            let known = crate::policy::directory_spelling(store, suggested).await?;
            Some(known.unwrap_or_else(|| suggested.to_owned()))
        }
        None => None,
    };
    let answer = NewAnswer {
        action,
        kind: AnswerKind::NotOurs,
        by: &by.email,
        body,
        suggested_team: suggested.as_deref(),
        rating: None,
        once: via.once(),
    };
    let id = store.add_answer(&answer, &stored.team, &disputed.actor, now).await?;
    Ok(Answered { id, team: stored.team })
}

/// "Seen, we will see to it": someone told of the action says so. Recorded in its history and
/// in the stream, where the time it took is measured.
pub(crate) async fn acknowledge_via(
    store: &Store,
    action: i64,
    by: &Principal,
    via: Via,
    now: OffsetDateTime,
) -> Result<String, PlanError> {
    let (stored, seen) = answering(store, action, Change::Acknowledge, by, via).await?;
    let event = NewEvent::on_action(seen.event, seen.actor, &stored.team, action, "seen; will see to it")
        .once_as(via.once());
    if store.append_events(&[event], now).await?.is_empty() {
        return Err(Refusal::conflict("this was answered already").into());
    }
    Ok(stored.team)
}

/// What a team can say when asked whether an asset is reachable from the internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reachability {
    Yes,
    No,
    DontKnow,
}

impl Reachability {
    /// `yes`, `no` or `unknown`, as the form and the API send it.
    pub fn parse(word: &str) -> Option<Reachability> {
        match word.trim().to_ascii_lowercase().as_str() {
            "yes" => Some(Reachability::Yes),
            "no" => Some(Reachability::No),
            "unknown" | "dont_know" => Some(Reachability::DontKnow),
            _ => None,
        }
    }

    /// As the form and the API send it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reachability::Yes => "yes",
            Reachability::No => "no",
            Reachability::DontKnow => "unknown",
        }
    }

    /// As the asset's row keeps it.
    fn stored(self) -> &'static str {
        match self {
            Reachability::Yes => "internet",
            Reachability::No => "internal",
            Reachability::DontKnow => "unknown",
        }
    }
}

/// The team answers the security team's question about an asset of its action: is it
/// reachable from the internet? A yes or a no is evidence from then on, with who said it,
/// wherever no ownership rule decides the asset's exposure; "I don't know" is recorded too,
/// and leaves the question open. Deciding again is the caller's (`refresh`).
pub async fn answer_reachability(
    store: &Store,
    action: i64,
    by: &Principal,
    asset: &AssetId,
    answer: Reachability,
    now: OffsetDateTime,
) -> Result<String, PlanError> {
    let (stored, answered) = answering(store, action, Change::AnswerReachability, by, Via::SignedIn).await?;
    if !stored.action.places.iter().any(|place| AssetId::of(&place.target) == *asset) {
        return Err(Refusal::invalid(
            "asset",
            format!("{} is not where action #{action}'s work is", asset.name),
        )
        .into());
    }
    let people = store.people().await?;
    let person =
        people.iter().find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&by.email)));
    let name = person.map_or(by.email.as_str(), |person| person.name.as_str());
    let place = &asset.name;
    let detail = match answer {
        Reachability::Yes => format!("{name} says {place} is reachable from the internet"),
        Reachability::No => format!("{name} says {place} is reachable only from inside the network"),
        Reachability::DontKnow => {
            format!("{name} does not know whether {place} is reachable from the internet")
        }
    };
    let team = stored.team.clone();
    if !store
        .answer_reachability(action, &team, asset, answer.stored(), name, &answered.actor, detail, now)
        .await?
    {
        return Err(Refusal::not_found(format!("no asset is named {place:?}")).into());
    }
    Ok(team)
}

/// The security team replies to an answer; each answer is replied to once.
pub async fn reply_to_answer(
    store: &Store,
    id: i64,
    by: &Principal,
    reply: &str,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    let answer =
        store.answer(id).await?.ok_or_else(|| Refusal::not_found(format!("there is no answer #{id}")))?;
    answering(store, answer.action, Change::Reply, by, Via::SignedIn).await?;
    let reply = checked_text(reply, "reply")?;
    if answer.replied_at.is_some() {
        return Err(Refusal::conflict(format!("answer #{id} has been replied to already")).into());
    }
    if store.reply_to_answer(id, &by.email, reply, now).await? {
        Ok(())
    } else {
        Err(Refusal::conflict(format!("answer #{id} was replied to by someone else meanwhile")).into())
    }
}

/// Declares an emergency outside the policy's criteria: recorded with who and why, and
/// listed for the monthly review. An action that meets the criteria needs no override.
pub async fn declare_emergency(
    store: &Store,
    action: i64,
    by: &Principal,
    reason: &str,
    now: OffsetDateTime,
) -> Result<i64, PlanError> {
    let (stored, declared) = answering(store, action, Change::DeclareEmergency, by, Via::SignedIn).await?;
    let (policy, version) = current_policy(store, now).await?;
    if policy.calls_for_emergency(&stored.action) {
        return Err(Refusal::conflict(format!(
            "action #{action} already meets the emergency criteria of policy version {} ({}); no override needed",
            version.id,
            policy.emergency_words()
        ))
        .into());
    }
    if store.emergency_overrides(None, Some(&stored.team)).await?.iter().any(|o| o.action == action) {
        return Err(Refusal::conflict(format!("action #{action} is an emergency already")).into());
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Refusal::invalid("reason", "an override needs a reason").into());
    }
    Ok(store.declare_emergency(action, &stored.team, &declared.actor, reason, Some(version.id), now).await?)
}
