//! Noise control: whether a message goes now, waits for the reader's send window, joins their
//! digest, or is dropped as a repeat, and why, in words the security team reads to see what
//! its own noise would have been. An emergency under the policy's criteria goes at once and
//! counts against nobody's budget; everything else keeps to each person's weekly budget and
//! their hours.

use time::{Duration, OffsetDateTime};

use crate::{Outcome, Topic};

/// How soon a message matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Can wait for the reader's digest: new routine work, finished work, a new policy.
    Routine,
    /// Goes on its own, within the budget and the reader's hours: work due soon or late,
    /// new urgent work, an exception decided, an answer.
    Prompt,
    Emergency,
}

impl Urgency {
    /// The urgency of a message on `topic`, about work decided `outcome`.
    pub fn of(topic: Topic, outcome: Option<Outcome>) -> Urgency {
        match topic {
            Topic::EmergencyDeclared => Urgency::Emergency,
            Topic::ActionOpened if outcome == Some(Outcome::Act) => Urgency::Prompt,
            Topic::ActionOpened | Topic::ActionFinished | Topic::PolicyChanged | Topic::Digest => {
                Urgency::Routine
            }
            Topic::ActionDueSoon
            | Topic::ActionOverdue
            | Topic::ActionReopened
            | Topic::ExceptionDecided
            | Topic::ExceptionEnding
            | Topic::OwnershipDisputed
            | Topic::SecurityReplied
            | Topic::Nudge
            | Topic::HabitThanks
            | Topic::CampaignReplied
            | Topic::FollowThrough
            | Topic::Win
            | Topic::Briefing => Urgency::Prompt,
        }
    }
}

/// How often a person takes the messages that can wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rhythm {
    /// Each on its own, within the budget.
    Each,
    /// Gathered into one message a day.
    #[default]
    Daily,
    /// Gathered into one message a week.
    Weekly,
}

impl Rhythm {
    pub const ALL: [Rhythm; 3] = [Rhythm::Each, Rhythm::Daily, Rhythm::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Rhythm::Each => "each",
            Rhythm::Daily => "daily",
            Rhythm::Weekly => "weekly",
        }
    }

    pub fn parse(word: &str) -> Option<Rhythm> {
        Rhythm::ALL.into_iter().find(|rhythm| rhythm.as_str() == word)
    }
}

/// The reader's hours, worked out in their own time zone by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hours {
    /// Whether now is inside their send window (outside quiet hours).
    pub open: bool,
    /// When the window next opens (now, when it is open).
    pub opens_at: OffsetDateTime,
    /// When their daily and weekly digests are next due.
    pub daily_digest_at: OffsetDateTime,
    pub weekly_digest_at: OffsetDateTime,
    /// The zone's name, for the reason ("Europe/Madrid").
    pub zone: String,
}

/// What the reader was sent lately.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recent {
    /// Messages counted against their budget in the last seven days.
    pub counted_this_week: u32,
    /// The most urgent message sent to them on the same action in the last day: its urgency,
    /// when it was composed, and its subject.
    pub same_action: Option<(Urgency, OffsetDateTime, String)>,
}

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Sent at `at`: now, or when the reader's window opens. `counted` against their budget.
    Send { at: OffsetDateTime, counted: bool, reason: Option<String> },
    /// Merged into the reader's digest due at `at`.
    Digest { at: OffsetDateTime, reason: String },
    /// Not sent.
    Dropped { reason: String },
}

/// How long a message on an action makes a less urgent one on it a repeat.
const REPEAT_WITHIN: Duration = Duration::DAY;

/// Routes one message.
pub fn route(
    urgency: Urgency,
    within_policy: bool,
    budget: u32,
    rhythm: Rhythm,
    hours: &Hours,
    recent: &Recent,
    now: OffsetDateTime,
) -> Route {
    if urgency == Urgency::Emergency && within_policy {
        return Route::Send {
            at: now,
            counted: false,
            reason: Some(
                "an emergency under the policy's criteria: sent at once, counted against no budget".into(),
            ),
        };
    }
    if let Some((earlier, at, subject)) = &recent.same_action
        && *earlier >= urgency
        && now - *at < REPEAT_WITHIN
    {
        return Route::Dropped {
            reason: format!("a repeat: \"{subject}\", on the same work, went to them less than a day ago"),
        };
    }
    if urgency == Urgency::Emergency {
        return Route::Send {
            at: now,
            counted: true,
            reason: Some(
                "an emergency declared outside the policy's criteria: sent at once, and counted".into(),
            ),
        };
    }
    if urgency == Urgency::Routine {
        match rhythm {
            Rhythm::Daily => {
                return Route::Digest {
                    at: hours.daily_digest_at,
                    reason: "routine: in the daily digest".into(),
                };
            }
            Rhythm::Weekly => {
                return Route::Digest {
                    at: hours.weekly_digest_at,
                    reason: "routine: in the weekly digest".into(),
                };
            }
            Rhythm::Each => {}
        }
    }
    if recent.counted_this_week >= budget {
        return Route::Digest {
            at: hours.weekly_digest_at,
            reason: format!("over the weekly budget of {budget}: in the weekly digest"),
        };
    }
    if hours.open {
        Route::Send { at: now, counted: true, reason: None }
    } else {
        Route::Send {
            at: hours.opens_at,
            counted: true,
            reason: Some(format!("quiet hours in {}: held until they end", hours.zone)),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-02 21:00 UTC);

    fn hours(open: bool) -> Hours {
        Hours {
            open,
            opens_at: datetime!(2026-12-03 08:00 UTC),
            daily_digest_at: datetime!(2026-12-03 08:00 UTC),
            weekly_digest_at: datetime!(2026-12-07 08:00 UTC),
            zone: "Europe/London".into(),
        }
    }

    fn routed(urgency: Urgency, rhythm: Rhythm, open: bool, recent: &Recent) -> Route {
        route(urgency, false, 3, rhythm, &hours(open), recent, NOW)
    }

    #[test]
    fn an_emergency_under_the_criteria_goes_at_once_even_in_quiet_hours_and_over_budget() {
        let full = Recent { counted_this_week: 9, ..Recent::default() };
        let sent = route(Urgency::Emergency, true, 3, Rhythm::Weekly, &hours(false), &full, NOW);
        assert!(matches!(sent, Route::Send { at, counted: false, .. } if at == NOW), "{sent:?}");
        let override_ = route(Urgency::Emergency, false, 3, Rhythm::Weekly, &hours(false), &full, NOW);
        assert!(matches!(override_, Route::Send { at, counted: true, .. } if at == NOW), "{override_:?}");
    }

    #[test]
    fn routine_news_waits_for_the_digest_the_reader_chose() {
        let quiet = Recent::default();
        assert_eq!(
            routed(Urgency::Routine, Rhythm::Daily, true, &quiet),
            Route::Digest {
                at: datetime!(2026-12-03 08:00 UTC),
                reason: "routine: in the daily digest".into()
            }
        );
        assert!(
            matches!(routed(Urgency::Routine, Rhythm::Weekly, true, &quiet), Route::Digest { at, .. } if at == datetime!(2026-12-07 08:00 UTC))
        );
        assert_eq!(
            routed(Urgency::Routine, Rhythm::Each, true, &quiet),
            Route::Send { at: NOW, counted: true, reason: None }
        );
    }

    #[test]
    fn quiet_hours_hold_a_prompt_message_and_the_budget_sends_the_rest_to_the_weekly_digest() {
        let held = routed(Urgency::Prompt, Rhythm::Daily, false, &Recent::default());
        assert_eq!(
            held,
            Route::Send {
                at: datetime!(2026-12-03 08:00 UTC),
                counted: true,
                reason: Some("quiet hours in Europe/London: held until they end".into())
            }
        );
        let full = Recent { counted_this_week: 3, ..Recent::default() };
        assert_eq!(
            routed(Urgency::Prompt, Rhythm::Daily, true, &full),
            Route::Digest {
                at: datetime!(2026-12-07 08:00 UTC),
                reason: "over the weekly budget of 3: in the weekly digest".into()
            }
        );
    }

    #[test]
    fn a_less_urgent_message_on_the_same_action_soon_after_is_a_repeat() {
        let earlier = |urgency, hours| Recent {
            same_action: Some((urgency, NOW - Duration::hours(hours), "Emergency for Payments".to_owned())),
            ..Recent::default()
        };
        assert_eq!(
            routed(Urgency::Prompt, Rhythm::Daily, true, &earlier(Urgency::Emergency, 2)),
            Route::Dropped {
                reason:
                    "a repeat: \"Emergency for Payments\", on the same work, went to them less than a day ago"
                        .into()
            }
        );
        let yesterday = earlier(Urgency::Emergency, 30);
        assert!(matches!(routed(Urgency::Prompt, Rhythm::Daily, true, &yesterday), Route::Send { .. }));
        let after_routine = earlier(Urgency::Routine, 2);
        assert!(matches!(routed(Urgency::Prompt, Rhythm::Daily, true, &after_routine), Route::Send { .. }));
    }
}
