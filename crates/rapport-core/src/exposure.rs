//! When a person in a campaign is nudged next: the first nudge a grace period after inventory
//! first showed the gap, each later one after its gap (the last gap repeating), never more
//! than the campaign's caps a day, a week and in all. The person's weekly message budget and
//! hours apply on top, when the nudge is composed (`noise.rs`).

use time::{Duration, OffsetDateTime};

use crate::Exposures;

/// The next nudge for one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextNudge {
    /// Nudge number `index` (from 0, in the campaign's order) is due at `at`.
    Due { index: usize, at: OffsetDateTime },
    /// The lifetime cap is reached: the campaign says no more to this person.
    Capped,
}

/// The next nudge, for a gap inventory first showed at `gap_since`, to a person already
/// nudged at `sent` (oldest first).
pub fn next_nudge(exposures: &Exposures, gap_since: OffsetDateTime, sent: &[OffsetDateTime]) -> NextNudge {
    let index = sent.len();
    if index >= exposures.lifetime as usize {
        return NextNudge::Capped;
    }
    let mut at = match sent.last() {
        None => gap_since + days(exposures.grace_days),
        Some(last) => {
            let gap = exposures.gaps_days.get(index - 1).or(exposures.gaps_days.last()).copied().unwrap_or(1);
            *last + days(gap)
        }
    };
    // The caps a week and a day: the nudge waits until the oldest of those that fill the
    // window has left it.
    for (cap, window) in [(exposures.per_week, Duration::WEEK), (exposures.per_day, Duration::DAY)] {
        if let Some(filled) = index.checked_sub(cap as usize).and_then(|oldest| sent.get(oldest)) {
            at = at.max(*filled + window);
        }
    }
    NextNudge::Due { index, at }
}

/// Whether a campaign starts again for a device whose gap came back at `gap_again`, the habit
/// having shown at `habit_shown`.
pub fn rearmed(exposures: &Exposures, habit_shown: OffsetDateTime, gap_again: OffsetDateTime) -> bool {
    gap_again >= habit_shown + days(exposures.rearm_after_days)
}

/// Where one person stands in one campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    /// Each time the gap came back after the habit showed, a new round starts.
    pub round: u32,
    pub gap_since: OffsetDateTime,
    /// The nudges of this round, oldest first.
    pub nudged: Vec<OffsetDateTime>,
    /// When the habit showed, ending the round.
    pub habit_at: Option<OffsetDateTime>,
    /// When they last said "done" in this round: the nudges wait for a report made after it.
    pub said_done: Option<OffsetDateTime>,
    /// Whether they said "I can't" in this round: the nudges stop, and the security team
    /// answers them.
    pub cannot: bool,
}

/// What inventory now shows of one person's devices, for one campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Devices show the gap: reported `since` (the earliest of their reports), and most
    /// recently at `latest`.
    Gap { since: OffsetDateTime, latest: OffsetDateTime },
    /// No device shows the gap and one shows the habit.
    Habit,
    /// Neither: the facts are not reported, or the person has no device.
    Nothing,
}

/// What happens next for one person in one campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignStep {
    /// They join it, or join it again: round `round`, the gap showing since `gap_since`.
    Start { round: u32, gap_since: OffsetDateTime },
    /// Nudge number `index` (from 0) goes now.
    Nudge { index: usize },
    /// The habit shows and the round ends; they are thanked if they were nudged at all.
    HabitShown { thanked: bool },
}

/// The steps due at `now` for a person enrolled as `enrolment` (none before they first
/// showed the gap), given what inventory now shows.
pub fn campaign_steps(
    exposures: &Exposures,
    enrolment: Option<&Enrolment>,
    shown: Shown,
    now: OffsetDateTime,
) -> Vec<CampaignStep> {
    let open = enrolment.filter(|enrolment| enrolment.habit_at.is_none());
    match (open, shown) {
        (Some(enrolment), Shown::Habit) => {
            vec![CampaignStep::HabitShown { thanked: !enrolment.nudged.is_empty() }]
        }
        // Told "I can't", or "done" since the last report: wait.
        (Some(enrolment), Shown::Gap { latest, .. })
            if enrolment.cannot || enrolment.said_done.is_some_and(|said| latest <= said) =>
        {
            Vec::new()
        }
        (Some(enrolment), Shown::Gap { .. }) => {
            nudge_due(exposures, enrolment.gap_since, &enrolment.nudged, now).into_iter().collect()
        }
        (None, Shown::Gap { since: reported, .. }) => {
            let (round, gap_since) = match enrolment {
                None => (1, reported),
                // The gap came back after the habit showed, whenever the report was made.
                Some(Enrolment { round, habit_at: Some(habit_at), .. })
                    if rearmed(exposures, *habit_at, now) =>
                {
                    (round + 1, reported.max(*habit_at))
                }
                Some(_) => return Vec::new(),
            };
            let gap_since = gap_since.min(now);
            let mut steps = vec![CampaignStep::Start { round, gap_since }];
            steps.extend(nudge_due(exposures, gap_since, &[], now));
            steps
        }
        (_, Shown::Habit | Shown::Nothing) => Vec::new(),
    }
}

fn nudge_due(
    exposures: &Exposures,
    gap_since: OffsetDateTime,
    nudged: &[OffsetDateTime],
    now: OffsetDateTime,
) -> Option<CampaignStep> {
    match next_nudge(exposures, gap_since, nudged) {
        NextNudge::Due { index, at } if at <= now => Some(CampaignStep::Nudge { index }),
        NextNudge::Due { .. } | NextNudge::Capped => None,
    }
}

fn days(count: u32) -> Duration {
    Duration::days(i64::from(count))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn caps() -> Exposures {
        Exposures {
            grace_days: 2,
            gaps_days: vec![3, 4, 5, 7],
            lifetime: 8,
            per_week: 2,
            per_day: 1,
            rearm_after_days: 182,
        }
    }

    #[test]
    fn the_first_nudge_waits_out_the_grace_and_the_gaps_grow_then_repeat() {
        let start = datetime!(2026-12-01 09:00 UTC);
        let mut sent = Vec::new();
        let mut gaps = Vec::new();
        while let NextNudge::Due { index, at } = next_nudge(&caps(), start, &sent) {
            assert_eq!(index, sent.len());
            gaps.push((at - sent.last().copied().unwrap_or(start)).whole_days());
            sent.push(at);
        }
        assert_eq!(gaps, [2, 3, 4, 5, 7, 7, 7, 7], "a grace of 2 days, then 3, 4, 5 and 7 from then on");
        assert_eq!(next_nudge(&caps(), start, &sent), NextNudge::Capped);
    }

    #[test]
    fn eight_weeks_of_nudges_keep_every_cap() {
        let start = datetime!(2026-12-01 09:00 UTC);
        let tight = Exposures { gaps_days: vec![1], per_week: 3, ..caps() };
        let mut sent: Vec<OffsetDateTime> = Vec::new();
        while let NextNudge::Due { at, .. } = next_nudge(&tight, start, &sent) {
            if at > start + Duration::WEEK * 8 {
                break;
            }
            sent.push(at);
        }
        assert_eq!(sent.len(), 8, "the lifetime cap");
        for (index, at) in sent.iter().enumerate() {
            let in_week = sent[..=index].iter().filter(|earlier| **earlier > *at - Duration::WEEK).count();
            let in_day = sent[..=index].iter().filter(|earlier| **earlier > *at - Duration::DAY).count();
            assert!(
                in_week <= 3 && in_day <= 1,
                "nudge {index} at {at}: {in_week} in its week, {in_day} in its day"
            );
        }
        // Daily gaps, three a week: the fourth waits for the first to leave its week.
        assert_eq!((sent[3] - sent[0]).whole_days(), 7);
    }

    fn gap(reported: OffsetDateTime) -> Shown {
        Shown::Gap { since: reported, latest: reported }
    }

    #[test]
    fn done_waits_for_a_later_report_and_i_cant_stops_the_nudges() {
        let reported = datetime!(2026-12-01 09:00 UTC);
        let first = reported + Duration::days(2);
        let said = first + Duration::DAY;
        let enrolment = Enrolment {
            round: 1,
            gap_since: reported,
            nudged: vec![first],
            habit_at: None,
            said_done: Some(said),
            cannot: false,
        };
        let due = first + Duration::days(4);
        let stale = Shown::Gap { since: reported, latest: said - Duration::HOUR };
        assert!(campaign_steps(&caps(), Some(&enrolment), stale, due).is_empty(), "no report since \"done\"");
        let still = Shown::Gap { since: reported, latest: said + Duration::HOUR };
        assert_eq!(campaign_steps(&caps(), Some(&enrolment), still, due), [CampaignStep::Nudge { index: 1 }]);
        let cannot = Enrolment { said_done: None, cannot: true, ..enrolment };
        assert!(campaign_steps(&caps(), Some(&cannot), still, due).is_empty());
        assert_eq!(
            campaign_steps(&caps(), Some(&cannot), Shown::Habit, due),
            [CampaignStep::HabitShown { thanked: true }],
            "the habit is thanked, whatever they said"
        );
    }

    #[test]
    fn a_person_joins_after_the_grace_is_nudged_in_turn_and_is_thanked_once_the_habit_shows() {
        let reported = datetime!(2026-12-01 09:00 UTC);
        let early = reported + Duration::DAY;
        assert_eq!(
            campaign_steps(&caps(), None, gap(reported), early),
            [CampaignStep::Start { round: 1, gap_since: reported }],
            "within the grace: joined, not yet nudged"
        );
        let late = reported + Duration::days(5);
        assert_eq!(
            campaign_steps(&caps(), None, gap(reported), late),
            [CampaignStep::Start { round: 1, gap_since: reported }, CampaignStep::Nudge { index: 0 }],
            "a gap reported days ago is past its grace"
        );
        let mut standing = Enrolment {
            round: 1,
            gap_since: reported,
            nudged: vec![late],
            habit_at: None,
            said_done: None,
            cannot: false,
        };
        assert!(campaign_steps(&caps(), Some(&standing), gap(reported), late + Duration::DAY).is_empty());
        let next = late + Duration::days(3);
        assert_eq!(
            campaign_steps(&caps(), Some(&standing), gap(reported), next),
            [CampaignStep::Nudge { index: 1 }]
        );
        assert_eq!(
            campaign_steps(&caps(), Some(&standing), Shown::Habit, next),
            [CampaignStep::HabitShown { thanked: true }]
        );
        assert!(campaign_steps(&caps(), Some(&standing), Shown::Nothing, next).is_empty());
        standing.habit_at = Some(next);
        assert!(
            campaign_steps(&caps(), Some(&standing), gap(next), next + Duration::days(30)).is_empty(),
            "a gap back within six months waits"
        );
        let later = next + Duration::days(200);
        assert_eq!(
            campaign_steps(&caps(), Some(&standing), gap(later), later).first().copied(),
            Some(CampaignStep::Start { round: 2, gap_since: later })
        );
        let unnudged = Enrolment { nudged: Vec::new(), habit_at: None, ..standing };
        assert_eq!(
            campaign_steps(&caps(), Some(&unnudged), Shown::Habit, next),
            [CampaignStep::HabitShown { thanked: false }],
            "a gap that closed within its grace ends quietly"
        );
    }

    #[test]
    fn a_gap_that_comes_back_restarts_the_campaign_only_once_the_rearm_time_has_passed() {
        let fixed = datetime!(2026-12-01 09:00 UTC);
        assert!(!rearmed(&caps(), fixed, fixed + Duration::days(30)));
        assert!(rearmed(&caps(), fixed, fixed + Duration::days(182)));
    }
}
