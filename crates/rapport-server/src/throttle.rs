//! How fast passwords may be tried. The limits slow a guesser without handing anyone a way to
//! lock others out:
//! - one address trying one account gets the configured attempts a minute;
//! - one account gets ten times that from all addresses together, so a single address can
//!   never use up an account's allowance: only many addresses guessing at once can, and only
//!   while they keep at it;
//! - one address gets ten times that over all accounts, against password spraying.
//!
//! A browser that has signed in to an account before carries a device cookie for it, and is
//! held only to the first limit: nobody guessing elsewhere, nor a neighbour spraying from the
//! same office address, keeps its owner out. (OWASP calls these device cookies.)

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use time::{Duration, OffsetDateTime};

use crate::auth::{digest, new_secret};
use crate::error::ServerError;

/// The cookie a browser keeps for each account it has signed in to.
pub const DEVICE_COOKIE: &str = "rapport_device";
/// How long a browser is known after signing in.
pub const DEVICE_DAYS: i64 = 30;
/// Known browsers kept per account; the oldest is forgotten first.
const DEVICES_PER_ACCOUNT: usize = 20;

#[derive(Debug)]
pub struct SignInLimits {
    by_pair: DefaultKeyedRateLimiter<(String, String)>,
    by_account: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<String>,
    /// Device cookies' digests, with the account they are for and when they expire.
    devices: Mutex<HashMap<[u8; 32], KnownDevice>>,
}

#[derive(Clone, Debug)]
struct KnownDevice {
    email: String,
    expires: OffsetDateTime,
}

impl SignInLimits {
    pub fn new(per_minute: u32) -> SignInLimits {
        let per_pair = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let wider = per_pair.saturating_mul(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN));
        SignInLimits {
            by_pair: RateLimiter::keyed(Quota::per_minute(per_pair)),
            by_account: RateLimiter::keyed(Quota::per_minute(wider)),
            by_address: RateLimiter::keyed(Quota::per_minute(wider)),
            devices: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this attempt may be checked now; every attempt counts.
    pub fn allow(&self, email: &str, address: &str, device: Option<&str>, now: OffsetDateTime) -> bool {
        if self.by_pair.check_key(&(email.to_owned(), address.to_owned())).is_err() {
            return false;
        }
        if device.is_some_and(|device| self.knows(device, email, now)) {
            return true;
        }
        self.by_address.check_key(&address.to_owned()).is_ok()
            && self.by_account.check_key(&email.to_owned()).is_ok()
    }

    /// After a good password: a new device cookie's value for this browser and account.
    pub fn remember_device(&self, email: &str, now: OffsetDateTime) -> Result<String, ServerError> {
        let secret = new_secret()?;
        let mut devices = self.devices.lock().map_err(|_| ServerError::Internal("the device list".into()))?;
        let mut theirs: Vec<([u8; 32], OffsetDateTime)> = devices
            .iter()
            .filter(|(_, device)| device.email == email)
            .map(|(key, device)| (*key, device.expires))
            .collect();
        theirs.sort_by_key(|(_, expires)| *expires);
        let excess = (theirs.len() + 1).saturating_sub(DEVICES_PER_ACCOUNT);
        for (key, _) in theirs.into_iter().take(excess) {
            devices.remove(&key);
        }
        let expires = now + Duration::days(DEVICE_DAYS);
        devices.insert(digest(&secret), KnownDevice { email: email.to_owned(), expires });
        Ok(secret)
    }

    fn knows(&self, device: &str, email: &str, now: OffsetDateTime) -> bool {
        let Ok(devices) = self.devices.lock() else { return false };
        devices.get(&digest(device)).is_some_and(|known| known.email == email && known.expires > now)
    }

    /// Forgets expired devices and keys whose allowance is whole again (else spraying many
    /// emails would grow the limiters without bound).
    pub fn sweep(&self, now: OffsetDateTime) {
        self.by_pair.retain_recent();
        self.by_pair.shrink_to_fit();
        for limiter in [&self.by_account, &self.by_address] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Ok(mut devices) = self.devices.lock() {
            devices.retain(|_, device| device.expires > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-12-02 09:00 UTC);

    fn attempts(limits: &SignInLimits, email: &str, address: &str, device: Option<&str>, n: usize) -> usize {
        (0..n).filter(|_| limits.allow(email, address, device, NOW)).count()
    }

    #[test]
    fn one_address_gets_the_configured_attempts_at_one_account() {
        let limits = SignInLimits::new(5);
        assert_eq!(attempts(&limits, "priya@example.com", "10.0.0.9", None, 20), 5);
    }

    #[test]
    fn a_guesser_elsewhere_does_not_keep_the_owner_out() {
        let limits = SignInLimits::new(5);
        attempts(&limits, "priya@example.com", "203.0.113.7", None, 100);
        assert!(limits.allow("priya@example.com", "10.0.0.9", None, NOW));
    }

    #[test]
    fn many_addresses_together_are_slowed_at_the_account() {
        let limits = SignInLimits::new(5);
        let allowed: usize = (0..40)
            .map(|n| attempts(&limits, "priya@example.com", &format!("198.51.100.{n}"), None, 5))
            .sum();
        assert_eq!(allowed, 50);
    }

    #[test]
    fn a_known_browser_signs_in_whatever_others_do() {
        let limits = SignInLimits::new(5);
        let device = limits.remember_device("priya@example.com", NOW).unwrap();
        for n in 0..40 {
            attempts(&limits, "priya@example.com", &format!("198.51.100.{n}"), None, 5);
        }
        for other in 0..60 {
            attempts(&limits, &format!("person{other}@example.com"), "10.0.0.9", None, 1);
        }
        assert!(
            !limits.allow("priya@example.com", "10.0.0.9", None, NOW),
            "the account and address are spent"
        );
        assert!(limits.allow("priya@example.com", "10.0.0.9", Some(&device), NOW));
        assert!(
            !limits.allow("sam@example.com", "10.0.0.9", Some(&device), NOW),
            "it is priya's device only"
        );
    }

    #[test]
    fn a_device_is_forgotten_when_it_expires() {
        let limits = SignInLimits::new(5);
        let device = limits.remember_device("priya@example.com", NOW).unwrap();
        let later = NOW + Duration::days(DEVICE_DAYS + 1);
        assert!(!limits.knows(&device, "priya@example.com", later));
        limits.sweep(later);
        assert!(limits.devices.lock().unwrap().is_empty());
    }

    #[test]
    fn an_account_keeps_only_its_newest_devices() {
        let limits = SignInLimits::new(5);
        let first = limits.remember_device("priya@example.com", NOW).unwrap();
        for n in 1..=DEVICES_PER_ACCOUNT {
            limits.remember_device("priya@example.com", NOW + Duration::minutes(n as i64)).unwrap();
        }
        assert!(!limits.knows(&first, "priya@example.com", NOW));
        assert_eq!(limits.devices.lock().unwrap().len(), DEVICES_PER_ACCOUNT);
    }
}
