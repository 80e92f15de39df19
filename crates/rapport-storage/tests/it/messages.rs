//! Messages composed from the stream: stored once per event and reader, with the cursor past
//! their events in the same transaction, and read back per reader.

use rapport_core::{Actor, Audience, Channel, EventFacts, EventKind, Readability, Rhythm, Route, Topic};
use rapport_storage::{EventFilter, MessageFilter, NewEvent, NewMessage};
use time::OffsetDateTime;

use crate::backends::each_backend;

fn message(event: i64, recipient: &str) -> NewMessage {
    NewMessage {
        event: Some(event),
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
        route: Route::Send { at: OffsetDateTime::UNIX_EPOCH, counted: true, reason: None },
    }
}

/// An event on team Payments.
fn event_of(kind: EventKind, actor: Actor) -> NewEvent {
    NewEvent {
        kind,
        actor,
        team: Some("Payments".into()),
        action: None,
        subject: None,
        detail: kind.as_str().into(),
        facts: EventFacts::default(),
        once: None,
    }
}

#[tokio::test]
async fn a_message_is_stored_once_per_event_and_reader_and_the_cursor_only_moves_forward() {
    for (store, _guard) in each_backend().await {
        let at = OffsetDateTime::UNIX_EPOCH;
        let event = event_of(EventKind::ActionOverdue, Actor::Clock);
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

#[tokio::test]
async fn a_digest_gathers_its_due_parts_once_and_preferences_are_kept() {
    for (store, _guard) in each_backend().await {
        let at = OffsetDateTime::UNIX_EPOCH;
        let event = event_of(EventKind::ActionOpened, Actor::Scan);
        store.append_events(&[event.clone(), event.clone(), event], at).await.unwrap();
        let ids: Vec<i64> =
            store.events(&EventFilter::default()).await.unwrap().iter().map(|e| e.id).collect();
        let due = at + time::Duration::hours(10);
        let part = |event: i64, due: OffsetDateTime| NewMessage {
            route: Route::Digest { at: due, reason: "routine: in the daily digest".into() },
            ..message(event, "sam@example.org")
        };
        let later = due + time::Duration::days(1);
        let batch = [part(ids[0], due), part(ids[1], due), part(ids[2], later)];
        store.add_messages(&batch, ids[2], at).await.unwrap();
        assert!(store.due_digest_parts(at).await.unwrap().is_empty(), "{}", store.backend());
        let parts = store.due_digest_parts(due).await.unwrap();
        assert_eq!(parts.len(), 2, "{}: only those due", store.backend());
        let part_ids: Vec<i64> = parts.iter().map(|p| p.id).collect();
        let digest = NewMessage {
            event: None,
            topic: Topic::Digest,
            subject: "2 things from Security today".into(),
            route: Route::Send { at: due, counted: true, reason: None },
            ..message(0, "sam@example.org")
        };
        let id = store.add_digest(&digest, &part_ids, due).await.unwrap().expect("a new digest");
        assert_eq!(
            store.add_digest(&digest, &part_ids, due).await.unwrap(),
            None,
            "{}: once",
            store.backend()
        );
        assert!(store.due_digest_parts(due).await.unwrap().is_empty());
        let inside = MessageFilter { digest: Some(id), ..MessageFilter::default() };
        assert_eq!(store.messages(&inside).await.unwrap().len(), 2);
        let received = MessageFilter { received_only: true, ..MessageFilter::default() };
        let received = store.messages(&received).await.unwrap();
        let waiting = received[1].id;
        assert_eq!(
            received.iter().map(|m| m.id).collect::<Vec<_>>(),
            [id, waiting],
            "{}: the reader gets the digest, and the part that waits for the next",
            store.backend()
        );
        assert_eq!(store.sent_lately(Some("SAM@example.org"), at).await.unwrap().len(), 1);
        assert_eq!(store.sent_lately(None, at).await.unwrap()[0].recipient, "sam@example.org");

        assert_eq!(store.message_preference("sam@example.org").await.unwrap().rhythm, Rhythm::Daily);
        store.set_message_rhythm("Sam@Example.org", Rhythm::Weekly, at).await.unwrap();
        store.set_message_rhythm("sam@example.org", Rhythm::Each, at).await.unwrap();
        assert_eq!(store.message_preference("SAM@example.org").await.unwrap().rhythm, Rhythm::Each);
        assert_eq!(store.message_rhythms().await.unwrap().get("sam@example.org"), Some(&Rhythm::Each));
    }
}

#[tokio::test]
async fn the_outbox_gives_each_delivery_to_one_worker_and_takes_it_back_when_its_lease_runs_out() {
    for (store, _guard) in each_backend().await {
        let at = OffsetDateTime::UNIX_EPOCH;
        let event = event_of(EventKind::ActionOverdue, Actor::Clock);
        store.append_events(&[event], at).await.unwrap();
        let event = store.events(&EventFilter::default()).await.unwrap()[0].id;
        let later = at + time::Duration::hours(1);
        let held = NewMessage {
            route: Route::Send { at: later, counted: true, reason: None },
            ..message(event, "mona@example.org")
        };
        let dropped = NewMessage {
            route: Route::Dropped { reason: "a repeat".into() },
            ..message(event, "omar@example.org")
        };
        store.add_messages(&[message(event, "sam@example.org"), held, dropped], event, at).await.unwrap();
        // Only what is sent on its own is queued, and only once it is due.
        assert_eq!(store.deliveries(None, 10).await.unwrap().len(), 2, "{}", store.backend());
        let lease = time::Duration::minutes(1);
        // Workers claiming at once get each delivery once.
        let (a, b) =
            tokio::join!(store.claim_deliveries(at, lease, 10), store.claim_deliveries(at, lease, 10));
        let claimed: Vec<i64> = a.unwrap().into_iter().chain(b.unwrap()).map(|d| d.id).collect();
        assert_eq!(claimed.len(), 1, "{}: {claimed:?}", store.backend());
        let first = claimed[0];
        // A worker that died: its lease runs out, and another takes the delivery over.
        assert!(
            store.claim_deliveries(at + time::Duration::seconds(30), lease, 10).await.unwrap().is_empty()
        );
        let retaken = store.claim_deliveries(at + time::Duration::minutes(2), lease, 10).await.unwrap();
        assert_eq!(retaken.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), [(first, 2)]);
        assert_eq!(retaken[0].message.message.recipient, "sam@example.org");
        store
            .delivery_failed(first, "connection refused", Some(at + time::Duration::minutes(5)))
            .await
            .unwrap();
        assert!(store.claim_deliveries(at + time::Duration::minutes(3), lease, 10).await.unwrap().is_empty());
        let due = at + time::Duration::hours(2);
        let both = store.claim_deliveries(due, lease, 10).await.unwrap();
        assert_eq!(both.len(), 2, "{}: the retry and the held message", store.backend());
        store.delivery_sent(both[0].id, due).await.unwrap();
        store.delivery_failed(both[1].id, "550 no such mailbox", None).await.unwrap();
        let dead = store.deliveries(Some("dead"), 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_error.as_deref(), Some("550 no such mailbox"));
        assert!(store.claim_deliveries(due + time::Duration::DAY, lease, 10).await.unwrap().is_empty());
        assert!(store.retry_delivery(dead[0].id, due).await.unwrap());
        assert!(!store.retry_delivery(dead[0].id, due).await.unwrap(), "only a dead one is retried");
        assert_eq!(store.claim_deliveries(due, lease, 10).await.unwrap().len(), 1);
        assert_eq!(store.deliveries(Some("sent"), 10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_delivery_goes_by_the_channel_its_reader_chose_and_follows_a_change_until_it_is_sent() {
    for (store, _guard) in each_backend().await {
        let at = OffsetDateTime::UNIX_EPOCH;
        let hook = "https://hooks.slack.com/services/T0/B0/secret";
        store.set_message_channel("Sam@example.org", Channel::Slack, Some(hook), at).await.unwrap();
        let chosen = store.message_preference("sam@example.org").await.unwrap();
        assert_eq!(
            (chosen.channel, chosen.address.as_deref(), chosen.rhythm),
            (Channel::Slack, Some(hook), Rhythm::Daily)
        );
        for _ in 0..2 {
            store.append_events(&[event_of(EventKind::ActionOverdue, Actor::Clock)], at).await.unwrap();
        }
        let events: Vec<i64> =
            store.events(&EventFilter::default()).await.unwrap().iter().map(|event| event.id).collect();
        let first = message(events[0], "sam@example.org");
        let other = message(events[0], "mona@example.org");
        store.add_messages(&[first, other], events[0], at).await.unwrap();
        let claimed = store.claim_deliveries(at, time::Duration::minutes(1), 10).await.unwrap();
        let mut by_reader: Vec<_> = claimed
            .iter()
            .map(|d| (d.message.message.recipient.as_str(), d.channel.as_str(), d.address.as_deref()))
            .collect();
        by_reader.sort();
        assert_eq!(
            by_reader,
            [("mona@example.org", "email", None), ("sam@example.org", "slack", Some(hook))],
            "{}",
            store.backend()
        );
        for delivery in &claimed {
            store.delivery_sent(delivery.id, at).await.unwrap();
        }
        // Queued for Slack, then Sam moves to email before it goes: it goes by email.
        store.add_messages(&[message(events[1], "sam@example.org")], events[1], at).await.unwrap();
        store.set_message_channel("sam@example.org", Channel::Email, None, at).await.unwrap();
        let claimed = store.claim_deliveries(at, time::Duration::minutes(1), 10).await.unwrap();
        assert_eq!(
            claimed.iter().map(|d| (d.channel.as_str(), d.address.as_deref())).collect::<Vec<_>>(),
            [("email", None)],
            "{}",
            store.backend()
        );
        let sent = store.deliveries(Some("sent"), 10).await.unwrap();
        assert_eq!(sent.iter().map(|d| d.channel.as_str()).collect::<Vec<_>>(), ["email", "slack"]);
    }
}
