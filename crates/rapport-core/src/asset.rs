//! Assets: what exists and can be owned. Devices come from inventory (osquery, Fleet) with
//! what is known of their state; images, repositories and hosts also come from the targets
//! scanners name. Either way an asset is one kind and one name, and its facts are what
//! ownership rules match on.

use serde::{Deserialize, Serialize};

use crate::{Target, TargetKind};

/// The identity of an asset: the same kind and name are the same asset, whoever reported it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssetId {
    pub kind: TargetKind,
    pub name: String,
}

impl AssetId {
    pub fn of(target: &Target) -> AssetId {
        AssetId { kind: target.kind, name: target.name.clone() }
    }

    /// A stable 16-byte key for storage.
    pub fn key(&self) -> [u8; 16] {
        crate::fingerprint::asset_key(self.kind, &self.name)
    }
}

impl std::fmt::Display for AssetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.name)
    }
}

/// A package installed on a device.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Software {
    pub name: String,
    pub version: String,
    /// Where it came from: `deb_packages`, `programs`, `apps`, `homebrew_packages`...
    pub source: String,
}

/// A yes/no security setting that may also be unknown (the inventory did not say).
pub type Setting = Option<bool>;

/// What inventory knows of a device. Times are Unix seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// The person who uses the device (an email or a login name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// The OS build, which is its patch level (`22631.3296`, `23D60`, a kernel release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reboot: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_encrypted: Setting,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Setting,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_lock: Setting,
    /// Labels the inventory puts on the device and cloud tags, as `key=value` (or `key`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Fleet policies the device fails, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing_policies: Vec<String>,
}

/// One device as an inventory reported it at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// The inventory's own id for the device (osquery's host identifier, Fleet's UUID),
    /// which stays when the device is renamed.
    pub identifier: String,
    pub facts: DeviceFacts,
    /// The whole software list when the report has one; `None` when it says nothing of
    /// software (the device's list is then kept as it was).
    pub software: Option<Vec<Software>>,
    /// Software changes, for differential logs, applied in order after `software`.
    pub software_changes: Vec<SoftwareChange>,
    /// When the inventory last heard from the device.
    pub seen_at: Option<i64>,
    /// The report states everything the inventory knows of the device (a Fleet host), so
    /// what it leaves out is no longer true; otherwise (an osquery record) it adds to what
    /// is known.
    pub complete: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SoftwareChange {
    Added(Software),
    Removed(Software),
}

impl DeviceReport {
    pub fn new(identifier: impl Into<String>) -> DeviceReport {
        DeviceReport {
            identifier: identifier.into(),
            facts: DeviceFacts::default(),
            software: None,
            software_changes: Vec::new(),
            seen_at: None,
            complete: false,
        }
    }

    /// The asset this report is about: a host named by the inventory's identifier.
    pub fn asset(&self) -> AssetId {
        AssetId { kind: TargetKind::Host, name: self.identifier.clone() }
    }

    /// Folds a later report of the same device into this one: a complete report replaces
    /// the facts, a partial one wins where it says something; software changes apply in
    /// order.
    pub fn merge(&mut self, later: DeviceReport) {
        if later.complete {
            self.facts = DeviceFacts::default();
        }
        let facts = later.facts;
        let mine = &mut self.facts;
        macro_rules! take {
            ($($field:ident),*) => { $( if facts.$field.is_some() { mine.$field = facts.$field; } )* };
        }
        take!(
            hostname,
            serial,
            user,
            os_name,
            os_version,
            os_build,
            platform,
            last_reboot,
            disk_encrypted,
            firewall,
            screen_lock
        );
        for ip in facts.ips {
            if !mine.ips.contains(&ip) {
                mine.ips.push(ip);
            }
        }
        for tag in facts.tags {
            if !mine.tags.contains(&tag) {
                mine.tags.push(tag);
            }
        }
        if !facts.failing_policies.is_empty() {
            mine.failing_policies = facts.failing_policies;
        }
        if let Some(software) = later.software {
            self.software = Some(software);
            self.software_changes.clear();
        }
        self.software_changes.extend(later.software_changes);
        self.seen_at = self.seen_at.max(later.seen_at);
    }
}

/// Applies differential changes to a software list, in order.
pub fn apply_software_changes(list: &mut Vec<Software>, changes: &[SoftwareChange]) {
    for change in changes {
        match change {
            SoftwareChange::Added(software) => {
                if !list.contains(software) {
                    list.push(software.clone());
                }
            }
            SoftwareChange::Removed(software) => list.retain(|known| known != software),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, version: &str) -> Software {
        Software { name: name.into(), version: version.into(), source: "deb_packages".into() }
    }

    #[test]
    fn differential_changes_apply_in_order() {
        let mut list = vec![package("openssl", "3.0.2")];
        apply_software_changes(
            &mut list,
            &[
                SoftwareChange::Removed(package("openssl", "3.0.2")),
                SoftwareChange::Added(package("openssl", "3.0.13")),
                SoftwareChange::Added(package("curl", "8.5.0")),
                SoftwareChange::Added(package("curl", "8.5.0")),
            ],
        );
        assert_eq!(list, vec![package("openssl", "3.0.13"), package("curl", "8.5.0")]);
    }

    #[test]
    fn later_reports_win_where_they_say_something() {
        let mut first = DeviceReport::new("uuid-1");
        first.facts.hostname = Some("old".into());
        first.facts.firewall = Some(true);
        first.seen_at = Some(10);
        let mut later = DeviceReport::new("uuid-1");
        later.facts.hostname = Some("new".into());
        later.seen_at = Some(20);
        later.software_changes.push(SoftwareChange::Added(package("curl", "8")));
        first.merge(later);
        assert_eq!(first.facts.hostname.as_deref(), Some("new"));
        assert_eq!(first.facts.firewall, Some(true));
        assert_eq!(first.seen_at, Some(20));
        assert_eq!(first.software_changes.len(), 1);
        let mut complete = DeviceReport::new("uuid-1");
        complete.complete = true;
        complete.facts.hostname = Some("renamed".into());
        first.merge(complete);
        assert_eq!(first.facts.firewall, None, "a complete report says what is no longer true");
        assert_eq!(first.facts.hostname.as_deref(), Some("renamed"));
    }
}
