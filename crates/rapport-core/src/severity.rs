//! The scanner's own severity, normalised onto one five-step scale.

use serde::{Deserialize, Serialize};

/// How serious the *tool* says a finding is. This is an input to the later risk decision,
/// never the decision itself: a high score alone does not make something urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Reads the words tools use ("HIGH", "Moderate", "error", "negligible", "4"...).
    /// Returns `None` for words that carry no severity, so the caller can fall back on CVSS.
    pub fn from_tool_word(word: &str) -> Option<Severity> {
        let severity = match word.trim().to_ascii_lowercase().as_str() {
            "critical" | "4" => Severity::Critical,
            "high" | "important" | "error" | "3" => Severity::High,
            "medium" | "moderate" | "warning" | "2" => Severity::Medium,
            "low" | "note" | "minor" | "1" => Severity::Low,
            "info" | "informational" | "none" | "negligible" | "0" => Severity::Info,
            _ => return None,
        };
        Some(severity)
    }

    /// The CVSS qualitative rating of a base score (the same bands for v2, v3 and v4 here,
    /// so that one scale serves every tool).
    pub fn from_cvss_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// A small stable number for storage and ordering.
    pub fn rank(self) -> i16 {
        self as i16
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        if word.eq_ignore_ascii_case("unknown") {
            return Ok(Severity::Unknown);
        }
        Severity::from_tool_word(word).ok_or_else(|| {
            format!("unknown severity {word:?}: expected critical, high, medium, low, info or unknown")
        })
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_words_map_onto_the_scale() {
        assert_eq!(Severity::from_tool_word("HIGH"), Some(Severity::High));
        assert_eq!(Severity::from_tool_word("Moderate"), Some(Severity::Medium));
        assert_eq!(Severity::from_tool_word("negligible"), Some(Severity::Info));
        assert_eq!(Severity::from_tool_word("unknown"), None);
    }

    #[test]
    fn cvss_bands() {
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(3.7), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Info);
    }
}
