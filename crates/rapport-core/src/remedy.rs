//! From findings to remediation actions: one action per fix. Forty findings that one upgrade
//! closes are one action; the same OS update on a team's hosts is one action listing them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    AffectedPackage, Component, FindingKind, Outcome, Points, Target, TargetKind, VersionScheme, VulnId,
    VulnIdKind, fixed_versions,
};

/// What kind of work an action is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemedyKind {
    /// Upgrade a dependency in one project, image or repository.
    Upgrade,
    /// Update an operating-system package or a product across the team's hosts and images.
    Update,
    /// Apply a vendor patch (a KB, a scanner's named fix) across the team's hosts.
    Patch,
    /// Fix one rule's results in one repository's own code.
    FixCode,
    /// Fix one misconfiguration wherever it is.
    Reconfigure,
    /// Revoke and replace exposed secrets in one place.
    RotateSecret,
    /// No fix is known: reduce the risk another way, or accept it.
    MitigateOrAccept,
    /// A product its vendor no longer supports ("... Unsupported Version Detection", "End of
    /// Life"): no patch will come, so it is upgraded to a supported version or retired. Never
    /// routine work, whatever its decision: it is a project, not a patch cycle.
    ReplaceUnsupported,
    /// Routine work (Track and Track* findings): the pending updates of a team's hosts, or
    /// of one project's dependencies, taken in one go as patch cycles do.
    RoutineUpdates,
}

impl RemedyKind {
    pub const ALL: [RemedyKind; 9] = [
        RemedyKind::Upgrade,
        RemedyKind::Update,
        RemedyKind::Patch,
        RemedyKind::FixCode,
        RemedyKind::Reconfigure,
        RemedyKind::RotateSecret,
        RemedyKind::MitigateOrAccept,
        RemedyKind::ReplaceUnsupported,
        RemedyKind::RoutineUpdates,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemedyKind::Upgrade => "upgrade",
            RemedyKind::Update => "update",
            RemedyKind::Patch => "patch",
            RemedyKind::FixCode => "fix_code",
            RemedyKind::Reconfigure => "reconfigure",
            RemedyKind::RotateSecret => "rotate_secret",
            RemedyKind::MitigateOrAccept => "mitigate_or_accept",
            RemedyKind::ReplaceUnsupported => "replace_unsupported",
            RemedyKind::RoutineUpdates => "routine_updates",
        }
    }

    pub fn parse(word: &str) -> Option<RemedyKind> {
        RemedyKind::ALL.into_iter().find(|kind| kind.as_str() == word)
    }
}

/// What makes two findings the same piece of work for one team.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemedyKey {
    pub kind: RemedyKind,
    /// The package, product, patch, rule or vulnerability the work is about.
    pub subject: String,
    /// The ecosystem of a package ("debian", "npm"), empty otherwise.
    pub ecosystem: String,
    /// Where, for work done per place; `None` for work done across the team's estate.
    pub place: Option<Target>,
}

impl RemedyKey {
    /// The stable identity of the action this key makes for `team`: the same work for the
    /// same team is the same action across plans, so its history, exceptions and closure
    /// follow it.
    pub fn action_key(&self, team: &str) -> [u8; 16] {
        let mut hash = Sha256::new();
        for part in [team, self.kind.as_str(), &self.subject, &self.ecosystem] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        if let Some(place) = &self.place {
            hash.update(place.kind.as_str().as_bytes());
            hash.update([0]);
            hash.update(place.name.as_bytes());
        }
        let digest = hash.finalize();
        let mut key = [0; 16];
        key.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        key
    }
}

/// What planning needs to know of one open finding.
#[derive(Clone, Copy, Debug)]
pub struct RemedyInput<'a> {
    pub target: &'a Target,
    pub kind: FindingKind,
    pub ids: &'a [VulnId],
    pub title: &'a str,
    pub solution: Option<&'a str>,
    pub component: Option<&'a Component>,
    /// Fixed versions the stored advisories (OSV, CSAF) give for this component, used when
    /// the scanner gave none.
    pub advisory_fixes: &'a [String],
}

/// The remedy for one finding: which action it belongs to and, for upgrades, the version
/// that fixes it where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remedy {
    pub key: RemedyKey,
    pub scheme: VersionScheme,
    pub installed: Option<String>,
    pub fix: Option<String>,
}

impl Remedy {
    /// The same remedy for a finding on another target of the same kind: a remedy depends
    /// on its target only through the target's kind and, for work done per place, as that
    /// place. Planning works out each distinct remedy once and moves it with this.
    pub fn at(&self, target: &Target) -> Remedy {
        let mut moved = self.clone();
        if moved.key.place.is_some() {
            moved.key.place = Some(target.clone());
        }
        moved
    }
}

/// Finds the remedy for one finding.
pub fn remedy_of(input: &RemedyInput<'_>) -> Remedy {
    let rule = input.ids.first().map_or(input.title, VulnId::as_str).to_owned();
    let per_place = |kind| RemedyKey {
        kind,
        subject: rule.clone(),
        ecosystem: String::new(),
        place: Some(input.target.clone()),
    };
    let plain = |key| Remedy { key, scheme: VersionScheme::Generic, installed: None, fix: None };
    match input.kind {
        FindingKind::Vulnerability => vulnerability_remedy(input, &rule),
        FindingKind::Misconfiguration => plain(RemedyKey {
            kind: RemedyKind::Reconfigure,
            subject: rule.clone(),
            ecosystem: String::new(),
            place: None,
        }),
        FindingKind::Secret => plain(per_place(RemedyKind::RotateSecret)),
        FindingKind::CodeIssue => plain(per_place(RemedyKind::FixCode)),
    }
}

/// Routine work is not a list of separate fixes: below Attend, updates and patches on a
/// team's hosts are one patch cycle, and a project's dependency upgrades one batch. Urgent
/// findings keep an action per fix, so they stand out.
pub fn routine(remedy: Remedy, outcome: Outcome) -> Remedy {
    if outcome >= Outcome::Attend {
        return remedy;
    }
    let place = match remedy.key.kind {
        RemedyKind::Update | RemedyKind::Patch => None,
        RemedyKind::Upgrade => remedy.key.place.clone(),
        _ => return remedy,
    };
    let subject = if place.is_some() { "dependencies" } else { "pending updates" };
    Remedy {
        key: RemedyKey {
            kind: RemedyKind::RoutineUpdates,
            subject: subject.into(),
            ecosystem: String::new(),
            place,
        },
        scheme: VersionScheme::Generic,
        installed: None,
        fix: None,
    }
}

fn vulnerability_remedy(input: &RemedyInput<'_>, primary: &str) -> Remedy {
    let fleet = |kind, subject: &str, ecosystem: &str| RemedyKey {
        kind,
        subject: subject.to_owned(),
        ecosystem: ecosystem.to_owned(),
        place: None,
    };
    if let Some(component) = input.component {
        let scheme = VersionScheme::of_package(component.purl.as_deref(), component.ecosystem.as_deref());
        let ecosystem = component.ecosystem.clone().unwrap_or_else(|| scheme.as_str().to_owned());
        let mut candidates = component.fixed_version.as_deref().map(fixed_versions).unwrap_or_default();
        if candidates.is_empty() {
            candidates = input.advisory_fixes.iter().map(String::as_str).collect();
        }
        let installed = component.installed_version.clone();
        let Some(fix) = scheme.fix_for(installed.as_deref(), &candidates) else {
            return Remedy {
                key: fleet(RemedyKind::MitigateOrAccept, &component.name, &ecosystem),
                scheme,
                installed,
                fix: None,
            };
        };
        // OS packages and software on hosts are updated the same way on every machine of
        // the team; a project's dependency is upgraded in that project.
        let os_level = matches!(scheme, VersionScheme::Debian | VersionScheme::Rpm)
            || input.target.kind == TargetKind::Host;
        let key = if os_level {
            fleet(RemedyKind::Update, &component.name, &ecosystem)
        } else {
            RemedyKey {
                kind: RemedyKind::Upgrade,
                subject: component.name.clone(),
                ecosystem,
                place: Some(input.target.clone()),
            }
        };
        return Remedy { key, scheme, installed, fix: Some(fix.to_owned()) };
    }
    if let Some(product) = unsupported_product(input.title) {
        return Remedy {
            key: fleet(RemedyKind::ReplaceUnsupported, product, "product"),
            scheme: VersionScheme::Generic,
            installed: None,
            fix: None,
        };
    }
    let words = [Some(input.title), input.solution];
    if let Some(kb) = words.iter().flatten().find_map(|text| microsoft_kb(text)) {
        return Remedy {
            key: fleet(RemedyKind::Patch, &kb, "windows"),
            scheme: VersionScheme::Generic,
            installed: None,
            fix: None,
        };
    }
    if let Some((product, fixed)) = product_below(input.title) {
        return Remedy {
            key: fleet(RemedyKind::Update, product, "product"),
            scheme: VersionScheme::Generic,
            installed: None,
            fix: Some(fixed.to_owned()),
        };
    }
    let kind = if input.solution.is_some() { RemedyKind::Patch } else { RemedyKind::MitigateOrAccept };
    Remedy { key: fleet(kind, primary, ""), scheme: VersionScheme::Generic, installed: None, fix: None }
}

/// The fixed versions advisories give for a component: the entries naming the same package
/// (by purl, or by name, where Maven's `group:artifact` and Go's paths end in the name).
pub fn advisory_fixes(component: &Component, affected: &[AffectedPackage]) -> Vec<String> {
    let base = |purl: &str| purl.split(['@', '?', '#']).next().unwrap_or(purl).to_ascii_lowercase();
    let name = component.name.to_ascii_lowercase();
    let same = |entry: &AffectedPackage| match (&component.purl, &entry.purl) {
        (Some(ours), Some(theirs)) => base(ours) == base(theirs),
        _ => {
            let theirs = entry.name.to_ascii_lowercase();
            theirs == name || theirs.ends_with(&format!(":{name}")) || theirs.ends_with(&format!("/{name}"))
        }
    };
    let mut fixes: Vec<String> =
        affected.iter().filter(|entry| same(entry)).flat_map(|entry| entry.fixed.clone()).collect();
    fixes.sort();
    fixes.dedup();
    fixes
}

/// The Microsoft knowledge-base article a host finding names ("KB5034441").
fn microsoft_kb(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    text.match_indices("KB").find_map(|(at, _)| {
        let digits = bytes.get(at + 2..)?.iter().take_while(|b| b.is_ascii_digit()).count();
        let before_is_word = at > 0 && bytes.get(at - 1).is_some_and(u8::is_ascii_alphanumeric);
        ((6..=8).contains(&digits) && !before_is_word)
            .then(|| text.get(at..at + 2 + digits).map(str::to_owned))?
    })
}

/// Host scanners name a product its vendor no longer supports "Microsoft SQL Server
/// Unsupported Version Detection" (Nessus), "Apache HTTP Server SEoL (2.1.x <= x <= 2.2.x)"
/// (Tenable) or "PHP End Of Life Detection" (OpenVAS): the product, without its version.
fn unsupported_product(title: &str) -> Option<&str> {
    const MARKERS: [&str; 5] = [" Unsupported", " End of Life", " End Of Life", " SEoL", " EOL "];
    let at = MARKERS.iter().filter_map(|marker| title.find(marker)).min()?;
    let product = strip_version_suffix(title.get(..at)?.trim());
    (!product.is_empty()).then_some(product)
}

/// Host scanners name version checks "Product < 1.2.3 ..." (Nessus, OpenVAS): the product
/// and the first fixed version.
fn product_below(title: &str) -> Option<(&str, &str)> {
    let (product, rest) = title.split_once(" < ")?;
    let fixed = rest.split_whitespace().next()?.trim_end_matches([',', ';', ':']);
    let product = strip_version_suffix(product.trim());
    (!product.is_empty() && fixed.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .then_some((product, fixed))
}

/// "Apache 2.4.x" and "OpenSSL 3.0.0" name the product and the range checked; the
/// product is the words before the first that starts with a digit.
fn strip_version_suffix(product: &str) -> &str {
    match product.split_whitespace().position(|word| word.starts_with(|c: char| c.is_ascii_digit())) {
        Some(0) | None => product,
        Some(index) => {
            let end = product.split_whitespace().take(index).map(str::len).sum::<usize>() + index - 1;
            product.get(..end).unwrap_or(product).trim()
        }
    }
}

/// How much risk fixing a finding of each outcome removes: an Act is worth four Attends;
/// the relative weights, not the numbers, matter for ordering.
pub fn risk_weight(outcome: Outcome) -> f64 {
    match outcome {
        Outcome::Act => 100.0,
        Outcome::Attend => 25.0,
        Outcome::TrackStar => 5.0,
        Outcome::Track => 1.0,
    }
}

/// One place an action's work is done, and what is done there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub target: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed: Option<String>,
    /// The smallest version that fixes every finding of the action here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub findings: u32,
}

/// One remediation action, as planned: what to do, where, what it fixes and why it matters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub team: String,
    pub kind: RemedyKind,
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ecosystem: String,
    /// What to do, in one line.
    pub what: String,
    /// The scanner's own instructions, when it gave some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub places: Vec<Place>,
    pub findings: u32,
    /// The vulnerabilities (or rules) it fixes, CVEs first (the first hundred).
    pub fixes: Vec<String>,
    /// How many more it fixes than are listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_fixes: u32,
    /// The highest decision of its findings.
    pub outcome: Outcome,
    /// Why, in the words of the most urgent finding's decision.
    pub reason: String,
    /// The stored decision that reason is from, for the evidence behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<i64>,
    /// The distinct decision points of its Act and Attend findings (or of its most urgent
    /// finding), against which the policy's emergency criteria are checked.
    pub points: Vec<Points>,
    /// Findings per outcome, most urgent first: `[act, attend, track*, track]`.
    pub by_outcome: [u32; 4],
    pub risk: f64,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// Fixes listed on an action; routine work can fix thousands.
const LISTED_FIXES: usize = 100;

/// Urgent decisions kept per action for the emergency criteria.
const KEPT_URGENT: usize = 32;

impl Action {
    /// Hosts (and other places) the action touches.
    pub fn place_count(&self) -> usize {
        self.places.len()
    }

    /// The package manager's command for an upgrade or update, to the highest version any
    /// place needs, where the ecosystem has one ([`crate::fix_command`]).
    pub fn command(&self) -> Option<String> {
        if !matches!(self.kind, RemedyKind::Upgrade | RemedyKind::Update) {
            return None;
        }
        let scheme = VersionScheme::of_package(None, Some(&self.ecosystem));
        let fix = self.places.iter().filter_map(|place| place.fix.as_deref()).reduce(|a, b| scheme.max(a, b));
        crate::fix_command(&self.ecosystem, &self.subject, fix)
    }
}

/// An action being gathered from its findings.
#[derive(Debug)]
pub struct ActionDraft {
    key: RemedyKey,
    scheme: VersionScheme,
    instructions: Option<String>,
    /// Hashed rather than ordered, as a million findings are added; ordered when finished.
    places: foldhash::HashMap<Target, Place>,
    /// Each id it fixes and its rank in the list (CVEs first).
    fixes: foldhash::HashMap<String, u8>,
    findings: u32,
    by_outcome: [u32; 4],
    top: Option<(Outcome, i64)>,
    /// The decisions of its Act and Attend findings (a few), for the emergency criteria.
    urgent: BTreeSet<i64>,
    risk: f64,
}

/// What one finding adds to its action.
#[derive(Clone, Copy, Debug)]
pub struct Contribution<'a> {
    pub target: &'a Target,
    pub ids: &'a [VulnId],
    pub solution: Option<&'a str>,
    pub remedy: &'a Remedy,
    pub outcome: Outcome,
    pub assessment: Option<i64>,
}

impl ActionDraft {
    pub fn new(remedy: &Remedy) -> ActionDraft {
        ActionDraft {
            key: remedy.key.clone(),
            scheme: remedy.scheme,
            instructions: None,
            places: foldhash::HashMap::default(),
            fixes: foldhash::HashMap::default(),
            findings: 0,
            by_outcome: [0; 4],
            top: None,
            urgent: BTreeSet::new(),
            risk: 0.0,
        }
    }

    pub fn key(&self) -> &RemedyKey {
        &self.key
    }

    pub fn add(&mut self, finding: Contribution<'_>) {
        self.findings += 1;
        let slot = 3 - finding.outcome as usize;
        if let Some(count) = self.by_outcome.get_mut(slot) {
            *count += 1;
        }
        self.risk += risk_weight(finding.outcome);
        // Every choice below is independent of the order findings arrive in, so the same
        // findings make the same action whatever order the database returns them.
        if let Some(assessment) = finding.assessment
            && self.top.is_none_or(|top| {
                (finding.outcome, std::cmp::Reverse(assessment)) > (top.0, std::cmp::Reverse(top.1))
            })
        {
            self.top = Some((finding.outcome, assessment));
        }
        if let Some(assessment) = finding.assessment
            && finding.outcome >= Outcome::Attend
        {
            self.urgent.insert(assessment);
            if self.urgent.len() > KEPT_URGENT {
                self.urgent.pop_last();
            }
        }
        if let Some(solution) = finding.solution
            && self.instructions.as_deref().is_none_or(|current| solution < current)
        {
            self.instructions = Some(solution.to_owned());
        }
        for (index, id) in finding.ids.iter().enumerate() {
            if self.fixes.contains_key(id.as_str()) {
                continue;
            }
            let cve = id.kind() == VulnIdKind::Cve;
            if index == 0 || cve {
                self.fixes.insert(id.as_str().to_owned(), if cve { 0 } else { 1 });
            }
        }
        let target = finding.target;
        let place = match self.places.get_mut(target) {
            Some(place) => place,
            None => self.places.entry(target.clone()).or_insert_with(|| Place {
                target: target.clone(),
                installed: finding.remedy.installed.clone(),
                fix: None,
                findings: 0,
            }),
        };
        place.findings += 1;
        if let Some(installed) = &finding.remedy.installed
            && place.installed.as_ref().is_some_and(|current| installed < current)
        {
            place.installed = Some(installed.clone());
        }
        if let Some(fix) = &finding.remedy.fix {
            place.fix = Some(match place.fix.take() {
                Some(current) => self.scheme.max(&current, fix).to_owned(),
                None => fix.clone(),
            });
        }
    }

    /// The stored decisions finishing needs: the most urgent finding's and the urgent ones'.
    pub fn decisions_needed(&self) -> impl Iterator<Item = i64> + '_ {
        self.top.map(|(_, id)| id).into_iter().chain(self.urgent.iter().copied())
    }

    /// Finishes the action; `decision` looks up the points and sentence of a stored decision.
    pub fn finish(self, team: &str, decision: impl Fn(i64) -> Option<(Points, String)>) -> Action {
        let outcome = self.top.map_or_else(|| self.highest_counted(), |(outcome, _)| outcome);
        let assessment = self.top.map(|(_, id)| id);
        let mut places: Vec<Place> = self.places.into_values().collect();
        places.sort_by(|a, b| a.target.cmp(&b.target));
        // The urgent findings' points decide emergencies; without any, the most urgent's.
        let mut points: Vec<Points> = Vec::new();
        for id in self.urgent.iter().copied().chain(assessment.filter(|_| self.urgent.is_empty())) {
            if let Some((found, _)) = decision(id)
                && !points.contains(&found)
            {
                points.push(found);
            }
        }
        let mut fixes: Vec<(u8, String)> = self.fixes.into_iter().map(|(id, rank)| (rank, id)).collect();
        let more_fixes = fixes.len().saturating_sub(LISTED_FIXES) as u32;
        // Routine work fixes thousands; only the listed ones need ordering.
        if more_fixes > 0 {
            fixes.select_nth_unstable(LISTED_FIXES);
            fixes.truncate(LISTED_FIXES);
        }
        fixes.sort_unstable();
        let fixes: Vec<String> = fixes.into_iter().map(|(_, id)| id).collect();
        let what = what_to_do(&self.key, self.scheme, &places, (&fixes, fixes.len() + more_fixes as usize));
        Action {
            team: team.to_owned(),
            kind: self.key.kind,
            subject: self.key.subject,
            ecosystem: self.key.ecosystem,
            what,
            instructions: self.instructions,
            places,
            findings: self.findings,
            fixes,
            more_fixes,
            outcome,
            reason: assessment.and_then(&decision).map(|(_, reason)| reason).unwrap_or_default(),
            assessment,
            points,
            by_outcome: self.by_outcome,
            risk: self.risk,
        }
    }

    fn highest_counted(&self) -> Outcome {
        match self.by_outcome {
            [a, ..] if a > 0 => Outcome::Act,
            [_, a, ..] if a > 0 => Outcome::Attend,
            [_, _, a, _] if a > 0 => Outcome::TrackStar,
            _ => Outcome::Track,
        }
    }
}

/// A place as a title names it: a path inside a file system by its last two parts, which
/// say what it is (`…/log4j-core/2.13.2`, `…/components/yarn.lock`); the page lists it whole.
fn short_place(target: &Target) -> String {
    let name = &target.name;
    if target.kind != TargetKind::Filesystem {
        return name.clone();
    }
    let parts: Vec<&str> = name.split(['/', '\\']).filter(|part| !part.is_empty() && *part != ".").collect();
    match parts.as_slice() {
        [.., a, b] if parts.len() > 2 => format!("…/{a}/{b}"),
        _ => name.clone(),
    }
}

/// Which vulnerabilities have no fix, as the line that says what to do names them: up to
/// three by id, more by their number (`listed` are the ids, `all` how many in all).
pub(crate) fn unfixed_words(listed: &[String], all: usize) -> String {
    match listed {
        [] => String::new(),
        [one] if all == 1 => format!("{one} in "),
        [a, b] if all == 2 => format!("{a} and {b} in "),
        [a, b, c] if all == 3 => format!("{a}, {b} and {c} in "),
        _ => format!("{} in ", crate::words::count(all, "flaw", "flaws")),
    }
}

/// The one line that says what to do. `fixes` are the vulnerabilities (or rules) it fixes as
/// listed, CVEs first, and how many there are in all.
fn what_to_do(key: &RemedyKey, scheme: VersionScheme, places: &[Place], fixed: (&[String], usize)) -> String {
    let subject = &key.subject;
    let where_ = match places {
        [only] => short_place(&only.target),
        many => {
            let hosts = many.iter().filter(|p| p.target.kind == TargetKind::Host).count();
            if hosts == many.len() { format!("{hosts} hosts") } else { format!("{} places", many.len()) }
        }
    };
    let fixes: BTreeSet<&str> = places.iter().filter_map(|p| p.fix.as_deref()).collect();
    let to = match fixes.len() {
        0 => String::new(),
        1 => format!(" to {}", fixes.iter().next().copied().unwrap_or_default()),
        _ => {
            let highest = fixes.iter().copied().reduce(|a, b| scheme.max(a, b)).unwrap_or_default();
            format!(" to the fixed version for each (up to {highest})")
        }
    };
    match key.kind {
        RemedyKind::Upgrade => format!("Upgrade {subject}{to} in {where_}"),
        RemedyKind::Update => format!("Update {subject}{to} on {where_}"),
        RemedyKind::Patch => format!("Apply the fix for {subject} on {where_}"),
        RemedyKind::FixCode => format!("Fix the code flagged by {subject} in {where_}"),
        RemedyKind::Reconfigure => format!("Change the setting flagged by {subject} on {where_}"),
        RemedyKind::RotateSecret => format!("Revoke and replace the secrets found by {subject} in {where_}"),
        RemedyKind::ReplaceUnsupported => {
            format!("Upgrade {subject} to a version its vendor still supports, or retire it, on {where_}")
        }
        RemedyKind::MitigateOrAccept => {
            let which = unfixed_words(fixed.0, fixed.1);
            format!("No fix is known for {which}{subject}: mitigate or accept the risk on {where_}")
        }
        RemedyKind::RoutineUpdates if key.place.is_some() => {
            format!("Update the dependencies of {where_} in the next routine cycle")
        }
        RemedyKind::RoutineUpdates => format!("Install the pending routine updates on {where_}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str) -> Target {
        Target { kind: TargetKind::Host, name: name.into() }
    }

    fn image(name: &str) -> Target {
        Target { kind: TargetKind::ContainerImage, name: name.into() }
    }

    fn package(name: &str, purl: &str, installed: &str, fixed: Option<&str>) -> Component {
        Component {
            name: name.into(),
            purl: Some(purl.into()),
            ecosystem: None,
            installed_version: Some(installed.into()),
            fixed_version: fixed.map(str::to_owned),
        }
    }

    fn input<'a>(target: &'a Target, ids: &'a [VulnId], component: Option<&'a Component>) -> RemedyInput<'a> {
        RemedyInput {
            target,
            kind: FindingKind::Vulnerability,
            ids,
            title: "title",
            solution: None,
            component,
            advisory_fixes: &[],
        }
    }

    fn gather(findings: &[(RemedyInput<'_>, Outcome)]) -> Vec<Action> {
        let mut drafts: std::collections::BTreeMap<RemedyKey, ActionDraft> =
            std::collections::BTreeMap::new();
        for (index, (input, outcome)) in findings.iter().enumerate() {
            let remedy = remedy_of(input);
            let draft = drafts.entry(remedy.key.clone()).or_insert_with(|| ActionDraft::new(&remedy));
            draft.add(Contribution {
                target: input.target,
                ids: input.ids,
                solution: input.solution,
                remedy: &remedy,
                outcome: *outcome,
                assessment: Some(index as i64),
            });
        }
        drafts
            .into_values()
            .map(|d| {
                d.finish("web", |id| {
                    let points = Points {
                        exploitation: crate::Exploitation::None,
                        exposure: crate::SystemExposure::Small,
                        automatable: crate::Automatable::No,
                        human_impact: crate::HumanImpact::Low,
                    };
                    Some((points, format!("reason {id}")))
                })
            })
            .collect()
    }

    #[test]
    fn one_upgrade_fixes_every_finding_of_a_package_with_the_smallest_sufficient_version() {
        let app = image("shop:1");
        let old = package(
            "log4j-core",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "2.14.1",
            Some("2.15.0"),
        );
        let newer = package(
            "log4j-core",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "2.14.1",
            Some("2.3.1, 2.12.3, 2.17.1"),
        );
        let (a, b) = ([VulnId::new("CVE-2021-44228")], [VulnId::new("CVE-2021-44832")]);
        let actions = gather(&[
            (input(&app, &a, Some(&old)), Outcome::Act),
            (input(&app, &b, Some(&newer)), Outcome::Attend),
        ]);
        let [action] = actions.as_slice() else { panic!("{actions:#?}") };
        assert_eq!(action.what, "Upgrade log4j-core to 2.17.1 in shop:1");
        assert_eq!(action.findings, 2);
        assert_eq!(action.outcome, Outcome::Act);
        assert_eq!(action.reason, "reason 0");
        assert_eq!(action.fixes, ["CVE-2021-44228", "CVE-2021-44832"]);
        assert_eq!(action.by_outcome, [1, 1, 0, 0]);
    }

    #[test]
    fn os_packages_are_one_update_across_hosts_with_each_hosts_fix() {
        let (a, b) = (host("db-1"), host("db-2"));
        let bookworm =
            package("openssl", "pkg:deb/debian/openssl", "3.0.11-1~deb12u2", Some("3.0.13-1~deb12u1"));
        let bullseye =
            package("openssl", "pkg:deb/debian/openssl", "1.1.1w-0+deb11u1", Some("1.1.1w-0+deb11u2"));
        let ids = [VulnId::new("CVE-2024-0727")];
        let actions = gather(&[
            (input(&a, &ids, Some(&bookworm)), Outcome::Track),
            (input(&b, &ids, Some(&bullseye)), Outcome::Track),
        ]);
        let [action] = actions.as_slice() else { panic!("{actions:#?}") };
        assert_eq!(action.kind, RemedyKind::Update);
        assert_eq!(
            action.what,
            "Update openssl to the fixed version for each (up to 3.0.13-1~deb12u1) on 2 hosts"
        );
        let fixes: Vec<_> = action.places.iter().map(|p| p.fix.as_deref()).collect();
        assert_eq!(fixes, [Some("3.0.13-1~deb12u1"), Some("1.1.1w-0+deb11u2")]);
    }

    #[test]
    fn host_findings_group_by_product_then_kb_then_plugin() {
        let h = host("10.0.0.1");
        let ids = [VulnId::new("187315")];
        let mut apache = input(&h, &ids, None);
        apache.title = "Apache 2.4.x < 2.4.58 Multiple Vulnerabilities";
        assert_eq!(remedy_of(&apache).key.subject, "Apache");
        assert_eq!(remedy_of(&apache).fix.as_deref(), Some("2.4.58"));
        let mut windows = input(&h, &ids, None);
        windows.title = "KB5034441: Windows 10 Security Update (January 2024)";
        assert_eq!(remedy_of(&windows).key.subject, "KB5034441");
        let mut plugin = input(&h, &ids, None);
        plugin.solution = Some("Disable SMBv1.");
        assert_eq!(
            (remedy_of(&plugin).key.kind, remedy_of(&plugin).key.subject.as_str()),
            (RemedyKind::Patch, "187315")
        );
    }

    #[test]
    fn an_advisory_supplies_the_fix_a_scanner_left_out() {
        let app = image("shop:1");
        let unfixed =
            package("log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2", "2.13.2", None);
        let affected = [
            AffectedPackage {
                ecosystem: Some("Maven".into()),
                name: "org.apache.logging.log4j:log4j-core".into(),
                purl: None,
                ranges: vec![],
                fixed: vec!["2.15.0".into(), "2.12.2".into(), "2.3.1".into()],
            },
            AffectedPackage {
                name: "log4j-api".into(),
                fixed: vec!["9.9".into()],
                ..AffectedPackage::default()
            },
        ];
        let fixes = advisory_fixes(&unfixed, &affected);
        assert_eq!(fixes, ["2.12.2", "2.15.0", "2.3.1"]);
        let ids = [VulnId::new("CVE-2021-44228")];
        let mut finding = input(&app, &ids, Some(&unfixed));
        finding.advisory_fixes = &fixes;
        let remedy = remedy_of(&finding);
        assert_eq!((remedy.key.kind, remedy.fix.as_deref()), (RemedyKind::Upgrade, Some("2.15.0")));
    }

    #[test]
    fn findings_without_a_fix_become_mitigate_or_accept() {
        let h = image("api:2");
        let unfixed = package("libxml2", "pkg:deb/debian/libxml2", "2.9.14", None);
        let ids = [VulnId::new("CVE-2024-25062")];
        let actions = gather(&[(input(&h, &ids, Some(&unfixed)), Outcome::Attend)]);
        let [action] = actions.as_slice() else { panic!("{actions:#?}") };
        assert_eq!(action.kind, RemedyKind::MitigateOrAccept);
        assert_eq!(
            action.what,
            "No fix is known for CVE-2024-25062 in libxml2: mitigate or accept the risk on api:2"
        );

        // Issue 19, item 6: it names what has no fix, or counts it when there is much.
        let each = |names: &[&str]| {
            let ids: Vec<[VulnId; 1]> = names.iter().map(|name| [VulnId::new(*name)]).collect();
            let inputs: Vec<_> =
                ids.iter().map(|ids| (input(&h, ids, Some(&unfixed)), Outcome::Track)).collect();
            gather(&inputs).pop().unwrap().what
        };
        assert_eq!(
            each(&["GHSA-xxxx-yyyy-zzzz", "CVE-2024-25062"]),
            "No fix is known for CVE-2024-25062 and GHSA-xxxx-yyyy-zzzz in libxml2: mitigate or accept the risk on api:2"
        );
        assert_eq!(
            each(&["CVE-2024-1", "CVE-2024-2", "CVE-2024-3", "CVE-2024-4"]),
            "No fix is known for 4 flaws in libxml2: mitigate or accept the risk on api:2"
        );
    }

    /// Issue 19, item 4: a title says the fix, not a long path.
    #[test]
    fn a_title_names_a_file_system_place_by_its_last_two_parts() {
        let place = |name: &str| Target { kind: TargetKind::Filesystem, name: name.into() };
        let deep = "./configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2";
        assert_eq!(short_place(&place(deep)), "…/log4j-core/2.13.2");
        assert_eq!(short_place(&place("/tmp/components/yarn.lock")), "…/components/yarn.lock");
        assert_eq!(short_place(&place("C:\\app\\lib\\log4j.jar")), "…/lib/log4j.jar");
        assert_eq!(short_place(&place("app/yarn.lock")), "app/yarn.lock");
        assert_eq!(short_place(&place("trivy-debian-image.json")), "trivy-debian-image.json");
        assert_eq!(
            short_place(&image("registry.example.com/team/app:1.2")),
            "registry.example.com/team/app:1.2"
        );
    }

    /// Issue 19, item 1: an unsupported SQL Server read "Install the pending routine updates".
    #[test]
    fn a_product_its_vendor_no_longer_supports_is_replaced_not_patched() {
        let h = host("1.2.3.4");
        let ids = [VulnId::new("NESSUS-73756")];
        let titles = [
            ("Microsoft SQL Server Unsupported Version Detection (remote check)", "Microsoft SQL Server"),
            ("Microsoft Windows Server 2008 R2 Unsupported Version Detection", "Microsoft Windows Server"),
            ("Apache HTTP Server SEoL (2.1.x <= x <= 2.2.x)", "Apache HTTP Server"),
            ("PHP End Of Life Detection (Windows)", "PHP"),
        ];
        for (title, product) in titles {
            let finding = RemedyInput {
                title,
                solution: Some("Upgrade to a supported version."),
                ..input(&h, &ids, None)
            };
            let remedy = remedy_of(&finding);
            assert_eq!(
                (remedy.key.kind, remedy.key.subject.as_str()),
                (RemedyKind::ReplaceUnsupported, product)
            );
            assert_eq!(routine(remedy.clone(), Outcome::Track), remedy, "{title}: never routine work");
        }
        let sql = RemedyInput { title: titles[0].0, ..input(&h, &ids, None) };
        let actions = gather(&[(sql, Outcome::TrackStar)]);
        assert_eq!(
            actions[0].what,
            "Upgrade Microsoft SQL Server to a version its vendor still supports, or retire it, on 1.2.3.4"
        );
        let ordinary = RemedyInput { title: "Unsupported Web Server Detection", ..input(&h, &ids, None) };
        assert_ne!(remedy_of(&ordinary).key.kind, RemedyKind::ReplaceUnsupported, "no product named");
    }

    #[test]
    fn routine_work_is_one_cycle_and_urgent_work_stands_out() {
        let h = host("db-1");
        let ids = [VulnId::new("CVE-2024-0727")];
        let openssl = package("openssl", "pkg:deb/debian/openssl", "3.0.11-1", Some("3.0.13-1"));
        let remedy = remedy_of(&input(&h, &ids, Some(&openssl)));
        assert_eq!(routine(remedy.clone(), Outcome::Attend), remedy);
        let cycle = routine(remedy, Outcome::TrackStar);
        assert_eq!((cycle.key.kind, cycle.key.place.clone()), (RemedyKind::RoutineUpdates, None));
        let app = image("shop:1");
        let dependency = package("lodash", "pkg:npm/lodash@4.17.15", "4.17.15", Some("4.17.21"));
        let batch = routine(remedy_of(&input(&app, &ids, Some(&dependency))), Outcome::Track);
        assert_eq!((batch.key.kind, batch.key.place), (RemedyKind::RoutineUpdates, Some(app)));
    }

    #[test]
    fn a_remedy_moved_to_another_target_of_its_kind_is_that_targets_remedy() {
        let ids = [VulnId::new("CVE-2024-0727"), VulnId::new("12345")];
        let openssl = package("openssl", "pkg:deb/debian/openssl", "3.0.11-1", Some("3.0.13-1"));
        let lodash = package("lodash", "pkg:npm/lodash@4.17.15", "4.17.15", Some("4.17.21"));
        let unfixed = package("libxml2", "pkg:deb/debian/libxml2", "2.9.14", None);
        let pairs = [(host("db-1"), host("db-2")), (image("shop:1"), image("shop:2"))];
        for (first, second) in &pairs {
            for component in [None, Some(&openssl), Some(&lodash), Some(&unfixed)] {
                for kind in [
                    FindingKind::Vulnerability,
                    FindingKind::Misconfiguration,
                    FindingKind::Secret,
                    FindingKind::CodeIssue,
                ] {
                    let at = |target| RemedyInput {
                        kind,
                        solution: Some("Apply KB5034441"),
                        ..input(target, &ids, component)
                    };
                    for outcome in [Outcome::Act, Outcome::Track] {
                        let moved = routine(remedy_of(&at(first)), outcome).at(second);
                        assert_eq!(moved, routine(remedy_of(&at(second)), outcome), "{kind:?} {component:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_action_key_is_stable_and_per_team() {
        let key = RemedyKey {
            kind: RemedyKind::Patch,
            subject: "KB1".into(),
            ecosystem: String::new(),
            place: None,
        };
        assert_eq!(key.action_key("web"), key.action_key("web"));
        assert_ne!(key.action_key("web"), key.action_key("data"));
    }
}
