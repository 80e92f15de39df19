//! VEX statements: a supplier's word on whether a vulnerability affects a product (OpenVEX,
//! CSAF). A statement is not a finding. It changes how the findings it covers are shown:
//! "not affected, because the vulnerable code is not present", with who said so and when.
//! The finding is kept either way, so nothing disappears because someone said it should.

use std::collections::HashMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Finding, Status, Target, TargetKind, VulnId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    /// The product versions named contain the fix.
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    /// Reads the status words of OpenVEX (`not_affected`) and CSAF's product status groups
    /// (`known_not_affected`).
    pub fn parse(word: &str) -> Option<VexStatus> {
        let status = match word.trim().to_ascii_lowercase().as_str() {
            "not_affected" | "known_not_affected" => VexStatus::NotAffected,
            "affected" | "known_affected" | "first_affected" | "last_affected" => VexStatus::Affected,
            "fixed" | "first_fixed" => VexStatus::Fixed,
            "under_investigation" => VexStatus::UnderInvestigation,
            _ => return None,
        };
        Some(status)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// A product a statement names: by package URL, CPE or name (and version), whichever the
/// document gives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexProduct {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Components of the product the statement is about (OpenVEX `subcomponents`): the
    /// product is then the image or application, these the packages inside it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcomponents: Vec<VexProduct>,
}

/// Who made a statement, in which document, when.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexSource {
    /// The document's id (an OpenVEX `@id`, a CSAF tracking id) and format.
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When the statement was made (RFC 3339), else when the document was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    pub vulnerability: VulnId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    pub products: Vec<VexProduct>,
    pub status: VexStatus,
    /// Why not affected, in the document's vocabulary (`vulnerable_code_not_present`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The supplier's own words: an impact statement, or what to do when affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub source: VexSource,
}

/// What a finding shows of the statement that decided its status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexNote {
    pub status: VexStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub source: VexSource,
}

impl VexStatement {
    /// Every id the statement is about, its own first.
    pub fn ids(&self) -> impl Iterator<Item = &VulnId> {
        std::iter::once(&self.vulnerability).chain(&self.aliases)
    }

    /// True when the statement is about this finding's vulnerability in this finding's
    /// product: one of its ids is one of the finding's, and one of its products is the
    /// finding's component (or the scanned target, with the component inside it).
    pub fn covers(&self, finding: &Finding) -> bool {
        let same_vulnerability =
            self.ids().any(|id| finding.ids.iter().any(|known| known.0.eq_ignore_ascii_case(&id.0)));
        same_vulnerability && self.products.iter().any(|product| product_covers(product, finding))
    }

    /// The status the finding shows under this statement. "Fixed" means the named versions
    /// carry the fix, so a scanner that still reports them is not describing a real flaw.
    pub fn finding_status(&self) -> Status {
        match self.status {
            VexStatus::NotAffected => Status::NotAffected { justification: self.justification.clone() },
            VexStatus::Fixed => Status::NotAffected { justification: Some("fixed in this version".into()) },
            VexStatus::UnderInvestigation => Status::UnderInvestigation,
            VexStatus::Affected => Status::Affected,
        }
    }

    pub fn note(&self) -> VexNote {
        VexNote { status: self.status, statement: self.statement.clone(), source: self.source.clone() }
    }
}

fn product_covers(product: &VexProduct, finding: &Finding) -> bool {
    if product.subcomponents.is_empty() {
        return names_component(product, finding) || names_target(product, &finding.target);
    }
    names_target(product, &finding.target)
        && product.subcomponents.iter().any(|sub| names_component(sub, finding))
}

/// The product is the finding's package: the same package (the same version too, when the
/// statement names one), by package URL when both have one, else by name.
fn names_component(product: &VexProduct, finding: &Finding) -> bool {
    let Some(component) = &finding.component else { return false };
    if let Some(stated) = product.purl.as_deref().and_then(Purl::parse) {
        let found = component.purl.as_deref().and_then(Purl::parse);
        let (same_package, version) = match &found {
            Some(found) => (stated.same_package(found), found.version.as_deref()),
            // No package URL on the finding: the name is all there is to compare.
            None => {
                let name = component.name.rsplit(['/', ':']).next().unwrap_or(&component.name);
                (name.eq_ignore_ascii_case(&stated.name), component.installed_version.as_deref())
            }
        };
        return same_package && stated.version.as_deref().is_none_or(|v| version == Some(v));
    }
    let Some(name) = &product.name else { return false };
    let version_matches = match (&product.version, &component.installed_version) {
        (Some(stated), Some(found)) => stated == found,
        (Some(_), None) => false,
        (None, _) => true,
    };
    component.name.eq_ignore_ascii_case(name) && version_matches
}

/// The product is the scanned target: an image named by `pkg:oci/...` or by name, or a
/// product or repository of that name.
fn names_target(product: &VexProduct, target: &Target) -> bool {
    let image = |name: &str| {
        let without_tag = target.name.split(['@', ':']).next().unwrap_or(&target.name);
        let last = without_tag.rsplit('/').next().unwrap_or(without_tag);
        last.eq_ignore_ascii_case(name) || without_tag.eq_ignore_ascii_case(name)
    };
    if let Some(purl) = &product.purl {
        let purl = Purl::parse(purl);
        return match purl.as_ref().and_then(Purl::image) {
            Some(name) => target.kind == TargetKind::ContainerImage && image(name),
            None => false,
        };
    }
    let Some(name) = &product.name else { return false };
    let full = match &product.version {
        Some(version) => format!("{name} {version}"),
        None => name.clone(),
    };
    target.name.eq_ignore_ascii_case(name) || target.name.eq_ignore_ascii_case(&full) || image(name)
}

/// What a package URL says about identity (qualifiers and subpath do not change which
/// package it is), normalised by the `packageurl` crate.
struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
}

impl Purl {
    fn parse(text: &str) -> Option<Purl> {
        let purl = packageurl::PackageUrl::from_str(text).ok()?;
        Some(Purl {
            ty: purl.ty().to_ascii_lowercase(),
            namespace: purl.namespace().map(str::to_owned),
            name: purl.name().to_owned(),
            version: purl.version().map(str::to_owned),
        })
    }

    fn same_package(&self, other: &Purl) -> bool {
        self.ty == other.ty && self.namespace == other.namespace && self.name == other.name
    }

    /// The image name of a container package URL (`pkg:oci/app`, `pkg:docker/library/app`).
    fn image(&self) -> Option<&str> {
        matches!(self.ty.as_str(), "oci" | "docker").then_some(self.name.as_str())
    }
}

/// The statements Rapport knows, by vulnerability id, ready to be applied to findings as
/// they arrive. When several cover a finding, the most recently issued one decides (the
/// later stored one on a tie), so a supplier can take a statement back.
#[derive(Clone, Debug, Default)]
pub struct VexIndex {
    by_id: HashMap<String, Vec<usize>>,
    statements: Vec<VexStatement>,
}

impl VexIndex {
    /// Statements in the order they were stored.
    pub fn new(statements: Vec<VexStatement>) -> VexIndex {
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, statement) in statements.iter().enumerate() {
            for id in statement.ids() {
                let entry = by_id.entry(id.0.to_ascii_uppercase()).or_default();
                if !entry.contains(&index) {
                    entry.push(index);
                }
            }
        }
        VexIndex { by_id, statements }
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statement that decides this finding's status, if any covers it.
    pub fn deciding(&self, finding: &Finding) -> Option<&VexStatement> {
        let mut candidates: Vec<usize> = finding
            .ids
            .iter()
            .filter_map(|id| self.by_id.get(&id.0.to_ascii_uppercase()))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|index| self.statements.get(index).map(|statement| (index, statement)))
            .filter(|(_, statement)| statement.covers(finding))
            .max_by(|(a_index, a), (b_index, b)| {
                a.source.issued.cmp(&b.source.issued).then(a_index.cmp(b_index))
            })
            .map(|(_, statement)| statement)
    }

    /// Sets the finding's status and note from the deciding statement; returns whether one
    /// covered it. "Affected" takes back an earlier statement's verdict, but does not
    /// overrule the scanner's own (a suppression stays a suppression).
    pub fn apply(&self, finding: &mut Finding) -> bool {
        let Some(statement) = self.deciding(finding) else { return false };
        if statement.status != VexStatus::Affected || finding.vex.is_some() {
            finding.status = statement.finding_status();
        }
        finding.vex = Some(statement.note());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Component, FindingKind, Tool};

    fn finding(id: &str, purl: &str) -> Finding {
        let mut finding = Finding::new(
            Tool { name: "grype".into(), version: None },
            Target { kind: TargetKind::ContainerImage, name: "registry.example/app:1.2".into() },
            FindingKind::Vulnerability,
            VulnId::new(id),
        );
        let (name, version) = purl.split_once('@').unwrap_or((purl, ""));
        finding.component = Some(Component {
            name: name.rsplit('/').next().unwrap_or(name).into(),
            purl: Some(purl.into()),
            installed_version: Some(version.split('?').next().unwrap_or(version).into()),
            ..Component::default()
        });
        finding
    }

    fn statement(id: &str, product: VexProduct, status: VexStatus, issued: &str) -> VexStatement {
        VexStatement {
            vulnerability: VulnId::new(id),
            aliases: Vec::new(),
            products: vec![product],
            status,
            justification: Some("vulnerable_code_not_present".into()),
            statement: None,
            source: VexSource { document: "doc".into(), author: None, issued: Some(issued.into()) },
        }
    }

    fn purl(purl: &str) -> VexProduct {
        VexProduct { purl: Some(purl.into()), ..VexProduct::default() }
    }

    #[test]
    fn a_statement_covers_the_same_package_whatever_the_qualifiers() {
        let zlib = finding("CVE-2024-1", "pkg:apk/alpine/zlib@1.2.11-r1?arch=x86_64");
        let stated =
            statement("cve-2024-1", purl("pkg:apk/alpine/zlib@1.2.11-r1"), VexStatus::NotAffected, "t");
        assert!(stated.covers(&zlib));
        let other_version =
            statement("CVE-2024-1", purl("pkg:apk/alpine/zlib@1.2.12-r0"), VexStatus::NotAffected, "t");
        assert!(!other_version.covers(&zlib));
        let any_version = statement("CVE-2024-1", purl("pkg:apk/alpine/zlib"), VexStatus::NotAffected, "t");
        assert!(any_version.covers(&zlib));
        let other_flaw = statement("CVE-2024-2", purl("pkg:apk/alpine/zlib"), VexStatus::NotAffected, "t");
        assert!(!other_flaw.covers(&zlib));
    }

    #[test]
    fn an_image_statement_covers_its_subcomponents_only_in_that_image() {
        let zlib = finding("CVE-2024-1", "pkg:apk/alpine/zlib@1.2.11-r1");
        let mut image = purl("pkg:oci/app?repository_url=registry.example/app");
        image.subcomponents.push(purl("pkg:apk/alpine/zlib"));
        let stated = statement("CVE-2024-1", image.clone(), VexStatus::NotAffected, "t");
        assert!(stated.covers(&zlib));
        let mut elsewhere = zlib.clone();
        elsewhere.target.name = "registry.example/other:1".into();
        assert!(!stated.covers(&elsewhere));
    }

    #[test]
    fn named_products_match_name_and_version() {
        let mut library = finding("CVE-2026-10002", "x");
        library.component = Some(Component {
            name: "Generic Library".into(),
            installed_version: Some("3.4.5".into()),
            ..Component::default()
        });
        let product = VexProduct {
            name: Some("generic library".into()),
            version: Some("3.4.5".into()),
            ..Default::default()
        };
        assert!(statement("CVE-2026-10002", product.clone(), VexStatus::Fixed, "t").covers(&library));
        let older = VexProduct { version: Some("3.4.4".into()), ..product };
        assert!(!statement("CVE-2026-10002", older, VexStatus::Fixed, "t").covers(&library));
    }

    #[test]
    fn the_latest_statement_decides_and_the_finding_keeps_a_note() {
        let mut zlib = finding("CVE-2024-1", "pkg:apk/alpine/zlib@1.2.11-r1");
        let index = VexIndex::new(vec![
            statement("CVE-2024-1", purl("pkg:apk/alpine/zlib"), VexStatus::Affected, "2026-02-01T00:00:00Z"),
            statement(
                "CVE-2024-1",
                purl("pkg:apk/alpine/zlib"),
                VexStatus::NotAffected,
                "2026-01-01T00:00:00Z",
            ),
        ]);
        assert!(index.apply(&mut zlib));
        assert_eq!(zlib.status, Status::Affected);
        assert_eq!(zlib.vex.as_ref().map(|note| note.status), Some(VexStatus::Affected));
        let mut suppressed = finding("CVE-2024-1", "pkg:apk/alpine/zlib@1.2.11-r1");
        suppressed.status = Status::Suppressed { kind: "ignored".into(), justification: None };
        assert!(index.apply(&mut suppressed));
        assert!(matches!(suppressed.status, Status::Suppressed { .. }));
        let mut unrelated = finding("CVE-2024-9", "pkg:apk/alpine/zlib@1.2.11-r1");
        assert!(!index.apply(&mut unrelated));
        assert_eq!(unrelated.vex, None);
    }

    #[test]
    fn fixed_reads_as_not_affected_with_the_reason() {
        let fixed = statement("CVE-1", purl("pkg:npm/a"), VexStatus::Fixed, "t");
        assert_eq!(
            fixed.finding_status(),
            Status::NotAffected { justification: Some("fixed in this version".into()) }
        );
        assert_eq!(VexStatus::parse("known_not_affected"), Some(VexStatus::NotAffected));
        assert_eq!(VexStatus::parse("bogus"), None);
    }
}
