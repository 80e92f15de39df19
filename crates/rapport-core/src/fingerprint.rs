//! The stable identity of a finding, and of the scope a rescan replaces.
//!
//! A fingerprint is the first 16 bytes of a SHA-256 over these fields, each length-prefixed
//! so that no two different tuples can hash the same input:
//!
//! 1. the tool name, lower-cased: each tool's view is tracked on its own, so that one tool's
//!    rescan never closes what another tool still reports;
//! 2. the target kind and name: the same flaw in two images is two pieces of work;
//! 3. the location path, line and service: the same package vendored twice, the same rule
//!    broken in two files, the same plugin on two ports are separate findings;
//! 4. the component's package identity (purl without version or qualifiers, else its name)
//!    and its installed version: an upgrade that does not fix the flaw closes the old
//!    finding and opens a new one, and two installed versions never merge;
//! 5. the tool's own vulnerability or rule id (the first id), not the alias list nor the
//!    derived CVE, because aliases are added over time by the databases.
//!
//! Left out on purpose, because they change without the finding changing: severity, scores,
//! titles, descriptions, references, fixed versions, the tool version and the scan date.
//! The line number is part of code findings because SARIF has no other place; tools that
//! give stable `partialFingerprints` are fingerprinted by those instead of the line.

use sha2::{Digest, Sha256};

use crate::{Finding, Target};

/// 128 bits: collisions are not a practical concern below billions of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 16]);

/// Identifies "what one tool scanned": a rescan closes the open findings of its scopes that
/// it no longer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeKey(pub [u8; 16]);

struct FieldHasher(Sha256);

impl FieldHasher {
    fn new(domain: &str) -> FieldHasher {
        let mut hasher = FieldHasher(Sha256::new());
        hasher.field(domain);
        hasher
    }

    fn field(&mut self, value: &str) {
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value.as_bytes());
    }

    fn optional(&mut self, value: Option<&str>) {
        match value {
            Some(value) => {
                self.0.update([1]);
                self.field(value);
            }
            None => self.0.update([0]),
        }
    }

    fn finish(self) -> [u8; 16] {
        let digest = self.0.finalize();
        let mut truncated = [0u8; 16];
        truncated.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
        truncated
    }
}

impl Fingerprint {
    pub fn of(finding: &Finding) -> Fingerprint {
        let mut hasher = FieldHasher::new("rapport-finding-v1");
        hasher.field(&finding.tool.name.to_ascii_lowercase());
        hash_target(&mut hasher, &finding.target);
        let location = &finding.location;
        hasher.optional(location.path.as_deref());
        let place_in_file = match &finding.tool_fingerprint {
            Some(print) => Some(format!("tool:{print}")),
            None => location.line.map(|line| format!("line:{line}")),
        };
        hasher.optional(place_in_file.as_deref());
        hasher.optional(location.service.as_deref());
        let component = finding.component.as_ref();
        hasher.optional(component.map(package_identity).as_deref());
        hasher.optional(component.and_then(|c| c.installed_version.as_deref()));
        hasher.optional(finding.ids.first().map(|id| id.as_str()));
        Fingerprint(hasher.finish())
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

thread_local! {
    /// The last scope keyed on this thread: a file lists its findings scope by scope.
    static LAST_SCOPE: std::cell::RefCell<Option<(String, Target, ScopeKey)>> =
        const { std::cell::RefCell::new(None) };
}

impl ScopeKey {
    pub fn of(tool_name: &str, target: &Target) -> ScopeKey {
        LAST_SCOPE.with_borrow_mut(|last| match last {
            Some((tool, known, key)) if tool == tool_name && known == target => *key,
            _ => {
                let mut hasher = FieldHasher::new("rapport-scope-v1");
                hasher.field(&tool_name.to_ascii_lowercase());
                hash_target(&mut hasher, target);
                let key = ScopeKey(hasher.finish());
                *last = Some((tool_name.to_owned(), target.clone(), key));
                key
            }
        })
    }
}

/// The storage key of an asset: its kind and name. Devices, images and hosts are one asset
/// whoever reports them, so the key has no tool in it.
pub(crate) fn asset_key(kind: crate::TargetKind, name: &str) -> [u8; 16] {
    let mut hasher = FieldHasher::new("rapport-asset-v1");
    hasher.field(kind.as_str());
    hasher.field(name);
    hasher.finish()
}

fn hash_target(hasher: &mut FieldHasher, target: &Target) {
    hasher.field(target.kind.as_str());
    hasher.field(&target.name);
}

/// `pkg:npm/lodash@4.17.4?x=y` → `pkg:npm/lodash`; without a purl, the ecosystem and name.
fn package_identity(component: &crate::Component) -> String {
    match &component.purl {
        Some(purl) => {
            let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
            purl.get(..end).unwrap_or(purl).to_owned()
        }
        None => format!("{}/{}", component.ecosystem.as_deref().unwrap_or(""), component.name),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Component, FindingKind, TargetKind, Tool, VulnId};

    fn finding(version: &str, purl: &str) -> Finding {
        let mut finding = Finding::new(
            Tool { name: "Trivy".into(), version: Some(version.into()) },
            Target { kind: TargetKind::ContainerImage, name: "alpine:3.17".into() },
            FindingKind::Vulnerability,
            VulnId::new("CVE-2023-0464"),
        );
        finding.component = Some(Component {
            name: "openssl".into(),
            purl: Some(purl.into()),
            installed_version: Some("3.0.8-r0".into()),
            ..Component::default()
        });
        finding
    }

    #[test]
    fn is_stable_across_tool_versions_and_details() {
        let a = finding("0.45.0", "pkg:apk/alpine/openssl@3.0.8-r0?arch=x86_64");
        let mut b = finding("0.50.1", "pkg:apk/alpine/openssl@3.0.8-r0");
        b.title = "changed".into();
        b.add_id("GHSA-xxxx");
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn differs_by_installed_version_and_target() {
        let a = finding("1", "pkg:apk/alpine/openssl@3.0.8-r0");
        let mut b = a.clone();
        if let Some(component) = b.component.as_mut() {
            component.installed_version = Some("3.0.9-r0".into());
        }
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = a.clone();
        c.target.name = "alpine:3.18".into();
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_ne!(a.scope(), c.scope());
    }

    /// The documented recipe is a contract with every stored finding: if this value changes,
    /// stored findings would no longer be recognised (write a migration instead).
    #[test]
    fn recipe_is_frozen() {
        let a = finding("1", "pkg:apk/alpine/openssl@3.0.8-r0");
        assert_eq!(a.fingerprint().to_hex(), "adcae49910450d637147f8bb94138304");
    }
}
