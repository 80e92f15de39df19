//! Messages composed from the stream: stored once per event and reader, with the cursor past
//! their events in the same transaction, and read back per reader.

use rapport_core::{Actor, Audience, EventFacts, EventKind, Readability, Topic};
use rapport_storage::{EventFilter, MessageFilter, NewEvent, NewMessage};
use time::OffsetDateTime;

use crate::backends::each_backend;

fn message(event: i64, recipient: &str) -> NewMessage {
    NewMessage {
        event,
        recipient: recipient.to_owned(),
        recipient_name: "Sam Okafor".into(),
        audience: Audience::Engineer,
        topic: Topic::ActionOverdue,
        team: Some("Payments".into()),
        action: None,
        subject: "Overdue: upgrade openssl".into(),
        body: "Hi Sam,\n\nThis task was due Friday.".into(),
        ask: "Finish it.".into(),
        link: "/actions/1".into(),
        readability: Readability {
            reading_ease: 81.5,
            grade: 3.25,
            words: 9,
            sentences: 1,
            longest_sentence: 6,
            characters: 39,
        },
    }
}

#[tokio::test]
async fn a_message_is_stored_once_per_event_and_reader_and_the_cursor_only_moves_forward() {
    for (store, _guard) in each_backend().await {
        let at = OffsetDateTime::UNIX_EPOCH;
        let event = NewEvent {
            kind: EventKind::ActionOverdue,
            actor: Actor::Clock,
            team: Some("Payments".into()),
            action: None,
            subject: None,
            detail: "overdue".into(),
            facts: EventFacts::default(),
            once: None,
        };
        store.append_events(&[event.clone(), event], at).await.unwrap();
        let recorded = store.events(&EventFilter::default()).await.unwrap();
        let (first, second) = (recorded[0].id, recorded[1].id);
        assert_eq!(store.message_cursor().await.unwrap(), 0);

        let batch = [message(first, "Sam@Example.org"), message(first, "mona@example.org")];
        assert_eq!(store.add_messages(&batch, second, at).await.unwrap(), 2, "{}", store.backend());
        assert_eq!(store.message_cursor().await.unwrap(), second);
        // The same batch again (a second server, or a retry after a crash): nothing doubles,
        // and a composer that read less does not move the cursor back.
        assert_eq!(store.add_messages(&batch, first, at).await.unwrap(), 0);
        assert_eq!(store.message_cursor().await.unwrap(), second);

        let sams = store
            .messages(&MessageFilter {
                recipient: Some("SAM@example.org".into()),
                ..MessageFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(sams.len(), 1);
        assert_eq!(sams[0].message, NewMessage { recipient: "sam@example.org".into(), ..message(first, "") });
        assert_eq!(store.message(sams[0].id).await.unwrap().unwrap(), sams[0]);
        let all = store.messages(&MessageFilter::default()).await.unwrap();
        assert!(all[0].id > all[1].id, "newest first");
        let older = MessageFilter { before: Some(all[0].id), ..MessageFilter::default() };
        assert_eq!(store.messages(&older).await.unwrap().len(), 1);
    }
}
