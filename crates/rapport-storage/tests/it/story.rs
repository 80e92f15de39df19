//! Import, re-import, rescan, reopen, roll back, of findings and of devices: identical results
//! on both back ends.

use rapport_core::{
    Component, DeviceReport, Finding, FindingKind, Scope, Software, Target, TargetKind, Tool, VulnId,
};
use rapport_storage::{AssetFilter, FindingFilter, FindingRow, ImportStart, ImportSummary, Store};
use time::OffsetDateTime;

use crate::backends::each_backend;

fn finding(target: &str, cve: &str, version: &str) -> Finding {
    let mut finding = Finding::new(
        Tool { name: "trivy".into(), version: Some("0.50.0".into()) },
        Target { kind: TargetKind::ContainerImage, name: target.into() },
        FindingKind::Vulnerability,
        VulnId::new(cve),
    );
    finding.component = Some(Component {
        name: "openssl".into(),
        purl: Some(format!("pkg:apk/alpine/openssl@{version}")),
        installed_version: Some(version.into()),
        ..Component::default()
    });
    finding
}

fn start(file: &str) -> ImportStart<'_> {
    ImportStart { file, format: "trivy", source: None, started_at: OffsetDateTime::UNIX_EPOCH }
}

async fn import(store: &Store, findings: &[Finding], scanned: &[Target]) -> ImportSummary {
    let mut session = store.begin_import(start("scan.json")).await.unwrap();
    let rows: Vec<FindingRow> = findings.iter().cloned().map(FindingRow::from_finding).collect();
    session.add(&rows).await.unwrap();
    let scopes = scanned
        .iter()
        .map(|target| Scope { tool: Tool { name: "trivy".into(), version: None }, target: target.clone() });
    session.finish(scopes, OffsetDateTime::UNIX_EPOCH).await.unwrap()
}

fn counts(summary: ImportSummary) -> (u64, u64, u64, u64) {
    (summary.findings, summary.new, summary.known, summary.resolved)
}

#[tokio::test]
async fn reimport_adds_nothing_and_rescan_resolves_then_reopens() {
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let a = finding("app:1", "CVE-2023-0001", "3.0.8");
        let b = finding("app:1", "CVE-2023-0002", "3.0.8");
        let c = finding("app:1", "CVE-2023-0003", "3.0.8");
        let other = finding("db:2", "CVE-2023-0001", "3.0.8");

        let first = import(&store, &[a.clone(), b.clone(), c.clone(), other.clone()], &[]).await;
        assert_eq!(counts(first), (4, 4, 0, 0), "{backend}");
        let again = import(&store, &[a.clone(), b.clone(), c.clone(), other.clone()], &[]).await;
        assert_eq!(counts(again), (4, 0, 4, 0), "{backend}");
        assert_eq!(store.count_findings().await.unwrap(), (4, 0), "{backend}");

        // A rescan of app:1 without c: c is resolved, db:2 is not touched.
        let rescan = import(&store, &[a.clone(), b.clone()], &[]).await;
        assert_eq!(counts(rescan), (2, 0, 2, 1), "{backend}");
        let resolved = store
            .findings(&FindingFilter {
                state: rapport_storage::FindingState::Any,
                vulnerability: Some("CVE-2023-0003".into()),
                ..FindingFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(resolved.len(), 1, "{backend}");
        assert_eq!(resolved[0].resolved_by.map(|(import, _)| import), Some(rescan.import_id), "{backend}");
        assert_eq!(store.count_findings().await.unwrap(), (3, 1), "{backend}");

        // c comes back: it is known again and open.
        let regression = import(&store, &[a.clone(), b.clone(), c.clone()], &[]).await;
        assert_eq!(counts(regression), (3, 0, 3, 0), "{backend}");
        assert_eq!(store.count_findings().await.unwrap(), (4, 0), "{backend}");
    }
}

#[tokio::test]
async fn clean_rescan_resolves_everything_of_its_target() {
    for (store, _guard) in each_backend().await {
        let target = Target { kind: TargetKind::ContainerImage, name: "app:1".into() };
        import(
            &store,
            &[finding("app:1", "CVE-2023-0001", "1"), finding("app:2", "CVE-2023-0001", "1")],
            &[],
        )
        .await;
        let clean = import(&store, &[], &[target]).await;
        assert_eq!(counts(clean), (0, 0, 0, 1), "{}", store.backend());
        assert_eq!(store.count_findings().await.unwrap(), (1, 1), "{}", store.backend());
    }
}

#[tokio::test]
async fn duplicates_in_one_file_count_once() {
    for (store, _guard) in each_backend().await {
        let a = finding("app:1", "CVE-2023-0001", "1");
        let summary = import(&store, &[a.clone(), a.clone(), a], &[]).await;
        assert_eq!(counts(summary), (1, 1, 0, 0), "{}", store.backend());
    }
}

/// Batches switch between the "mostly new" and "mostly known" paths; repeats across
/// batches, and known findings met while inserting, count right on either path.
#[tokio::test]
async fn batches_of_new_and_known_findings_in_any_order_count_each_finding_once() {
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let old = finding("app:1", "CVE-2023-0100", "1");
        import(&store, std::slice::from_ref(&old), &[]).await;
        let news: Vec<Finding> = (0..6).map(|n| finding("app:1", &format!("CVE-2024-{n:04}"), "1")).collect();
        let mut session = store.begin_import(start("batches.json")).await.unwrap();
        let batches = [
            vec![news[0].clone(), news[1].clone(), news[2].clone()],
            vec![news[1].clone(), old.clone(), news[3].clone(), news[4].clone()],
            vec![old.clone(), news[0].clone()],
            vec![news[4].clone(), old.clone(), news[5].clone(), news[5].clone()],
        ];
        for batch in batches {
            let rows: Vec<FindingRow> = batch.into_iter().map(FindingRow::from_finding).collect();
            session.add(&rows).await.unwrap();
        }
        let summary = session.finish([], OffsetDateTime::UNIX_EPOCH).await.unwrap();
        assert_eq!(counts(summary), (7, 6, 1, 0), "{backend}");
        assert_eq!(store.count_findings().await.unwrap(), (7, 0), "{backend}");
    }
}

/// The second import waits for the first (SQLite) or meets its finding while copying
/// (PostgreSQL); either way the finding is stored once and counted as known by the second.
#[tokio::test]
async fn two_imports_of_the_same_new_finding_at_once_store_it_once() {
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let shared = finding("app:1", "CVE-2024-7777", "1");
        let mut first = store.begin_import(start("first.json")).await.unwrap();
        first.add(&[FindingRow::from_finding(shared.clone())]).await.unwrap();
        let second = tokio::spawn({
            let (store, shared) = (store.clone(), shared.clone());
            async move {
                let mut second = store.begin_import(start("second.json")).await.unwrap();
                second.add(&[FindingRow::from_finding(shared)]).await.unwrap();
                second.finish([], OffsetDateTime::UNIX_EPOCH).await.unwrap()
            }
        });
        // Lets the second import reach the point where it waits on the first.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let first = first.finish([], OffsetDateTime::UNIX_EPOCH).await.unwrap();
        let second = second.await.unwrap();
        assert_eq!(counts(first), (1, 1, 0, 0), "{backend}");
        assert_eq!(counts(second), (1, 0, 1, 0), "{backend}");
        assert_eq!(store.count_findings().await.unwrap(), (1, 0), "{backend}");
    }
}

#[tokio::test]
async fn an_unfinished_import_leaves_nothing_behind() {
    for (store, _guard) in each_backend().await {
        import(&store, &[finding("app:1", "CVE-2023-0001", "1")], &[]).await;
        let mut session = store.begin_import(start("half.json")).await.unwrap();
        let rows = [FindingRow::from_finding(finding("app:1", "CVE-2023-0009", "1"))];
        session.add(&rows).await.unwrap();
        drop(session);
        assert_eq!(store.count_findings().await.unwrap(), (1, 0), "{}", store.backend());
        assert_eq!(store.imports().await.unwrap().len(), 1, "{}", store.backend());
    }
}

#[tokio::test]
async fn findings_read_back_whole() {
    for (store, _guard) in each_backend().await {
        let mut a = finding("app:1", "GHSA-aaaa-bbbb-cccc", "1");
        a.add_id("CVE-2023-0001");
        a.description = Some("described".into());
        import(&store, std::slice::from_ref(&a), &[]).await;
        let stored = store.findings(&FindingFilter::default()).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].finding, a, "{}", store.backend());
        assert_eq!(stored[0].fingerprint, a.fingerprint().to_hex());
    }
}

fn device(identifier: &str, packages: &[(&str, &str)]) -> DeviceReport {
    let mut report = DeviceReport::new(identifier);
    report.complete = true;
    report.facts.hostname = Some(format!("{identifier}.example.com"));
    report.software = Some(
        packages
            .iter()
            .map(|(name, version)| Software {
                name: (*name).into(),
                version: (*version).into(),
                source: "deb_packages".into(),
            })
            .collect(),
    );
    report
}

#[tokio::test]
async fn two_inventory_imports_of_a_new_package_at_once_share_it() {
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let mut first = store.begin_import(start("first-inventory.json")).await.unwrap();
        let stored = first.add_devices(
            "fleet",
            vec![device("a", &[("openssl", "3.0.13")])],
            OffsetDateTime::UNIX_EPOCH,
        );
        stored.await.unwrap();
        let second = tokio::spawn({
            let store = store.clone();
            async move {
                let mut second = store.begin_import(start("second-inventory.json")).await.unwrap();
                let reports = vec![device("b", &[("openssl", "3.0.13"), ("curl", "8.5.0")])];
                second.add_devices("fleet", reports, OffsetDateTime::UNIX_EPOCH).await.unwrap();
                second.finish([], OffsetDateTime::UNIX_EPOCH).await.unwrap()
            }
        });
        // Lets the second import reach the point where it waits on the first.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let first = first.finish([], OffsetDateTime::UNIX_EPOCH).await.unwrap();
        let second = second.await.unwrap();
        assert_eq!(
            (first.devices, first.new_devices, second.devices, second.new_devices),
            (1, 1, 1, 1),
            "{backend}"
        );
        let assets = store.assets(&AssetFilter::default()).await.unwrap();
        assert_eq!(assets.len(), 2, "{backend}");
        let b = assets.iter().find(|a| a.asset.name == "b").unwrap();
        let software = store.asset_software(b.id).await.unwrap();
        let names: Vec<&str> = software.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["curl", "openssl"], "{backend}");
        let a = assets.iter().find(|a| a.asset.name == "a").unwrap();
        assert_eq!(
            store.asset_software(a.id).await.unwrap(),
            software[1..],
            "{backend}: one catalogue entry, shared"
        );
    }
}

#[tokio::test]
async fn an_unfinished_inventory_import_leaves_nothing_behind() {
    for (store, _guard) in each_backend().await {
        let mut session = store.begin_import(start("half-inventory.json")).await.unwrap();
        session
            .add_devices("fleet", vec![device("a", &[("openssl", "3.0.13")])], OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap();
        drop(session);
        assert!(store.assets(&AssetFilter::default()).await.unwrap().is_empty(), "{}", store.backend());
        assert!(store.imports().await.unwrap().is_empty(), "{}", store.backend());
    }
}
