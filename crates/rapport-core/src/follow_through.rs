//! Follow-through: an advisory (a new KEV entry, an OSV or CSAF record, a vendor's release)
//! turned into one thing to do, for only the people and teams it concerns. An advisory names
//! the vulnerabilities it is about (matched against open findings) and the software it is
//! about below a fixed version (matched against what inventory lists on each device).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{KevEntry, Software, VersionScheme, VulnId, VulnRecord};

/// What the security team says of follow-through: the vendor feeds to read, and the
/// categories whose drafts go without review.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowThroughSettings {
    /// Categories sent as soon as they are drafted; every other draft waits for review.
    pub automatic: Vec<String>,
    pub feeds: Vec<VendorFeed>,
}

impl FollowThroughSettings {
    pub fn is_automatic(&self, category: &str) -> bool {
        self.automatic.iter().any(|named| named.eq_ignore_ascii_case(category))
    }
}

/// A vendor's release feed (RSS, Atom or JSON Feed) and the software its releases are of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorFeed {
    pub url: String,
    /// The feed as people know it: "Chrome Releases".
    pub name: String,
    /// The software in people's words: "Google Chrome", "your browser".
    pub product: String,
    pub category: String,
    /// The names inventories give the software ("Google Chrome.app", "google-chrome-stable").
    pub software: Vec<String>,
    /// Only entries whose title holds one of these words (in any case) are releases that
    /// matter; none means every entry.
    pub only: Vec<String>,
}

/// One entry of a vendor's feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub link: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub published: Option<OffsetDateTime>,
}

/// Software an advisory says needs `fixed` or later, by the names inventories give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedSoftware {
    pub names: Vec<String>,
    /// Where inventory lists it (`deb_packages`), when the advisory is about one packaging
    /// of it; `None` for any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub fixed: String,
}

impl AffectedSoftware {
    /// Whether `installed` is this software below the fixed version.
    pub fn affects(&self, installed: &Software) -> bool {
        let named = self.names.iter().any(|name| name.eq_ignore_ascii_case(&installed.name));
        let packaged = self.source.as_deref().is_none_or(|source| source == installed.source);
        named
            && packaged
            && scheme_of(&installed.source).compare(&installed.version, &self.fixed) == Ordering::Less
    }
}

/// How a device's packages order their versions, by where inventory found them.
fn scheme_of(source: &str) -> VersionScheme {
    match source {
        "deb_packages" => VersionScheme::Debian,
        "rpm_packages" => VersionScheme::Rpm,
        "python_packages" => VersionScheme::Pep440,
        "npm_packages" => VersionScheme::Semver,
        _ => VersionScheme::Generic,
    }
}

/// News that may ask something of people: from a catalogue, a record or a vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// Unique across sources: `kev:CVE-…`, `osv:GHSA-…`, `feed:URL#entry`. One draft each.
    pub key: String,
    /// Who published it: "CISA KEV", "GitHub Advisory Database", "Chrome Releases".
    pub source: String,
    pub category: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The software in people's words, for a vendor's release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The version that fixes it, for a vendor's release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The fix a record names, in words: "log4j-core 2.16.0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<VulnId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub software: Vec<AffectedSoftware>,
}

/// The category of advisories from CISA's catalogue, and from vulnerability records.
pub const KEV_CATEGORY: &str = "kev";
pub const RECORD_CATEGORY: &str = "advisory";

impl Advisory {
    /// A vendor's release, when it is one that matters and names its version.
    pub fn of_release(feed: &VendorFeed, release: &Release) -> Option<Advisory> {
        let title = release.title.to_lowercase();
        let wanted =
            feed.only.is_empty() || feed.only.iter().any(|word| title.contains(&word.to_lowercase()));
        if !wanted {
            return None;
        }
        let version = release_version(&release.title).or_else(|| release_version(&release.summary))?;
        Some(Advisory {
            key: format!("feed:{}#{}", feed.url, release.id),
            source: feed.name.clone(),
            category: feed.category.clone(),
            title: release.title.clone(),
            summary: release.summary.clone(),
            link: release.link.clone(),
            product: Some(feed.product.clone()),
            version: Some(version.to_owned()),
            fix: None,
            vulnerabilities: Vec::new(),
            software: vec![AffectedSoftware {
                names: feed.software.clone(),
                source: None,
                fixed: version.to_owned(),
            }],
        })
    }

    /// A new entry of CISA's catalogue.
    pub fn of_kev(entry: &KevEntry) -> Advisory {
        Advisory {
            key: format!("kev:{}", entry.cve.as_str()),
            source: "CISA KEV".into(),
            category: KEV_CATEGORY.into(),
            title: entry.name.clone(),
            summary: entry.description.clone(),
            link: None,
            product: None,
            version: None,
            fix: None,
            vulnerabilities: vec![entry.cve.clone()],
            software: Vec::new(),
        }
    }

    /// An OSV or CSAF record: its ids, and the Debian and Ubuntu packages it gives a fixed
    /// version for (the packages devices report; language packages are found by scanners).
    pub fn of_record(record: &VulnRecord) -> Advisory {
        let mut vulnerabilities = vec![record.id.clone()];
        vulnerabilities.extend(record.aliases.iter().cloned());
        let software = record
            .affected
            .iter()
            .filter(|package| {
                package.ecosystem.as_deref().is_some_and(|ecosystem| {
                    let ecosystem = ecosystem.to_ascii_lowercase();
                    ecosystem.starts_with("debian") || ecosystem.starts_with("ubuntu")
                })
            })
            .filter_map(|package| {
                let fixed = package.fixed.first()?;
                Some(AffectedSoftware {
                    names: vec![package.name.clone()],
                    source: Some("deb_packages".into()),
                    fixed: fixed.clone(),
                })
            })
            .collect();
        let fix = record.affected.iter().find_map(|package| {
            let fixed = package.fixed.first()?;
            let name = package.name.rsplit([':', '/']).next().unwrap_or(&package.name);
            Some(format!("{name} {fixed}"))
        });
        Advisory {
            key: format!("{}:{}", record.source, record.id.as_str()),
            source: publisher(&record.source),
            category: RECORD_CATEGORY.into(),
            title: record.title.clone().unwrap_or_else(|| record.id.as_str().to_owned()),
            summary: record.description.clone().unwrap_or_default(),
            link: record.references.first().cloned(),
            product: None,
            version: None,
            fix,
            vulnerabilities,
            software,
        }
    }

    /// Whether the advisory asks something of the software installed.
    pub fn affects(&self, installed: &Software) -> bool {
        self.software.iter().any(|affected| affected.affects(installed))
    }

    /// Whether the advisory is about this vulnerability id, in any case.
    pub fn names(&self, vulnerability: &str) -> bool {
        self.vulnerabilities.iter().any(|id| id.as_str().eq_ignore_ascii_case(vulnerability))
    }
}

/// A record's source as people know it: "csaf:Red Hat" is Red Hat.
fn publisher(source: &str) -> String {
    match source {
        "osv" => "The OSV database".into(),
        "nvd" => "NVD".into(),
        "cve.org" => "CVE.org".into(),
        other => other.strip_prefix("csaf:").unwrap_or(other).to_owned(),
    }
}

/// The first version a release's text gives: dotted numbers such as `131.0.6778.108` or
/// `15.7.2`, not a date or a lone number.
pub fn release_version(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let starts_here = bytes.get(start).is_some_and(u8::is_ascii_digit)
            && (start == 0
                || bytes
                    .get(start - 1)
                    .is_some_and(|before| !before.is_ascii_alphanumeric() && *before != b'.'));
        if !starts_here {
            start += 1;
            continue;
        }
        let mut end = start;
        let mut dots = 0;
        while let Some(byte) = bytes.get(end) {
            let next_is_digit = bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
            if byte.is_ascii_digit() {
                end += 1;
            } else if *byte == b'.' && next_is_digit {
                dots += 1;
                end += 1;
            } else {
                break;
            }
        }
        if dots > 0 {
            return text.get(start..end);
        }
        start = end.max(start + 1);
    }
    None
}

/// A draft's words for one kind of reader; the security team may edit each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    pub subject: String,
    pub body: String,
    /// The one thing to do.
    pub ask: String,
}

/// A draft's words: for the people whose own devices it concerns, and for the teams whose
/// systems it concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftWording {
    pub end_user: Wording,
    pub team: Wording,
}

/// Where a draft stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftState {
    /// Waiting for the security team to read, edit and send it.
    Review,
    Sent,
    /// Set aside without a message.
    Dismissed,
}

impl DraftState {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Review => "review",
            DraftState::Sent => "sent",
            DraftState::Dismissed => "dismissed",
        }
    }

    pub fn parse(word: &str) -> Option<DraftState> {
        [DraftState::Review, DraftState::Sent, DraftState::Dismissed]
            .into_iter()
            .find(|state| state.as_str() == word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome() -> VendorFeed {
        VendorFeed {
            url: "https://vendor.example/feed.atom".into(),
            name: "Chrome Releases".into(),
            product: "Google Chrome".into(),
            category: "browser".into(),
            software: vec!["Google Chrome".into(), "Google Chrome.app".into()],
            only: vec!["Stable Channel Update for Desktop".into()],
        }
    }

    fn installed(name: &str, version: &str, source: &str) -> Software {
        Software { name: name.into(), version: version.into(), source: source.into() }
    }

    #[test]
    fn a_release_names_its_version_in_its_title_or_its_text() {
        assert_eq!(release_version("Firefox 133.0.3, released"), Some("133.0.3"));
        assert_eq!(
            release_version("The Stable channel has been updated to 131.0.6778.108/.109 for Windows"),
            Some("131.0.6778.108")
        );
        assert_eq!(release_version("Chrome 131 is out on 2026-12-01"), None);
        assert_eq!(release_version("v2.4.1 and more"), None);
        assert_eq!(release_version("macOS Sequoia 15.7"), Some("15.7"));
    }

    #[test]
    fn a_release_concerns_the_devices_running_an_older_version() {
        let release = Release {
            id: "tag:1".into(),
            title: "Stable Channel Update for Desktop".into(),
            summary: "The Stable channel has been updated to 131.0.6778.108 for Mac.".into(),
            ..Release::default()
        };
        let advisory = Advisory::of_release(&chrome(), &release).unwrap();
        assert_eq!(advisory.version.as_deref(), Some("131.0.6778.108"));
        assert!(advisory.affects(&installed("Google Chrome.app", "131.0.6778.86", "apps")));
        assert!(!advisory.affects(&installed("google chrome.app", "131.0.6778.108", "apps")));
        assert!(!advisory.affects(&installed("Google Chrome.app", "132.0.1", "apps")));
        assert!(!advisory.affects(&installed("Firefox.app", "1.0", "apps")));
        let beta = Release { title: "Beta Channel Update for Desktop".into(), ..release };
        assert_eq!(Advisory::of_release(&chrome(), &beta), None);
    }

    #[test]
    fn a_record_concerns_debian_packages_below_their_fix_and_its_ids() {
        let mut record = VulnRecord::new(VulnId::new("DSA-5000-1"), "osv");
        record.add_alias("CVE-2026-1000");
        record.affected.push(crate::AffectedPackage {
            ecosystem: Some("Debian:12".into()),
            name: "openssl".into(),
            fixed: vec!["3.0.15-1~deb12u1".into()],
            ..crate::AffectedPackage::default()
        });
        record.affected.push(crate::AffectedPackage {
            ecosystem: Some("npm".into()),
            name: "left-pad".into(),
            fixed: vec!["2.0.0".into()],
            ..crate::AffectedPackage::default()
        });
        let advisory = Advisory::of_record(&record);
        assert!(advisory.names("cve-2026-1000"));
        assert_eq!(advisory.source, "The OSV database");
        assert_eq!(advisory.fix.as_deref(), Some("openssl 3.0.15-1~deb12u1"));
        assert!(advisory.affects(&installed("openssl", "3.0.14-1~deb12u2", "deb_packages")));
        assert!(!advisory.affects(&installed("openssl", "3.0.15-1~deb12u1", "deb_packages")));
        assert!(!advisory.affects(&installed("openssl", "3.0.14", "homebrew_packages")));
        assert!(!advisory.affects(&installed("left-pad", "1.0.0", "npm_packages")));
    }
}
