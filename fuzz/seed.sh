#!/usr/bin/env bash
# Seeds each fuzz target's corpus with the real scanner files of its format from
# ../shared/corpus/scans/ (copied into fuzz/corpus/, which is not committed).
set -euo pipefail
cd "$(dirname "$0")"
scans=../../shared/corpus/scans
seed() { mkdir -p "corpus/$1"; shift_target=$1; shift; for folder in "$@"; do find "$scans/$folder" -type f ! -name SOURCES.md -size -512k -exec cp {} "corpus/$shift_target/" \; ; done; }
seed trivy trivy
seed grype anchore_grype
seed sarif sarif
seed cyclonedx cyclonedx
seed osv_scanner osv_scanner
seed nessus nessus
seed snyk snyk
seed govulncheck govulncheck
seed npm_audit npm_audit npm_audit_7_plus
seed gitlab gitlab_dep_scan
seed github github_vulnerability
seed dependency_check dependency_check
seed openvas openvas
seed qualys qualys qualys_vmdr
seed openvex openvex
seed csaf csaf
cp seeds/nessus/* corpus/nessus/
# Inventories, directories and ownership files live outside scans/.
mkdir -p corpus/inventory corpus/directory corpus/ownership
cp ../../shared/corpus/inventory/osquery/*.json ../../shared/corpus/inventory/osquery/*.log ../../shared/corpus/inventory/fleet/*.json corpus/inventory/
cp ../../shared/corpus/directory/scim/*.json corpus/directory/
cp seeds/directory/* corpus/directory/
cp seeds/ownership/* corpus/ownership/
# Intel feeds and the decision tree.
feeds=../../shared/corpus/feeds
mkdir -p corpus/kev corpus/epss corpus/nvd corpus/cve5 corpus/osv_feed corpus/csaf_advisory corpus/tree corpus/policy
head -c 200000 "$feeds/kev/known_exploited_vulnerabilities.csv" > corpus/kev/kev.csv
python3 - "$feeds/kev/known_exploited_vulnerabilities.json" corpus/kev/kev.json <<'PY'
import json, sys
catalogue = json.load(open(sys.argv[1]))
catalogue["vulnerabilities"] = catalogue["vulnerabilities"][:40]
catalogue["count"] = 40
json.dump(catalogue, open(sys.argv[2], "w"), indent=1)
PY
{ gzip -dc "$feeds/epss/2026-01-30/epss_scores.csv.gz" || true; } | head -n 3000 > corpus/epss/epss.csv
cp "$feeds"/nvd/google_osv.dev/vulnfeeds/test_data/nvdcve-2.0/*.json corpus/nvd/
find "$feeds/cve5" -name '*.json' -exec cp {} corpus/cve5/ \;
find "$feeds/osv" -name '*.json' -size -64k -exec cp {} corpus/osv_feed/ \;
find "$feeds/csaf/oasis-tcs_csaf/csaf_2.0/examples/csaf" -name '*.json' -exec cp {} corpus/csaf_advisory/ \;
cp ../crates/rapport-formats/src/data/default_tree.toml corpus/tree/
cp ../crates/rapport-formats/src/data/default_policy.toml ../samples/policy/policy.toml corpus/policy/
# STIX bundles from MITRE and OASIS; patterns from the judge's test list.
mkdir -p corpus/stix corpus/stix_pattern
find ../../shared/corpus/stix -name '*.json' -size -512k -exec cp {} corpus/stix/ \;
grep -o '^    "\[.*\]",$' ../crates/rapport-formats/tests/it/stix_judge.rs | sed 's/^    "//; s/",$//' | split -l 1 - corpus/stix_pattern/pattern-
