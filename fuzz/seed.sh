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
