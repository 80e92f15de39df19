//! Deciding one finding's priority from evidence a partner can check, and saying why in one
//! plain sentence. The evidence is gathered elsewhere (which KEV entry, which EPSS score on
//! which day, which ownership rule); here it becomes the four SSVC points, the tree gives the
//! outcome, and the words are written. CVSS is never an input to urgency: it only tells
//! whether an attack could be automated when no analyst has said.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::{
    Automatable, Criticality, Cvss, CvssVersion, DecisionTree, ExploitSignal, Exploitation, Exposure,
    HumanImpact, Outcome, Points, SystemExposure, TargetKind, VulnId,
};

/// A value an ownership rule decided, with the rule's label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ruled<T> {
    pub value: T,
    pub rule: String,
}

/// What is known of the asset a finding is on. The asset's name is not part of it: every
/// finding of one vulnerability on equally exposed and critical assets shares one stored
/// decision, and the finding says which asset it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssetEvidence {
    pub kind: TargetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Ruled<Exposure>>,
    /// What the owning team answered when asked whether the asset is reachable from the
    /// internet; used where no rule decides its exposure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_said: Option<Said<Exposure>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Ruled<Criticality>>,
}

/// A person's answer about an asset, with who gave it and when.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Said<T> {
    pub value: T,
    /// The person, as people know them (`Priya Nair`).
    pub by: String,
    pub on: Date,
}

impl AssetEvidence {
    /// The exposure that counts: a rule's, else the team's answer.
    fn known_exposure(&self) -> Option<Exposure> {
        self.exposure.as_ref().map(|ruled| ruled.value).or(self.exposure_said.as_ref().map(|said| said.value))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEvidence {
    pub cve: VulnId,
    pub catalog_version: String,
    pub date_added: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    pub ransomware: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpssEvidence {
    pub cve: VulnId,
    pub probability: f64,
    pub percentile: f64,
    pub score_date: Date,
    pub model_version: String,
}

/// What the world knows of one vulnerability, through all its aliases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VulnEvidence {
    /// The id people know the vulnerability by.
    pub vulnerability: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssEvidence>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<ExploitSignal>,
    /// Every CVSS score known, the scanner's and the feeds', each with its source. Not
    /// stored with a decision: the finding's advisory and the feed records keep them, and
    /// the decision keeps the vector it used (in `because.automatable`).
    #[serde(skip)]
    pub cvss: Vec<Cvss>,
}

/// Everything a decision was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(flatten)]
    pub vulnerability: VulnEvidence,
    pub asset: AssetEvidence,
    /// Who said the finding does not apply, and why (VEX or the scanner's suppression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_affected: Option<String>,
}

/// The evidence of one finding, borrowed: the vulnerability's is shared by every finding of
/// it, the asset's by every finding on the asset.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub vulnerability: &'a VulnEvidence,
    pub asset: &'a AssetEvidence,
    pub not_affected: Option<&'a str>,
}

impl Evidence {
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            vulnerability: &self.vulnerability,
            asset: &self.asset,
            not_affected: self.not_affected.as_deref(),
        }
    }
}

/// A decision before it is put in words: cheap to make for every finding, so that only the
/// decisions that changed are written out.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'a> {
    pub outcome: Outcome,
    pub points: Points,
    source: ExploitationSource<'a>,
    inputs: Inputs<'a>,
}

/// Why each point has its value, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Because {
    pub exploitation: String,
    pub exposure: String,
    pub automatable: String,
    pub human_impact: String,
}

/// The tree version a decision came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeVersion {
    pub name: String,
    pub version: i64,
}

/// A decision: the outcome, the points and why each, one sentence for people, and the
/// evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub outcome: Outcome,
    pub points: Points,
    pub because: Because,
    pub reason: String,
    pub tree: TreeVersion,
    pub evidence: Evidence,
}

/// Where the exploitation point came from; part of what makes a decision "the same".
#[derive(Clone, Copy, Debug, PartialEq)]
enum ExploitationSource<'a> {
    Kev(&'a KevEvidence),
    Signal(&'a ExploitSignal),
    Epss(&'a EpssEvidence),
    Nothing,
}

/// Decides a finding from its evidence with the given tree.
pub fn decide<'a>(tree: &DecisionTree, inputs: Inputs<'a>) -> Decision<'a> {
    let (exploitation, source) = exploitation(tree, inputs.vulnerability);
    let points = Points {
        exploitation,
        exposure: exposure(tree, inputs.asset).0,
        automatable: automatable(inputs.vulnerability).0,
        human_impact: human_impact(tree, inputs.asset).0,
    };
    let outcome = if inputs.not_affected.is_some() { Outcome::Track } else { tree.outcome(points) };
    Decision { outcome, points, source, inputs }
}

/// Decides and puts the decision in words, with a copy of the evidence.
pub fn assess(tree: &DecisionTree, version: &TreeVersion, evidence: &Evidence) -> Assessment {
    decide(tree, evidence.inputs()).assessment(tree, version)
}

impl Decision<'_> {
    /// What makes two decisions the same for the people who act on them (see
    /// [`Assessment::basis`]).
    pub fn basis(&self, version: &TreeVersion) -> i64 {
        basis(self.outcome, self.points, self.source, self.inputs, version)
    }

    pub fn assessment(&self, tree: &DecisionTree, version: &TreeVersion) -> Assessment {
        let inputs = self.inputs;
        let because = Because {
            exploitation: exploitation_because(self.source, tree),
            exposure: exposure(tree, inputs.asset).1,
            automatable: automatable(inputs.vulnerability).1,
            human_impact: human_impact(tree, inputs.asset).1,
        };
        Assessment {
            outcome: self.outcome,
            points: self.points,
            because,
            reason: reason(self.outcome, self.points, self.source, inputs),
            tree: version.clone(),
            evidence: Evidence {
                vulnerability: inputs.vulnerability.clone(),
                asset: inputs.asset.clone(),
                not_affected: inputs.not_affected.map(str::to_owned),
            },
        }
    }
}

impl Assessment {
    /// What the feeds said when it was decided, one line each: CISA KEV, EPSS, then every
    /// other signal.
    pub fn evidence_lines(&self) -> Vec<String> {
        let evidence = &self.evidence.vulnerability;
        let mut lines = vec![match &evidence.kev {
            Some(kev) => format!(
                "CISA KEV: {} added {}{}{}, catalogue {}",
                kev.cve.0,
                kev.date_added,
                kev.due_date.map(|d| format!(", due {d}")).unwrap_or_default(),
                if kev.ransomware { ", used in ransomware campaigns" } else { "" },
                kev.catalog_version
            ),
            None => "CISA KEV: not listed".to_owned(),
        }];
        lines.push(match &evidence.epss {
            Some(epss) => format!(
                "EPSS: {} {:.5} (percentile {:.5}) on {}, model {}",
                epss.cve.0, epss.probability, epss.percentile, epss.score_date, epss.model_version
            ),
            None => "EPSS: no score".to_owned(),
        });
        for signal in &evidence.signals {
            lines.push(format!(
                "{}{}: exploitation {}, automatable {}{}",
                signal.source,
                signal.as_of.map(|d| format!(" ({d})")).unwrap_or_default(),
                signal.exploitation.map_or("not said", |e| e.as_str()),
                signal.automatable.map_or("not said", |a| a.as_str()),
                signal
                    .technical_impact
                    .as_deref()
                    .map(|t| format!(", technical impact {t}"))
                    .unwrap_or_default()
            ));
        }
        lines
    }

    /// What makes two decisions the same for the people who act on them: the outcome, the
    /// points, the evidence for exploitation (which KEV entry, which analyst, or EPSS), the
    /// rules behind the asset's facts, a VEX verdict and the tree. A new EPSS score that
    /// moves no point is not a change.
    pub fn basis(&self) -> i64 {
        let evidence = &self.evidence;
        basis(self.outcome, self.points, exploitation_source(self), evidence.inputs(), &self.tree)
    }
}

fn basis(
    outcome: Outcome,
    points: Points,
    source: ExploitationSource<'_>,
    inputs: Inputs<'_>,
    version: &TreeVersion,
) -> i64 {
    let mut hash = Sha256::new();
    let mut part = |text: &str| {
        hash.update(text.as_bytes());
        hash.update([0]);
    };
    part(outcome.as_str());
    for point in [
        points.exploitation.as_str(),
        points.exposure.as_str(),
        points.automatable.as_str(),
        points.human_impact.as_str(),
    ] {
        part(point);
    }
    match source {
        ExploitationSource::Kev(kev) => part(&format!("kev {} {}", kev.cve, kev.date_added)),
        ExploitationSource::Signal(signal) => part(&format!("signal {}", signal.source)),
        ExploitationSource::Epss(_) => part("epss"),
        ExploitationSource::Nothing => part(""),
    }
    let asset = inputs.asset;
    // A team's answer counts only where no rule decides; its words join the basis only then,
    // so that bases recorded before answers existed stay as they were.
    match (&asset.exposure, &asset.exposure_said) {
        (None, Some(said)) => part(&format!("said {} {} {}", said.value.as_str(), said.by, said.on)),
        (ruled, _) => part(ruled.as_ref().map_or("", |ruled| ruled.rule.as_str())),
    }
    part(asset.criticality.as_ref().map_or("", |ruled| ruled.rule.as_str()));
    part(inputs.not_affected.unwrap_or(""));
    part(&version.name);
    part(&version.version.to_string());
    let digest = hash.finalize();
    let mut bytes = [0; 8];
    bytes.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    i64::from_le_bytes(bytes)
}

/// Says what moved between two decisions of the same finding, for the owners: "Track →
/// Act: exploitation none → active (listed by CISA as exploited since 2026-01-28)".
pub fn explain_change(old: &Assessment, new: &Assessment) -> String {
    let mut parts = Vec::new();
    let (a, b) = (&old.points, &new.points);
    if a.exploitation != b.exploitation || !same_source(exploitation_source(old), exploitation_source(new)) {
        parts.push(format!(
            "exploitation {} → {} ({})",
            a.exploitation, b.exploitation, new.because.exploitation
        ));
    }
    if a.exposure != b.exposure || old.because.exposure != new.because.exposure {
        parts.push(format!("exposure {} → {} ({})", a.exposure, b.exposure, new.because.exposure));
    }
    if a.automatable != b.automatable {
        parts
            .push(format!("automatable {} → {} ({})", a.automatable, b.automatable, new.because.automatable));
    }
    if a.human_impact != b.human_impact || old.because.human_impact != new.because.human_impact {
        parts.push(format!(
            "human impact {} → {} ({})",
            a.human_impact, b.human_impact, new.because.human_impact
        ));
    }
    match (&old.evidence.not_affected, &new.evidence.not_affected) {
        (None, Some(who)) => parts.push(format!("now not affected: {who}")),
        (Some(_), None) => parts.push("no longer marked not affected".to_owned()),
        _ => {}
    }
    if old.tree != new.tree {
        parts.push(format!(
            "decision tree {} v{} → {} v{}",
            old.tree.name, old.tree.version, new.tree.name, new.tree.version
        ));
    }
    let head = if old.outcome == new.outcome {
        format!("still {}", new.outcome.label())
    } else {
        format!("{} → {}", old.outcome.label(), new.outcome.label())
    };
    if parts.is_empty() { head } else { format!("{head}: {}", parts.join("; ")) }
}

fn exploitation_source(assessment: &Assessment) -> ExploitationSource<'_> {
    let evidence = &assessment.evidence.vulnerability;
    match assessment.points.exploitation {
        Exploitation::Active => evidence
            .kev
            .as_ref()
            .map(ExploitationSource::Kev)
            .or_else(|| strongest_signal(evidence, Exploitation::Active).map(ExploitationSource::Signal))
            .unwrap_or(ExploitationSource::Nothing),
        Exploitation::PublicPoc => strongest_signal(evidence, Exploitation::PublicPoc)
            .map(ExploitationSource::Signal)
            .or_else(|| evidence.epss.as_ref().map(ExploitationSource::Epss))
            .unwrap_or(ExploitationSource::Nothing),
        Exploitation::None => ExploitationSource::Nothing,
    }
}

fn same_source(a: ExploitationSource<'_>, b: ExploitationSource<'_>) -> bool {
    match (a, b) {
        (ExploitationSource::Kev(a), ExploitationSource::Kev(b)) => {
            a.cve == b.cve && a.date_added == b.date_added
        }
        (ExploitationSource::Signal(a), ExploitationSource::Signal(b)) => a.source == b.source,
        (ExploitationSource::Epss(_), ExploitationSource::Epss(_))
        | (ExploitationSource::Nothing, ExploitationSource::Nothing) => true,
        _ => false,
    }
}

/// The first source to say `level`: the same one whether deciding or reading a decision back.
fn strongest_signal(evidence: &VulnEvidence, level: Exploitation) -> Option<&ExploitSignal> {
    evidence.signals.iter().find(|signal| signal.exploitation == Some(level))
}

fn exploitation<'a>(
    tree: &DecisionTree,
    evidence: &'a VulnEvidence,
) -> (Exploitation, ExploitationSource<'a>) {
    if let Some(kev) = &evidence.kev {
        return (Exploitation::Active, ExploitationSource::Kev(kev));
    }
    for level in [Exploitation::Active, Exploitation::PublicPoc] {
        if let Some(signal) = strongest_signal(evidence, level) {
            return (level, ExploitationSource::Signal(signal));
        }
    }
    if let Some(epss) =
        evidence.epss.as_ref().filter(|epss| epss.probability >= tree.evidence.epss_poc_probability)
    {
        return (Exploitation::PublicPoc, ExploitationSource::Epss(epss));
    }
    (Exploitation::None, ExploitationSource::Nothing)
}

fn percent(value: f64) -> String {
    let percent = value * 100.0;
    if percent >= 10.0 {
        format!("{percent:.0}%")
    } else if percent >= 1.0 {
        format!("{percent:.1}%")
    } else {
        format!("{percent:.2}%")
    }
}

fn epss_words(epss: &EpssEvidence) -> String {
    format!(
        "EPSS {} on {}, higher than {} of all scored flaws",
        percent(epss.probability),
        epss.score_date,
        percent(epss.percentile)
    )
}

fn exploitation_because(source: ExploitationSource<'_>, tree: &DecisionTree) -> String {
    match source {
        ExploitationSource::Kev(kev) => format!(
            "{} is in CISA's Known Exploited Vulnerabilities catalogue since {} (catalogue {}{}){}",
            kev.cve,
            kev.date_added,
            kev.catalog_version,
            kev.due_date.map(|due| format!(", federal due date {due}")).unwrap_or_default(),
            if kev.ransomware { "; used in ransomware campaigns" } else { "" }
        ),
        ExploitationSource::Signal(signal) => format!(
            "{} says exploitation is {}{}",
            signal.source,
            signal.exploitation.map_or("unknown", Exploitation::as_str),
            signal.as_of.map(|date| format!(" ({date})")).unwrap_or_default()
        ),
        ExploitationSource::Epss(epss) => format!(
            "{}; the tree counts {} or more as a likely exploit",
            epss_words(epss),
            percent(tree.evidence.epss_poc_probability)
        ),
        ExploitationSource::Nothing => {
            "not in CISA's catalogue of exploited flaws and no source reports an exploit".to_owned()
        }
    }
}

fn exposure(tree: &DecisionTree, asset: &AssetEvidence) -> (SystemExposure, String) {
    match (&asset.exposure, &asset.exposure_said) {
        (Some(ruled), _) => {
            (SystemExposure::of(ruled.value), format!("{} by ownership {}", ruled.value.as_str(), ruled.rule))
        }
        (None, Some(said)) => (
            SystemExposure::of(said.value),
            format!("{} as {} answered on {}", said.value.as_str(), said.by, said.on),
        ),
        (None, None) => (
            tree.evidence.unknown_exposure,
            format!("no ownership rule says; the tree assumes {}", tree.evidence.unknown_exposure),
        ),
    }
}

fn human_impact(tree: &DecisionTree, asset: &AssetEvidence) -> (HumanImpact, String) {
    match &asset.criticality {
        Some(ruled) => (
            HumanImpact::of(ruled.value),
            format!("criticality {} by ownership {}", ruled.value.as_str(), ruled.rule),
        ),
        None => (
            tree.evidence.unknown_human_impact,
            format!(
                "no ownership rule gives a criticality; the tree assumes {}",
                tree.evidence.unknown_human_impact
            ),
        ),
    }
}

fn automatable(evidence: &VulnEvidence) -> (Automatable, String) {
    if let Some((value, signal)) =
        evidence.signals.iter().find_map(|signal| Some((signal.automatable?, signal)))
    {
        return (value, format!("{} says {}", signal.source, value));
    }
    let vector = evidence
        .cvss
        .iter()
        .filter(|cvss| matches!(cvss.version, Some(CvssVersion::V30 | CvssVersion::V31 | CvssVersion::V4)))
        .max_by_key(|cvss| cvss.version);
    match vector {
        Some(cvss) => {
            let metrics: Vec<&str> = cvss.vector.split('/').collect();
            let has = |metric: &str| metrics.contains(&metric);
            let needs: Vec<&str> = [
                (!has("AV:N")).then_some("network access"),
                (!has("AC:L")).then_some("special conditions"),
                (has("AT:P")).then_some("special conditions"),
                (!has("PR:N")).then_some("privileges"),
                (!has("UI:N")).then_some("a user's help"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let source = cvss.source.as_deref().unwrap_or("the scanner");
            if needs.is_empty() {
                (
                    Automatable::Yes,
                    format!("{} ({source}): over the network, no privileges, no user", cvss.vector),
                )
            } else {
                (Automatable::No, format!("{} ({source}): an attack needs {}", cvss.vector, needs.join(", ")))
            }
        }
        None => {
            (Automatable::No, "no source says and there is no CVSS v3 or v4 vector; assumed no".to_owned())
        }
    }
}

fn kind_noun(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::ContainerImage => "image",
        TargetKind::Repository => "repository",
        TargetKind::Host => "host",
        TargetKind::KubernetesResource => "workload",
        TargetKind::Filesystem | TargetKind::Product | TargetKind::Other => "system",
    }
}

/// The clause a reason has while nobody has said whether the asset is reachable from the
/// internet: the security team's to-do.
fn open_question(kind: TargetKind) -> String {
    format!("nobody has said whether this {} is reachable from the internet", kind_noun(kind))
}

/// A reason as the owning team reads it: without the security team's open question about
/// reachability, which the team is asked instead, as a question it can answer.
pub fn without_open_question(reason: &str) -> String {
    let kinds = [
        TargetKind::ContainerImage,
        TargetKind::Repository,
        TargetKind::Host,
        TargetKind::KubernetesResource,
        TargetKind::Filesystem,
    ];
    kinds
        .into_iter()
        .fold(reason.to_owned(), |reason, kind| reason.replace(&format!(" and {}", open_question(kind)), ""))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The one sentence: what is known about exploitation, how exposed this asset is, what
/// makes it worse, and what that means.
fn reason(outcome: Outcome, points: Points, source: ExploitationSource<'_>, inputs: Inputs<'_>) -> String {
    let asset = inputs.asset;
    let evidence = inputs.vulnerability;
    if let Some(who) = inputs.not_affected {
        return format!(
            "{who}, so there is nothing to fix on this {} unless that changes.",
            kind_noun(asset.kind)
        );
    }
    let exploited = match source {
        ExploitationSource::Kev(kev) => format!(
            "attackers are using this flaw now (listed by CISA since {}{})",
            kev.date_added,
            if kev.ransomware { ", including in ransomware" } else { "" }
        ),
        ExploitationSource::Signal(signal) if points.exploitation == Exploitation::Active => {
            format!("attackers are using this flaw now (says {})", signal.source)
        }
        ExploitationSource::Signal(signal) => format!("a working exploit is public (says {})", signal.source),
        ExploitationSource::Epss(epss) => format!(
            "an attack in the next 30 days is likely (EPSS {} on {})",
            percent(epss.probability),
            epss.score_date
        ),
        ExploitationSource::Nothing => match &evidence.epss {
            Some(epss) => format!(
                "nobody is known to be exploiting this flaw (EPSS {} on {})",
                percent(epss.probability),
                epss.score_date
            ),
            None => "nobody is known to be exploiting this flaw".to_owned(),
        },
    };
    let where_ = format!("this {}", kind_noun(asset.kind));
    let reach = match asset.known_exposure() {
        Some(Exposure::Internet) => format!("{where_} is reachable from the internet"),
        Some(Exposure::Internal) => format!("{where_} is reachable only from inside the network"),
        Some(Exposure::Isolated) => format!("{where_} is isolated"),
        None => open_question(asset.kind),
    };
    let reach = match (&asset.exposure, &asset.exposure_said) {
        (None, Some(said)) => format!("{} says {reach}", said.by),
        _ => reach,
    };
    let mut extras = Vec::new();
    match (points.exploitation, points.automatable) {
        (Exploitation::None, _) => {}
        (_, Automatable::Yes) => extras.push("and the attack can be automated".to_owned()),
        (_, Automatable::No) => extras.push("but the attack cannot be automated".to_owned()),
    }
    if let Some(ruled) = asset.criticality.as_ref().filter(|ruled| ruled.value >= Criticality::High) {
        extras.push(format!("and its owners rate it {}", ruled.value.as_str()));
    }
    let worst_cvss = evidence
        .cvss
        .iter()
        .filter_map(|cvss| cvss.score)
        .fold(None, |worst: Option<f64>, score| Some(worst.map_or(score, |worst| worst.max(score))));
    let then = match outcome {
        Outcome::Act => "so fix it now".to_owned(),
        Outcome::Attend => "so fix it ahead of routine patching".to_owned(),
        Outcome::TrackStar => "so routine patching will do, but keep an eye on it".to_owned(),
        Outcome::Track => "so routine patching will do".to_owned(),
    };
    let cvss_note = match worst_cvss {
        Some(score)
            if score >= 9.0 && points.exploitation == Exploitation::None && outcome <= Outcome::TrackStar =>
        {
            format!(" (its CVSS score of {score:.1} says how bad an attack could be, not that one is coming)")
        }
        _ => String::new(),
    };
    let extras: String = extras.iter().map(|extra| format!(", {extra}")).collect();
    format!("{} and {reach}{extras}, {then}{cvss_note}.", capitalise(&exploited))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EvidenceRules, TreeSpec};
    use time::macros::date;

    /// A tree where only exploitation and exposure matter, enough to test the words.
    fn tree() -> DecisionTree {
        let rows = Points::all()
            .map(|p| {
                let outcome = match (p.exploitation, p.exposure) {
                    (Exploitation::Active, SystemExposure::Open) => "act",
                    (Exploitation::Active, _) => "attend",
                    (Exploitation::PublicPoc, _) => "track*",
                    _ => "track",
                };
                [
                    p.exploitation.as_str(),
                    p.exposure.as_str(),
                    p.automatable.as_str(),
                    p.human_impact.as_str(),
                    outcome,
                ]
                .map(str::to_owned)
            })
            .collect();
        let spec = TreeSpec { name: "test".into(), based_on: None, evidence: EvidenceRules::default(), rows };
        DecisionTree::compile(&spec).unwrap_or_else(|_| unreachable!())
    }

    fn version() -> TreeVersion {
        TreeVersion { name: "test".into(), version: 1 }
    }

    fn web_server() -> AssetEvidence {
        AssetEvidence {
            kind: TargetKind::Host,
            exposure: Some(Ruled { value: Exposure::Internet, rule: "rule 2 (dmz)".into() }),
            exposure_said: None,
            criticality: None,
        }
    }

    fn evidence() -> Evidence {
        Evidence {
            vulnerability: VulnEvidence {
                vulnerability: "CVE-2025-0001".into(),
                kev: None,
                epss: None,
                signals: Vec::new(),
                cvss: vec![Cvss::from_vector(
                    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    None,
                    Some("nvd"),
                )],
            },
            asset: web_server(),
            not_affected: None,
        }
    }

    fn with(change: impl FnOnce(&mut VulnEvidence)) -> Evidence {
        let mut evidence = evidence();
        change(&mut evidence.vulnerability);
        evidence
    }

    fn kev() -> KevEvidence {
        KevEvidence {
            cve: VulnId::new("CVE-2025-0001"),
            catalog_version: "2025.03.02".into(),
            date_added: date!(2025 - 03 - 02),
            due_date: Some(date!(2025 - 03 - 23)),
            ransomware: false,
        }
    }

    #[test]
    fn an_exploited_flaw_on_an_internet_server_is_act() {
        let assessment = assess(&tree(), &version(), &with(|v| v.kev = Some(kev())));
        assert_eq!(assessment.outcome, Outcome::Act);
        assert_eq!(
            assessment.reason,
            "Attackers are using this flaw now (listed by CISA since 2025-03-02) and this host is reachable \
             from the internet, and the attack can be automated, so fix it now."
        );
        assert_eq!(assessment.points.automatable, Automatable::Yes);
        assert!(assessment.because.exploitation.contains("catalogue 2025.03.02"), "{:?}", assessment.because);
    }

    #[test]
    fn an_exploited_flaw_that_needs_a_person_says_so_and_never_blames_the_score() {
        let local = Cvss::from_vector("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", None, Some("nvd"));
        let evidence = Evidence {
            asset: AssetEvidence { exposure: None, ..web_server() },
            ..with(|v| {
                v.kev = Some(kev());
                v.cvss = vec![local];
            })
        };
        let assessment = assess(&tree(), &version(), &evidence);
        assert_eq!(assessment.points.automatable, Automatable::No);
        assert_eq!(
            assessment.reason,
            "Attackers are using this flaw now (listed by CISA since 2025-03-02) and nobody has said whether this \
             host is reachable from the internet, but the attack cannot be automated, so fix it ahead of routine \
             patching."
        );
        assert!(assessment.because.automatable.contains("an attack needs network access, a user's help"));
    }

    /// Issue 19, item 4: the owning team is asked, and its answer is evidence with who gave it.
    #[test]
    fn where_no_rule_says_the_team_answer_decides_reachability_and_is_named() {
        let unknown = Evidence {
            asset: AssetEvidence { exposure: None, ..web_server() },
            ..with(|v| v.kev = Some(kev()))
        };
        let asked = assess(&tree(), &version(), &unknown);
        assert!(
            asked.reason.contains(" and nobody has said whether this host is reachable"),
            "{}",
            asked.reason
        );
        assert_eq!(
            without_open_question(&asked.reason),
            "Attackers are using this flaw now (listed by CISA since 2025-03-02), and the attack can be \
             automated, so fix it ahead of routine patching."
        );
        let said = Said { value: Exposure::Internal, by: "Priya Nair".into(), on: date!(2026 - 12 - 02) };
        let answered = Evidence {
            asset: AssetEvidence { exposure: None, exposure_said: Some(said.clone()), ..web_server() },
            ..unknown.clone()
        };
        let assessment = assess(&tree(), &version(), &answered);
        assert!(
            assessment
                .reason
                .contains(" and Priya Nair says this host is reachable only from inside the network,"),
            "{}",
            assessment.reason
        );
        assert_eq!(without_open_question(&assessment.reason), assessment.reason);
        assert_eq!(assessment.because.exposure, "internal as Priya Nair answered on 2026-12-02");
        assert_ne!(assessment.basis(), asked.basis(), "an answer is new evidence");
        // A rule still decides where there is one; the answer does not join its basis.
        let ruled =
            Evidence { asset: AssetEvidence { exposure_said: Some(said), ..web_server() }, ..unknown };
        let with_rule = assess(&tree(), &version(), &ruled);
        assert_eq!(
            with_rule.basis(),
            assess(&tree(), &version(), &Evidence { asset: web_server(), ..ruled.clone() }).basis()
        );
        assert!(with_rule.because.exposure.contains("by ownership rule 2 (dmz)"));
    }

    #[test]
    fn a_high_cvss_score_alone_is_never_urgent() {
        let assessment = assess(&tree(), &version(), &evidence());
        assert_eq!(assessment.outcome, Outcome::Track);
        assert_eq!(
            assessment.reason,
            "Nobody is known to be exploiting this flaw and this host is reachable from the internet, so routine \
             patching will do (its CVSS score of 9.8 says how bad an attack could be, not that one is coming)."
        );
    }

    #[test]
    fn epss_above_the_threshold_counts_as_a_likely_exploit() {
        let epss = EpssEvidence {
            cve: VulnId::new("CVE-2025-0001"),
            probability: 0.4321,
            percentile: 0.987,
            score_date: date!(2026 - 01 - 30),
            model_version: "v2025.03.14".into(),
        };
        let likely = assess(&tree(), &version(), &with(|v| v.epss = Some(epss.clone())));
        assert_eq!(likely.points.exploitation, Exploitation::PublicPoc);
        assert!(
            likely.reason.starts_with("An attack in the next 30 days is likely (EPSS 43% on 2026-01-30)")
        );
        let unlikely = assess(
            &tree(),
            &version(),
            &with(|v| v.epss = Some(EpssEvidence { probability: 0.004, ..epss })),
        );
        assert_eq!(unlikely.points.exploitation, Exploitation::None);
        assert!(unlikely.reason.contains("(EPSS 0.40% on 2026-01-30)"), "{}", unlikely.reason);
    }

    #[test]
    fn a_change_names_its_cause_and_a_new_score_alone_is_not_one() {
        let before = assess(&tree(), &version(), &evidence());
        let after = assess(&tree(), &version(), &with(|v| v.kev = Some(kev())));
        assert_ne!(before.basis(), after.basis());
        assert_eq!(
            explain_change(&before, &after),
            "Track → Act: exploitation none → active (CVE-2025-0001 is in CISA's Known Exploited Vulnerabilities \
             catalogue since 2025-03-02 (catalogue 2025.03.02, federal due date 2025-03-23))"
        );
        let rescored = EpssEvidence {
            cve: VulnId::new("CVE-2025-0001"),
            probability: 0.01,
            percentile: 0.5,
            score_date: date!(2026 - 01 - 31),
            model_version: "v2025.03.14".into(),
        };
        let same = assess(&tree(), &version(), &with(|v| v.epss = Some(rescored)));
        assert_eq!(before.basis(), same.basis());
    }

    #[test]
    fn not_affected_is_track_and_says_who_said_so() {
        let assessment = assess(
            &tree(),
            &version(),
            &Evidence {
                not_affected: Some(
                    "Example Corp says it is not affected (vulnerable code not present)".into(),
                ),
                ..with(|v| v.kev = Some(kev()))
            },
        );
        assert_eq!(assessment.outcome, Outcome::Track);
        assert_eq!(
            assessment.reason,
            "Example Corp says it is not affected (vulnerable code not present), so there is nothing to fix on this \
             host unless that changes."
        );
    }
}
