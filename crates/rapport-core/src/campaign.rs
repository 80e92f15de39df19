//! Hygiene campaigns: one habit asked of the people whose devices show a gap (weeks without a
//! restart, a disk left unencrypted), in differently worded nudges, until what inventory
//! reports of the device shows the habit. What a campaign is, which devices show its gap and
//! which its habit; its file is read and checked in `rapport-formats` (`campaign_file.rs`).

use serde::{Deserialize, Serialize};

use crate::{Audience, DeviceFacts, Person, Software, VersionScheme};

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
    /// Whether inventory shows the gap on a device. A fact inventory did not report shows no
    /// gap: nobody is nudged on a guess.
    pub fn shows_gap(&self, device: &Reported<'_>) -> bool {
        self.gap.iter().any(|test| test.holds(device))
    }

    /// Whether inventory shows the habit on a device.
    pub fn shows_habit(&self, device: &Reported<'_>) -> bool {
        self.habit.iter().any(|test| test.holds(device))
    }

    /// Every package name its tests ask about, so that only those are read of each device.
    pub fn software_names(&self) -> impl Iterator<Item = &str> {
        self.gap
            .iter()
            .chain(&self.habit)
            .filter_map(|test| test.software.as_ref())
            .flat_map(|test| test.names.iter().map(String::as_str))
    }

    /// The nudges written for `audience`, in order.
    pub fn nudges_for(&self, audience: Audience) -> impl Iterator<Item = &Nudge> {
        self.nudges.iter().filter(move |nudge| nudge.audience == audience)
    }
}

/// What inventory reported of one device, as the tests read it.
#[derive(Clone, Copy, Debug)]
pub struct Reported<'a> {
    pub facts: &'a DeviceFacts,
    /// Its packages, when inventory listed them (only those the campaigns ask about will do);
    /// none when it did not, which is not the same as an empty list.
    pub software: Option<&'a [Software]>,
    /// When it reported, in Unix seconds.
    pub last_seen: Option<i64>,
    /// The person who uses it, as the directory knows them, for the tests on their account.
    pub user: Option<&'a Person>,
}

impl<'a> Reported<'a> {
    /// A device whose packages are not known.
    pub fn facts(facts: &'a DeviceFacts, last_seen: Option<i64>) -> Reported<'a> {
        Reported { facts, software: None, last_seen, user: None }
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

/// Whole numbers (days, messages), at least some and below some.
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
    pub software: Option<SoftwareTest>,
    /// Of the user's work account, as the directory says: two-step sign-in.
    pub mfa: Option<bool>,
    /// Of the user: suspicious messages reported in the last year.
    pub phishing_reports: Option<DayRange>,
}

/// A test of the packages on a device, by name in any case: whether any named one is there,
/// or the versions of those that are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SoftwareTest {
    pub names: Vec<String>,
    /// False: none of them is there. True: one of them is.
    pub installed: bool,
    /// With `below` only: one of them is there below it. With `at_least`: every one there is
    /// at least it (so a device keeping an old copy beside a new one still shows the gap).
    pub versions: Option<VersionRange>,
}

impl SoftwareTest {
    fn holds(&self, software: &[Software]) -> bool {
        let mut named = software
            .iter()
            .filter(|package| self.names.iter().any(|name| name.eq_ignore_ascii_case(&package.name)));
        match (&self.versions, self.installed) {
            (None, installed) => named.next().is_some() == installed,
            (Some(range), _) if range.at_least.is_some() => {
                let named: Vec<&Software> = named.collect();
                !named.is_empty() && named.iter().all(|package| range.contains(&package.version))
            }
            (Some(range), _) => named.any(|package| range.contains(&package.version)),
        }
    }

    fn excludes(&self, other: &SoftwareTest) -> bool {
        let same_names = self.names.len() == other.names.len()
            && self
                .names
                .iter()
                .all(|name| other.names.iter().any(|theirs| theirs.eq_ignore_ascii_case(name)));
        same_names
            && match (&self.versions, &other.versions) {
                (None, None) => self.installed != other.installed,
                (Some(a), Some(b)) => a.excludes(b),
                _ => false,
            }
    }
}

impl DeviceTest {
    pub fn holds(&self, device: &Reported<'_>) -> bool {
        let Reported { facts, software, last_seen, user } = *device;
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
            && self.software.as_ref().is_none_or(|test| software.is_some_and(|listed| test.holds(listed)))
            && fits(self.mfa, user.and_then(|person| person.mfa))
            && self.phishing_reports.is_none_or(|range| {
                user.and_then(|person| person.phishing_reports)
                    .is_some_and(|count| range.contains(i64::from(count)))
            })
    }

    /// Whether it names no fact at all, and so would hold for every device.
    pub fn names_no_fact(&self) -> bool {
        self.days_since_restart.is_none()
            && self.disk_encrypted.is_none()
            && self.firewall.is_none()
            && self.screen_lock.is_none()
            && self.os_version.is_none()
            && self.software.is_none()
            && self.mfa.is_none()
            && self.phishing_reports.is_none()
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
            || matches!((&self.software, &other.software), (Some(a), Some(b)) if a.excludes(b))
            || differ(self.mfa, other.mfa)
            || matches!((self.phishing_reports, other.phishing_reports), (Some(a), Some(b)) if a.excludes(b))
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

    impl DeviceTest {
        fn holds_on(&self, facts: &DeviceFacts, last_seen: Option<i64>) -> bool {
            self.holds(&Reported::facts(facts, last_seen))
        }
    }

    fn on<'a>(facts: &'a DeviceFacts, software: &'a [Software]) -> Reported<'a> {
        Reported { facts, software: Some(software), last_seen: None, user: None }
    }

    fn package(name: &str, version: &str) -> Software {
        Software { name: name.into(), version: version.into(), source: "apps".into() }
    }

    #[test]
    fn an_account_test_reads_what_the_directory_says_of_the_devices_user() {
        let without = DeviceTest { mfa: Some(false), ..DeviceTest::default() };
        let with = DeviceTest { mfa: Some(true), ..DeviceTest::default() };
        let facts = DeviceFacts::default();
        let used_by =
            |person| Reported { facts: &facts, software: None, last_seen: None, user: Some(person) };
        let anna = Person { mfa: Some(false), phishing_reports: Some(0), ..Person::default() };
        assert!(without.holds(&used_by(&anna)) && !with.holds(&used_by(&anna)));
        let unknown = Person::default();
        assert!(!without.holds(&used_by(&unknown)) && !with.holds(&used_by(&unknown)), "not said, neither");
        assert!(!without.holds(&Reported::facts(&facts, None)), "no user known, no gap");
        assert!(without.excludes(&with));
        let never = DeviceTest {
            phishing_reports: Some(DayRange { at_least: None, below: Some(1) }),
            ..DeviceTest::default()
        };
        let once = DeviceTest {
            phishing_reports: Some(DayRange { at_least: Some(1), below: None }),
            ..DeviceTest::default()
        };
        assert!(never.holds(&used_by(&anna)) && !once.holds(&used_by(&anna)));
        let reporter = Person { phishing_reports: Some(3), ..Person::default() };
        assert!(!never.holds(&used_by(&reporter)) && once.holds(&used_by(&reporter)));
        assert!(never.excludes(&once));
    }

    #[test]
    fn a_software_test_reads_only_a_listed_inventory_and_every_copy_of_a_package() {
        let browsers = vec!["Google Chrome".to_owned(), "google-chrome-stable".to_owned()];
        let range = |at_least: Option<&str>, below: Option<&str>| VersionRange {
            at_least: at_least.map(str::to_owned),
            below: below.map(str::to_owned),
        };
        let test = |versions| DeviceTest {
            software: Some(SoftwareTest {
                names: browsers.clone(),
                installed: true,
                versions: Some(versions),
            }),
            ..DeviceTest::default()
        };
        let (old, current) = (test(range(None, Some("143"))), test(range(Some("143"), None)));
        let facts = DeviceFacts::default();
        let stale = [package("google chrome", "142.0.7444.176")];
        assert!(old.holds(&on(&facts, &stale)) && !current.holds(&on(&facts, &stale)), "names in any case");
        let both = [package("Google Chrome", "143.0.7499.40"), package("google-chrome-stable", "141.0.1-1")];
        assert!(
            old.holds(&on(&facts, &both)) && !current.holds(&on(&facts, &both)),
            "an old copy beside a new one"
        );
        let fresh = [package("Google Chrome", "143.0.7499.40")];
        assert!(!old.holds(&on(&facts, &fresh)) && current.holds(&on(&facts, &fresh)));
        assert!(!old.holds(&on(&facts, &[])) && !current.holds(&on(&facts, &[])), "no browser, neither");
        assert!(!old.holds(&Reported::facts(&facts, None)), "packages not listed, no gap");
        assert!(old.excludes(&current));
        let absent = DeviceTest {
            software: Some(SoftwareTest { names: browsers.clone(), installed: false, versions: None }),
            ..DeviceTest::default()
        };
        let present = DeviceTest {
            software: Some(SoftwareTest { names: browsers.clone(), installed: true, versions: None }),
            ..DeviceTest::default()
        };
        assert!(absent.holds(&on(&facts, &[package("Slack", "4.41")])) && !present.holds(&on(&facts, &[])));
        assert!(present.holds(&on(&facts, &fresh)) && absent.excludes(&present));
        assert!(!absent.holds(&Reported::facts(&facts, None)), "not listed is not absent");
    }

    fn restart(range: DayRange) -> DeviceTest {
        DeviceTest { days_since_restart: Some(range), ..DeviceTest::default() }
    }

    #[test]
    fn a_test_holds_only_on_facts_the_inventory_reported() {
        let weeks_up = restart(DayRange { at_least: Some(7), below: None });
        let facts = DeviceFacts { last_reboot: Some(0), ..DeviceFacts::default() };
        assert!(weeks_up.holds_on(&facts, Some(9 * DAY)));
        assert!(!weeks_up.holds_on(&facts, Some(6 * DAY)));
        assert!(!weeks_up.holds_on(&facts, None), "no report, no gap");
        assert!(!weeks_up.holds_on(&DeviceFacts::default(), Some(9 * DAY)), "no restart known, no gap");
        let unencrypted = DeviceTest { disk_encrypted: Some(false), ..DeviceTest::default() };
        assert!(!unencrypted.holds_on(&DeviceFacts::default(), None), "not reported is not off");
        let off = DeviceFacts { disk_encrypted: Some(false), ..DeviceFacts::default() };
        assert!(unencrypted.holds_on(&off, None));
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
        assert!(mac_only.holds_on(&on("darwin"), None));
        assert!(!mac_only.holds_on(&on("windows"), None));
        assert!(!mac_only.holds_on(&DeviceFacts { firewall: Some(false), ..DeviceFacts::default() }, None));
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
        assert!(old.holds_on(&on("macOS 15.2"), None));
        assert!(!old.holds_on(&on("macOS 15.10"), None), "15.10 is after 15.7");
        assert!(!old.holds_on(&on("macOS 26.1"), None));
        assert!(!old.holds_on(&on("macOS"), None), "no version reported, no gap");
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
