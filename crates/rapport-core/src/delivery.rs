//! When a failed delivery is tried again: exponential backoff with jitter, so that a mail
//! server or webhook coming back is not met by every retry at once, and a limit after which the
//! delivery is given up and shown to the security team.

use time::Duration;

/// How a person's messages reach them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Email to the address the directory holds.
    #[default]
    Email,
    /// A Slack incoming webhook of the person's own.
    Slack,
    /// A Microsoft Teams Workflows webhook of the person's own.
    Teams,
    /// The organisation's own receiver, a signed JSON webhook the server's settings name.
    Webhook,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Slack, Channel::Teams, Channel::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Slack => "slack",
            Channel::Teams => "teams",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(word: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|channel| channel.as_str() == word)
    }

    /// Whether the person gives the address themselves (their own chat webhook).
    pub fn needs_address(self) -> bool {
        matches!(self, Channel::Slack | Channel::Teams)
    }
}

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
    fn each_channel_reads_back_from_its_word() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::parse("pager"), None);
    }

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
