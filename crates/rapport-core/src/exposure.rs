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

    #[test]
    fn a_gap_that_comes_back_restarts_the_campaign_only_once_the_rearm_time_has_passed() {
        let fixed = datetime!(2026-12-01 09:00 UTC);
        assert!(!rearmed(&caps(), fixed, fixed + Duration::days(30)));
        assert!(rearmed(&caps(), fixed, fixed + Duration::days(182)));
    }
}
