//! When a failed delivery is tried again: exponential backoff with jitter, so that a mail
//! server or webhook coming back is not met by every retry at once, and a limit after which the
//! delivery is given up and shown to the security team.

use time::Duration;

/// Tries before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// The first wait; each later one doubles, up to an hour.
const FIRST_WAIT: Duration = Duration::seconds(30);
const LONGEST_WAIT: Duration = Duration::HOUR;

/// The wait after `attempts` failed tries, stretched by up to a fifth by `jitter` (0 to 1);
/// none once the tries are used up.
pub fn retry_after(attempts: u32, jitter: f64) -> Option<Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doubled = FIRST_WAIT * 2_i32.saturating_pow(attempts.saturating_sub(1).min(16));
    let wait = doubled.min(LONGEST_WAIT);
    Some(wait + wait * (jitter.clamp(0.0, 1.0) / 5.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_an_hour_with_up_to_a_fifth_more_and_then_stop() {
        assert_eq!(retry_after(1, 0.0), Some(Duration::seconds(30)));
        assert_eq!(retry_after(2, 0.0), Some(Duration::minutes(1)));
        assert_eq!(retry_after(3, 1.0), Some(Duration::minutes(2) + Duration::seconds(24)));
        assert_eq!(retry_after(7, 0.0), Some(Duration::minutes(32)));
        assert_eq!(retry_after(MAX_ATTEMPTS, 0.0), None);
        assert_eq!(retry_after(20, 0.5), None);
    }
}
