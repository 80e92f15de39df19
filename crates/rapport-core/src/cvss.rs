//! CVSS vectors as tools report them, parsed and scored by `polycvss`.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Distinct vectors remembered per thread; scans repeat a few thousand vectors across
/// millions of findings, and parsing and scoring one is the dearest step of reading a record.
const REMEMBERED_VECTORS: usize = 8192;

thread_local! {
    static SCORED: RefCell<HashMap<String, Option<(CvssVersion, f64)>>> = RefCell::new(HashMap::new());
}

/// The version and base score of a normalised vector, or `None` when it does not parse.
fn score(vector: &str) -> Option<(CvssVersion, f64)> {
    SCORED.with_borrow_mut(|scored| {
        if let Some(known) = scored.get(vector) {
            return *known;
        }
        if scored.len() >= REMEMBERED_VECTORS {
            scored.clear();
        }
        let parsed = vector.parse::<polycvss::Vector>().ok();
        let computed =
            parsed.map(|v| (version_of(polycvss::Version::from(v)), f64::from(polycvss::Score::from(v))));
        scored.insert(vector.to_owned(), computed);
        computed
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V30,
    #[serde(rename = "3.1")]
    V31,
    #[serde(rename = "4.0")]
    V4,
}

/// One CVSS vector with the base score computed from it, and who published it
/// (`nvd`, `ghsa`, the tool's own data source...).
///
/// A vector that does not parse is kept as the tool wrote it, with `score` taken from the
/// tool when it gave one, so nothing the scanner said is lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    pub version: Option<CvssVersion>,
    pub vector: String,
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// False when the vector did not parse and the score is the tool's, not ours.
    pub computed: bool,
}

impl Cvss {
    /// Parses and scores `vector`. Accepts the spellings tools use: bare v2 vectors,
    /// `CVSS2#AV:N/...` (Nessus), `(AV:N/...)` (NVD 1.x feeds) and `CVSS:3.x/` / `CVSS:4.0/`.
    pub fn from_vector(vector: &str, tool_score: Option<f64>, source: Option<&str>) -> Cvss {
        let normalised = normalise(vector);
        let computed = score(normalised);
        Cvss {
            version: computed.map(|(version, _)| version),
            score: computed.map(|(_, score)| score).or(tool_score),
            computed: computed.is_some(),
            vector: normalised.to_owned(),
            source: source.map(str::to_owned),
        }
    }

    /// A score reported without a vector (some tools give only the number).
    pub fn score_only(version: Option<CvssVersion>, score: f64, source: Option<&str>) -> Cvss {
        Cvss {
            version,
            vector: String::new(),
            score: Some(score),
            source: source.map(str::to_owned),
            computed: false,
        }
    }
}

fn normalise(vector: &str) -> &str {
    let trimmed = vector.trim().trim_start_matches('(').trim_end_matches(')');
    trimmed.strip_prefix("CVSS2#").unwrap_or(trimmed)
}

fn version_of(version: polycvss::Version) -> CvssVersion {
    match version {
        polycvss::Version::V20 => CvssVersion::V2,
        polycvss::Version::V30 => CvssVersion::V30,
        polycvss::Version::V31 => CvssVersion::V31,
        polycvss::Version::V40 => CvssVersion::V4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vector: &str, version: Option<CvssVersion>, score: Option<f64>) {
        let cvss = Cvss::from_vector(vector, None, None);
        assert_eq!((cvss.version, cvss.score), (version, score), "{vector}");
    }

    #[test]
    fn scores_every_version() {
        check("AV:N/AC:M/Au:N/C:N/I:P/A:N", Some(CvssVersion::V2), Some(4.3));
        check("CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P", Some(CvssVersion::V2), Some(7.5));
        check("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", Some(CvssVersion::V31), Some(3.7));
        check("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Some(CvssVersion::V30), Some(9.8));
        check(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            Some(CvssVersion::V4),
            Some(10.0),
        );
    }

    #[test]
    fn keeps_a_broken_vector_with_the_tool_score() {
        let cvss = Cvss::from_vector("CVSS:3.1/AV:X", Some(5.0), Some("nvd"));
        assert_eq!(cvss.version, None);
        assert_eq!(cvss.score, Some(5.0));
        assert!(!cvss.computed);
        assert_eq!(cvss.vector, "CVSS:3.1/AV:X");
    }
}
