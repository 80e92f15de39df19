//! Vulnerability identifiers (CVE, GHSA, OSV, vendor ids) and CWE numbers.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VulnIdKind {
    Cve,
    Ghsa,
    /// Ids from OSV databases (GO-, PYSEC-, RUSTSEC-, OSV-...).
    Osv,
    /// Anything else: a distribution advisory, a scanner plugin or rule id.
    Vendor,
}

/// One identifier of a vulnerability, as written by its source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VulnId(pub String);

impl VulnId {
    pub fn new(id: impl Into<String>) -> VulnId {
        VulnId(id.into().trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> VulnIdKind {
        let starts =
            |prefix: &str| self.0.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
        if starts("CVE-") {
            VulnIdKind::Cve
        } else if starts("GHSA-") {
            VulnIdKind::Ghsa
        } else if ["GO-", "PYSEC-", "RUSTSEC-", "OSV-", "GSD-", "MAL-", "UVI-"].into_iter().any(starts) {
            VulnIdKind::Osv
        } else {
            VulnIdKind::Vendor
        }
    }
}

impl std::fmt::Display for VulnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads "CWE-79", "79" or "cwe-079" as 79.
pub fn parse_cwe(text: &str) -> Option<u32> {
    let trimmed = text.trim();
    let digits = trimmed
        .get(..4)
        .filter(|prefix| prefix.eq_ignore_ascii_case("cwe-"))
        .and_then(|_| trimmed.get(4..))
        .unwrap_or(trimmed);
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(VulnId::new("CVE-2021-44228").kind(), VulnIdKind::Cve);
        assert_eq!(VulnId::new("GHSA-25mq-v84q-4j7r").kind(), VulnIdKind::Ghsa);
        assert_eq!(VulnId::new("GO-2022-0969").kind(), VulnIdKind::Osv);
        assert_eq!(VulnId::new("DSA-4808-1").kind(), VulnIdKind::Vendor);
    }

    #[test]
    fn cwes() {
        assert_eq!(parse_cwe("CWE-79"), Some(79));
        assert_eq!(parse_cwe("cwe-079"), Some(79));
        assert_eq!(parse_cwe("89"), Some(89));
        assert_eq!(parse_cwe("NVD-CWE-Other"), None);
    }
}
