//! Answers from the message itself: every message carries a signed link to a page where its
//! reader acknowledges, says done, says "not ours", gives feedback with a rating, or asks for
//! more time. Opening the link only shows that page (mail scanners open every link before
//! the person does); the person's submit records the answer. A link is bound to its message,
//! and so to its reader and action; it expires, and it answers once: the answer's event is
//! recorded under the message's name, in the same transaction as the answer.

use hmac::{KeyInit, Mac};
use rapport_core::{ActionState, By, Change, Principal, Refusal, Topic, step};
use rapport_storage::{CampaignAnswerKind, ExceptionRequest, Store, StoreError, StoredEvent, StoredMessage};
use sha2::Sha256;
use time::{Date, Duration, OffsetDateTime};

use crate::PlanError;
use crate::actions::stored_action;
use crate::campaign_answers::answer_nudge;
use crate::listen::{
    Via, acknowledge_via, answered_key, dispute_ownership_via, give_feedback_via, mark_done_via,
    request_exception_via,
};
use crate::policy::directory_principal;

/// How long a message's link answers.
pub const LINK_LIFETIME: Duration = Duration::days(30);

/// The key the links are signed with, kept in the database.
const LINK_KEY: &str = "answer links";

/// Bytes of the signature kept in a link.
const SIGNATURE_BYTES: usize = 16;

/// What a reader may answer from a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageAnswer {
    /// "Seen, we will see to it."
    Acknowledge,
    Done {
        note: String,
    },
    NotOurs {
        reason: String,
        suggested_team: Option<String>,
    },
    /// How it went, 1 (badly) to 5 (well), and words.
    Feedback {
        rating: Option<u8>,
        words: String,
    },
    /// More time: until when, and why.
    MoreTime {
        until: Date,
        reason: String,
    },
    /// To a campaign's nudge: "I have done it".
    HabitDone {
        note: String,
    },
    /// To a campaign's nudge: "I can't, because...".
    Cannot {
        reason: String,
    },
}

impl MessageAnswer {
    /// The change it makes to an action, for the answers given on one.
    fn change(&self) -> Option<Change> {
        Some(match self {
            MessageAnswer::Acknowledge => Change::Acknowledge,
            MessageAnswer::Done { .. } => Change::MarkDone,
            MessageAnswer::NotOurs { .. } => Change::DisputeOwnership,
            MessageAnswer::Feedback { .. } => Change::GiveFeedback,
            MessageAnswer::MoreTime { .. } => Change::RequestException,
            MessageAnswer::HabitDone { .. } | MessageAnswer::Cannot { .. } => return None,
        })
    }
}

/// The answers a message's page offers, in the order it shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    Acknowledge,
    Done,
    NotOurs,
    Feedback,
    MoreTime,
    /// A nudge's "done" and "I can't, because...".
    HabitDone,
    Cannot,
}

impl Offer {
    const ALL: [(Offer, Change); 5] = [
        (Offer::Acknowledge, Change::Acknowledge),
        (Offer::Done, Change::MarkDone),
        (Offer::MoreTime, Change::RequestException),
        (Offer::NotOurs, Change::DisputeOwnership),
        (Offer::Feedback, Change::GiveFeedback),
    ];
}

/// A message as its answer page shows it.
#[derive(Clone, Debug)]
pub struct AnswerChoices {
    pub message: StoredMessage,
    /// The answer given from it already, when one was.
    pub answered: Option<StoredEvent>,
    /// What its reader may answer now; empty once answered, or for a message on no action.
    pub offers: Vec<Offer>,
}

/// The signed link of message `id`, composed at `composed_at`: a path on this server.
pub async fn answer_link(store: &Store, id: i64, composed_at: OffsetDateTime) -> Result<String, PlanError> {
    link_with(&link_key(store).await?, id, composed_at)
}

/// The key links are signed with, read once for many links.
pub(crate) async fn link_key(store: &Store) -> Result<String, PlanError> {
    Ok(store.signing_key(LINK_KEY).await?)
}

/// The signed link of message `id` with `key`: a path on this server.
pub(crate) fn link_with(key: &str, id: i64, composed_at: OffsetDateTime) -> Result<String, PlanError> {
    Ok(format!("/r/{}", signed(key, id, composed_at)?))
}

/// `{id}.{expires}.{signature}`.
fn signed(key: &str, id: i64, composed_at: OffsetDateTime) -> Result<String, PlanError> {
    let expires = (composed_at + LINK_LIFETIME).unix_timestamp();
    Ok(format!("{id}.{expires}.{}", hex::encode(signature(key, id, expires)?)))
}

/// The message a link opens, once its signature holds and while it has not expired. A link
/// that was not made here is "not found", as a missing message is.
pub async fn message_by_link(
    store: &Store,
    link: &str,
    now: OffsetDateTime,
) -> Result<StoredMessage, PlanError> {
    let id = verified(&link_key(store).await?, link, now)?;
    Ok(store.message(id).await?.ok_or_else(not_made_here)?)
}

fn not_made_here() -> Refusal {
    Refusal::not_found("this link is not one Rapport made (check that it was copied whole)")
}

/// The message a link names, when `key` signed it and it has not expired at `now`.
fn verified(key: &str, link: &str, now: OffsetDateTime) -> Result<i64, PlanError> {
    let mut parts = link.trim().split('.');
    let (Some(id), Some(expires), Some(sent), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(not_made_here().into());
    };
    let (Ok(id), Ok(expires), Ok(sent)) = (id.parse::<i64>(), expires.parse::<i64>(), hex::decode(sent))
    else {
        return Err(not_made_here().into());
    };
    if sent.len() != SIGNATURE_BYTES || keyed(key, id, expires)?.verify_truncated_left(&sent).is_err() {
        return Err(not_made_here().into());
    }
    if now.unix_timestamp() > expires {
        return Err(Refusal::conflict(
            "this link has expired; sign in to Rapport to answer, or ask the security team for help",
        )
        .into());
    }
    Ok(id)
}

fn keyed(key: &str, id: i64, expires: i64) -> Result<hmac::Hmac<Sha256>, PlanError> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|error| PlanError::Interrupted(format!("the link key: {error}")))?;
    mac.update(format!("rapport answer link {id} {expires}").as_bytes());
    Ok(mac)
}

fn signature(key: &str, id: i64, expires: i64) -> Result<Vec<u8>, PlanError> {
    let tag = keyed(key, id, expires)?.finalize().into_bytes();
    Ok(tag.iter().take(SIGNATURE_BYTES).copied().collect())
}

/// Who a message's reader is to Rapport, by the directory: their team's roles when they are in
/// the team, an end user otherwise.
async fn reader_of(
    store: &Store,
    message: &StoredMessage,
    now: OffsetDateTime,
) -> Result<Principal, PlanError> {
    directory_principal(store, &message.message.recipient, now).await
}

/// What the page of `message` shows: the answer given, or the answers its reader may give.
pub async fn answer_choices(
    store: &Store,
    message: StoredMessage,
    now: OffsetDateTime,
) -> Result<AnswerChoices, PlanError> {
    let answered = store.event_once(&answered_key(message.id)).await?;
    let offers = match (message.message.action, &answered) {
        (None, None) if message.message.topic == Topic::Nudge => vec![Offer::HabitDone, Offer::Cannot],
        (None, None) if message.message.topic == Topic::Briefing => vec![Offer::Feedback],
        (Some(action), None) => {
            let reader = reader_of(store, &message, now).await?;
            let stored = stored_action(store, action).await?;
            offers_for(&reader, action, &stored.team, stored.state)
        }
        _ => Vec::new(),
    };
    Ok(AnswerChoices { message, answered, offers })
}

fn offers_for(reader: &Principal, action: i64, team: &str, state: ActionState) -> Vec<Offer> {
    Offer::ALL
        .into_iter()
        .filter(|(_, change)| step(action, team, Some(state), *change, By::Reader(reader)).is_ok())
        .map(|(offer, _)| offer)
        .collect()
}

/// Records `answer` from `message`, in its reader's name, once: a second answer from the same
/// message is refused, whichever server takes it.
pub async fn answer_message(
    store: &Store,
    message: &StoredMessage,
    answer: MessageAnswer,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    match answer {
        MessageAnswer::HabitDone { note } => {
            answer_nudge(store, message, CampaignAnswerKind::Done, &note, now).await
        }
        MessageAnswer::Cannot { reason } => {
            answer_nudge(store, message, CampaignAnswerKind::Cannot, &reason, now).await
        }
        MessageAnswer::Feedback { rating, words } if message.message.topic == Topic::Briefing => {
            answer_briefing_message(store, message, rating, &words, now).await
        }
        on_action => answer_on_action(store, message, on_action, now).await,
    }
}

/// Records the reader's answer to the briefing `message` sent, once.
async fn answer_briefing_message(
    store: &Store,
    message: &StoredMessage,
    rating: Option<u8>,
    words: &str,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    let event = match message.message.event {
        Some(id) => store.event(id).await?,
        None => None,
    };
    let month = event.and_then(|event| event.facts.month).ok_or_else(|| {
        Refusal::invalid("answer", "this message names no month's briefing; open the briefing to answer")
    })?;
    let reader = reader_of(store, message, now).await?;
    crate::briefing::answer_briefing(
        store,
        month,
        &reader,
        rating,
        words,
        Some(answered_key(message.id)),
        now,
    )
    .await
}

/// Records an answer on the action `message` is about, as the action's life allows it.
async fn answer_on_action(
    store: &Store,
    message: &StoredMessage,
    answer: MessageAnswer,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    let (Some(action), Some(change)) = (message.message.action, answer.change()) else {
        return Err(
            Refusal::invalid("answer", "this message is about no action; open its page to act").into()
        );
    };
    if store.event_once(&answered_key(message.id)).await?.is_some() {
        return Err(Refusal::conflict("this message was answered already").into());
    }
    let reader = reader_of(store, message, now).await?;
    let via = Via::Message(message.id);
    let answered = match answer {
        MessageAnswer::Acknowledge => acknowledge_via(store, action, &reader, via, now).await.map(drop),
        MessageAnswer::Done { note } => {
            mark_done_via(store, action, &reader, &note, via, now).await.map(drop)
        }
        MessageAnswer::NotOurs { reason, suggested_team } => {
            dispute_ownership_via(store, action, &reader, &reason, suggested_team.as_deref(), via, now)
                .await
                .map(drop)
        }
        MessageAnswer::Feedback { rating, words } => {
            give_feedback_via(store, action, &reader, &words, rating, via, now).await.map(drop)
        }
        MessageAnswer::MoreTime { until, reason } => {
            let request = ExceptionRequest {
                action,
                risk_acceptance: false,
                requested_by: reader.email.clone(),
                reason,
                compensating_control: None,
                until,
            };
            request_exception_via(store, &request, &reader, via, now).await.map(drop)
        }
        MessageAnswer::HabitDone { .. } | MessageAnswer::Cannot { .. } => {
            Err(Refusal::invalid("answer", "a nudge is answered on the nudge").into())
        }
    };
    answered.map_err(|error| match error {
        PlanError::Store(StoreError::Repeated(_)) => {
            Refusal::conflict("this message was answered already").into()
        }
        PlanError::Refused(Refusal::Forbidden(_)) => {
            Refusal::forbidden(format!("you may not {} from this message", change.verb())).into()
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn a_link_opens_its_own_message_until_it_expires_and_no_other() {
        let composed = datetime!(2026-12-02 10:00 UTC);
        let link = signed(KEY, 42, composed).unwrap();
        assert_eq!(verified(KEY, &link, composed + Duration::days(29)).unwrap(), 42);
        let expired = verified(KEY, &link, composed + Duration::days(31)).unwrap_err();
        assert!(expired.to_string().contains("this link has expired"), "{expired}");
        // Another message's number, another expiry, another key, or a cut link: not made here.
        let (_, rest) = link.split_once('.').unwrap();
        let (_, tag) = rest.split_once('.').unwrap();
        let expires = (composed + LINK_LIFETIME).unix_timestamp();
        for forged in [
            format!("43.{rest}"),
            format!("42.{}.{tag}", expires + 86_400),
            link[..link.len() - 2].to_owned(),
            format!("{link}.1"),
            "42".to_owned(),
        ] {
            let refused = verified(KEY, &forged, composed).unwrap_err();
            assert!(refused.to_string().contains("not one Rapport made"), "{forged}: {refused}");
        }
        let other_key = KEY.replace('0', "1");
        assert!(verified(&other_key, &link, composed).is_err());
    }
}
