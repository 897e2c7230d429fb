//! Every administrative operation is audited with the administrator who acted (never with a
//! secret), refusals name the record as an administrator reads it, and revoking sessions ends
//! them at once.

use finhub_core::audit::AuditAction;
use finhub_core::cert::{CertificateMatcher, SubjectPattern};
use finhub_core::error::{AuthError, StoreError};
use finhub_core::ids::{TenantId, Username};
use finhub_core::model::{AccountType, UpstreamTarget};
use finhub_core::scope::Scope;
use secrecy::SecretString;

use crate::support::{Domain, PASSWORD, accepts};

const UPSTREAM_SECRET: &str = "upstream secret that is never audited";

#[tokio::test(start_paused = true)]
async fn every_administrative_operation_is_audited_with_its_actor_and_no_secret() {
    let domain = Domain::new().await;
    let admin = &domain.auth.admin;
    let who = &domain.admin;
    let tenant = TenantId::parse("7654321").expect("tenant");
    admin
        .create_tenant(
            who,
            tenant.clone(),
            "Other",
            Scope::parse("finra:otcMarket").expect("scope"),
        )
        .await
        .expect("tenant");
    let customer = admin
        .create_customer(who, &tenant, "app", AccountType::B2c)
        .await
        .expect("customer");
    let bob = Username::parse("bob").expect("username");
    admin
        .create_user(
            who,
            &tenant,
            bob.clone(),
            SecretString::from("bob's password"),
        )
        .await
        .expect("user");
    admin
        .set_upstream_credential(
            who,
            &tenant,
            "client-1",
            &SecretString::from(UPSTREAM_SECRET),
            UpstreamTarget::FinraQa,
        )
        .await
        .expect("upstream credential");
    let matcher = CertificateMatcher::Subject(SubjectPattern::parse("cn:app-*").expect("pattern"));
    admin
        .bind_certificate(who, &tenant, &customer.customer.id, matcher.clone())
        .await
        .expect("bind");
    admin
        .unbind_certificate(who, &tenant, &customer.customer.id, &matcher)
        .await
        .expect("unbind");
    let revoked = admin
        .revoke_sessions(who, &tenant, Some(&bob))
        .await
        .expect("revoke");
    assert_eq!(revoked, 0);

    let events = admin.recent_audit_events(7).await.expect("audit");
    let actions: Vec<AuditAction> = events.iter().rev().map(|event| event.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::AdminCreateTenant,
            AuditAction::AdminCreateCustomer,
            AuditAction::AdminCreateUser,
            AuditAction::AdminSetUpstreamCredential,
            AuditAction::AdminBindCertificate,
            AuditAction::AdminUnbindCertificate,
            AuditAction::AdminRevoke,
        ]
    );
    let customer_id = customer.customer.id.to_string();
    for event in &events {
        assert_eq!(event.actor.as_deref(), Some("ops-oliver"));
        assert_eq!(event.tenant.as_deref(), Some("7654321"));
        let line = event.to_json_line();
        assert!(!line.contains(UPSTREAM_SECRET), "{line}");
        assert!(!line.contains(customer.secret.expose()), "{line}");
        assert!(!line.contains("bob's password"), "{line}");
    }
    let subjects: Vec<(Option<&str>, Option<&str>)> = events
        .iter()
        .rev()
        .map(|event| (event.customer.as_deref(), event.username.as_deref()))
        .collect();
    assert_eq!(
        subjects,
        [
            (None, None),
            (Some(customer_id.as_str()), None),
            (None, Some("bob")),
            (None, None),
            (Some(customer_id.as_str()), None),
            (Some(customer_id.as_str()), None),
            (None, Some("bob")),
        ]
    );
    assert_eq!(events[0].sessions_ended, Some(0));
}

#[tokio::test(start_paused = true)]
async fn revoking_a_users_sessions_ends_them_at_once_and_audits_how_many() {
    let domain = Domain::new().await;
    let first = domain.login(PASSWORD).await.expect("login");
    let second = domain.login(PASSWORD).await.expect("login");
    let revoked = domain
        .auth
        .admin
        .revoke_sessions(&domain.admin, &domain.tenant, Some(&domain.user()))
        .await
        .expect("revoke");
    assert_eq!(revoked, 2);
    for tokens in [&first, &second] {
        assert!(accepts(&domain.auth.sessions, tokens).await.is_err());
        assert!(matches!(
            domain.exchange(tokens).await,
            Err(AuthError::InvalidGrant)
        ));
    }
    let events = domain
        .auth
        .admin
        .recent_audit_events(1)
        .await
        .expect("audit");
    assert_eq!(events[0].action, AuditAction::AdminRevoke);
    assert_eq!(events[0].sessions_ended, Some(2));
}

#[tokio::test(start_paused = true)]
async fn refusals_name_the_record_as_an_administrator_reads_it() {
    let domain = Domain::new().await;
    let admin = &domain.auth.admin;
    let again = admin
        .create_tenant(
            &domain.admin,
            domain.tenant.clone(),
            "Again",
            Scope::parse("finra:otcMarket").expect("scope"),
        )
        .await;
    assert!(
        matches!(&again, Err(AuthError::Store(StoreError::Conflict(what))) if what == "tenant 1234567"),
        "{again:?}"
    );
    let nobody = TenantId::parse("999").expect("tenant");
    let missing = admin
        .create_customer(&domain.admin, &nobody, "app", AccountType::B2b)
        .await;
    assert!(
        matches!(&missing, Err(AuthError::Store(StoreError::NotFound(what))) if what == "tenant 999"),
        "{missing:?}"
    );
}
