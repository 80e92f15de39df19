//! Ownership rules: which team owns an asset, how critical it is and whether it faces the
//! internet, decided by an ordered list of rules the security team keeps in a file.
//!
//! A rule has conditions (all must hold; a condition listing several patterns holds when
//! any does) and what it decides: a team (or "the team of the device's user"), a
//! criticality, an exposure. For each of the three, the first rule in file order that
//! matches and decides it wins, so specific rules go first and a catch-all last. Every
//! decision names its rule: "why is this ours?" always has an answer.
//!
//! Matching is indexed, not rule by rule: all the patterns of one field are compiled into
//! one `GlobSet`, so an asset is matched against every rule in one pass per field.

// The address type only (it lives in `core`); nothing here touches the network.
use core::net::IpAddr;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::{AssetId, TargetKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    Medium,
    High,
    Critical,
}

impl Criticality {
    pub const ALL: [Criticality; 4] =
        [Criticality::Low, Criticality::Medium, Criticality::High, Criticality::Critical];

    pub fn parse(word: &str) -> Option<Criticality> {
        Criticality::ALL.into_iter().find(|value| value.as_str() == word)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Reachable from the internet.
    Internet,
    /// Reachable only from inside the organisation's networks.
    Internal,
    /// Reachable by few: a lab, a segmented network, a program that listens on nothing.
    Isolated,
}

impl Exposure {
    pub const ALL: [Exposure; 3] = [Exposure::Internet, Exposure::Internal, Exposure::Isolated];

    pub fn parse(word: &str) -> Option<Exposure> {
        Exposure::ALL.into_iter().find(|value| value.as_str() == word)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Internet => "internet",
            Exposure::Internal => "internal",
            Exposure::Isolated => "isolated",
        }
    }
}

/// One pattern or a list of them, as the file writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Patterns {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Patterns {
    /// The one pattern that matches exactly `value` and nothing else: glob characters are
    /// bracketed (`*` is `[*]`) and a backslash doubled.
    pub fn exactly(value: &str) -> Patterns {
        Patterns::One(globset::escape(&value.replace('\\', "\\\\")))
    }

    pub fn list(&self) -> Vec<&str> {
        match self {
            Patterns::None => Vec::new(),
            Patterns::One(one) => vec![one.as_str()],
            Patterns::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list().is_empty()
    }
}

/// What a rule looks at. Globs use `*`, `?`, `[...]` and `{a,b}`; in `path`, `*` stays within
/// one folder and `**` crosses folders, as in CODEOWNERS. Names compare case-insensitively,
/// paths exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The asset kind: `host`, `container_image`, `repository`, `filesystem`,
    /// `kubernetes_resource`, `product`.
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub kind: Patterns,
    /// Any asset's name.
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub name: Patterns,
    /// A container image's name (`registry.example.com/payments/*`).
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub image: Patterns,
    /// A repository's name (`github.com/acme/payments-*`).
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub repository: Patterns,
    /// A host's name (`web-*.prod.example.com`).
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub hostname: Patterns,
    /// Address ranges a host is in (`10.20.0.0/16`, or one address).
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub ip: Patterns,
    /// Labels and cloud tags, as `key=value` globs (`env=prod`, `team=*`).
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub tag: Patterns,
    /// A path inside the asset (a file of a repository), for findings there.
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub path: Patterns,
    /// The device's user (email or login).
    #[serde(default, skip_serializing_if = "Patterns::is_empty")]
    pub device_user: Patterns,
}

impl Conditions {
    /// Each condition under its name in the file, in the file's order of fields.
    pub fn fields(&self) -> [(&'static str, &Patterns); 9] {
        [
            ("kind", &self.kind),
            ("name", &self.name),
            ("image", &self.image),
            ("repository", &self.repository),
            ("hostname", &self.hostname),
            ("ip", &self.ip),
            ("tag", &self.tag),
            ("path", &self.path),
            ("device_user", &self.device_user),
        ]
    }

    /// The conditions in words: `image is registry.example.com/payments/*`, `ip in 10.0.0.0/8`.
    pub fn describe(&self) -> Vec<String> {
        self.fields()
            .into_iter()
            .filter(|(_, patterns)| !patterns.is_empty())
            .map(|(field, patterns)| {
                let verb = if field == "ip" { "in" } else { "is" };
                format!("{} {verb} {}", field.replace('_', " "), patterns.list().join(" or "))
            })
            .collect()
    }
}

/// One rule as written in the ownership file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// A name people will recognise in "why is this ours?".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The owner is the team of the person who uses the device.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub team_of_device_user: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    #[serde(rename = "match", default)]
    pub conditions: Conditions,
}

/// The ownership file: its rules, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipSpec {
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {number} ({label}): {message}")]
pub struct RuleError {
    /// 1-based, in file order.
    pub number: usize,
    pub label: String,
    pub message: String,
}

/// What an asset offers the rules.
#[derive(Clone, Debug, Default)]
pub struct AssetFacts<'a> {
    pub kind: Option<TargetKind>,
    pub name: &'a str,
    pub hostname: Option<&'a str>,
    pub ips: Vec<IpAddr>,
    pub tags: &'a [String],
    pub device_user: Option<&'a str>,
    /// A path inside the asset, when ownership is asked for a finding in that file.
    pub path: Option<&'a str>,
}

impl<'a> AssetFacts<'a> {
    /// The facts every asset has from its identity: a host's name is its hostname, or its
    /// address when it is one.
    pub fn of(asset: &'a AssetId) -> AssetFacts<'a> {
        let mut facts = AssetFacts { kind: Some(asset.kind), name: &asset.name, ..AssetFacts::default() };
        if asset.kind == TargetKind::Host {
            match asset.name.parse::<IpAddr>() {
                Ok(ip) => facts.ips.push(ip),
                Err(_) => facts.hostname = Some(&asset.name),
            }
        }
        facts
    }
}

/// A decision and the rule (0-based index) that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided<T> {
    pub value: T,
    pub rule: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    pub owner: Option<Decided<String>>,
    pub criticality: Option<Decided<Criticality>>,
    pub exposure: Option<Decided<Exposure>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Kind,
    Name,
    Image,
    Repository,
    Hostname,
    Tag,
    Path,
    DeviceUser,
}

const GLOB_FIELDS: [Field; 8] = [
    Field::Kind,
    Field::Name,
    Field::Image,
    Field::Repository,
    Field::Hostname,
    Field::Tag,
    Field::Path,
    Field::DeviceUser,
];
/// The bit of the `ip` condition; the glob fields take bits 0 to 7.
const IP_BIT: u16 = 1 << 8;

impl Field {
    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    fn patterns(self, conditions: &Conditions) -> &Patterns {
        match self {
            Field::Kind => &conditions.kind,
            Field::Name => &conditions.name,
            Field::Image => &conditions.image,
            Field::Repository => &conditions.repository,
            Field::Hostname => &conditions.hostname,
            Field::Tag => &conditions.tag,
            Field::Path => &conditions.path,
            Field::DeviceUser => &conditions.device_user,
        }
    }

    /// The values of this field an asset offers.
    fn values<'f>(self, facts: &'f AssetFacts<'_>) -> Vec<&'f str> {
        let kind = facts.kind;
        match self {
            Field::Kind => kind.map(TargetKind::as_str).into_iter().collect(),
            Field::Name => vec![facts.name],
            Field::Image => {
                (kind == Some(TargetKind::ContainerImage)).then_some(facts.name).into_iter().collect()
            }
            Field::Repository => {
                (kind == Some(TargetKind::Repository)).then_some(facts.name).into_iter().collect()
            }
            Field::Hostname => facts.hostname.into_iter().collect(),
            Field::Tag => facts.tags.iter().map(String::as_str).collect(),
            Field::Path => facts.path.into_iter().collect(),
            Field::DeviceUser => facts.device_user.into_iter().collect(),
        }
    }
}

struct FieldIndex {
    field: Field,
    set: GlobSet,
    /// The rule of each pattern in `set`.
    rule_of: Vec<usize>,
}

/// Compiled rules, ready to resolve any number of assets.
pub struct Ownership {
    specs: Vec<RuleSpec>,
    /// Bits of the conditions each rule has; a rule matches when all of them hold.
    required: Vec<u16>,
    fields: Vec<FieldIndex>,
    networks: Networks,
    /// Rules with no conditions: they match everything.
    unconditional: Vec<usize>,
}

/// Address ranges by prefix length: an address is looked up once per length in use (a
/// handful), not compared with every range.
#[derive(Default)]
struct Networks {
    by_prefix: Vec<(u8, bool, std::collections::HashMap<IpAddr, Vec<usize>>)>,
}

impl Networks {
    fn add(&mut self, net: IpNet, rule: usize) {
        let (prefix, v4) = (net.prefix_len(), matches!(net, IpNet::V4(_)));
        let index = match self.by_prefix.iter().position(|(p, is_v4, _)| *p == prefix && *is_v4 == v4) {
            Some(index) => index,
            None => {
                self.by_prefix.push((prefix, v4, std::collections::HashMap::new()));
                self.by_prefix.len() - 1
            }
        };
        if let Some((_, _, map)) = self.by_prefix.get_mut(index) {
            map.entry(net.network()).or_default().push(rule);
        }
    }

    /// The rules whose range holds `ip`.
    fn containing(&self, ip: IpAddr) -> impl Iterator<Item = usize> + '_ {
        self.by_prefix
            .iter()
            .filter(move |(_, v4, _)| *v4 == ip.is_ipv4())
            .filter_map(move |(prefix, _, map)| {
                let network = IpNet::new(ip, *prefix).ok()?.network();
                map.get(&network)
            })
            .flatten()
            .copied()
    }
}

impl std::fmt::Debug for Ownership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ownership").field("rules", &self.specs.len()).finish_non_exhaustive()
    }
}

/// Names compare case-insensitively: both patterns and values are lower-cased, which keeps
/// plain patterns (`web-*`, `*.example.com`) on globset's literal, prefix and suffix
/// strategies (a case-insensitive glob always becomes a regular expression, and a thousand
/// of those overflow the lazy DFA).
fn glob(pattern: &str, field: Field) -> Result<Glob, globset::Error> {
    if field == Field::Path {
        GlobBuilder::new(pattern).literal_separator(true).build()
    } else {
        GlobBuilder::new(&pattern.to_lowercase()).build()
    }
}

/// `10.0.0.0/8`, or one address (`10.1.2.3` is `10.1.2.3/32`).
fn network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>().ok().or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

impl Ownership {
    pub fn compile(spec: OwnershipSpec) -> Result<Ownership, RuleError> {
        let mut builders: Vec<(Field, GlobSetBuilder, Vec<usize>)> =
            GLOB_FIELDS.iter().map(|field| (*field, GlobSetBuilder::new(), Vec::new())).collect();
        let mut required = Vec::with_capacity(spec.rules.len());
        let mut networks = Networks::default();
        let mut unconditional = Vec::new();
        for (index, rule) in spec.rules.iter().enumerate() {
            let error = |message: String| RuleError { number: index + 1, label: label(rule), message };
            if rule.team.is_none()
                && !rule.team_of_device_user
                && rule.criticality.is_none()
                && rule.exposure.is_none()
            {
                return Err(error(
                    "decides nothing: give it a `team`, `team_of_device_user`, `criticality` or `exposure`"
                        .into(),
                ));
            }
            if rule.team.is_some() && rule.team_of_device_user {
                return Err(error("has both `team` and `team_of_device_user`: choose one".into()));
            }
            if rule.team.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(error("has an empty `team`".into()));
            }
            let mut bits = 0u16;
            for (field, builder, rule_of) in &mut builders {
                for pattern in field.patterns(&rule.conditions).list() {
                    let compiled = glob(pattern, *field)
                        .map_err(|e| error(format!("bad pattern {pattern:?}: {}", e.kind())))?;
                    builder.add(compiled);
                    rule_of.push(index);
                    bits |= field.bit();
                }
            }
            for text in rule.conditions.ip.list() {
                let net = network(text).ok_or_else(|| {
                    error(format!("bad address range {text:?}: expected `10.0.0.0/8` or an address"))
                })?;
                networks.add(net, index);
                bits |= IP_BIT;
            }
            if bits == 0 {
                unconditional.push(index);
            }
            required.push(bits);
        }
        let mut fields = Vec::new();
        for (field, builder, rule_of) in builders {
            if rule_of.is_empty() {
                continue;
            }
            let set = builder.build().map_err(|e| RuleError {
                number: 0,
                label: "all rules".into(),
                message: format!("the {field:?} patterns do not compile together: {e}"),
            })?;
            fields.push(FieldIndex { field, set, rule_of });
        }
        Ok(Ownership { specs: spec.rules, required, fields, networks, unconditional })
    }

    pub fn rules(&self) -> &[RuleSpec] {
        &self.specs
    }

    /// "rule 3 (payments images)": how a rule is named to people.
    pub fn rule_label(&self, rule: usize) -> String {
        match self.specs.get(rule) {
            Some(spec) => format!("rule {} ({})", rule + 1, label(spec)),
            None => format!("rule {}", rule + 1),
        }
    }

    /// The rules that match these facts, in file order.
    pub fn matching(&self, facts: &AssetFacts<'_>) -> Vec<usize> {
        // The conditions of each rule that hold, as bits; `touched` lists the rules with any.
        let mut satisfied = vec![0u16; self.required.len()];
        let mut touched = Vec::new();
        let mut mark = |rule: usize, bit: u16| {
            if let Some(bits) = satisfied.get_mut(rule) {
                if *bits == 0 {
                    touched.push(rule);
                }
                *bits |= bit;
            }
        };
        for index in &self.fields {
            for value in index.field.values(facts) {
                let value: std::borrow::Cow<'_, str> =
                    if index.field == Field::Path { value.into() } else { value.to_lowercase().into() };
                for pattern in index.set.matches(value.as_ref()) {
                    if let Some(rule) = index.rule_of.get(pattern) {
                        mark(*rule, index.field.bit());
                    }
                }
            }
        }
        for ip in &facts.ips {
            for rule in self.networks.containing(*ip) {
                mark(rule, IP_BIT);
            }
        }
        let mut rules: Vec<usize> = touched
            .into_iter()
            .filter(|rule| satisfied.get(*rule) == self.required.get(*rule))
            .chain(self.unconditional.iter().copied())
            .collect();
        rules.sort_unstable();
        rules
    }

    /// Decides owner, criticality and exposure. `team_of` gives the team of a device user,
    /// for rules that give a device to its user's team; when it has none, such a rule does
    /// not decide and the next one may.
    pub fn resolve(&self, facts: &AssetFacts<'_>, team_of: impl Fn(&str) -> Option<String>) -> Resolution {
        let mut resolution = Resolution::default();
        for rule in self.matching(facts) {
            let Some(spec) = self.specs.get(rule) else { continue };
            if resolution.owner.is_none() {
                let team = match (&spec.team, spec.team_of_device_user) {
                    (Some(team), _) => Some(team.clone()),
                    (None, true) => facts.device_user.and_then(&team_of),
                    (None, false) => None,
                };
                resolution.owner = team.map(|value| Decided { value, rule });
            }
            if resolution.criticality.is_none() {
                resolution.criticality = spec.criticality.map(|value| Decided { value, rule });
            }
            if resolution.exposure.is_none() {
                resolution.exposure = spec.exposure.map(|value| Decided { value, rule });
            }
            if resolution.owner.is_some() && resolution.criticality.is_some() && resolution.exposure.is_some()
            {
                break;
            }
        }
        resolution
    }
}

fn label(rule: &RuleSpec) -> String {
    match (&rule.name, &rule.team) {
        (Some(name), _) => name.clone(),
        (None, Some(team)) => format!("team {team}"),
        (None, None) if rule.team_of_device_user => "team of the device's user".into(),
        (None, None) => "unnamed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(team: &str, conditions: Conditions) -> RuleSpec {
        RuleSpec { team: Some(team.into()), conditions, ..RuleSpec::default() }
    }

    fn one(pattern: &str) -> Patterns {
        Patterns::One(pattern.into())
    }

    fn owner(ownership: &Ownership, facts: &AssetFacts<'_>) -> Option<(String, usize)> {
        ownership.resolve(facts, |_| None).owner.map(|d| (d.value, d.rule))
    }

    #[test]
    fn the_first_matching_rule_decides_and_is_named() {
        let ownership = Ownership::compile(OwnershipSpec {
            rules: vec![
                rule(
                    "payments",
                    Conditions { image: one("registry.example.com/payments/*"), ..Conditions::default() },
                ),
                rule("platform", Conditions { kind: one("container_image"), ..Conditions::default() }),
            ],
        })
        .unwrap();
        let api = AssetId {
            kind: TargetKind::ContainerImage,
            name: "Registry.example.com/payments/api:1.4".into(),
        };
        assert_eq!(owner(&ownership, &AssetFacts::of(&api)), Some(("payments".into(), 0)));
        let other =
            AssetId { kind: TargetKind::ContainerImage, name: "registry.example.com/search:2".into() };
        assert_eq!(owner(&ownership, &AssetFacts::of(&other)), Some(("platform".into(), 1)));
        assert_eq!(ownership.rule_label(1), "rule 2 (team platform)");
        let repository = AssetId { kind: TargetKind::Repository, name: "github.com/acme/x".into() };
        assert_eq!(owner(&ownership, &AssetFacts::of(&repository)), None);
    }

    #[test]
    fn an_exact_pattern_matches_its_name_whatever_it_holds_and_nothing_else() {
        let names = ["C:\\Builds\\app[1]*.jar", "/srv/{a,b}/lib?.so", "Web-01.Example.com"];
        for name in names {
            let ownership = Ownership::compile(OwnershipSpec {
                rules: vec![rule(
                    "web",
                    Conditions { name: Patterns::exactly(name), ..Conditions::default() },
                )],
            })
            .unwrap();
            let asset = |name: &str| AssetId { kind: TargetKind::Filesystem, name: name.into() };
            assert_eq!(owner(&ownership, &AssetFacts::of(&asset(name))), Some(("web".into(), 0)), "{name}");
            let near = name.replace(['*', '?', '1'], "x");
            assert_eq!(owner(&ownership, &AssetFacts::of(&asset(&near))), None, "{near}");
        }
    }

    #[test]
    fn all_conditions_must_hold_and_any_pattern_of_one() {
        let ownership = Ownership::compile(OwnershipSpec {
            rules: vec![rule(
                "web",
                Conditions {
                    hostname: Patterns::Many(vec!["web-*".into(), "www*".into()]),
                    ip: one("10.20.0.0/16"),
                    ..Conditions::default()
                },
            )],
        })
        .unwrap();
        let mut facts = AssetFacts {
            kind: Some(TargetKind::Host),
            name: "x",
            hostname: Some("www2"),
            ..AssetFacts::default()
        };
        assert_eq!(owner(&ownership, &facts), None, "the address does not hold");
        facts.ips = vec!["10.20.3.4".parse().unwrap()];
        assert_eq!(owner(&ownership, &facts), Some(("web".into(), 0)));
        facts.hostname = Some("db-1");
        assert_eq!(owner(&ownership, &facts), None);
        let by_address = AssetId { kind: TargetKind::Host, name: "10.20.9.9".into() };
        assert_eq!(AssetFacts::of(&by_address).ips.len(), 1);
    }

    #[test]
    fn paths_follow_codeowners_and_tags_match_key_value() {
        let ownership = Ownership::compile(OwnershipSpec {
            rules: vec![
                rule("billing", Conditions { path: one("services/billing/**"), ..Conditions::default() }),
                rule("docs", Conditions { path: one("*.md"), ..Conditions::default() }),
                rule("data", Conditions { tag: one("env=prod*"), ..Conditions::default() }),
            ],
        })
        .unwrap();
        let mut facts =
            AssetFacts { name: "repo", path: Some("services/billing/api/main.go"), ..AssetFacts::default() };
        assert_eq!(owner(&ownership, &facts).map(|o| o.0), Some("billing".into()));
        facts.path = Some("docs/readme.md");
        assert_eq!(owner(&ownership, &facts), None, "`*` stays within one folder");
        facts.path = Some("README.md");
        assert_eq!(owner(&ownership, &facts).map(|o| o.0), Some("docs".into()));
        let tags = vec!["env=production".to_owned()];
        let tagged = AssetFacts { name: "h", tags: &tags, ..AssetFacts::default() };
        assert_eq!(owner(&ownership, &tagged).map(|o| o.0), Some("data".into()));
    }

    #[test]
    fn a_device_goes_to_its_users_team_or_falls_through() {
        let ownership = Ownership::compile(OwnershipSpec {
            rules: vec![
                RuleSpec {
                    team_of_device_user: true,
                    conditions: Conditions { device_user: one("*@example.com"), ..Conditions::default() },
                    ..RuleSpec::default()
                },
                RuleSpec {
                    team: Some("it".into()),
                    criticality: Some(Criticality::Low),
                    ..RuleSpec::default()
                },
            ],
        })
        .unwrap();
        let known =
            AssetFacts { name: "laptop-1", device_user: Some("ana@example.com"), ..AssetFacts::default() };
        let team_of = |user: &str| (user == "ana@example.com").then(|| "design".to_owned());
        let resolved = ownership.resolve(&known, team_of);
        assert_eq!(resolved.owner, Some(Decided { value: "design".into(), rule: 0 }));
        assert_eq!(resolved.criticality, Some(Decided { value: Criticality::Low, rule: 1 }));
        let stranger =
            AssetFacts { name: "laptop-2", device_user: Some("bob@example.com"), ..AssetFacts::default() };
        assert_eq!(ownership.resolve(&stranger, team_of).owner.map(|d| d.value), Some("it".into()));
    }

    #[test]
    fn bad_rules_are_refused_by_number_and_name() {
        let bad_glob = RuleSpec {
            name: Some("broken".into()),
            team: Some("x".into()),
            conditions: Conditions { hostname: one("web-[a"), ..Conditions::default() },
            ..RuleSpec::default()
        };
        let error =
            Ownership::compile(OwnershipSpec { rules: vec![rule("a", Conditions::default()), bad_glob] })
                .unwrap_err();
        assert_eq!(error.number, 2);
        assert!(error.to_string().starts_with("rule 2 (broken): bad pattern \"web-[a\""), "{error}");
        let bad_net = rule("x", Conditions { ip: one("10.0.0.0/33"), ..Conditions::default() });
        let error = Ownership::compile(OwnershipSpec { rules: vec![bad_net] }).unwrap_err();
        assert!(error.message.contains("bad address range"), "{error}");
        let idle = RuleSpec::default();
        let error = Ownership::compile(OwnershipSpec { rules: vec![idle] }).unwrap_err();
        assert!(error.message.contains("decides nothing"), "{error}");
    }
}
