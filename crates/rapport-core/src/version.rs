//! Version ordering per ecosystem, so that "the smallest version that fixes every finding" is
//! right for the package's own rules: `1.10.0` after `1.9.0`, `1.0~rc1` before `1.0` on
//! Debian, `2.0.0.RC1` before `2.0.0` in Maven, `1.0rc1` before `1.0` under PEP 440.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// Which ordering rules a package's versions follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionScheme {
    /// Semantic Versioning 2.0: cargo, npm, Go modules (with their `v`), NuGet, Composer.
    Semver,
    /// dpkg: epoch, upstream version and revision, `~` before everything.
    Debian,
    /// rpmvercmp: epoch, version and release; also used for Alpine's `-rN` revisions.
    Rpm,
    /// PEP 440: Python packages.
    Pep440,
    /// Maven's ComparableVersion.
    Maven,
    /// Dotted numbers with letters, for products without a known ecosystem.
    Generic,
}

impl VersionScheme {
    /// The scheme of a package from its purl type (most reliable) or the ecosystem name the
    /// scanner gave (Trivy's `debian`, Grype's `java-archive`, OSV's `PyPI`...).
    pub fn of_package(purl: Option<&str>, ecosystem: Option<&str>) -> VersionScheme {
        let purl_type = purl
            .and_then(|purl| purl.strip_prefix("pkg:"))
            .and_then(|rest| rest.split('/').next())
            .map(str::to_ascii_lowercase);
        purl_type
            .as_deref()
            .and_then(VersionScheme::of_ecosystem)
            .or_else(|| ecosystem.and_then(|name| VersionScheme::of_ecosystem(&name.to_ascii_lowercase())))
            .unwrap_or(VersionScheme::Generic)
    }

    fn of_ecosystem(name: &str) -> Option<VersionScheme> {
        let scheme = match name {
            "cargo" | "crates.io" | "rust-crate" | "npm" | "node-pkg" | "yarn" | "pnpm" | "golang" | "go"
            | "gomod" | "gobinary" | "go-module" | "nuget" | "dotnet-core" | "dotnet-deps" | "composer"
            | "packagist" | "php-composer" | "hex" | "pub" | "swift" | "cocoapods" => VersionScheme::Semver,
            "deb" | "debian" | "ubuntu" | "dpkg" => VersionScheme::Debian,
            "rpm" | "redhat" | "centos" | "rocky" | "alma" | "almalinux" | "amazon" | "oracle" | "fedora"
            | "suse" | "opensuse" | "sles" | "photon" | "cbl-mariner" | "azurelinux" | "apk" | "alpine"
            | "wolfi" | "chainguard" => VersionScheme::Rpm,
            "pypi" | "pip" | "pipenv" | "poetry" | "python" | "python-pkg" | "conda" | "uv" => {
                VersionScheme::Pep440
            }
            "maven" | "jar" | "pom" | "gradle" | "java-archive" | "sbt" => VersionScheme::Maven,
            _ => return None,
        };
        Some(scheme)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VersionScheme::Semver => "semver",
            VersionScheme::Debian => "debian",
            VersionScheme::Rpm => "rpm",
            VersionScheme::Pep440 => "pep440",
            VersionScheme::Maven => "maven",
            VersionScheme::Generic => "generic",
        }
    }

    /// Orders two versions. A version the scheme cannot read is compared by the generic
    /// rules, so a typo orders somewhere sensible instead of failing the plan.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        let (a, b) = (a.trim(), b.trim());
        if a == b {
            return Ordering::Equal;
        }
        let exact = match self {
            VersionScheme::Semver => semver_of(a).zip(semver_of(b)).map(|(a, b)| a.cmp_precedence(&b)),
            VersionScheme::Debian => a
                .parse::<debversion::Version>()
                .ok()
                .zip(b.parse::<debversion::Version>().ok())
                .map(|(a, b)| a.cmp(&b)),
            VersionScheme::Rpm => Some(rpm_version::Evr::parse(a).cmp(&rpm_version::Evr::parse(b))),
            VersionScheme::Pep440 => a
                .parse::<pep440_rs::Version>()
                .ok()
                .zip(b.parse::<pep440_rs::Version>().ok())
                .map(|(a, b)| a.cmp(&b)),
            VersionScheme::Maven => Some(maven::compare(a, b)),
            VersionScheme::Generic => None,
        };
        exact.unwrap_or_else(|| generic(a, b))
    }

    /// The smallest of `candidates` that is not below `installed` (a fix on the branch in
    /// use), else the largest candidate; `None` when there are no candidates.
    pub fn fix_for<'a>(self, installed: Option<&str>, candidates: &[&'a str]) -> Option<&'a str> {
        let ascending = |a: &&&str, b: &&&str| self.compare(a, b);
        let not_below = |candidate: &&&str| match installed {
            Some(installed) => self.compare(candidate, installed) != Ordering::Less,
            None => true,
        };
        candidates
            .iter()
            .filter(not_below)
            .min_by(ascending)
            .or_else(|| candidates.iter().max_by(ascending))
            .copied()
    }

    /// The larger of two versions under this scheme.
    pub fn max<'a>(self, a: &'a str, b: &'a str) -> &'a str {
        if self.compare(a, b) == Ordering::Less { b } else { a }
    }
}

/// Splits a scanner's "fixed in" text into versions: Trivy writes `2.12.2, 2.15.0`, others
/// `>= 1.2.3` or `1.2.3 || 2.0.1`.
pub fn fixed_versions(text: &str) -> Vec<&str> {
    text.split([',', '|', ' '])
        .map(|part| part.trim().trim_start_matches(['>', '=', '^', '~']).trim())
        .filter(|part| !part.is_empty() && part.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

fn semver_of(text: &str) -> Option<semver::Version> {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    semver::Version::parse(text).ok().or_else(|| {
        // "1.2" and "1" are common in lockfiles of ecosystems that are semver in spirit.
        let (core, rest) = text.split_at(text.find(['-', '+']).unwrap_or(text.len()));
        let dots = core.matches('.').count();
        let padded = match dots {
            0 => format!("{core}.0.0{rest}"),
            1 => format!("{core}.0{rest}"),
            _ => return None,
        };
        semver::Version::parse(&padded).ok()
    })
}

fn generic(a: &str, b: &str) -> Ordering {
    match version_compare::compare(a, b) {
        Ok(version_compare::Cmp::Lt) => Ordering::Less,
        Ok(version_compare::Cmp::Gt) => Ordering::Greater,
        Ok(_) => Ordering::Equal,
        Err(()) => a.cmp(b),
    }
}

/// Maven's `ComparableVersion`, ported (no crate implements it; see CRATES.md): items split
/// on `.` and `-` and at digit/letter changes, `-` opening a sub-list, trailing zeros and
/// release words dropped, qualifiers ordered alpha < beta < milestone < rc < snapshot <
/// release < sp < anything else.
mod maven {
    use std::cmp::Ordering;

    #[derive(Debug, PartialEq)]
    enum Item {
        /// Digits without leading zeros, compared by length then text (no overflow).
        Number(String),
        Word(String),
        List(Vec<Item>),
    }

    pub(super) fn compare(a: &str, b: &str) -> Ordering {
        compare_lists(&parse(a), &parse(b))
    }

    fn parse(version: &str) -> Vec<Item> {
        let version = version.to_lowercase();
        // A stack of open lists; `-` opens a new one inside the current one.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut token = String::new();
        let mut digits = false;
        let chars: Vec<char> = version.chars().collect();
        for (index, &c) in chars.iter().enumerate() {
            let followed_by_digit = chars.get(index + 1).is_some_and(char::is_ascii_digit);
            match c {
                '.' | '-' => {
                    push_token(&mut stack, &mut token, digits, followed_by_digit);
                    if c == '-' {
                        stack.push(Vec::new());
                    }
                }
                c if c.is_ascii_digit() => {
                    if !digits && !token.is_empty() {
                        push_token(&mut stack, &mut token, false, true);
                        stack.push(Vec::new());
                    }
                    digits = true;
                    token.push(c);
                }
                c => {
                    if digits && !token.is_empty() {
                        push_token(&mut stack, &mut token, true, false);
                        stack.push(Vec::new());
                    }
                    digits = false;
                    token.push(c);
                }
            }
        }
        push_token(&mut stack, &mut token, digits, false);
        while stack.len() > 1 {
            close(&mut stack);
        }
        let mut top = stack.pop().unwrap_or_default();
        normalize(&mut top);
        top
    }

    fn push_token(stack: &mut [Vec<Item>], token: &mut String, digits: bool, followed_by_digit: bool) {
        let Some(list) = stack.last_mut() else { return };
        let text = std::mem::take(token);
        let item = if text.is_empty() {
            Item::Number("0".into())
        } else if digits {
            let trimmed = text.trim_start_matches('0');
            Item::Number(if trimmed.is_empty() { "0".into() } else { trimmed.into() })
        } else {
            Item::Word(qualifier(&text, followed_by_digit))
        };
        list.push(item);
    }

    fn close(stack: &mut Vec<Vec<Item>>) {
        if let Some(mut list) = stack.pop() {
            normalize(&mut list);
            if let Some(parent) = stack.last_mut() {
                parent.push(Item::List(list));
            }
        }
    }

    /// Drops trailing "null" items (0, release words, empty lists), as Maven does.
    fn normalize(list: &mut Vec<Item>) {
        while list.last().is_some_and(is_null) {
            list.pop();
        }
    }

    fn is_null(item: &Item) -> bool {
        match item {
            Item::Number(n) => n == "0",
            Item::Word(w) => w.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    fn qualifier(word: &str, followed_by_digit: bool) -> String {
        let word = match word {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        word.to_owned()
    }

    /// Maven's rank of a qualifier: known ones by position, others after all of them.
    fn rank(word: &str) -> (usize, &str) {
        const KNOWN: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
        match KNOWN.iter().position(|known| *known == word) {
            Some(position) => (position, ""),
            None => (KNOWN.len(), word),
        }
    }

    fn compare_numbers(a: &str, b: &str) -> Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// Compares an item with the padding a shorter list gets.
    fn compare_to_null(item: &Item) -> Ordering {
        match item {
            Item::Number(n) => compare_numbers(n, "0"),
            Item::Word(w) => rank(w).cmp(&rank("")),
            Item::List(l) => l.first().map_or(Ordering::Equal, compare_to_null),
        }
    }

    fn compare_items(a: &Item, b: &Item) -> Ordering {
        match (a, b) {
            (Item::Number(a), Item::Number(b)) => compare_numbers(a, b),
            (Item::Number(_), _) => Ordering::Greater,
            (Item::Word(_), Item::Number(_)) => Ordering::Less,
            (Item::Word(a), Item::Word(b)) => rank(a).cmp(&rank(b)),
            (Item::Word(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Number(_)) => Ordering::Less,
            (Item::List(_), Item::Word(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => compare_lists(a, b),
        }
    }

    fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
        let length = a.len().max(b.len());
        for index in 0..length {
            let order = match (a.get(index), b.get(index)) {
                (Some(a), Some(b)) => compare_items(a, b),
                (Some(a), None) => compare_to_null(a),
                (None, Some(b)) => compare_to_null(b).reverse(),
                (None, None) => Ordering::Equal,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascending(scheme: VersionScheme, versions: &[&str]) {
        for pair in versions.windows(2) {
            if let [a, b] = pair {
                assert_eq!(scheme.compare(a, b), Ordering::Less, "{scheme:?}: {a} < {b}");
                assert_eq!(scheme.compare(b, a), Ordering::Greater, "{scheme:?}: {b} > {a}");
            }
        }
    }

    #[test]
    fn semver_orders_numbers_and_prereleases() {
        ascending(
            VersionScheme::Semver,
            &["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0"],
        );
        ascending(VersionScheme::Semver, &["1.9.0", "1.10.0", "v1.10.1", "2"]);
        // Go pseudo-versions are pre-releases of the next patch.
        ascending(VersionScheme::Semver, &["v0.0.0-20210101000000-abcdef123456", "v0.0.1"]);
        assert_eq!(VersionScheme::Semver.compare("1.2.3+build.1", "1.2.3"), Ordering::Equal);
    }

    #[test]
    fn debian_follows_dpkg() {
        ascending(
            VersionScheme::Debian,
            &["1.0~rc1-1", "1.0-1", "1.0-1+deb12u1", "1.0-2", "1.0a-1", "1:0.9-1", "2:0.1-1"],
        );
        ascending(VersionScheme::Debian, &["3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "3.0.13-1"]);
    }

    #[test]
    fn rpm_follows_rpmvercmp() {
        // rpm's own test vectors (tests/rpmvercmp.at).
        let vectors = [
            ("1.0", "1.0", Ordering::Equal),
            ("1.0", "2.0", Ordering::Less),
            ("2.0.1", "2.0.1a", Ordering::Less),
            ("5.5p1", "5.5p2", Ordering::Less),
            ("5.5p10", "5.5p1", Ordering::Greater),
            ("10xyz", "10.1xyz", Ordering::Less),
            ("xyz10", "xyz10.1", Ordering::Less),
            ("1.0~rc1", "1.0", Ordering::Less),
            ("1.0~rc1", "1.0~rc2", Ordering::Less),
            ("1.0^", "1.0", Ordering::Greater),
            ("1.0^git1", "1.0.1", Ordering::Less),
            ("2.0", "2_0", Ordering::Equal),
            ("1:1.0-1", "2.0-1", Ordering::Greater),
        ];
        for (a, b, expected) in vectors {
            assert_eq!(VersionScheme::Rpm.compare(a, b), expected, "{a} vs {b}");
        }
    }

    #[test]
    fn pep440_orders_pre_post_and_dev_releases() {
        ascending(
            VersionScheme::Pep440,
            &["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "1!0.5"],
        );
    }

    #[test]
    fn maven_follows_comparable_version() {
        // From Maven's ComparableVersionTest.
        ascending(
            VersionScheme::Maven,
            &[
                "1-alpha2snapshot",
                "1-alpha2",
                "1-alpha-123",
                "1-beta-2",
                "1-beta123",
                "1-m2",
                "1-m11",
                "1-rc",
                "1-cr2",
                "1-rc123",
                "1-SNAPSHOT",
                "1",
                "1-sp",
                "1-sp2",
                "1-sp123",
                "1-abc",
                "1-def",
                "1-pom-1",
                "1-1-snapshot",
                "1-1",
                "1-2",
                "1-123",
            ],
        );
        for (a, b) in
            [("1", "1.0.0"), ("1-ga", "1"), ("1.0-final", "1"), ("1a1", "1-alpha-1"), ("1cr", "1rc")]
        {
            assert_eq!(VersionScheme::Maven.compare(a, b), Ordering::Equal, "{a} = {b}");
        }
        ascending(VersionScheme::Maven, &["2.0.0.RC1", "2.0.0", "2.0.1", "2.14.1", "2.15.0", "2.17.1"]);
    }

    #[test]
    fn scheme_comes_from_purl_then_ecosystem() {
        assert_eq!(
            VersionScheme::of_package(Some("pkg:maven/org.apache/log4j@2"), None),
            VersionScheme::Maven
        );
        assert_eq!(
            VersionScheme::of_package(Some("pkg:deb/debian/openssl@3"), Some("npm")),
            VersionScheme::Debian
        );
        assert_eq!(VersionScheme::of_package(None, Some("PyPI")), VersionScheme::Pep440);
        assert_eq!(VersionScheme::of_package(None, Some("something")), VersionScheme::Generic);
    }

    #[test]
    fn the_fix_is_the_smallest_on_the_branch_in_use() {
        let candidates = fixed_versions("2.3.2, 2.12.2, 2.15.0");
        assert_eq!(candidates, ["2.3.2", "2.12.2", "2.15.0"]);
        assert_eq!(VersionScheme::Maven.fix_for(Some("2.12.1"), &candidates), Some("2.12.2"));
        assert_eq!(VersionScheme::Maven.fix_for(Some("2.16.0"), &candidates), Some("2.15.0"));
        assert_eq!(VersionScheme::Semver.fix_for(None, &fixed_versions(">= 1.2.3 || 2.0.1")), Some("1.2.3"));
        assert_eq!(VersionScheme::Semver.fix_for(None, &[]), None);
    }
}
