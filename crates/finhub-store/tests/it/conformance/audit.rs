//! `AuditLog`: every field round-trips, reads come newest first, and the limit holds.

use finhub_core::audit::{AuditAction, AuditOutcome};

use crate::support::{SharedStore, at, audit_event};

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
