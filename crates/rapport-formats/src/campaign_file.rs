//! A hygiene campaign file (TOML): its goal, the devices that show the gap (`[[gap]]`), the
//! evidence that closes it (`[[habit]]`), how often people are nudged (`[exposures]`) and the
//! nudges themselves (`[[nudge]]`). Everything is checked before a campaign is used, and a
//! mistake is refused with its line: an unknown fact or platform, a test no device can pass,
//! a habit a device could show while it still shows the gap, or fewer nudges for an audience
//! than the campaign's cap would send them.

use rapport_core::{
    Audience, Campaign, DayRange, DeviceTest, Exposures, Nudge, Platform, SoftwareTest, VersionRange,
};
use serde::Deserialize;
use toml::Spanned;

use crate::ownership_file::line_column;
use crate::{ParseError, Position};

/// The campaigns Rapport ships, each as its file (`rapport campaign list`).
pub const DEFAULT_CAMPAIGNS: [(&str, &str); 10] = [
    ("restart-weekly", include_str!("data/campaigns/restart-weekly.toml")),
    ("os-updates", include_str!("data/campaigns/os-updates.toml")),
    ("disk-encryption", include_str!("data/campaigns/disk-encryption.toml")),
    ("screen-lock", include_str!("data/campaigns/screen-lock.toml")),
    ("firewall", include_str!("data/campaigns/firewall.toml")),
    ("browser-updates", include_str!("data/campaigns/browser-updates.toml")),
    ("password-manager", include_str!("data/campaigns/password-manager.toml")),
    ("two-step-sign-in", include_str!("data/campaigns/two-step-sign-in.toml")),
    ("report-phishing", include_str!("data/campaigns/report-phishing.toml")),
    ("home-tech", include_str!("data/campaigns/home-tech.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    name: Spanned<String>,
    goal: String,
    #[serde(default)]
    personal: bool,
    gap: Option<Spanned<Vec<Spanned<TestFile>>>>,
    habit: Option<Spanned<Vec<Spanned<TestFile>>>>,
    exposures: ExposuresFile,
    nudge: Vec<Spanned<NudgeFile>>,
    thanks: Option<Spanned<String>>,
}

/// The facts a test may name: what Fleet and osquery report of every device.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    platform: Vec<Platform>,
    days_since_restart: Option<Spanned<RangeFile>>,
    disk_encrypted: Option<bool>,
    firewall: Option<bool>,
    screen_lock: Option<bool>,
    os_version: Option<Spanned<VersionRangeFile>>,
    software: Option<Spanned<SoftwareFile>>,
    /// Of the device's user, from the directory: two-step sign-in on their work account, and
    /// suspicious messages they reported in the last year.
    mfa: Option<bool>,
    phishing_reports: Option<Spanned<RangeFile>>,
}

/// Packages by name, as Fleet and osquery list them (`Google Chrome.app`, `google-chrome-stable`):
/// whether one is `installed`, or the versions of those there.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SoftwareFile {
    names: Vec<String>,
    installed: Option<bool>,
    at_least: Option<String>,
    below: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionRangeFile {
    at_least: Option<String>,
    below: Option<String>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeFile {
    at_least: Option<u32>,
    below: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExposuresFile {
    grace_days: u32,
    gaps_days: Spanned<Vec<u32>>,
    lifetime: Spanned<u32>,
    per_week: Spanned<u32>,
    per_day: Spanned<u32>,
    #[serde(default = "six_months")]
    rearm_after_days: u32,
}

fn six_months() -> u32 {
    182
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NudgeFile {
    audience: Audience,
    subject: String,
    body: String,
    ask: String,
}

/// Reads and checks a campaign file.
pub fn parse_campaign(text: &str) -> Result<Campaign, ParseError> {
    let file: CampaignFile = toml::from_str(text).map_err(|error| {
        let position = error.span().map_or(Position::Start, |span| line_column(text, span.start));
        ParseError::invalid(position, error.message().trim().to_owned())
    })?;
    let at = |span: std::ops::Range<usize>, message: String| {
        ParseError::invalid(line_column(text, span.start), message)
    };
    let name = file.name.get_ref();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(at(
            file.name.span(),
            format!("name: expected a word of a-z, 0-9 and -, like restart-weekly, got {name:?}"),
        ));
    }
    let personal = file.personal;
    let (gap, habit) = match (personal, &file.gap, &file.habit) {
        (true, None, None) => (Vec::new(), Vec::new()),
        (true, Some(tests), _) | (true, None, Some(tests)) => {
            return Err(at(
                tests.span(),
                "personal = true: a series for people's own devices is never checked against them; \
                 remove [[gap]] and [[habit]]"
                    .to_owned(),
            ));
        }
        (false, Some(gap_tests), Some(habit_tests)) => {
            let gap = tests(text, gap_tests, "gap")?;
            let habit = tests(text, habit_tests, "habit")?;
            for (gap_test, gap_span) in gap.iter().zip(gap_tests.get_ref()) {
                for habit_test in &habit {
                    if !gap_test.excludes(habit_test) {
                        return Err(at(
                            gap_span.span(),
                            "a device could show this gap and the habit at once, and be nudged and thanked \
                             together: the habit must disagree with the gap on a fact they both name"
                                .to_owned(),
                        ));
                    }
                }
            }
            (gap, habit)
        }
        (false, None, _) => {
            return Err(ParseError::invalid(
                Position::Start,
                "expected [[gap]]: the devices the campaign is for",
            ));
        }
        (false, Some(_), None) => {
            return Err(ParseError::invalid(
                Position::Start,
                "expected [[habit]]: the evidence that closes it",
            ));
        }
    };
    let exposures = exposures(text, &file.exposures)?;
    let mut nudges = Vec::new();
    for nudge in &file.nudge {
        let written = nudge.get_ref();
        for (field, value) in [("subject", &written.subject), ("ask", &written.ask)] {
            if value.trim().is_empty() || value.contains('\n') {
                return Err(at(nudge.span(), format!("{field}: expected one line of words")));
            }
        }
        if written.body.trim().is_empty() {
            return Err(at(nudge.span(), "body: expected the nudge's words".to_owned()));
        }
        nudges.push(Nudge {
            audience: written.audience,
            subject: written.subject.trim().to_owned(),
            body: written.body.trim().to_owned(),
            ask: written.ask.trim().to_owned(),
        });
    }
    let Some(first) = nudges.first() else {
        return Err(ParseError::invalid(Position::Start, "expected at least one [[nudge]]"));
    };
    let mut audiences: Vec<Audience> = vec![first.audience];
    for nudge in &nudges {
        if !audiences.contains(&nudge.audience) {
            audiences.push(nudge.audience);
        }
    }
    for audience in audiences {
        let written = nudges.iter().filter(|nudge| nudge.audience == audience).count();
        if written < exposures.lifetime as usize {
            return Err(at(
                file.exposures.lifetime.span(),
                format!(
                    "lifetime = {} sends up to {} nudges, but the {} has {written} written for them: \
                     write {} more [[nudge]] or lower the cap, so nobody reads the same words twice",
                    exposures.lifetime,
                    exposures.lifetime,
                    audience.label(),
                    exposures.lifetime as usize - written
                ),
            ));
        }
    }
    let thanks = match (&file.thanks, personal) {
        (Some(thanks), _) => {
            let words = thanks.get_ref().trim();
            if words.is_empty() || words.contains('\n') {
                return Err(at(
                    thanks.span(),
                    "thanks: expected one line saying what the habit now does for them".into(),
                ));
            }
            words.to_owned()
        }
        (None, true) => String::new(),
        (None, false) => {
            return Err(ParseError::invalid(
                Position::Start,
                "expected thanks: one line saying what the habit now does for them",
            ));
        }
    };
    Ok(Campaign {
        name: name.clone(),
        goal: file.goal.trim().to_owned(),
        gap,
        habit,
        exposures,
        nudges,
        thanks,
        personal,
    })
}

fn tests(
    text: &str,
    tests: &Spanned<Vec<Spanned<TestFile>>>,
    table: &str,
) -> Result<Vec<DeviceTest>, ParseError> {
    let at = |span: std::ops::Range<usize>, message: String| {
        ParseError::invalid(line_column(text, span.start), message)
    };
    if tests.get_ref().is_empty() {
        return Err(at(tests.span(), format!("[[{table}]]: expected at least one test")));
    }
    let mut checked = Vec::new();
    for test in tests.get_ref() {
        let written = test.get_ref();
        let days = written.days_since_restart.as_ref().map(|range| {
            let RangeFile { at_least, below } = *range.get_ref();
            (DayRange { at_least, below }, range.span())
        });
        if let Some((range, span)) = &days
            && (range.is_empty() || (range.at_least.is_none() && range.below.is_none()))
        {
            return Err(at(
                span.clone(),
                "days_since_restart: no device can have this many days; expected at_least, below, or both with \
                 at_least smaller"
                    .to_owned(),
            ));
        }
        let os_version = match &written.os_version {
            Some(range) => Some(version_range(text, range, &written.platform)?),
            None => None,
        };
        let reports = written.phishing_reports.as_ref().map(|range| {
            let RangeFile { at_least, below } = *range.get_ref();
            (DayRange { at_least, below }, range.span())
        });
        if let Some((range, span)) = &reports
            && (range.is_empty() || (range.at_least.is_none() && range.below.is_none()))
        {
            return Err(at(
                span.clone(),
                "phishing_reports: nobody can have reported this many; expected at_least, below, or both with \
                 at_least smaller"
                    .to_owned(),
            ));
        }
        let software = match &written.software {
            Some(packages) => Some(software_test(text, packages)?),
            None => None,
        };
        let device = DeviceTest {
            mfa: written.mfa,
            phishing_reports: reports.map(|(range, _)| range),
            software,
            os_version,
            platforms: written.platform.clone(),
            days_since_restart: days.map(|(range, _)| range),
            disk_encrypted: written.disk_encrypted,
            firewall: written.firewall,
            screen_lock: written.screen_lock,
        };
        if device.names_no_fact() {
            return Err(at(
                test.span(),
                format!(
                    "[[{table}]] names no fact of the device; expected one of days_since_restart, disk_encrypted, \
                     firewall, screen_lock, os_version, software, mfa, phishing_reports"
                ),
            ));
        }
        checked.push(device);
    }
    Ok(checked)
}

/// A test of packages: names to look for, and either whether one is installed or the
/// versions of those there, each starting with a number.
fn software_test(text: &str, packages: &Spanned<SoftwareFile>) -> Result<SoftwareTest, ParseError> {
    let at = |message: &str| ParseError::invalid(line_column(text, packages.span().start), message);
    let SoftwareFile { names, installed, at_least, below } = packages.get_ref().clone();
    let names: Vec<String> = names.iter().map(|name| name.trim().to_owned()).collect();
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err(at("software: expected names = [...], the packages as inventory lists them, none empty"));
    }
    let versions = match (at_least, below) {
        (None, None) => None,
        (at_least, below) => Some(VersionRange { at_least, below }),
    };
    match (installed, &versions) {
        (None, None) => {
            return Err(at("software: expected installed = true or false, or a version (at_least, below)"));
        }
        (Some(false), Some(_)) => {
            return Err(at(
                "software: installed = false has no versions to compare; remove at_least and below",
            ));
        }
        _ => {}
    }
    if let Some(range) = &versions {
        for version in [&range.at_least, &range.below].into_iter().flatten() {
            if !version.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(at(&format!(
                    "software: expected a version starting with a number, like \"143\", got {version:?}"
                )));
            }
        }
        if range.is_empty() {
            return Err(at(
                "software: no version is in this range; expected at_least, below, or both with at_least smaller",
            ));
        }
    }
    Ok(SoftwareTest { names, installed: installed.unwrap_or(true), versions })
}

/// A range of OS versions: only for the platforms named beside it, since each numbers its
/// own, and only of dotted numbers, as they are compared.
fn version_range(
    text: &str,
    range: &Spanned<VersionRangeFile>,
    platforms: &[Platform],
) -> Result<VersionRange, ParseError> {
    let at = |message: &str| ParseError::invalid(line_column(text, range.span().start), message);
    if platforms.is_empty() {
        return Err(at(
            "os_version: name the platform it is for (platform = [\"macos\"]); each numbers its versions its own way",
        ));
    }
    let VersionRangeFile { at_least, below } = range.get_ref().clone();
    for version in [&at_least, &below].into_iter().flatten() {
        if rapport_core::os_version_number(version) != Some(version.as_str()) {
            return Err(at(&format!(
                "os_version: expected a version of dotted numbers, like \"15.7\", got {version:?}"
            )));
        }
    }
    let range = VersionRange { at_least, below };
    if range.is_empty() {
        return Err(at(
            "os_version: no version is in this range; expected at_least, below, or both with at_least smaller",
        ));
    }
    Ok(range)
}

fn exposures(text: &str, file: &ExposuresFile) -> Result<Exposures, ParseError> {
    let at = |span: std::ops::Range<usize>, message: &str| {
        ParseError::invalid(line_column(text, span.start), message)
    };
    if file.gaps_days.get_ref().is_empty() || file.gaps_days.get_ref().contains(&0) {
        return Err(at(
            file.gaps_days.span(),
            "gaps_days: expected the days between nudges, each at least 1",
        ));
    }
    let (lifetime, per_week, per_day) =
        (*file.lifetime.get_ref(), *file.per_week.get_ref(), *file.per_day.get_ref());
    if lifetime == 0 {
        return Err(at(file.lifetime.span(), "lifetime: expected at least 1 nudge"));
    }
    if per_day == 0 || per_day > per_week {
        return Err(at(file.per_day.span(), "per_day: expected at least 1, and no more than per_week"));
    }
    if per_week == 0 || per_week > lifetime {
        return Err(at(file.per_week.span(), "per_week: expected at least 1, and no more than lifetime"));
    }
    Ok(Exposures {
        grace_days: file.grace_days,
        gaps_days: file.gaps_days.get_ref().clone(),
        lifetime,
        per_week,
        per_day,
        rearm_after_days: file.rearm_after_days,
    })
}

#[cfg(test)]
mod tests {
    use rapport_core::{DeviceFacts, ReadingTarget, Reported, Software, readability};

    use super::*;

    #[test]
    fn every_shipped_campaign_is_sound_and_plain() {
        for (name, text) in DEFAULT_CAMPAIGNS {
            let campaign = parse_campaign(text).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(campaign.name, name);
            let target = ReadingTarget::for_audience(Audience::EndUser);
            let thanks = readability(&campaign.thanks);
            assert!(target.misses(&thanks).is_empty(), "{name}: {:?}", target.misses(&thanks));
            let mut openings = std::collections::HashSet::new();
            for nudge in &campaign.nudges {
                let words = format!("{}\n\n{}", nudge.body, nudge.ask);
                let scores = readability(&words);
                assert!(
                    target.misses(&scores).is_empty(),
                    "{name}: {:?} {:?}",
                    target.misses(&scores),
                    nudge.body
                );
                assert!(
                    openings.insert(nudge.subject.clone()),
                    "{name}: two nudges open alike: {}",
                    nudge.subject
                );
            }
        }
    }

    #[test]
    fn the_shipped_restart_campaign_finds_a_laptop_up_for_weeks_and_lets_go_after_a_restart() {
        let campaign = parse_campaign(DEFAULT_CAMPAIGNS[0].1).unwrap();
        let day = 86_400;
        let facts =
            DeviceFacts { last_reboot: Some(0), platform: Some("darwin".into()), ..DeviceFacts::default() };
        assert!(
            campaign.shows_gap(&Reported::facts(&facts, Some(20 * day)))
                && !campaign.shows_habit(&Reported::facts(&facts, Some(20 * day)))
        );
        let restarted = DeviceFacts { last_reboot: Some(19 * day), ..facts };
        assert!(
            !campaign.shows_gap(&Reported::facts(&restarted, Some(20 * day)))
                && campaign.shows_habit(&Reported::facts(&restarted, Some(20 * day)))
        );
    }

    #[test]
    fn the_shipped_update_campaign_finds_a_mac_below_the_floor_and_lets_go_once_it_is_updated() {
        let (_, text) = DEFAULT_CAMPAIGNS.iter().find(|(name, _)| *name == "os-updates").unwrap();
        let campaign = parse_campaign(text).unwrap();
        let mac = |version: &str| DeviceFacts {
            platform: Some("darwin".into()),
            os_version: Some(version.into()),
            ..DeviceFacts::default()
        };
        assert!(
            campaign.shows_gap(&Reported::facts(&mac("macOS 15.2"), None))
                && !campaign.shows_habit(&Reported::facts(&mac("macOS 15.2"), None))
        );
        assert!(
            !campaign.shows_gap(&Reported::facts(&mac("macOS 15.7.2"), None))
                && campaign.shows_habit(&Reported::facts(&mac("macOS 15.7.2"), None))
        );
        let windows = DeviceFacts { platform: Some("windows".into()), ..mac("10.0.22631") };
        assert!(
            !campaign.shows_gap(&Reported::facts(&windows, None))
                && !campaign.shows_habit(&Reported::facts(&windows, None))
        );

        let unplaced = refused(&text.replacen("platform = [\"macos\"]\n", "", 1));
        assert!(unplaced.contains("os_version: name the platform it is for"), "{unplaced}");
        let worded = refused(&text.replacen("below = \"15.7\"", "below = \"Sequoia\"", 1));
        assert!(worded.contains("expected a version of dotted numbers"), "{worded}");
    }

    #[test]
    fn a_personal_series_is_never_checked_against_devices() {
        let (_, text) = DEFAULT_CAMPAIGNS.iter().find(|(name, _)| *name == "home-tech").unwrap();
        let series = parse_campaign(text).unwrap();
        assert!(series.personal && series.gap.is_empty() && series.habit.is_empty());
        let any = DeviceFacts { disk_encrypted: Some(false), last_reboot: Some(0), ..DeviceFacts::default() };
        assert!(
            !series.shows_gap(&Reported::facts(&any, Some(90 * 86_400)))
                && !series.shows_habit(&Reported::facts(&any, None))
        );
        let checked =
            refused(&text.replacen("[exposures]", "[[gap]]\ndisk_encrypted = false\n\n[exposures]", 1));
        assert!(checked.contains("never checked against them; remove [[gap]] and [[habit]]"), "{checked}");
        let shipped = DEFAULT_CAMPAIGNS[0].1;
        let no_gap = refused(&shipped.replacen("[[gap]]\ndays_since_restart = { at_least = 7 }\n", "", 1));
        assert!(no_gap.contains("expected [[gap]]"), "{no_gap}");
    }

    fn shipped(name: &str) -> &'static str {
        DEFAULT_CAMPAIGNS.iter().find(|(shipped, _)| *shipped == name).map(|(_, text)| *text).unwrap()
    }

    #[test]
    fn the_shipped_software_campaigns_read_the_package_list() {
        let browsers = parse_campaign(shipped("browser-updates")).unwrap();
        let managers = parse_campaign(shipped("password-manager")).unwrap();
        let facts = DeviceFacts::default();
        let package = |name: &str, version: &str| Software {
            name: name.into(),
            version: version.into(),
            source: "apps".into(),
        };
        fn listing<'a>(facts: &'a DeviceFacts, software: &'a [Software]) -> Reported<'a> {
            Reported { facts, software: Some(software), last_seen: None, user: None }
        }
        let old = [package("Google Chrome.app", "141.0.7390.123")];
        let new = [package("google-chrome-stable", "143.0.7499.40-1"), package("Bitwarden", "2025.11.1")];
        assert!(browsers.shows_gap(&listing(&facts, &old)) && !browsers.shows_habit(&listing(&facts, &old)));
        assert!(!browsers.shows_gap(&listing(&facts, &new)) && browsers.shows_habit(&listing(&facts, &new)));
        assert!(managers.shows_gap(&listing(&facts, &old)) && !managers.shows_habit(&listing(&facts, &old)));
        assert!(!managers.shows_gap(&listing(&facts, &new)) && managers.shows_habit(&listing(&facts, &new)));
        assert!(!managers.shows_gap(&Reported::facts(&facts, None)), "no package list, no gap");
        assert!(browsers.software_names().any(|name| name == "microsoft-edge-stable"));

        let text = shipped("password-manager");
        let versions =
            refused(&text.replacen("installed = false }", "installed = false, below = \"2\" }", 1));
        assert!(versions.contains("installed = false has no versions to compare"), "{versions}");
        let nothing = refused(&text.replacen(", installed = false }", " }", 1));
        assert!(nothing.contains("expected installed = true or false, or a version"), "{nothing}");
        let named = refused(&text.replacen("names = [\"1Password\", ", "names = [\"\", ", 1));
        assert!(named.contains("software: expected names"), "{named}");
        let text = shipped("browser-updates");
        let word = refused(&text.replacen("below = \"143\"", "below = \"latest\"", 1));
        assert!(word.contains("a version starting with a number, like \"143\", got \"latest\""), "{word}");
        let both = refused(&text.replacen("at_least = \"143\"", "at_least = \"140\"", 1));
        assert!(both.contains("could show this gap and the habit at once"), "{both}");
    }

    fn refused(text: &str) -> String {
        parse_campaign(text).unwrap_err().to_string()
    }

    #[test]
    fn mistakes_are_refused_with_their_line() {
        let shipped = DEFAULT_CAMPAIGNS[0].1;
        let line_of = |needle: &str| shipped.lines().position(|line| line.contains(needle)).unwrap() + 1;

        let unknown =
            refused(&shipped.replacen("days_since_restart = { at_least", "uptime_days = { at_least", 1));
        assert!(unknown.contains("unknown field `uptime_days`"), "{unknown}");
        assert!(
            unknown.starts_with(&format!("at line {}", line_of("days_since_restart = { at_least"))),
            "{unknown}"
        );

        let platform = refused(&shipped.replacen("[[gap]]\n", "[[gap]]\nplatform = [\"beos\"]\n", 1));
        assert!(platform.contains("unknown variant `beos`"), "{platform}");

        let never = refused(&shipped.replacen("{ at_least = 7 }", "{ at_least = 7, below = 3 }", 1));
        assert!(never.contains("no device can have this many days"), "{never}");

        let both = refused(&shipped.replacen("{ below = 7 }", "{ below = 9 }", 1));
        assert!(both.contains("could show this gap and the habit at once"), "{both}");
        assert!(both.starts_with(&format!("at line {}", line_of("[[gap]]"))), "{both}");

        let cap = refused(&shipped.replacen("lifetime = 8", "lifetime = 12", 1));
        assert!(cap.contains("lifetime = 12 sends up to 12 nudges, but the end user has 8"), "{cap}");
        assert!(cap.starts_with(&format!("at line {}", line_of("lifetime = 8"))), "{cap}");

        let subject = refused(&shipped.replacen("subject = \"", "subject = \"Two\\nlines ", 1));
        assert!(subject.contains("subject: expected one line"), "{subject}");
    }
}
