//! The event stream: read from a cursor in order, recorded once per `once` name, and never
//! skipped by a reader while writers commit out of order.

use std::collections::BTreeSet;

use rapport_core::{Actor, EventFacts, EventKind};
use rapport_storage::{EventFilter, NewEvent, Store};
use time::OffsetDateTime;

use crate::backends::each_backend;

fn clock_event(action: Option<i64>, team: &str, once: &str) -> NewEvent {
    NewEvent {
        kind: EventKind::ActionOverdue,
        actor: Actor::Clock,
        team: Some(team.to_owned()),
        action,
        subject: None,
        detail: format!("{once} happened"),
        facts: EventFacts::default(),
        once: Some(once.to_owned()),
    }
}

#[tokio::test]
async fn events_are_read_from_a_cursor_and_recorded_once_per_name() {
    for (store, _guard) in each_backend().await {
        let at = OffsetDateTime::UNIX_EPOCH;
        let first = [clock_event(None, "Payments", "a"), clock_event(None, "Web", "b")];
        assert_eq!(store.append_events(&first, at).await.unwrap().len(), 2, "{}", store.backend());
        // The same names again, and one new: only the new one is recorded.
        let again = [
            clock_event(None, "Payments", "a"),
            clock_event(None, "Web", "b"),
            clock_event(None, "web", "c"),
        ];
        let recorded = store.append_events(&again, at).await.unwrap();
        assert_eq!(recorded.iter().map(|e| e.once.as_deref()).collect::<Vec<_>>(), [Some("c")]);

        let all = store.events(&EventFilter::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
            ["a happened", "b happened", "c happened"]
        );
        assert!(all.windows(2).all(|pair| pair[0].id < pair[1].id));
        let after_first =
            store.events(&EventFilter { after: all[0].id, ..EventFilter::default() }).await.unwrap();
        assert_eq!(after_first.len(), 2);
        let web = EventFilter { team: Some("WEB".into()), ..EventFilter::default() };
        assert_eq!(store.events(&web).await.unwrap().len(), 2, "{}: a team in any case", store.backend());
        let opened = EventFilter { kind: Some(EventKind::ActionOpened), ..EventFilter::default() };
        assert!(store.events(&opened).await.unwrap().is_empty());
        assert_eq!(all[0].actor, Actor::Clock);
    }
}

/// Writers whose transactions commit out of id order must not make a reader that follows the
/// cursor skip an event: every event is read exactly once.
#[tokio::test]
async fn a_reader_at_the_cursor_misses_nothing_while_writers_race() {
    for (store, _guard) in each_backend().await {
        const WRITERS: usize = 6;
        const EACH: usize = 40;
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let store: Store = store.clone();
                tokio::spawn(async move {
                    for n in 0..EACH {
                        let name = format!("{writer}-{n}");
                        let events = [clock_event(None, "Payments", &name)];
                        store.append_events(&events, OffsetDateTime::UNIX_EPOCH).await.unwrap();
                    }
                })
            })
            .collect();
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        loop {
            // Read once more after the writers are done: then everything is committed.
            let done = writers.iter().all(|writer| writer.is_finished());
            for event in store.events(&EventFilter { after: cursor, ..EventFilter::default() }).await.unwrap()
            {
                assert!(
                    seen.insert(event.detail.clone()),
                    "{}: {} read twice",
                    store.backend(),
                    event.detail
                );
                cursor = event.id;
            }
            if done {
                break;
            }
        }
        for writer in writers {
            writer.await.unwrap();
        }
        let total = store.events(&EventFilter::default()).await.unwrap().len();
        assert_eq!(total, WRITERS * EACH, "{}", store.backend());
        assert_eq!(seen.len(), total, "{}: the reader skipped events it never saw again", store.backend());
    }
}

/// A database made before the stream existed keeps every action's history, under the
/// stream's names, and an action under an approved exception becomes accepted.
#[tokio::test]
async fn the_history_actions_had_moves_into_the_stream() {
    let folder = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/old.db", folder.path().display());
    let postgres = rapport_storage::testing::fresh_postgres_database("rapport_events").await.unwrap();
    for (url, dialect) in [(sqlite, "sqlite"), (postgres, "postgres")] {
        // The migrations as released before the stream.
        let before = tempfile::tempdir().unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect);
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.as_str() < "0011" {
                std::fs::copy(&path, before.path().join(name)).unwrap();
            }
        }
        let migrator = sqlx::migrate::Migrator::new(before.path()).await.unwrap();
        let old_rows = [
            "INSERT INTO actions (action_key, team, kind, outcome, state, opened_at, outcome_since, state_since, \
             digest, body) VALUES (X'00000000000000000000000000000001', 'Payments', 'update', 'act', 'open', '2026-11-02 09:00:00+00:00', \
             '2026-11-02 09:00:00+00:00', '2026-11-02 09:00:00+00:00', 1, '{}')",
            "INSERT INTO action_events (action, at, event, actor, detail) VALUES \
             (1, '2026-11-02 09:00:00+00:00', 'opened', NULL, 'Update openssl (2 findings)'), \
             (1, '2026-11-03 09:00:00+00:00', 'exception approved', 'sam@example.com', 'exception #1: ok'), \
             (1, '2026-11-04 09:00:00+00:00', 'closed', NULL, 'done and confirmed: gone')",
            "INSERT INTO exceptions (action, risk_acceptance, requested_by, requested_at, reason, requested_until, \
             state) VALUES (1, FALSE, 'priya@example.com', '2026-11-02 10:00:00+00:00', 'vendor', '2099-01-01', \
             'approved')",
        ];
        if dialect == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc")).await.unwrap();
            migrator.run(&pool).await.unwrap();
            for row in old_rows {
                sqlx::query(sqlx::AssertSqlSafe(row)).execute(&pool).await.unwrap();
            }
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            migrator.run(&pool).await.unwrap();
            for row in old_rows {
                let row = row.replace(
                    "X'00000000000000000000000000000001'",
                    "'\\x00000000000000000000000000000001'::bytea",
                );
                sqlx::query(sqlx::AssertSqlSafe(row)).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        let store = Store::connect(&url).await.unwrap();
        let history = store.action_events(1).await.unwrap();
        let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [EventKind::ActionOpened, EventKind::ExceptionGranted, EventKind::ActionVerified],
            "{dialect}"
        );
        assert_eq!(history[1].actor, Actor::Security(Some("sam@example.com".into())), "{dialect}");
        assert_eq!(history[0].team.as_deref(), Some("Payments"), "{dialect}");
        let statuses = store.action_statuses().await.unwrap();
        assert_eq!(statuses[0].state, rapport_core::ActionState::Accepted, "{dialect}");
        store.close().await;
    }
}

#[tokio::test]
async fn the_figures_read_the_events_from_a_time_on_and_know_an_answer_from_a_message() {
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let early = OffsetDateTime::UNIX_EPOCH + time::Duration::days(10);
        let late = early + time::Duration::days(30);
        let facts = EventFacts { rating: Some(4), ..EventFacts::default() };
        let answered = NewEvent {
            kind: EventKind::FeedbackGiven,
            facts: facts.clone(),
            once: Some(format!("{}7", rapport_core::ANSWERED_FROM_MESSAGE)),
            ..clock_event(None, "Web", "")
        };
        store.append_events(&[clock_event(None, "Payments", "early")], early).await.unwrap();
        store.append_events(&[clock_event(None, "Web", "late"), answered], late).await.unwrap();
        let all = store.event_facts_since(OffsetDateTime::UNIX_EPOCH).await.unwrap();
        assert_eq!(all.len(), 3, "{backend}");
        let since = store.event_facts_since(late).await.unwrap();
        assert_eq!(
            since.iter().map(|event| event.kind).collect::<Vec<_>>(),
            [EventKind::ActionOverdue, EventKind::FeedbackGiven],
            "{backend}"
        );
        assert_eq!(since[0].at, late, "{backend}");
        assert_eq!((since[0].from_message, since[1].from_message), (false, true), "{backend}");
        assert_eq!(since[1].facts, facts, "{backend}");
        assert_eq!(since[1].team.as_deref(), Some("Web"), "{backend}");
    }
}
