//! Tenants' TRAQS credentials: set per environment (audited with the administrator, never with
//! the token), shown without the token, opened only for the tenant and environment they were
//! sealed for.

use finhub_core::admin::NewTraqsCredential;
use finhub_core::audit::AuditAction;
use finhub_core::ids::TenantId;
use finhub_core::model::{TraqsCredential, TraqsEnvironment};
use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use crate::support::{Domain, TENANT};

const TOKEN: &str = "trq_a-refresh-token-that-is-never-shown";

fn new(environment: TraqsEnvironment, expires_at: Option<OffsetDateTime>) -> NewTraqsCredential {
    NewTraqsCredential {
        environment,
        username: "ops@example.com".into(),
        refresh_token: SecretString::from(TOKEN),
        expires_at,
        base_url: Some("http://127.0.0.1:9/".into()),
    }
}

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
            &new(TraqsEnvironment::Ntf, Some(ends)),
        )
        .await
        .expect("set");
    let status = admin.traqs_status(&tenant).await.expect("status");
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].environment, TraqsEnvironment::Ntf);
    assert_eq!(status[0].username, "ops@example.com");
    assert_eq!(status[0].expires_at, Some(ends));
    assert_eq!(status[0].base_url.as_deref(), Some("http://127.0.0.1:9/"));
    assert!(!format!("{status:?}").contains(TOKEN));

    let upstream = &domain.auth.upstream;
    let opened = upstream
        .open_traqs(&tenant, TraqsEnvironment::Ntf)
        .await
        .expect("open")
        .expect("set for ntf");
    assert_eq!(opened.refresh_token.expose_secret(), TOKEN);
    assert_eq!(opened.base_url.as_deref(), Some("http://127.0.0.1:9/"));
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

#[tokio::test(start_paused = true)]
async fn a_traqs_credential_needs_a_username_and_a_web_address() {
    let domain = Domain::new().await;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    for bad in [
        NewTraqsCredential {
            username: "  ".into(),
            ..new(TraqsEnvironment::Production, None)
        },
        NewTraqsCredential {
            base_url: Some("file:///etc/passwd".into()),
            ..new(TraqsEnvironment::Production, None)
        },
    ] {
        let error = domain
            .auth
            .admin
            .set_traqs_credential(&domain.admin, &tenant, &bad)
            .await
            .expect_err("refused");
        assert_eq!(error.code(), "invalid_request", "{error}");
    }
    assert!(
        domain
            .auth
            .admin
            .traqs_status(&tenant)
            .await
            .expect("status")
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn credentials_ending_within_a_window_are_listed_soonest_first_without_their_tokens() {
    let domain = Domain::new().await;
    let admin = &domain.auth.admin;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let now = domain.clock.now_utc();
    for (environment, ends) in [
        (TraqsEnvironment::Production, Some(now + Duration::days(20))),
        (TraqsEnvironment::Ntf, Some(now + Duration::days(3))),
    ] {
        admin
            .set_traqs_credential(&domain.admin, &tenant, &new(environment, ends))
            .await
            .expect("set");
    }
    let upstream = &domain.auth.upstream;
    let ending = upstream
        .traqs_ending_within(Duration::days(14))
        .await
        .expect("list");
    assert_eq!(ending.len(), 1);
    assert_eq!(ending[0].environment, TraqsEnvironment::Ntf);
    assert_eq!(ending[0].expires_at, now + Duration::days(3));
    assert_eq!(ending[0].username, "ops@example.com");

    // Seven days on, production is within the window too; the ended one stays listed first.
    tokio::time::advance(std::time::Duration::from_secs(7 * 86_400)).await;
    let ending = upstream
        .traqs_ending_within(Duration::days(14))
        .await
        .expect("list");
    let environments: Vec<_> = ending.iter().map(|e| e.environment).collect();
    assert_eq!(
        environments,
        [TraqsEnvironment::Ntf, TraqsEnvironment::Production]
    );

    // A credential without a known end is never listed.
    admin
        .set_traqs_credential(&domain.admin, &tenant, &new(TraqsEnvironment::Ntf, None))
        .await
        .expect("replace");
    let ending = upstream
        .traqs_ending_within(Duration::days(14))
        .await
        .expect("list");
    assert_eq!(ending.len(), 1);
    assert_eq!(ending[0].environment, TraqsEnvironment::Production);
}
