//! Rapport's reading of STIX patterns agrees with OASIS's `stix2-patterns` (PyPI) on every
//! pattern here, those it accepts and those it refuses. `scripts/test` installs the package
//! and names its Python in RAPPORT_STIX_PYTHON; without it this test says so and, in CI, fails.

use std::io::Write;
use std::process::{Command, Stdio};

use rapport_formats::parse_pattern;
use serde_json::Value;

/// Patterns that exercise each rule of the grammar, and their near misses.
const PATTERNS: &[&str] = &[
    "[ipv4-addr:value = '198.51.100.3']",
    "[ipv4-addr:value == '198.51.100.3']",
    "[ipv6-addr:value = '2001:db8::1']",
    "[domain-name:value = 'login.example.net' OR domain-name:value = 'auth.example.net']",
    "[url:value = 'https://example.net/a?b=c']",
    "[email-message:from_ref.value = 'invoice@example.net' AND email-message:subject LIKE '%overdue%']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427']",
    "[file:hashes.'SHA-1' = 'not hex at all, not forty chars']",
    "[file:hashes.SHA256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb001']",
    "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
    "[file:size > 1024 AND file:size <= 4096]",
    "[file:size >= -1]",
    "[file:size = 007]",
    "[file:size = +7]",
    "[file:x = 0.5 AND file:y = .5 AND file:z = -2.25]",
    "[file:name IN ('a.exe', 'b.exe')]",
    "[file:name NOT IN ('a.exe')]",
    "[file:name IN ()]",
    "[file:name IN ('a.exe',)]",
    "[file:name MATCHES '^evil.*\\\\.exe$']",
    "[file:name NOT LIKE 'a%']",
    "[x-custom-thing:list[*].name = 'x']",
    "[x-custom-thing:list[0] = 'x']",
    "[x-custom-thing:list[01] = 'x']",
    "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']",
    "[network-traffic:dst_ref.value ISSUPERSET '198.51.100.3/32']",
    "[network-traffic:dst_port = 443] AND [network-traffic:dst_port = 80]",
    "[a:b = 1] OR [a:c = 2] FOLLOWEDBY [a:d = 3]",
    "([a:b = 1] FOLLOWEDBY [a:c = 2]) WITHIN 600 SECONDS",
    "[a:b = 1] WITHIN 5.5 SECONDS",
    "[a:b = 1] WITHIN -5 SECONDS",
    "[a:b = 1] WITHIN 5 MINUTES",
    "[a:b = 1] REPEATS 5 TIMES",
    "[a:b = 1] REPEATS 5.5 TIMES",
    "[a:b = 1] REPEATS 2 TIMES WITHIN 60 SECONDS",
    "[a:b = 1] WITHIN 60 SECONDS WITHIN 30 SECONDS",
    "([a:b = 1] WITHIN 60 SECONDS) WITHIN 30 SECONDS",
    "[a:b = 1] START t'2026-11-01T00:00:00Z' STOP t'2026-12-01T00:00:00.123Z'",
    "[a:b = 1] START '2026-11-01T00:00:00Z' STOP '2026-12-01T00:00:00Z'",
    "[a:b = t'2026-02-30T00:00:00Z']",
    "[a:b = t'2026-13-01T00:00:00Z']",
    "[a:b = t'2026-12-01T24:00:00Z']",
    "[a:b = t'2026-12-01T00:00:00']",
    "[a:b = h'00ff10']",
    "[a:b = h'0ff']",
    "[a:b = b'aGVsbG8=']",
    "[a:b = b'aGVsbG8']",
    "[a:b = true AND a:c != false]",
    "[a:b < true]",
    "[a:b = 'it\\'s']",
    "[a:b = 'a\\\\b']",
    "[a:b = 'a\\nb']",
    "[a:b = 'unclosed]",
    "[a:'quoted key' = 1]",
    "[a:b.'c d'.e = 1]",
    "[a:b-c = 1]",
    "[a-b:c = 1]",
    "[a_b:c = 1]",
    "[a:b = 1",
    "a:b = 1",
    "[a:b = 1]]",
    "[]",
    "[a:b]",
    "[a:b = 1 AND]",
    "[a:b = 1] and [a:c = 2]",
    "[a:b = 1] AND",
    "[(a:b = 1 OR a:c = 2) AND a:d = 3]",
    "[a:b = 1] /* a comment */ AND [a:c = 2] // and another",
    "[a:b = 1] /* never closed",
    "[a:b ~ 1]",
    "[a:b NOT = 1]",
    "[a:b NOT > 1]",
    "[a:b = 1]\u{3000}AND\u{a0}[a:c = 2]",
    "[1a:b = 1]",
    "[EXISTS a:b]",
    "[NOT EXISTS a:b AND a:c = 1]",
    "[NOT a:b = 1]",
    "[EXISTS a:b = 1]",
    "[a:b EXISTS]",
    "[a:b = 1] LAST 5 SECONDS",
    "[a:b = 1] REPEATS 0 TIMES WITHIN 0 SECONDS",
    "[a:b = 1e5]",
    "[a:b = 1.]",
];

fn judged() -> Option<Vec<Value>> {
    let Some(python) = std::env::var_os("RAPPORT_STIX_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_STIX_PYTHON is not set: run the tests with scripts/test"
        );
        eprintln!(
            "skipped: RAPPORT_STIX_PYTHON is not set (scripts/test installs stix2-patterns and sets it)"
        );
        return None;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/stix_pattern_judge.py");
    let mut judge =
        Command::new(python).arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut input = judge.stdin.take().unwrap();
    for pattern in PATTERNS {
        writeln!(input, "{}", serde_json::to_string(pattern).unwrap()).unwrap();
    }
    drop(input);
    let output = judge.wait_with_output().unwrap();
    assert!(output.status.success(), "the judge failed");
    let text = String::from_utf8(output.stdout).unwrap();
    Some(text.lines().map(|line| serde_json::from_str(line).unwrap()).collect())
}

#[test]
fn patterns_are_read_as_stix2_patterns_reads_them() {
    let Some(verdicts) = judged() else { return };
    assert_eq!(verdicts.len(), PATTERNS.len());
    let mut disagreements = Vec::new();
    for (pattern, verdict) in PATTERNS.iter().zip(&verdicts) {
        let ours = parse_pattern(pattern);
        if ours.is_ok() != verdict["valid"].as_bool().unwrap() {
            disagreements.push(format!("{pattern:?}: Rapport {ours:?}, stix2-patterns {verdict}"));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    let refused = verdicts.iter().filter(|verdict| verdict["valid"] == false).count();
    assert!(refused > 20 && refused < PATTERNS.len() - 20, "both kinds are judged: {refused} refused");
}
