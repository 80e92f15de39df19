//! Accounts, sessions and tokens on both back ends: a session ends when it expires or the
//! password changes, a revoked token signs nobody in, and the audit log keeps every act.

use rapport_core::Role;
use rapport_storage::{AuditAct, AuditEvent, AuditFilter, ImportStart, NewAccount, Store, TokenScope};
use time::{Duration, OffsetDateTime};

use crate::backends::each_backend;

fn account<'a>(email: &'a str, role: Role, team: Option<&'a str>) -> NewAccount<'a> {
    NewAccount {
        email,
        name: "Someone",
        role,
        team,
        password_hash: Some("$argon2id$stub"),
        must_change_password: true,
    }
}

#[tokio::test]
async fn sessions_end_on_expiry_and_on_a_password_change() {
    let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let id = store
            .add_account(&account("Priya@Example.com", Role::TeamManager, Some("Payments")), start)
            .await
            .unwrap();
        let id = id.unwrap();
        let again = store.add_account(&account("priya@example.com", Role::Admin, None), start).await.unwrap();
        assert_eq!(again, None, "{backend}: one account per email, whatever its case");
        let found = store.account_by_email(" PRIYA@example.com ").await.unwrap().unwrap();
        assert_eq!((found.id, found.role, found.team.as_deref()), (id, Role::TeamManager, Some("Payments")));

        store.add_session(&[1; 32], id, "csrf-1", start, start + Duration::hours(12)).await.unwrap();
        let live = store.session(&[1; 32], start + Duration::hours(1)).await.unwrap().unwrap();
        assert_eq!((live.account.id, live.csrf.as_str()), (id, "csrf-1"), "{backend}");
        assert!(
            store.session(&[1; 32], start + Duration::hours(13)).await.unwrap().is_none(),
            "{backend}: expired"
        );
        assert!(store.session(&[2; 32], start).await.unwrap().is_none(), "{backend}: unknown");
        store.add_session(&[3; 32], id, "csrf-3", start, start + Duration::hours(24)).await.unwrap();
        let swept = store.delete_expired_sessions(start + Duration::hours(13)).await.unwrap();
        assert_eq!(swept, 1, "{backend}: only the expired session is swept");
        assert!(store.session(&[3; 32], start + Duration::hours(13)).await.unwrap().is_some(), "{backend}");

        store.set_account_disabled(id, Some(start)).await.unwrap();
        assert!(store.session(&[3; 32], start + Duration::hours(1)).await.unwrap().is_none(), "{backend}");
        assert!(store.account(id).await.unwrap().unwrap().disabled, "{backend}");
        store.set_account_disabled(id, None).await.unwrap();
        assert!(!store.account(id).await.unwrap().unwrap().disabled, "{backend}");
        store.add_session(&[1; 32], id, "csrf-1", start, start + Duration::hours(12)).await.unwrap();

        store.set_password(id, "$argon2id$new", false, start).await.unwrap();
        assert!(store.session(&[1; 32], start + Duration::hours(1)).await.unwrap().is_none(), "{backend}");
        let changed = store.account(id).await.unwrap().unwrap();
        assert_eq!(changed.password_hash.as_deref(), Some("$argon2id$new"));
        assert!(!changed.must_change_password);
    }
}

#[tokio::test]
async fn a_revoked_token_signs_nobody_in_and_the_audit_log_keeps_every_act() {
    let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let id = store
            .add_account(&account("sam@example.com", Role::SecurityAnalyst, None), start)
            .await
            .unwrap()
            .unwrap();
        let token = store.add_api_token(id, "dashboard", &[7; 32], TokenScope::Read, start).await.unwrap();
        let at = start + Duration::minutes(5);
        let used = store.api_token(&[7; 32]).await.unwrap().unwrap();
        assert_eq!(
            (used.account.id, used.token.id, used.token.scope),
            (id, token, TokenScope::Read),
            "{backend}"
        );
        assert!(used.token.use_due(at), "{backend}: the first use is to be written down");
        assert!(store.record_token_use(token, at).await.unwrap(), "{backend}");
        assert!(!store.record_token_use(token, at).await.unwrap(), "{backend}: by one request only");
        let soon = store.api_token(&[7; 32]).await.unwrap().unwrap();
        assert!(
            !soon.token.use_due(start + Duration::seconds(330)),
            "{backend}: not again within the minute"
        );
        let listed = store.api_tokens(id).await.unwrap();
        assert_eq!(listed[0].last_used_at, Some(start + Duration::minutes(5)), "{backend}");
        assert!(!store.revoke_api_token(id + 1, token, start).await.unwrap(), "{backend}: not another's");
        assert!(store.revoke_api_token(id, token, start).await.unwrap());
        assert!(!store.revoke_api_token(id, token, start).await.unwrap(), "{backend}: once");
        assert!(store.api_token(&[7; 32]).await.unwrap().is_none(), "{backend}");

        // Issue 18, item 5: a password change or reset, and disabling, revoke every token of the
        // account; enabling it again brings none back.
        for (secret, end) in [([8; 32], "a password change"), ([9; 32], "disabling")] {
            store.add_api_token(id, "script", &secret, TokenScope::Write, start).await.unwrap();
            assert!(store.api_token(&secret).await.unwrap().is_some(), "{backend}");
            if end == "disabling" {
                store.set_account_disabled(id, Some(start)).await.unwrap();
                store.set_account_disabled(id, None).await.unwrap();
            } else {
                store.set_password(id, "$argon2id$changed", false, start).await.unwrap();
            }
            assert!(store.api_token(&secret).await.unwrap().is_none(), "{backend}: {end} ends it");
            let listed = store.api_tokens(id).await.unwrap();
            assert!(listed.iter().all(|token| token.revoked_at.is_some()), "{backend}: {end}: {listed:?}");
        }

        for (offset, who, act, detail) in [
            (0, "sam@example.com", "login", "password"),
            (1, "sam@example.com", "token created", "scope write, 100% of it"),
            (2, "Ana@example.com", "login", "organisation"),
        ] {
            let event = AuditEvent {
                at: start + Duration::seconds(offset),
                actor: Some(who.into()),
                act: act.into(),
                target: None,
                detail: detail.into(),
                source: Some("127.0.0.1".into()),
            };
            store.record_audit(&event).await.unwrap();
        }
        let log = |filter: AuditFilter| {
            let store = store.clone();
            async move {
                let entries = store.audit_log(&AuditFilter { limit: 10, ..filter }).await.unwrap();
                entries.into_iter().map(|e| (e.who.unwrap_or_default(), e.act)).collect::<Vec<_>>()
            }
        };
        let act = |name: &str| AuditAct::Act(name.into());
        let all = log(AuditFilter::default()).await;
        let newest_first = vec![
            ("Ana@example.com".to_owned(), act("login")),
            ("sam@example.com".to_owned(), act("token created")),
            ("sam@example.com".to_owned(), act("login")),
        ];
        assert_eq!(all, newest_first, "{backend}");
        let sam = log(AuditFilter { who: Some("SAM@example.com".into()), ..AuditFilter::default() }).await;
        assert_eq!(sam, newest_first[1..], "{backend}: by who, in any case");
        let logins = log(AuditFilter { act: Some(act("login")), ..AuditFilter::default() }).await;
        assert_eq!(logins, [newest_first[0].clone(), newest_first[2].clone()], "{backend}: by what");
        let searched = log(AuditFilter { search: Some("100%".into()), ..AuditFilter::default() }).await;
        assert_eq!(searched, newest_first[1..2], "{backend}: words in the detail, % as itself");
        assert!(log(AuditFilter { search: Some("1_0".into()), ..AuditFilter::default() }).await.is_empty());
        let second =
            store.audit_log(&AuditFilter { offset: 1, limit: 1, ..AuditFilter::default() }).await.unwrap();
        assert_eq!(second.len(), 1, "{backend}");
        assert_eq!(second[0].at, start + Duration::seconds(1), "{backend}: the second page");
        assert_eq!(store.audit_acts().await.unwrap(), ["login", "token created"], "{backend}");
    }
}

/// On SQLite one writer holds a whole file at a time, and a long import holds the main one:
/// signing in (a session and its audit record) must still be written at once, in the access
/// file. And a session row that outlived its account's password change, as a crash between
/// the two files' commits could leave one, is not honoured.
#[tokio::test]
async fn signing_in_is_written_beside_a_long_import_and_a_stale_session_is_not_honoured() {
    let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/rapport.db", folder.path().display());
    let store = Store::connect(&url).await.unwrap();
    let id =
        store.add_account(&account("ana@example.com", Role::SecurityAnalyst, None), start).await.unwrap();
    let id = id.unwrap();
    assert!(folder.path().join("rapport-access.db").exists(), "the access file sits beside the main one");

    let importer = Store::connect(&url).await.unwrap();
    let import = ImportStart { file: "long.json", format: "trivy", source: None, started_at: start };
    let import = importer.begin_import(import).await.unwrap();
    assert!(store.writer_busy().await.unwrap(), "the import holds the main file's writer");
    let signing_in = async {
        store.add_session(&[4; 32], id, "csrf-4", start, start + Duration::hours(12)).await.unwrap();
        let login = AuditEvent {
            at: start,
            actor: Some("ana@example.com".into()),
            act: "login".into(),
            target: None,
            detail: "password".into(),
            source: None,
        };
        store.record_audit(&login).await.unwrap();
        store.session(&[4; 32], start + Duration::hours(1)).await.unwrap()
    };
    // Without the access file each write waits for the import (30 s) and then fails.
    let session = tokio::time::timeout(std::time::Duration::from_secs(10), signing_in)
        .await
        .expect("signing in waited for the import");
    assert_eq!(session.map(|s| s.account.id), Some(id));
    drop(import);

    let Store::Sqlite(pool) = &store else { unreachable!("a SQLite URL") };
    let in_main: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM main.sqlite_master WHERE name IN ('sessions', 'audit_events')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(in_main, 0, "sessions and the audit log are not in the main file");
    let old_key: Vec<u8> = sqlx::query_scalar("SELECT session_key FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    store.set_password(id, "$argon2id$new", false, start).await.unwrap();
    sqlx::query(
        "INSERT INTO sessions (token_hash, account, account_key, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, 'csrf-4', $4, $5)",
    )
    .bind([4u8; 32].as_slice())
    .bind(id)
    .bind(&old_key)
    .bind(start)
    .bind(start + Duration::hours(12))
    .execute(pool)
    .await
    .unwrap();
    assert!(
        store.session(&[4; 32], start + Duration::hours(1)).await.unwrap().is_none(),
        "a session made before the password change is not honoured"
    );
}
