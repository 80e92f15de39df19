//! Answers to a campaign's nudge, from the message itself: "done" (the nudges wait for the
//! device's next report, which says whether it is) or "I can't, because..." (the nudges of this
//! round stop, and the reason waits in the security team's queue); and the security team's
//! reply, which reaches the person as a message.

use rapport_core::{Principal, Refusal};
use rapport_storage::{
    CampaignAnswerKind, NewCampaignAnswer, Store, StoreError, StoredCampaignAnswer, StoredMessage,
};
use time::OffsetDateTime;

use crate::PlanError;
use crate::listen::{answered_key, checked_text};

/// Records a person's answer to nudge `message`, once.
pub(crate) async fn answer_nudge(
    store: &Store,
    message: &StoredMessage,
    kind: CampaignAnswerKind,
    words: &str,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    let words = match kind {
        CampaignAnswerKind::Cannot => checked_text(words, "reason")?,
        CampaignAnswerKind::Done if words.trim().is_empty() => "",
        CampaignAnswerKind::Done => checked_text(words, "note")?,
    };
    let event = match message.message.event {
        Some(id) => store.event(id).await?,
        None => None,
    };
    let campaign = event.and_then(|event| event.facts.campaign).ok_or_else(|| {
        Refusal::invalid("answer", "this message is not a campaign's nudge; open its page to act")
    })?;
    let person = message.message.recipient.to_lowercase();
    let round = store
        .campaign_round(&campaign, &person)
        .await?
        .ok_or_else(|| Refusal::not_found(format!("you are not in the campaign {campaign}")))?;
    let answer = NewCampaignAnswer {
        campaign: &campaign,
        person: &person,
        team: message.message.team.as_deref(),
        round,
        kind,
        words,
        message: message.id,
        once: answered_key(message.id),
    };
    match store.add_campaign_answer(&answer, now).await {
        Ok(_) => Ok(()),
        Err(StoreError::Repeated(_)) => Err(Refusal::conflict("this message was answered already").into()),
        Err(other) => Err(other.into()),
    }
}

/// The "I can't" answers waiting for the security team.
pub async fn unreplied_campaign_answers(
    store: &Store,
    by: &Principal,
) -> Result<Vec<StoredCampaignAnswer>, PlanError> {
    if !by.may_decide() {
        return Err(Refusal::forbidden("answers to campaigns are the security team's to read").into());
    }
    Ok(store.unreplied_campaign_answers().await?)
}

/// The security team replies to someone's "I can't"; the reply reaches them as a message.
pub async fn reply_to_campaign_answer(
    store: &Store,
    id: i64,
    by: &Principal,
    reply: &str,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    if !by.may_decide() {
        return Err(Refusal::forbidden("answers to campaigns are replied to by the security team").into());
    }
    let answer = store
        .campaign_answer(id)
        .await?
        .filter(|answer| answer.kind == CampaignAnswerKind::Cannot)
        .ok_or_else(|| Refusal::not_found(format!("there is no campaign answer #{id} to reply to")))?;
    let reply = checked_text(reply, "reply")?;
    if answer.replied_at.is_some() {
        return Err(Refusal::conflict(format!("campaign answer #{id} has been replied to already")).into());
    }
    let team = store
        .people()
        .await?
        .into_iter()
        .find(|person| {
            person.email.as_deref().is_some_and(|email| email.eq_ignore_ascii_case(&answer.person))
        })
        .and_then(|person| person.team);
    if store.reply_to_campaign_answer(&answer, team.as_deref(), &by.email, reply, now).await? {
        Ok(())
    } else {
        Err(Refusal::conflict(format!("campaign answer #{id} was replied to by someone else meanwhile"))
            .into())
    }
}
