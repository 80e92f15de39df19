//! Listening: what partners say back on their actions (feedback, "not ours") and the security
//! team's reply, with who may say what.

use rapport_core::Principal;
use rapport_storage::{AnswerKind, NewAnswer, Store};
use time::OffsetDateTime;

use crate::plan::PlanError;

/// The longest answer kept, in characters: a message, not a document.
pub const MAX_ANSWER_CHARS: usize = 4000;

fn refused(message: impl Into<String>) -> PlanError {
    PlanError::Refused(message.into())
}

fn checked_text<'a>(text: &'a str, what: &str) -> Result<&'a str, PlanError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(refused(format!("say something in the {what}")));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        return Err(refused(format!("the {what} is longer than {MAX_ANSWER_CHARS} characters")));
    }
    Ok(text)
}

/// Feedback on an action from its team (or the security team): stored, in the action's
/// history, and waiting for a reply.
pub async fn give_feedback(
    store: &Store,
    action: i64,
    by: &Principal,
    text: &str,
    now: OffsetDateTime,
) -> Result<i64, PlanError> {
    let team = answerable(store, action, by).await?;
    let body = checked_text(text, "feedback")?;
    let answer = NewAnswer { action, kind: AnswerKind::Feedback, by: &by.email, body, suggested_team: None };
    tracing::debug!(action, %team, "feedback");
    Ok(store.add_answer(&answer, now).await?)
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
) -> Result<i64, PlanError> {
    let team = answerable(store, action, by).await?;
    let body = checked_text(reason, "reason")?;
    let suggested = suggested_team.map(str::trim).filter(|t| !t.is_empty());
    if let Some(suggested) = suggested {
        if suggested.eq_ignore_ascii_case(&team) {
            return Err(refused(format!("action #{action} is already {team}'s")));
        }
        let teams = store.teams().await?;
        if !teams.iter().any(|t| t.name.eq_ignore_ascii_case(suggested)) {
            return Err(refused(format!("there is no team {suggested:?} in the directory")));
        }
    }
    let answer =
        NewAnswer { action, kind: AnswerKind::NotOurs, by: &by.email, body, suggested_team: suggested };
    Ok(store.add_answer(&answer, now).await?)
}

/// The security team replies to an answer; each answer is replied to once.
pub async fn reply_to_answer(
    store: &Store,
    id: i64,
    by: &Principal,
    reply: &str,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    if !by.may_decide() {
        return Err(refused(format!("only the security team replies to answers; {} is not in it", by.email)));
    }
    let reply = checked_text(reply, "reply")?;
    let answer = store.answer(id).await?.ok_or_else(|| refused(format!("there is no answer #{id}")))?;
    if answer.replied_at.is_some() {
        return Err(refused(format!("answer #{id} has been replied to already")));
    }
    if store.reply_to_answer(id, &by.email, reply, now).await? {
        Ok(())
    } else {
        Err(refused(format!("answer #{id} was replied to by someone else meanwhile")))
    }
}

/// The team of an action its team (or the security team) may answer on.
async fn answerable(store: &Store, action: i64, by: &Principal) -> Result<String, PlanError> {
    let stored =
        store.action(action).await?.ok_or_else(|| refused(format!("there is no action #{action}")))?;
    if !by.may_answer_for_team(&stored.team) {
        return Err(refused(format!(
            "{} is not in team {:?}, which owns action #{action}",
            by.email, stored.team
        )));
    }
    Ok(stored.team)
}
