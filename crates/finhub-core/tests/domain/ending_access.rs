//! Ending access in the domain: disabling a user, customer or tenant, or changing a password,
//! refuses every session resting on it at once here and within the session cache's lifetime on
//! another instance, revokes its refresh tokens, is audited with who acted and how many
//! sessions ended, and is not undone by enabling again; sessions of others are untouched.

use finhub_core::audit::AuditAction;
use finhub_core::auth::SESSION_CACHE_TTL;
use finhub_core::error::{AuthError, TokenProblem};
use finhub_core::model::AccountType;
use secrecy::SecretString;

use crate::support::{Domain, PASSWORD, accepts};

fn is_revoked(result: &Result<(), AuthError>) -> bool {
    matches!(result, Err(AuthError::InvalidToken(TokenProblem::Revoked)))
}

#[tokio::test(start_paused = true)]
async fn disabling_a_user_ends_their_sessions_here_at_once_and_elsewhere_within_the_cache_lifetime()
{
    let domain = Domain::new().await;
    let tokens = domain.login(PASSWORD).await.expect("login");
    accepts(&domain.auth.sessions, &tokens)
        .await
        .expect("live here");
    accepts(&domain.other.sessions, &tokens)
        .await
        .expect("live there");

    let ended = domain
        .auth
        .admin
        .set_user_disabled(&domain.admin, &domain.tenant, &domain.user(), true)
        .await
        .expect("disable");
    assert_eq!(ended, 1);
    assert!(is_revoked(&accepts(&domain.auth.sessions, &tokens).await));
    tokio::time::advance(SESSION_CACHE_TTL).await;
    assert!(is_revoked(&accepts(&domain.other.sessions, &tokens).await));
    assert!(matches!(
        domain.exchange(&tokens).await,
        Err(AuthError::InvalidGrant)
    ));

    let events = domain
        .auth
        .admin
        .recent_audit_events(10)
        .await
        .expect("audit");
    let event = events
        .iter()
        .find(|event| event.action == AuditAction::AdminDisable)
        .expect("audited");
    assert_eq!(
        (
            event.actor.as_deref(),
            event.sessions_ended,
            event.username.as_deref()
        ),
        (Some("ops-oliver"), Some(1), Some("alice"))
    );

    // Enabling revives nothing: the refresh token stays revoked, a new login works.
    domain
        .auth
        .admin
        .set_user_disabled(&domain.admin, &domain.tenant, &domain.user(), false)
        .await
        .expect("enable");
    assert!(is_revoked(&accepts(&domain.auth.sessions, &tokens).await));
    assert!(matches!(
        domain.exchange(&tokens).await,
        Err(AuthError::InvalidGrant)
    ));
    let fresh = domain.login(PASSWORD).await.expect("a new login");
    accepts(&domain.auth.sessions, &fresh)
        .await
        .expect("the new session works");
}

#[tokio::test(start_paused = true)]
async fn a_password_change_ends_the_users_sessions_and_only_theirs() {
    let domain = Domain::new().await;
    let person = domain.login(PASSWORD).await.expect("login");
    let machine_customer = domain
        .auth
        .admin
        .create_customer(
            &finhub_core::admin::Administrator::new("test set-up"),
            &domain.tenant,
            "machine",
            AccountType::B2b,
        )
        .await
        .expect("customer");
    let machine = domain
        .auth
        .logins
        .login(
            &crate::support::ctx(),
            finhub_core::auth::LoginRequest {
                tenant: domain.tenant.clone(),
                customer_id: machine_customer.customer.id.to_string(),
                customer_secret: SecretString::from(machine_customer.secret.expose().to_owned()),
                account_type: AccountType::B2b,
                grant: finhub_core::auth::LoginGrant::ClientCredentials,
            },
        )
        .await
        .expect("a machine login");

    let ended = domain
        .auth
        .admin
        .set_user_password(
            &domain.admin,
            &domain.tenant,
            &domain.user(),
            SecretString::from("a new passphrase"),
        )
        .await
        .expect("set the password");
    assert_eq!(ended, 1, "only the person's session");
    assert!(is_revoked(&accepts(&domain.auth.sessions, &person).await));
    accepts(&domain.auth.sessions, &machine)
        .await
        .expect("the machine's session is untouched");
    assert!(matches!(
        domain.exchange(&person).await,
        Err(AuthError::InvalidGrant)
    ));
    assert!(matches!(
        domain.login(PASSWORD).await,
        Err(AuthError::InvalidClient)
    ));
    domain
        .login("a new passphrase")
        .await
        .expect("the new password");
}

#[tokio::test(start_paused = true)]
async fn disabling_a_customer_or_tenant_ends_every_session_through_it() {
    for tenant_wide in [false, true] {
        let domain = Domain::new().await;
        let first = domain.login(PASSWORD).await.expect("login");
        let second = domain.login(PASSWORD).await.expect("login");
        let ended = if tenant_wide {
            domain
                .auth
                .admin
                .set_tenant_disabled(&domain.admin, &domain.tenant, true)
                .await
        } else {
            domain
                .auth
                .admin
                .set_customer_disabled(&domain.admin, &domain.tenant, &domain.customer, true)
                .await
        }
        .expect("disable");
        assert_eq!(ended, 2, "tenant-wide: {tenant_wide}");
        for tokens in [&first, &second] {
            assert!(is_revoked(&accepts(&domain.auth.sessions, tokens).await));
        }
        // Enabling again: a new login works, the old sessions stay ended.
        if tenant_wide {
            domain
                .auth
                .admin
                .set_tenant_disabled(&domain.admin, &domain.tenant, false)
                .await
        } else {
            domain
                .auth
                .admin
                .set_customer_disabled(&domain.admin, &domain.tenant, &domain.customer, false)
                .await
        }
        .expect("enable");
        tokio::time::advance(SESSION_CACHE_TTL).await;
        assert!(is_revoked(&accepts(&domain.other.sessions, &first).await));
        let fresh = domain.login(PASSWORD).await.expect("a new login");
        accepts(&domain.other.sessions, &fresh)
            .await
            .expect("the new session works");
    }
}
