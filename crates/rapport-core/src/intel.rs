//! What the outside world knows about vulnerabilities, as feeds deliver it: CISA's catalogue
//! of exploited vulnerabilities (KEV), FIRST's daily exploit prediction scores (EPSS), and
//! records about one vulnerability each (NVD, CVE.org with CISA's vulnrichment, OSV, CSAF
//! advisories). These are the evidence decisions are made from.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::{Automatable, Cvss, Exploitation, VulnId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    Kev,
    Epss,
    Nvd,
    Cve5,
    Osv,
    Csaf,
}

impl Feed {
    pub const ALL: [Feed; 6] = [Feed::Kev, Feed::Epss, Feed::Nvd, Feed::Cve5, Feed::Osv, Feed::Csaf];

    pub fn as_str(self) -> &'static str {
        match self {
            Feed::Kev => "kev",
            Feed::Epss => "epss",
            Feed::Nvd => "nvd",
            Feed::Cve5 => "cve5",
            Feed::Osv => "osv",
            Feed::Csaf => "csaf",
        }
    }

    pub fn parse(word: &str) -> Option<Feed> {
        Feed::ALL.into_iter().find(|feed| feed.as_str() == word)
    }

    /// Catalogue feeds replace what was stored; record feeds add to it record by record.
    pub fn is_catalogue(self) -> bool {
        matches!(self, Feed::Kev | Feed::Epss)
    }
}

/// Which edition of a catalogue a file is: KEV's catalogue version and release date,
/// EPSS's model version and score date. A decision names the editions it used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    pub version: String,
    pub date: Date,
}

/// One entry of CISA's Known Exploited Vulnerabilities catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: VulnId,
    pub vendor: String,
    pub product: String,
    pub name: String,
    pub date_added: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// CISA's "Known" (used in ransomware campaigns) against "Unknown".
    pub ransomware: bool,
    pub description: String,
    pub required_action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// One row of FIRST's EPSS scores: the probability of exploitation in the next 30 days,
/// and where that ranks among all scored vulnerabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub cve: VulnId,
    pub probability: f64,
    pub percentile: f64,
}

/// A source's word on exploitation: CISA's vulnrichment (ADP) SSVC points, a CSAF
/// advisory's exploit status, NVD's copy of the KEV dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploitSignal {
    /// Who says so: "CISA ADP", "Red Hat (RHSA-2022:0011)".
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploitation: Option<Exploitation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatable: Option<Automatable>,
    /// SSVC technical impact ("partial" or "total") where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
}

/// A package version range an advisory says is affected (OSV `affected`, CSAF product
/// status), kept for planning the fix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// OSV range events in order ("introduced 0", "fixed 1.2.3"), or the product's words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
}

/// What to do about it, as a vendor's advisory says (CSAF remediations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// CSAF category: vendor_fix, workaround, mitigation, no_fix_planned, none_available.
    pub category: String,
    pub details: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

/// What one source says of one vulnerability: NVD, a CVE record, an OSV record or one
/// vulnerability of a CSAF advisory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VulnRecord {
    pub id: VulnId,
    /// The feed and, where it matters, the publisher: "nvd", "cve.org", "osv", "csaf:Red Hat".
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub modified: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub published: Option<OffsetDateTime>,
    /// Rejected or withdrawn records are kept, marked, so a decision can say why it ignores
    /// them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<ExploitSignal>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<AffectedPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediations: Vec<Remediation>,
}

impl VulnRecord {
    pub fn new(id: VulnId, source: impl Into<String>) -> VulnRecord {
        VulnRecord {
            id,
            source: source.into(),
            aliases: Vec::new(),
            modified: None,
            published: None,
            withdrawn: false,
            title: None,
            description: None,
            cvss: Vec::new(),
            cwes: Vec::new(),
            references: Vec::new(),
            signals: Vec::new(),
            affected: Vec::new(),
            remediations: Vec::new(),
        }
    }

    /// Adds an alias unless it is the record's own id or already listed.
    pub fn add_alias(&mut self, alias: &str) {
        let alias = alias.trim();
        if alias.is_empty()
            || self.id.as_str().eq_ignore_ascii_case(alias)
            || self.aliases.iter().any(|known| known.as_str().eq_ignore_ascii_case(alias))
        {
            return;
        }
        self.aliases.push(VulnId::new(alias));
    }
}
