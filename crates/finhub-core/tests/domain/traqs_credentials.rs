//! Tenants' TRAQS credentials: set per environment (audited with the administrator, never with
//! the token), shown without the token, opened only for the tenant and environment they were
//! sealed for.

use finhub_core::audit::AuditAction;
use finhub_core::ids::TenantId;
use finhub_core::model::{TraqsCredential, TraqsEnvironment};
use secrecy::{ExposeSecret, SecretString};

use crate::support::{Domain, TENANT};

const TOKEN: &str = "trq_a-refresh-token-that-is-never-shown";

#[tokio::test(start_paused = true)]
async fn a_traqs_credential_is_sealed_per_tenant_and_environment_and_never_shown() {
    let domain = Domain::new().await;
    let admin = &domain.auth.admin;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let ends = domain.clock.now_utc() + time::Duration::days(90);
    admin
        .set_traqs_credential(
            &domain.admin,
            &tenant,
            TraqsEnvironment::Ntf,
            "ops@example.com",
            &SecretString::from(TOKEN),
            Some(ends),
        )
        .await
        .expect("set");
    let status = admin.traqs_status(&tenant).await.expect("status");
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].environment, TraqsEnvironment::Ntf);
    assert_eq!(status[0].username, "ops@example.com");
    assert_eq!(status[0].expires_at, Some(ends));
    assert!(!format!("{status:?}").contains(TOKEN));

    let upstream = &domain.auth.upstream;
    let opened = upstream
        .open_traqs(&tenant, TraqsEnvironment::Ntf)
        .await
        .expect("open")
        .expect("set for ntf");
    assert_eq!(opened.refresh_token.expose_secret(), TOKEN);
    assert!(!format!("{opened:?}").contains(TOKEN));
    assert!(
        upstream
            .open_traqs(&tenant, TraqsEnvironment::Production)
            .await
            .expect("open")
            .is_none()
    );

    // The sealed token copied to the other environment's row does not open there.
    let stored = domain
        .store
        .traqs_credential(&tenant, TraqsEnvironment::Ntf)
        .await
        .expect("read")
        .expect("stored");
    assert!(!String::from_utf8_lossy(&stored.sealed_token).contains(TOKEN));
    domain
        .store
        .set_traqs_credential(&TraqsCredential {
            environment: TraqsEnvironment::Production,
            ..stored
        })
        .await
        .expect("copied");
    assert!(
        upstream
            .open_traqs(&tenant, TraqsEnvironment::Production)
            .await
            .is_err()
    );

    let events = admin.recent_audit_events(10).await.expect("audit");
    let event = events
        .iter()
        .find(|e| e.action == AuditAction::AdminSetTraqsCredential)
        .expect("audited");
    assert_eq!(event.actor.as_deref(), Some(domain.admin.actor.as_str()));
    assert!(!format!("{events:?}").contains(TOKEN));
    assert!(
        admin
            .traqs_status(&TenantId::parse("99").expect("id"))
            .await
            .is_err(),
        "an unknown tenant"
    );
}
