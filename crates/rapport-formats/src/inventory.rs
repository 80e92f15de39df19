//! Device inventories: osquery results logs (snapshot, batch and differential records,
//! one JSON object per line) and Fleet's host JSON (`GET /hosts/:id`, `GET /hosts` with
//! `populate_software`, label hosts, the device page, and `fleetctl get hosts --json`).
//!
//! Each record becomes a [`DeviceReport`]; the importer folds the reports of one device
//! together in file order, so a differential log applies its changes in the order they
//! happened. osquery rows are recognised by their columns (a pack names its queries as it
//! likes): `os_version`, `system_info`, `uptime`, `disk_encryption`, `bitlocker_info`, `alf`,
//! `windows_security_center`, `screenlock`, `logged_in_users`, `interface_addresses` and the
//! package tables. Rows of other queries (processes, crontab...) say nothing of the device's
//! state and are passed over.

use std::io::{BufRead, Seek};

use rapport_core::{DeviceReport, Software, SoftwareChange};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::json::JsonReader;
use crate::{ParseError, Stop};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InventoryFormat {
    OsqueryResults,
    Fleet,
}

impl InventoryFormat {
    pub fn name(self) -> &'static str {
        match self {
            InventoryFormat::OsqueryResults => "osquery",
            InventoryFormat::Fleet => "fleet",
        }
    }
}

impl std::fmt::Display for InventoryFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Receives device reports one by one, in file order.
pub type DeviceSink<'a> = dyn FnMut(DeviceReport) -> Result<(), Stop> + 'a;

/// Names the format of an inventory file from its first bytes.
pub fn detect_inventory(prefix: &[u8]) -> Result<InventoryFormat, String> {
    let body = prefix.get(crate::bom_len(prefix)..).unwrap_or_default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    let keys = crate::json::keys_near_top(body);
    let top = |name: &str| keys.iter().any(|(depth, key)| *depth == 1 && key == name);
    let nested = |name: &str| keys.iter().any(|(depth, key)| *depth > 1 && key == name);
    let osquery_record = top("hostIdentifier") || (top("name") && (top("calendarTime") || top("unixTime")));
    if osquery_record && (top("diffResults") || top("columns") || top("snapshot") || top("action")) {
        return Ok(InventoryFormat::OsqueryResults);
    }
    let fleet_host = nested("osquery_version") || nested("hardware_serial") || nested("primary_ip");
    if (top("host") || top("hosts") || top("spec")) && fleet_host {
        return Ok(InventoryFormat::Fleet);
    }
    if top("software") && top("meta") && !top("host") {
        return Err("a Fleet software list without its host (GET /hosts/:id/software): import GET /hosts/:id instead, which names the host".into());
    }
    let mut seen: Vec<&str> =
        keys.iter().filter(|(depth, _)| *depth == 1).map(|(_, key)| key.as_str()).collect();
    seen.dedup();
    seen.truncate(8);
    Err(format!("not an osquery results log or Fleet host JSON: top-level keys [{}]", seen.join(", ")))
}

pub fn parse_inventory<R: BufRead + Seek>(
    format: InventoryFormat,
    input: R,
    sink: &mut DeviceSink<'_>,
) -> Result<(), ParseError> {
    match format {
        InventoryFormat::OsqueryResults => osquery(input, sink),
        InventoryFormat::Fleet => fleet(input, sink),
    }
}

/// Unix seconds of an RFC 3339 time; Fleet writes year 1 for "never".
fn unix_time(text: &str) -> Option<i64> {
    let time = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    (time.year() > 1970).then(|| time.unix_timestamp())
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64().or_else(|| number.as_f64().map(|f| f as i64)),
        Value::String(text) => text.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// osquery

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OsqueryRecord {
    name: Option<String>,
    host_identifier: Option<String>,
    hostname: Option<String>,
    unix_time: Option<Value>,
    action: Option<String>,
    columns: Option<Map<String, Value>>,
    snapshot: Option<Vec<Map<String, Value>>>,
    diff_results: Option<DiffResults>,
    #[serde(default)]
    decorations: Map<String, Value>,
}

#[derive(Deserialize)]
struct DiffResults {
    #[serde(default)]
    added: Vec<Map<String, Value>>,
    #[serde(default)]
    removed: Vec<Map<String, Value>>,
}

fn osquery<R: BufRead>(input: R, sink: &mut DeviceSink<'_>) -> Result<(), ParseError> {
    let mut json = JsonReader::new(input);
    while json.peek()?.is_some() {
        let record: OsqueryRecord = json.value()?;
        let report = osquery_report(record).map_err(|m| json.invalid(m))?;
        sink(report)?;
    }
    Ok(())
}

fn osquery_report(record: OsqueryRecord) -> Result<DeviceReport, String> {
    let identifier = record
        .host_identifier
        .or(record.hostname.clone())
        .ok_or("a result record without `hostIdentifier` or `hostname`")?;
    let mut report = DeviceReport::new(identifier);
    let seen_at = record.unix_time.as_ref().and_then(number);
    report.seen_at = seen_at;
    report.facts.hostname = record.hostname;
    // Decorations are what the deployment adds to every record: well-known ones are facts,
    // the rest (cloud tags, environment) are tags.
    for (key, value) in &record.decorations {
        let Some(value) = text(value) else { continue };
        match key.as_str() {
            "hostname" | "computer_name" => report.facts.hostname = Some(value),
            "hardware_serial" | "serial" => report.facts.serial = Some(value),
            "private_ip" | "public_ip" | "ip" | "ip_address" => report.facts.ips.push(value),
            "username" | "user" | "device_user" => report.facts.user = Some(value),
            _ => report.facts.tags.push(format!("{key}={value}")),
        }
    }
    let query = record.name.unwrap_or_default();
    let source = package_source(&query);
    // A snapshot is the whole current result of its query: for a package query, the list.
    if let Some(rows) = record.snapshot {
        let mut software = Vec::new();
        for row in &rows {
            match interpret(row, &source, seen_at) {
                Row::Package(package) => software.push(package),
                Row::Fact(fact) => fact.apply(&mut report),
                Row::Nothing => {}
            }
        }
        if !software.is_empty() {
            report.software = Some(software);
        }
    }
    let mut changes: Vec<(bool, Map<String, Value>)> = Vec::new();
    if let Some(diff) = record.diff_results {
        // Within one batch, removals come before additions, as osquery computes them.
        changes.extend(diff.removed.into_iter().map(|row| (false, row)));
        changes.extend(diff.added.into_iter().map(|row| (true, row)));
    }
    if let Some(row) = record.columns {
        changes.push((record.action.as_deref() != Some("removed"), row));
    }
    for (added, row) in changes {
        match interpret(&row, &source, seen_at) {
            Row::Package(package) if added => report.software_changes.push(SoftwareChange::Added(package)),
            Row::Package(package) => report.software_changes.push(SoftwareChange::Removed(package)),
            Row::Fact(fact) if added => fact.apply(&mut report),
            Row::Fact(_) | Row::Nothing => {}
        }
    }
    Ok(report)
}

/// The package table a query reads, from its name (`pack_inventory_deb_packages`).
fn package_source(query: &str) -> String {
    const TABLES: [&str; 11] = [
        "deb_packages",
        "rpm_packages",
        "apk_packages",
        "programs",
        "apps",
        "homebrew_packages",
        "chocolatey_packages",
        "python_packages",
        "npm_packages",
        "portage_packages",
        "pkg_packages",
    ];
    TABLES.iter().find(|table| query.contains(*table)).map_or_else(|| query.to_owned(), |t| (*t).to_owned())
}

/// What one osquery row says.
enum Row {
    Package(Software),
    Fact(Fact),
    Nothing,
}

/// A fact about the device, from one row of one of the tables osquery reads it from.
enum Fact {
    Os { name: Option<String>, version: Option<String>, build: Option<String>, platform: Option<String> },
    System { hostname: Option<String>, serial: Option<String> },
    BootedAt(i64),
    Encrypted(bool),
    Firewall(bool),
    ScreenLock(bool),
    User(String),
    Address(String),
}

impl Fact {
    fn apply(self, report: &mut DeviceReport) {
        let facts = &mut report.facts;
        match self {
            Fact::Os { name, version, build, platform } => {
                facts.os_name = name.or(facts.os_name.take());
                facts.os_version = version.or(facts.os_version.take());
                facts.os_build = build.or(facts.os_build.take());
                facts.platform = platform.or(facts.platform.take());
            }
            Fact::System { hostname, serial } => {
                facts.hostname = hostname.or(facts.hostname.take());
                facts.serial = serial.or(facts.serial.take());
            }
            Fact::BootedAt(time) => facts.last_reboot = Some(time),
            // A device is encrypted when all its volumes are: one unencrypted volume says no.
            Fact::Encrypted(now) => facts.disk_encrypted = Some(facts.disk_encrypted.unwrap_or(true) && now),
            Fact::Firewall(on) => facts.firewall = Some(on),
            Fact::ScreenLock(on) => facts.screen_lock = Some(on),
            Fact::User(user) => facts.user = Some(user),
            Fact::Address(address) => {
                if !facts.ips.contains(&address) {
                    facts.ips.push(address);
                }
            }
        }
    }
}

fn interpret(row: &Map<String, Value>, source: &str, seen_at: Option<i64>) -> Row {
    let get = |key: &str| row.get(key).and_then(text);
    let has = |key: &str| row.contains_key(key);
    let flag = |key: &str| get(key).map(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let fact = |fact: Option<Fact>| fact.map_or(Row::Nothing, Row::Fact);
    if has("major") && has("minor") && has("version") {
        let (name, version, build, platform) = (get("name"), get("version"), get("build"), get("platform"));
        return Row::Fact(Fact::Os { name, version, build, platform });
    }
    if has("total_seconds") {
        let up = row.get("total_seconds").and_then(number);
        return fact(up.zip(seen_at).map(|(up, now)| Fact::BootedAt(now - up)));
    }
    if has("hardware_serial") || (has("computer_name") && has("cpu_brand")) {
        return Row::Fact(Fact::System { hostname: get("hostname"), serial: get("hardware_serial") });
    }
    if has("encryption_status") || has("encrypted") || has("protection_status") {
        let encrypted = get("encryption_status")
            .map(|status| status == "encrypted")
            .or_else(|| flag("encrypted"))
            .or_else(|| flag("protection_status"));
        return fact(encrypted.map(Fact::Encrypted));
    }
    if has("global_state") {
        return fact(row.get("global_state").and_then(number).map(|state| Fact::Firewall(state > 0)));
    }
    if has("firewall") && has("antivirus") {
        return fact(get("firewall").map(|state| Fact::Firewall(state.eq_ignore_ascii_case("good"))));
    }
    if has("grace_period") && has("enabled") {
        return fact(flag("enabled").map(Fact::ScreenLock));
    }
    if has("tty") && has("user") {
        let user = get("user").filter(|u| !matches!(u.as_str(), "root" | "reboot" | "LOGIN"));
        return fact(user.map(Fact::User));
    }
    if has("interface") && has("address") {
        let address =
            get("address").filter(|a| !a.starts_with("127.") && a != "::1" && !a.starts_with("fe80"));
        return fact(address.map(Fact::Address));
    }
    let version = get("version").or_else(|| get("bundle_short_version"));
    let is_package_query = source.ends_with("packages") || matches!(source, "programs" | "apps");
    if let (Some(name), Some(version), true) = (get("name"), version, is_package_query) {
        return Row::Package(Software { name, version, source: source.to_owned() });
    }
    Row::Nothing
}

// ---------------------------------------------------------------------------------------
// Fleet

fn fleet<R: BufRead>(input: R, sink: &mut DeviceSink<'_>) -> Result<(), ParseError> {
    let mut json = JsonReader::new(input);
    let mut saw_host = false;
    // `fleetctl get hosts --json` writes one document per host, one after the other; some
    // versions, and scripts gathering them, write them as one array.
    while let Some(first) = json.peek()? {
        if first == b'[' {
            json.array("an array of Fleet hosts (`fleetctl get hosts --json`)", |json| {
                fleet_document(json, &mut saw_host, sink)
            })?;
        } else {
            fleet_document(&mut json, &mut saw_host, sink)?;
        }
    }
    if !saw_host {
        return Err(
            json.invalid("a Fleet file needs `host`, `hosts` or a `spec` host, and this one has none")
        );
    }
    Ok(())
}

/// One Fleet response: `{"host": …}`, `{"hosts": […]}` or fleetctl's `{"kind": "host", "spec": …}`.
fn fleet_document<R: BufRead>(
    json: &mut JsonReader<R>,
    saw_host: &mut bool,
    sink: &mut DeviceSink<'_>,
) -> Result<(), ParseError> {
    json.object("a Fleet response object", |json, key| match key {
        "host" | "spec" => {
            *saw_host = true;
            let host: FleetHost = json.value()?;
            Ok(sink(host.into_report().map_err(|m| json.invalid(m))?)?)
        }
        "hosts" => json.array("an array of hosts", |json| {
            *saw_host = true;
            let host: FleetHost = json.value()?;
            Ok(sink(host.into_report().map_err(|m| json.invalid(m))?)?)
        }),
        _ => json.skip(),
    })
}

#[derive(Deserialize)]
struct FleetHost {
    id: Option<i64>,
    uuid: Option<String>,
    hostname: Option<String>,
    display_name: Option<String>,
    computer_name: Option<String>,
    hardware_serial: Option<String>,
    platform: Option<String>,
    os_version: Option<String>,
    build: Option<String>,
    primary_ip: Option<String>,
    public_ip: Option<String>,
    seen_time: Option<String>,
    last_restarted_at: Option<String>,
    /// Nanoseconds.
    uptime: Option<i64>,
    disk_encryption_enabled: Option<bool>,
    team_name: Option<String>,
    software: Option<Vec<FleetSoftware>>,
    #[serde(default)]
    policies: Option<Vec<FleetPolicy>>,
    #[serde(default)]
    labels: Option<Vec<FleetLabel>>,
    #[serde(default)]
    end_users: Option<Vec<FleetEndUser>>,
    #[serde(default)]
    device_mapping: Option<Vec<FleetDeviceMapping>>,
    #[serde(default)]
    users: Option<Vec<FleetUser>>,
}

/// A local account on the host.
#[derive(Deserialize)]
struct FleetUser {
    username: String,
    groupname: Option<String>,
    shell: Option<String>,
}

impl FleetUser {
    /// A person's account rather than a system one: a login shell, and on macOS the `staff`
    /// group or on Linux anything but the system accounts.
    fn is_person(&self) -> bool {
        let shell = self.shell.as_deref().unwrap_or_default();
        let logs_in = !shell.is_empty() && !shell.ends_with("nologin") && !shell.ends_with("false");
        let system =
            matches!(self.username.as_str(), "root" | "daemon" | "nobody") || self.username.starts_with('_');
        logs_in
            && !system
            && (self.groupname.as_deref() == Some("staff") || self.groupname.as_deref() != Some("root"))
    }
}

#[derive(Deserialize)]
struct FleetSoftware {
    name: String,
    version: Option<String>,
    source: Option<String>,
}

#[derive(Deserialize)]
struct FleetPolicy {
    name: String,
    response: Option<String>,
}

#[derive(Deserialize)]
struct FleetLabel {
    name: String,
}

#[derive(Deserialize)]
struct FleetEndUser {
    idp_username: Option<String>,
}

#[derive(Deserialize)]
struct FleetDeviceMapping {
    email: Option<String>,
}

impl FleetHost {
    fn into_report(self) -> Result<DeviceReport, String> {
        let hostname = [self.hostname, self.computer_name, self.display_name]
            .into_iter()
            .flatten()
            .find(|name| !name.trim().is_empty());
        let present = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        let identifier = present(self.uuid)
            .or_else(|| present(self.hardware_serial.clone()))
            .or_else(|| hostname.clone())
            .or_else(|| self.id.map(|id| format!("fleet-host-{id}")))
            .ok_or("a host with no uuid, serial, hostname or id")?;
        let mut report = DeviceReport::new(identifier);
        report.complete = true;
        let facts = &mut report.facts;
        facts.hostname = hostname;
        facts.serial = present(self.hardware_serial);
        facts.ips =
            [self.primary_ip, self.public_ip].into_iter().flatten().filter(|ip| !ip.is_empty()).collect();
        facts.ips.dedup();
        if let Some(os) = present(self.os_version) {
            // "macOS 13.2.1", "Ubuntu 22.04.1 LTS": the name, then from the first number on.
            let split = os.find(|c: char| c.is_ascii_digit()).unwrap_or(os.len());
            let (name, version) = os.split_at(split);
            facts.os_name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
            facts.os_version = Some(version.trim().to_owned()).filter(|v| !v.is_empty());
        }
        facts.os_build = present(self.build);
        facts.platform = present(self.platform);
        let seen = self.seen_time.as_deref().and_then(unix_time);
        facts.last_reboot =
            self.last_restarted_at.as_deref().and_then(unix_time).or_else(|| {
                seen.zip(self.uptime.filter(|u| *u > 0)).map(|(seen, up)| seen - up / 1_000_000_000)
            });
        facts.disk_encrypted = self.disk_encryption_enabled;
        let idp_user = self.end_users.iter().flatten().find_map(|u| present(u.idp_username.clone()));
        let mapped_user = self.device_mapping.iter().flatten().find_map(|m| present(m.email.clone()));
        // Without a directory identity, the device's own account for a person will do.
        let account = self.users.iter().flatten().find(|u| u.is_person()).map(|u| u.username.clone());
        facts.user = idp_user.or(mapped_user).or(account);
        facts.tags = self.labels.iter().flatten().map(|label| format!("label={}", label.name)).collect();
        if let Some(team) = present(self.team_name) {
            facts.tags.push(format!("fleet_team={team}"));
        }
        facts.failing_policies = self
            .policies
            .iter()
            .flatten()
            .filter(|policy| policy.response.as_deref() == Some("fail"))
            .map(|policy| policy.name.clone())
            .collect();
        report.software = self.software.map(|list| {
            list.into_iter()
                .map(|s| Software {
                    name: s.name,
                    version: s.version.unwrap_or_default(),
                    source: s.source.unwrap_or_default(),
                })
                .collect()
        });
        report.seen_at = seen;
        Ok(report)
    }
}
