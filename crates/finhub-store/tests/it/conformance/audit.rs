//! `AuditLog`: every field round-trips, reads come newest first, and the limit holds.

use finhub_core::audit::{AuditAction, AuditOutcome, AuditQuery};

use crate::support::{SharedStore, at, audit_event, tenant_id};

pub(crate) async fn audit_events_round_trip_newest_first_up_to_the_limit(store: &SharedStore) {
    assert!(
        store
            .recent_audit_events(10)
            .await
            .expect("read")
            .is_empty()
    );

    let oldest = audit_event(at(-60), "r-oldest");
    let mut refused = audit_event(at(30), "r-refused");
    refused.action = AuditAction::RequestRefused;
    refused.outcome = AuditOutcome::Failure("rate_limited".to_owned());
    refused.tenant = None;
    refused.customer = None;
    refused.username = Some("eve\n{\"forged\":true}".to_owned());
    refused.peer_addr = "10.0.0.5".to_owned();
    refused.client_addr = "203.0.113.9".to_owned();
    refused.forwarded_for = Some("203.0.113.9, 10.0.0.7".to_owned());
    refused.user_agent = None;
    refused.platform = None;
    refused.client_certificate = Some("ab".repeat(32));
    let mut logout = audit_event(at(0), "r-logout");
    logout.action = AuditAction::Logout;
    let mut same_time_later = audit_event(at(0), "r-same-time-later");
    same_time_later.action = AuditAction::AdminDisable;
    same_time_later.actor = Some("ops-oliver".to_owned());
    same_time_later.sessions_ended = Some(3);

    // Appended out of time order: reading sorts by event time, then by reverse append order.
    for event in [&refused, &oldest, &logout, &same_time_later] {
        store.append(event).await.expect("append");
    }

    let all = store.recent_audit_events(10).await.expect("read");
    assert_eq!(
        all,
        [
            refused.clone(),
            same_time_later.clone(),
            logout.clone(),
            oldest.clone()
        ]
    );
    let two = store.recent_audit_events(2).await.expect("read");
    assert_eq!(two, [refused, same_time_later]);
    assert!(store.recent_audit_events(0).await.expect("read").is_empty());
}

pub(crate) async fn a_tenants_events_are_filtered_and_paged_newest_first(store: &SharedStore) {
    // Ten logins of alice and bob in turn, a minute apart; one disable by an administrator;
    // one event of another tenant.
    let mut appended = Vec::new();
    for minute in 0..10 {
        let mut event = audit_event(at(minute * 60), &format!("r-{minute}"));
        event.username = Some(if minute % 2 == 0 { "alice" } else { "bob" }.to_owned());
        appended.push(event);
    }
    let mut disable = audit_event(at(600), "r-disable");
    disable.action = AuditAction::AdminDisable;
    disable.username = Some("bob".to_owned());
    appended.push(disable.clone());
    let mut elsewhere = audit_event(at(30), "r-elsewhere");
    elsewhere.tenant = Some("7654321".to_owned());
    appended.push(elsewhere);
    for event in &appended {
        store.append(event).await.expect("append");
    }
    let query = |edit: &dyn Fn(&mut AuditQuery)| {
        let mut query = AuditQuery {
            tenant: tenant_id("1234567"),
            username: None,
            action: None,
            from: None,
            until: None,
            offset: 0,
            limit: 100,
        };
        edit(&mut query);
        query
    };
    let ids = |events: Vec<finhub_core::audit::AuditEvent>| -> Vec<String> {
        events.into_iter().map(|e| e.request_id).collect()
    };

    let all = store.audit_events(&query(&|_| {})).await.expect("read");
    assert_eq!(all.len(), 11, "the other tenant's event is not there");
    assert_eq!(all[0], disable);

    let bob = store
        .audit_events(&query(&|q| q.username = Some("bob".into())))
        .await
        .expect("read");
    assert_eq!(ids(bob), ["r-disable", "r-9", "r-7", "r-5", "r-3", "r-1"]);

    let disables = store
        .audit_events(&query(&|q| q.action = Some(AuditAction::AdminDisable)))
        .await
        .expect("read");
    assert_eq!(ids(disables), ["r-disable"]);

    // From inclusive, until exclusive.
    let window = store
        .audit_events(&query(&|q| {
            q.from = Some(at(120));
            q.until = Some(at(300));
        }))
        .await
        .expect("read");
    assert_eq!(ids(window), ["r-4", "r-3", "r-2"]);

    // Pages of four: the third holds what is left.
    let page = |n: u32| {
        let store = std::sync::Arc::clone(store);
        let q = query(&|q| {
            q.limit = 4;
            q.offset = n * 4;
        });
        async move { ids(store.audit_events(&q).await.expect("read")) }
    };
    assert_eq!(page(0).await, ["r-disable", "r-9", "r-8", "r-7"]);
    assert_eq!(page(1).await, ["r-6", "r-5", "r-4", "r-3"]);
    assert_eq!(page(2).await, ["r-2", "r-1", "r-0"]);
    assert!(page(3).await.is_empty());
}
