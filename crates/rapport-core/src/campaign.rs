//! Hygiene campaigns: one habit asked of the people whose devices show a gap (weeks without a
//! restart, a disk left unencrypted), in differently worded nudges, until what inventory
//! reports of the device shows the habit. What a campaign is, which devices show its gap and
//! which its habit; its file is read and checked in `rapport-formats` (`campaign_file.rs`).

use serde::{Deserialize, Serialize};

use crate::{Audience, DeviceFacts, VersionScheme};

/// A campaign, as its file states it once checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// A word naming it: `restart-weekly`.
    pub name: String,
    /// What it asks, in one line, for the security team.
    pub goal: String,
    /// A series for people's own phones, home networks and family accounts: sent to those who
    /// asked for it, never checked against any device (its `gap` and `habit` are empty).
    pub personal: bool,
    /// The devices it is for: those any of these tests holds for.
    pub gap: Vec<DeviceTest>,
    /// The evidence that closes it for a device: any of these tests holding.
    pub habit: Vec<DeviceTest>,
    pub exposures: Exposures,
    /// The nudges, each worded differently, in the order they go.
    pub nudges: Vec<Nudge>,
    /// What the habit now does for the person, said once when it shows ("Your computer
    /// restarted this week, so its updates are in place."); empty for a personal series.
    pub thanks: String,
}

impl Campaign {
    /// Whether inventory shows the gap on a device, from the facts it reported at `last_seen`
    /// (Unix seconds). A fact inventory did not report shows no gap: nobody is nudged on a
    /// guess.
    pub fn shows_gap(&self, facts: &DeviceFacts, last_seen: Option<i64>) -> bool {
        self.gap.iter().any(|test| test.holds(facts, last_seen))
    }

    /// Whether inventory shows the habit on a device.
    pub fn shows_habit(&self, facts: &DeviceFacts, last_seen: Option<i64>) -> bool {
        self.habit.iter().any(|test| test.holds(facts, last_seen))
    }

    /// The nudges written for `audience`, in order.
    pub fn nudges_for(&self, audience: Audience) -> impl Iterator<Item = &Nudge> {
        self.nudges.iter().filter(move |nudge| nudge.audience == audience)
    }
}

/// The platforms inventories report, as a campaign names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Macos,
    Windows,
    Linux,
    Chromeos,
    Ios,
    Android,
}

impl Platform {
    /// The platform of a device as Fleet or osquery names it (`darwin`, `windows`, `ubuntu`,
    /// `chrome`, `ipados`...); none for a word neither uses.
    pub fn of(reported: &str) -> Option<Platform> {
        let word = reported.to_ascii_lowercase();
        Some(match word.as_str() {
            "darwin" | "macos" => Platform::Macos,
            "windows" => Platform::Windows,
            "chrome" | "chromeos" => Platform::Chromeos,
            "ios" | "ipados" => Platform::Ios,
            "android" => Platform::Android,
            "linux"
            | "ubuntu"
            | "debian"
            | "rhel"
            | "centos"
            | "fedora"
            | "amzn"
            | "arch"
            | "manjaro"
            | "gentoo"
            | "opensuse"
            | "opensuse-leap"
            | "opensuse-tumbleweed"
            | "sles"
            | "rocky"
            | "almalinux"
            | "kali"
            | "pop"
            | "linuxmint"
            | "nixos" => Platform::Linux,
            _ => return None,
        })
    }
}

/// Whole days, at least some and below some.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayRange {
    pub at_least: Option<u32>,
    pub below: Option<u32>,
}

impl DayRange {
    fn contains(self, days: i64) -> bool {
        self.at_least.is_none_or(|least| days >= i64::from(least))
            && self.below.is_none_or(|below| days < i64::from(below))
    }

    /// Whether no whole number of days is in it.
    pub fn is_empty(self) -> bool {
        matches!((self.at_least, self.below), (Some(least), Some(below)) if least >= below)
            || self.below == Some(0)
    }

    /// Whether no number of days is in both.
    pub fn excludes(self, other: DayRange) -> bool {
        let least = self.at_least.max(other.at_least).unwrap_or(0);
        let below = match (self.below, other.below) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (one, other) => one.or(other),
        };
        below.is_some_and(|below| least >= below)
    }
}

/// Versions of an operating system, at least one and below another, compared as dotted
/// numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VersionRange {
    pub at_least: Option<String>,
    pub below: Option<String>,
}

impl VersionRange {
    fn contains(&self, version: &str) -> bool {
        let compare = |bound: &str| VersionScheme::Generic.compare(version, bound);
        self.at_least.as_deref().is_none_or(|least| compare(least).is_ge())
            && self.below.as_deref().is_none_or(|below| compare(below).is_lt())
    }

    /// Whether no version is in it.
    pub fn is_empty(&self) -> bool {
        match (&self.at_least, &self.below) {
            (Some(least), Some(below)) => VersionScheme::Generic.compare(least, below).is_ge(),
            (None, None) => true,
            _ => false,
        }
    }

    fn excludes(&self, other: &VersionRange) -> bool {
        let apart = |low: &Option<String>, high: &Option<String>| matches!((low, high), (Some(low), Some(high)) if VersionScheme::Generic.compare(low, high).is_ge());
        apart(&self.at_least, &other.below) || apart(&other.at_least, &self.below)
    }
}

/// The dotted version in what an inventory reports: `15.2` in Fleet's "macOS 15.2", `22.04.4`
/// in "Ubuntu 22.04.4 LTS".
pub fn os_version_number(reported: &str) -> Option<&str> {
    reported.split_whitespace().find(|word| {
        word.starts_with(|c: char| c.is_ascii_digit()) && word.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// A test of what inventory reports of one device: every fact it names must be reported and
/// hold; the platforms, when named, must include the device's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeviceTest {
    pub platforms: Vec<Platform>,
    /// Days from the last restart to the report, as the device reported them.
    pub days_since_restart: Option<DayRange>,
    pub disk_encrypted: Option<bool>,
    pub firewall: Option<bool>,
    pub screen_lock: Option<bool>,
    /// The operating system's version, for tests that name their platforms.
    pub os_version: Option<VersionRange>,
}

impl DeviceTest {
    pub fn holds(&self, facts: &DeviceFacts, last_seen: Option<i64>) -> bool {
        let platform = facts.platform.as_deref().and_then(Platform::of);
        let platform_fits =
            self.platforms.is_empty() || platform.is_some_and(|p| self.platforms.contains(&p));
        // Uptime as the device reported it: counting on to now would blame the person for the
        // days inventory did not hear from it.
        let restart_days = match (facts.last_reboot, last_seen) {
            (Some(booted), Some(seen)) => Some((seen - booted).div_euclid(86_400)),
            _ => None,
        };
        let fits =
            |wanted: Option<bool>, reported: Option<bool>| wanted.is_none_or(|want| reported == Some(want));
        platform_fits
            && self
                .days_since_restart
                .is_none_or(|range| restart_days.is_some_and(|days| range.contains(days)))
            && fits(self.disk_encrypted, facts.disk_encrypted)
            && fits(self.firewall, facts.firewall)
            && fits(self.screen_lock, facts.screen_lock)
            && self.os_version.as_ref().is_none_or(|range| {
                facts.os_version.as_deref().and_then(os_version_number).is_some_and(|v| range.contains(v))
            })
    }

    /// Whether it names no fact at all, and so would hold for every device.
    pub fn names_no_fact(&self) -> bool {
        self.days_since_restart.is_none()
            && self.disk_encrypted.is_none()
            && self.firewall.is_none()
            && self.screen_lock.is_none()
            && self.os_version.is_none()
    }

    /// Whether no device can pass both: they name a fact on which they disagree, or platforms
    /// that have none in common.
    pub fn excludes(&self, other: &DeviceTest) -> bool {
        let differ = |a: Option<bool>, b: Option<bool>| matches!((a, b), (Some(a), Some(b)) if a != b);
        let platforms_apart = !self.platforms.is_empty()
            && !other.platforms.is_empty()
            && !self.platforms.iter().any(|platform| other.platforms.contains(platform));
        platforms_apart
            || matches!((self.days_since_restart, other.days_since_restart), (Some(a), Some(b)) if a.excludes(b))
            || differ(self.disk_encrypted, other.disk_encrypted)
            || differ(self.firewall, other.firewall)
            || differ(self.screen_lock, other.screen_lock)
            || matches!((&self.os_version, &other.os_version), (Some(a), Some(b)) if a.excludes(b))
    }
}

/// How often and how many times a person is nudged, in the shape of Firefox's message router
/// caps: a lifetime cap, and caps a week and a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposures {
    /// Days from inventory first showing the gap to the first nudge: a gap may close by itself.
    pub grace_days: u32,
    /// Days between one nudge and the next, the last repeated: `[3, 4, 5, 7]` grows gently.
    pub gaps_days: Vec<u32>,
    pub lifetime: u32,
    pub per_week: u32,
    pub per_day: u32,
    /// Days after the habit shows before the campaign starts again for a device whose gap
    /// came back.
    pub rearm_after_days: u32,
}

/// One nudge: a message written for one audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nudge {
    pub audience: Audience,
    pub subject: String,
    pub body: String,
    /// The one thing to do.
    pub ask: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn restart(range: DayRange) -> DeviceTest {
        DeviceTest { days_since_restart: Some(range), ..DeviceTest::default() }
    }

    #[test]
    fn a_test_holds_only_on_facts_the_inventory_reported() {
        let weeks_up = restart(DayRange { at_least: Some(7), below: None });
        let facts = DeviceFacts { last_reboot: Some(0), ..DeviceFacts::default() };
        assert!(weeks_up.holds(&facts, Some(9 * DAY)));
        assert!(!weeks_up.holds(&facts, Some(6 * DAY)));
        assert!(!weeks_up.holds(&facts, None), "no report, no gap");
        assert!(!weeks_up.holds(&DeviceFacts::default(), Some(9 * DAY)), "no restart known, no gap");
        let unencrypted = DeviceTest { disk_encrypted: Some(false), ..DeviceTest::default() };
        assert!(!unencrypted.holds(&DeviceFacts::default(), None), "not reported is not off");
        let off = DeviceFacts { disk_encrypted: Some(false), ..DeviceFacts::default() };
        assert!(unencrypted.holds(&off, None));
    }

    #[test]
    fn platforms_are_read_in_both_inventories_words() {
        let mac_only =
            DeviceTest { platforms: vec![Platform::Macos], firewall: Some(false), ..DeviceTest::default() };
        let on = |platform: &str| DeviceFacts {
            platform: Some(platform.into()),
            firewall: Some(false),
            ..DeviceFacts::default()
        };
        assert!(mac_only.holds(&on("darwin"), None));
        assert!(!mac_only.holds(&on("windows"), None));
        assert!(!mac_only.holds(&DeviceFacts { firewall: Some(false), ..DeviceFacts::default() }, None));
        assert_eq!(Platform::of("ubuntu"), Some(Platform::Linux));
        assert_eq!(Platform::of("ipados"), Some(Platform::Ios));
        assert_eq!(Platform::of("beos"), None);
    }

    #[test]
    fn a_gap_and_a_habit_that_disagree_on_a_fact_exclude_each_other() {
        let gap = restart(DayRange { at_least: Some(7), below: None });
        assert!(gap.excludes(&restart(DayRange { at_least: None, below: Some(7) })));
        assert!(!gap.excludes(&restart(DayRange { at_least: None, below: Some(8) })), "day 7 is in both");
        let off = DeviceTest { screen_lock: Some(false), ..DeviceTest::default() };
        assert!(off.excludes(&DeviceTest { screen_lock: Some(true), ..DeviceTest::default() }));
        assert!(!off.excludes(&DeviceTest { firewall: Some(true), ..DeviceTest::default() }));
        assert!(DayRange { at_least: Some(7), below: Some(7) }.is_empty());
        assert!(!DayRange { at_least: Some(6), below: Some(7) }.is_empty());
    }

    #[test]
    fn an_os_version_is_read_from_the_words_inventory_reports_and_compared_as_numbers() {
        let old = DeviceTest {
            platforms: vec![Platform::Macos],
            os_version: Some(VersionRange { at_least: None, below: Some("15.7".into()) }),
            ..DeviceTest::default()
        };
        let on = |version: &str| DeviceFacts {
            platform: Some("darwin".into()),
            os_version: Some(version.into()),
            ..DeviceFacts::default()
        };
        assert!(old.holds(&on("macOS 15.2"), None));
        assert!(!old.holds(&on("macOS 15.10"), None), "15.10 is after 15.7");
        assert!(!old.holds(&on("macOS 26.1"), None));
        assert!(!old.holds(&on("macOS"), None), "no version reported, no gap");
        assert_eq!(os_version_number("Ubuntu 22.04.4 LTS"), Some("22.04.4"));
        let current = DeviceTest {
            os_version: Some(VersionRange { at_least: Some("15.7".into()), below: None }),
            ..old.clone()
        };
        assert!(old.excludes(&current));
        let overlapping = DeviceTest {
            os_version: Some(VersionRange { at_least: Some("15.6".into()), below: None }),
            ..old.clone()
        };
        assert!(!old.excludes(&overlapping));
        assert!(VersionRange { at_least: Some("15.7".into()), below: Some("15.7".into()) }.is_empty());
    }
}
