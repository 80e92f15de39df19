//! SSVC deployer decisions: four facts about a vulnerability on an asset (is it exploited,
//! how exposed is the asset, can the attack be automated, how much would it hurt) looked up
//! in a decision tree that the security team can read and edit. The tree is data
//! ([`TreeSpec`], written as a TOML file) so that a disagreement with a decision is a
//! disagreement with a line of a table, not with code.
//!
//! The points and their values are CERT/CC's (SSVC deployer tree: Exploitation 1.1.0,
//! System Exposure 1.0.1, Automatable 2.0.0, Human Impact 2.0.2); the outcomes use CISA's
//! words, which partners understand better than Defer/Scheduled/Out-of-cycle/Immediate.

use serde::{Deserialize, Serialize};

use crate::{Criticality, Exposure};

macro_rules! decision_point {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            pub fn parse(word: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|value| value.as_str() == word)
            }

            /// The words a tree file may use, for error messages.
            pub fn words() -> String {
                $name::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ")
            }

            #[allow(dead_code, reason = "outcomes are not an axis of the table")]
            fn index(self) -> usize {
                self as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

decision_point!(
    /// The state of exploitation of the vulnerability, anywhere.
    Exploitation {
        /// No evidence of exploitation and no public proof of concept.
        None = "none",
        /// A proof of concept is public, or exploitation is likely (EPSS).
        PublicPoc = "public_poc",
        /// Attackers are using it (CISA KEV, CISA's analysts, a vendor's advisory).
        Active = "active",
    }
);

decision_point!(
    /// How reachable the affected system is.
    SystemExposure {
        Small = "small",
        Controlled = "controlled",
        Open = "open",
    }
);

decision_point!(
    /// Whether an attacker can run the steps of an attack without a human (worm-able).
    Automatable {
        No = "no",
        Yes = "yes",
    }
);

decision_point!(
    /// How much harm exploitation would do to the organisation's mission and to people,
    /// taken from the criticality the asset's owners gave it.
    HumanImpact {
        Low = "low",
        Medium = "medium",
        High = "high",
        VeryHigh = "very_high",
    }
);

decision_point!(
    /// What to do, in CISA's words, from least to most urgent.
    Outcome {
        /// Routine patching is enough (SSVC deployer: Defer).
        Track = "track",
        /// Routine patching, and keep watching (Scheduled).
        TrackStar = "track*",
        /// Fix sooner than routine (Out-of-cycle).
        Attend = "attend",
        /// Fix now (Immediate).
        Act = "act",
    }
);

impl Outcome {
    /// The word a person reads: "Act", "Attend", "Track*", "Track".
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Track => "Track",
            Outcome::TrackStar => "Track*",
            Outcome::Attend => "Attend",
            Outcome::Act => "Act",
        }
    }
}

impl SystemExposure {
    /// The exposure an ownership rule gave the asset, in SSVC's terms.
    pub fn of(exposure: Exposure) -> SystemExposure {
        match exposure {
            Exposure::Internet => SystemExposure::Open,
            Exposure::Internal => SystemExposure::Controlled,
            Exposure::Isolated => SystemExposure::Small,
        }
    }
}

impl HumanImpact {
    /// The criticality an ownership rule gave the asset, in SSVC's terms.
    pub fn of(criticality: Criticality) -> HumanImpact {
        match criticality {
            Criticality::Low => HumanImpact::Low,
            Criticality::Medium => HumanImpact::Medium,
            Criticality::High => HumanImpact::High,
            Criticality::Critical => HumanImpact::VeryHigh,
        }
    }
}

/// The four values a decision looks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Points {
    pub exploitation: Exploitation,
    pub exposure: SystemExposure,
    pub automatable: Automatable,
    pub human_impact: HumanImpact,
}

const ROWS: usize = 3 * 3 * 2 * 4;

impl Points {
    fn index(self) -> usize {
        ((self.exploitation.index() * 3 + self.exposure.index()) * 2 + self.automatable.index()) * 4
            + self.human_impact.index()
    }

    /// Every combination, in the order CERT/CC lists them.
    pub fn all() -> impl Iterator<Item = Points> {
        Exploitation::ALL.iter().flat_map(|&exploitation| {
            SystemExposure::ALL.iter().flat_map(move |&exposure| {
                Automatable::ALL.iter().flat_map(move |&automatable| {
                    HumanImpact::ALL.iter().map(move |&human_impact| Points {
                        exploitation,
                        exposure,
                        automatable,
                        human_impact,
                    })
                })
            })
        })
    }
}

/// How evidence becomes decision points where the evidence is not already in SSVC's terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRules {
    /// An EPSS probability (of exploitation in the next 30 days) at or above this counts
    /// as "public_poc" when no source says more.
    #[serde(default = "default_epss_poc_probability")]
    pub epss_poc_probability: f64,
    /// Used when no ownership rule said how exposed the asset is.
    #[serde(default = "default_unknown_exposure")]
    pub unknown_exposure: SystemExposure,
    /// Used when no ownership rule said how critical the asset is.
    #[serde(default = "default_unknown_impact")]
    pub unknown_human_impact: HumanImpact,
}

fn default_epss_poc_probability() -> f64 {
    0.1
}

fn default_unknown_exposure() -> SystemExposure {
    SystemExposure::Controlled
}

fn default_unknown_impact() -> HumanImpact {
    HumanImpact::Medium
}

impl Default for EvidenceRules {
    fn default() -> EvidenceRules {
        EvidenceRules {
            epss_poc_probability: default_epss_poc_probability(),
            unknown_exposure: default_unknown_exposure(),
            unknown_human_impact: default_unknown_impact(),
        }
    }
}

/// A decision tree as its file writes it. Each row is
/// `[exploitation, exposure, automatable, human_impact, outcome]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub based_on: Option<String>,
    #[serde(default)]
    pub evidence: EvidenceRules,
    pub rows: Vec<[String; 5]>,
}

/// What is wrong with a tree file, by row (1-based) where there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", row.map(|row| format!("row {row}: ")).unwrap_or_default())]
pub struct TreeError {
    pub row: Option<usize>,
    pub message: String,
}

/// A checked tree: an outcome for every combination of points.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionTree {
    pub name: String,
    pub based_on: Option<String>,
    pub evidence: EvidenceRules,
    outcomes: [Outcome; ROWS],
}

impl DecisionTree {
    /// Checks that every combination has exactly one row and every word is known. All
    /// problems are reported at once.
    pub fn compile(spec: &TreeSpec) -> Result<DecisionTree, Vec<TreeError>> {
        let mut errors = Vec::new();
        let probability = spec.evidence.epss_poc_probability;
        if !(0.0..=1.0).contains(&probability) {
            errors.push(TreeError {
                row: None,
                message: format!("evidence.epss_poc_probability is {probability}; expected 0 to 1"),
            });
        }
        let mut seen: [Option<(usize, Outcome)>; ROWS] = [None; ROWS];
        for (index, row) in spec.rows.iter().enumerate() {
            let number = index + 1;
            let [exploitation, exposure, automatable, human_impact, outcome] = row;
            let mut read = |text: &str, what: &str, known: Option<()>, words: fn() -> String| {
                if known.is_none() {
                    errors.push(TreeError {
                        row: Some(number),
                        message: format!("{what} is {text:?}; expected one of {}", words()),
                    });
                }
            };
            let exploitation_value = Exploitation::parse(exploitation);
            read(exploitation, "exploitation", exploitation_value.map(drop), Exploitation::words);
            let exposure_value = SystemExposure::parse(exposure);
            read(exposure, "exposure", exposure_value.map(drop), SystemExposure::words);
            let automatable_value = Automatable::parse(automatable);
            read(automatable, "automatable", automatable_value.map(drop), Automatable::words);
            let impact_value = HumanImpact::parse(human_impact);
            read(human_impact, "human_impact", impact_value.map(drop), HumanImpact::words);
            let outcome_value = Outcome::parse(outcome);
            read(outcome, "outcome", outcome_value.map(drop), Outcome::words);
            let (Some(exploitation), Some(exposure), Some(automatable), Some(human_impact), Some(outcome)) =
                (exploitation_value, exposure_value, automatable_value, impact_value, outcome_value)
            else {
                continue;
            };
            let points = Points { exploitation, exposure, automatable, human_impact };
            match seen.get_mut(points.index()) {
                Some(Some((first, _))) => errors.push(TreeError {
                    row: Some(number),
                    message: format!("repeats the combination of row {first}"),
                }),
                Some(slot) => *slot = Some((number, outcome)),
                None => {}
            }
        }
        let missing: Vec<String> = Points::all()
            .filter(|points| seen.get(points.index()).is_some_and(Option::is_none))
            .map(describe)
            .collect();
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
            errors.push(TreeError {
                row: None,
                message: format!(
                    "{} of the {ROWS} combinations have no row, e.g. {}",
                    missing.len(),
                    shown.join("; ")
                ),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let outcomes = seen.map(|slot| slot.map_or(Outcome::Act, |(_, outcome)| outcome));
        Ok(DecisionTree {
            name: spec.name.clone(),
            based_on: spec.based_on.clone(),
            evidence: spec.evidence.clone(),
            outcomes,
        })
    }

    pub fn outcome(&self, points: Points) -> Outcome {
        self.outcomes.get(points.index()).copied().unwrap_or(Outcome::Act)
    }

    /// Places where a worse situation gets a milder outcome than a better one: legal, but
    /// usually a slip when editing, so `rapport tree check` shows them.
    pub fn inversions(&self) -> Vec<String> {
        let mut found = Vec::new();
        for points in Points::all() {
            let outcome = self.outcome(points);
            for worse in worse_by_one(points) {
                let worse_outcome = self.outcome(worse);
                if worse_outcome < outcome {
                    found.push(format!(
                        "{} gives {} but the worse {} gives {}",
                        describe(points),
                        outcome.label(),
                        describe(worse),
                        worse_outcome.label()
                    ));
                }
            }
        }
        found
    }
}

fn next<T: Copy + PartialEq>(all: &[T], value: T) -> Option<T> {
    all.iter().skip_while(|&&v| v != value).nth(1).copied()
}

fn worse_by_one(points: Points) -> Vec<Points> {
    let mut worse = Vec::new();
    if let Some(exploitation) = next(Exploitation::ALL, points.exploitation) {
        worse.push(Points { exploitation, ..points });
    }
    if let Some(exposure) = next(SystemExposure::ALL, points.exposure) {
        worse.push(Points { exposure, ..points });
    }
    if let Some(automatable) = next(Automatable::ALL, points.automatable) {
        worse.push(Points { automatable, ..points });
    }
    if let Some(human_impact) = next(HumanImpact::ALL, points.human_impact) {
        worse.push(Points { human_impact, ..points });
    }
    worse
}

fn describe(points: Points) -> String {
    format!(
        "exploitation {}, exposure {}, automatable {}, human_impact {}",
        points.exploitation, points.exposure, points.automatable, points.human_impact
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rows: Vec<[&str; 5]>) -> TreeSpec {
        TreeSpec {
            name: "test".into(),
            based_on: None,
            evidence: EvidenceRules::default(),
            rows: rows.into_iter().map(|row| row.map(str::to_owned)).collect(),
        }
    }

    fn full_rows(outcome: impl Fn(Points) -> &'static str) -> Vec<[&'static str; 5]> {
        Points::all()
            .map(|p| {
                [
                    p.exploitation.as_str(),
                    p.exposure.as_str(),
                    p.automatable.as_str(),
                    p.human_impact.as_str(),
                    outcome(p),
                ]
            })
            .collect()
    }

    #[test]
    fn every_combination_has_its_own_row() {
        let tree = DecisionTree::compile(&spec(full_rows(|p| {
            if p.exploitation == Exploitation::Active { "act" } else { "track" }
        })))
        .map_err(|errors| format!("{errors:?}"));
        let tree = tree.as_ref();
        let points = Points {
            exploitation: Exploitation::Active,
            exposure: SystemExposure::Small,
            automatable: Automatable::No,
            human_impact: HumanImpact::Low,
        };
        assert_eq!(tree.map(|t| t.outcome(points)).ok(), Some(Outcome::Act));
        let calm = Points { exploitation: Exploitation::None, ..points };
        assert_eq!(tree.map(|t| t.outcome(calm)).ok(), Some(Outcome::Track));
        assert_eq!(Points::all().count(), ROWS);
    }

    #[test]
    fn errors_name_the_row_and_the_words_expected() {
        let mut rows = full_rows(|_| "track");
        rows.truncate(70);
        rows.push(["none", "small", "no", "low", "track"]);
        rows.push(["exploited", "small", "no", "low", "urgent"]);
        let errors = DecisionTree::compile(&spec(rows)).err().unwrap_or_default();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "row 71: repeats the combination of row 1",
                "row 72: exploitation is \"exploited\"; expected one of none, public_poc, active",
                "row 72: outcome is \"urgent\"; expected one of track, track*, attend, act",
                "2 of the 72 combinations have no row, e.g. exploitation active, exposure open, \
                 automatable yes, human_impact high; exploitation active, exposure open, automatable yes, \
                 human_impact very_high",
            ]
        );
    }

    #[test]
    fn inversions_are_found() {
        let tree = DecisionTree::compile(&spec(full_rows(|p| {
            if p.exposure == SystemExposure::Open && p.exploitation == Exploitation::Active {
                "track"
            } else if p.exploitation == Exploitation::Active {
                "act"
            } else {
                "track"
            }
        })));
        let inversions = tree.map(|t| t.inversions()).unwrap_or_default();
        assert_eq!(inversions.len(), 8);
        assert!(inversions.iter().all(|line| line.contains("exposure controlled")), "{inversions:?}");
    }
}
