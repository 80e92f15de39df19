//! Plans written by two runs at once: each action is stored once, with one "opened" event.

use rapport_core::{ActionState, EventFacts, EventKind, Outcome};
use rapport_storage::ActionWrite;
use time::OffsetDateTime;

use crate::backends::each_backend;

fn opened(key: u8) -> ActionWrite {
    ActionWrite {
        id: None,
        key: [key; 16],
        team: "Payments".into(),
        kind: "update".into(),
        outcome: Outcome::Attend,
        state: ActionState::Open,
        outcome_since: OffsetDateTime::UNIX_EPOCH,
        state_since: OffsetDateTime::UNIX_EPOCH,
        digest: 7,
        body: Some("{}".into()),
        event: Some((EventKind::ActionOpened, "Update openssl on 2 hosts".into(), EventFacts::default())),
    }
}

#[tokio::test]
async fn a_new_action_written_by_two_plan_runs_is_stored_once() {
    for (store, _guard) in each_backend().await {
        // Both runs read the stored actions before either wrote: both find action 1 new.
        store.write_actions(&[opened(1)], OffsetDateTime::UNIX_EPOCH).await.unwrap();
        store.write_actions(&[opened(1), opened(2)], OffsetDateTime::UNIX_EPOCH).await.unwrap();
        let statuses = store.action_statuses().await.unwrap();
        let mut keys: Vec<[u8; 16]> = statuses.iter().map(|status| status.key).collect();
        keys.sort_unstable();
        assert_eq!(keys, vec![[1; 16], [2; 16]], "{}", store.backend());
        for status in &statuses {
            let events = store.action_events(status.id).await.unwrap();
            assert_eq!(events.len(), 1, "{}: {events:?}", store.backend());
            assert_eq!(
                (events[0].kind, events[0].team.as_deref()),
                (EventKind::ActionOpened, Some("Payments"))
            );
        }
    }
}
