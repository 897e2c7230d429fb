//! Ending access: disabling a user, customer or tenant, or changing a user's password, ends
//! every session and refresh-token family resting on it — session info, data calls and
//! refresh answer 401 `invalid_token` at once on the instance that acted and within the session
//! cache's lifetime on another, the `refresh_token` grant is refused — audited with who acted
//! and how many sessions ended; enabling again revives nothing. Narrowing a tenant's scope
//! applies to live sessions at their next request.

use axum::http::{Method, StatusCode};
use finhub_core::admin::Administrator;
use finhub_core::audit::AuditAction;
use finhub_core::auth::SESSION_CACHE_TTL;
use finhub_core::ids::{CustomerId, TenantId, Username};
use finhub_core::scope::Scope;
use secrecy::SecretString;

use crate::support::{Call, Hub, Sender, TENANT, Tokens, USERNAME};

const SMALL: &str = "/data/group/otcMarket/name/weeklySummary?limit=1";

/// How access is ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    DisableUser,
    DisableCustomer,
    DisableTenant,
    ChangePassword,
}

fn session_call(tokens: &Tokens) -> Call {
    Call::new(Method::GET, "/v1/auth/session").bearer(&tokens.session)
}

fn refresh_call(tokens: &Tokens) -> Call {
    Call::new(Method::POST, "/v1/auth/refresh").bearer(&tokens.session)
}

/// The session's three uses on one instance, as statuses.
async fn uses(hub: &Hub, instance: &Sender, tokens: &Tokens) -> [StatusCode; 3] {
    [
        instance.send(session_call(tokens)).await.status,
        instance.send(hub.get(SMALL, &tokens.session)).await.status,
        instance.send(refresh_call(tokens)).await.status,
    ]
}

/// Every use refused with the hub's `401 invalid_token`.
async fn assert_refused(hub: &Hub, instance: &Sender, tokens: &Tokens, when: &str) {
    for call in [
        session_call(tokens),
        hub.get(SMALL, &tokens.session),
        refresh_call(tokens),
    ] {
        let reply = instance.send(call).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{when}: {}",
            reply.text()
        );
        reply.assert_error(401, "invalid_token");
    }
}

async fn end_access(hub: &Hub, ending: Ending, admin: &Administrator) -> u64 {
    let auth = &hub.state.admin;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let user = Username::parse(USERNAME).expect("username");
    let customer = CustomerId::parse(&hub.customer_id).expect("customer");
    match ending {
        Ending::DisableUser => auth.set_user_disabled(admin, &tenant, &user, true).await,
        Ending::DisableCustomer => {
            auth.set_customer_disabled(admin, &tenant, &customer, true)
                .await
        }
        Ending::DisableTenant => auth.set_tenant_disabled(admin, &tenant, true).await,
        Ending::ChangePassword => {
            auth.set_user_password(
                admin,
                &tenant,
                &user,
                SecretString::from("a new passphrase"),
            )
            .await
        }
    }
    .expect("the administrator's action")
}

async fn enable_again(hub: &Hub, ending: Ending, admin: &Administrator) {
    let auth = &hub.state.admin;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let user = Username::parse(USERNAME).expect("username");
    let customer = CustomerId::parse(&hub.customer_id).expect("customer");
    let enabled = match ending {
        Ending::DisableUser => auth.set_user_disabled(admin, &tenant, &user, false).await,
        Ending::DisableCustomer => {
            auth.set_customer_disabled(admin, &tenant, &customer, false)
                .await
        }
        Ending::DisableTenant => auth.set_tenant_disabled(admin, &tenant, false).await,
        Ending::ChangePassword => Ok(0),
    };
    assert_eq!(enabled.expect("enable"), 0, "enabling ends nothing");
}

async fn check(ending: Ending) -> Hub {
    let hub = Hub::new().await;
    let other = hub.second_instance();
    let here = hub.sender();
    let tokens = hub.login_warm().await;
    let second = hub.login().await;

    // Both instances serve both sessions (and have them cached).
    for instance in [&here, &other] {
        for session in [&tokens, &second] {
            let [info, data, _] = uses(&hub, instance, session).await;
            assert_eq!((info, data), (StatusCode::OK, StatusCode::OK), "{ending:?}");
        }
    }

    let admin = Administrator::new("ops-oliver");
    assert_eq!(
        end_access(&hub, ending, &admin).await,
        2,
        "{ending:?}: both sessions"
    );

    // At once on the instance that acted; on the other within the cache's lifetime.
    assert_refused(&hub, &here, &tokens, "this instance").await;
    tokio::time::advance(SESSION_CACHE_TTL).await;
    assert_refused(&hub, &other, &second, "the other instance").await;
    assert_refused(&hub, &other, &tokens, "the other instance").await;

    // The refresh token is refused too: `invalid_grant`, or `invalid_client` while the
    // customer or tenant it is exchanged through is disabled.
    let grant = hub
        .send(hub.token_call(&hub.refresh_grant_body(&tokens.refresh)))
        .await;
    match ending {
        Ending::DisableUser | Ending::ChangePassword => grant.assert_error(400, "invalid_grant"),
        Ending::DisableCustomer | Ending::DisableTenant => {
            grant.assert_error(401, "invalid_client");
        }
    }

    // The audit names the action, who acted and how many sessions it ended.
    let events = hub
        .state
        .admin
        .recent_audit_events(100)
        .await
        .expect("audit");
    let expected_action = if ending == Ending::ChangePassword {
        AuditAction::AdminSetPassword
    } else {
        AuditAction::AdminDisable
    };
    let event = events
        .iter()
        .find(|event| event.action == expected_action)
        .unwrap_or_else(|| panic!("{ending:?}: no audit entry in {events:#?}"));
    assert_eq!(event.actor.as_deref(), Some("ops-oliver"));
    assert_eq!(event.sessions_ended, Some(2));
    assert_eq!(event.tenant.as_deref(), Some(TENANT));
    let (customer, username) = match ending {
        Ending::DisableUser | Ending::ChangePassword => (None, Some(USERNAME)),
        Ending::DisableCustomer => (Some(hub.customer_id.as_str()), None),
        Ending::DisableTenant => (None, None),
    };
    assert_eq!(event.customer.as_deref(), customer);
    assert_eq!(event.username.as_deref(), username);

    // Enabling again revives nothing: the old session and refresh token stay ended.
    enable_again(&hub, ending, &admin).await;
    tokio::time::advance(SESSION_CACHE_TTL).await;
    assert_refused(&hub, &here, &tokens, "after enabling again").await;
    hub.send(hub.token_call(&hub.refresh_grant_body(&tokens.refresh)))
        .await
        .assert_error(400, "invalid_grant");
    if ending != Ending::ChangePassword {
        // A new login works again.
        let fresh = hub.login().await;
        hub.send(hub.get(SMALL, &fresh.session)).await.assert_ok();
    }
    hub.assert_no_leaks().await;
    hub
}

#[tokio::test(start_paused = true)]
async fn disabling_a_user_ends_their_sessions_everywhere() {
    check(Ending::DisableUser).await;
}

#[tokio::test(start_paused = true)]
async fn disabling_a_customer_ends_its_sessions_everywhere() {
    check(Ending::DisableCustomer).await;
}

#[tokio::test(start_paused = true)]
async fn disabling_a_tenant_ends_its_sessions_everywhere() {
    check(Ending::DisableTenant).await;
}

#[tokio::test(start_paused = true)]
async fn changing_a_password_ends_the_users_sessions_everywhere() {
    let hub = check(Ending::ChangePassword).await;
    // The old password no longer logs in; the new one does.
    hub.send(hub.token_call(&hub.login_body()))
        .await
        .assert_error(401, "invalid_client");
    let mut body = hub.login_body();
    body["password"] = serde_json::json!("a new passphrase");
    let fresh = hub.send(hub.token_call(&body)).await.tokens();
    hub.send(hub.get(SMALL, &fresh.session)).await.assert_ok();
}

#[tokio::test(start_paused = true)]
async fn a_narrowed_scope_applies_to_live_sessions_at_their_next_request() {
    let hub = Hub::new().await;
    let other = hub.second_instance();
    let here = hub.sender();
    let tokens = hub.login_warm().await;
    let treasury = "/data/group/fixedIncomeMarket/name/treasuryDailyAggregates?limit=1";
    for instance in [&here, &other] {
        instance
            .send(hub.get(treasury, &tokens.session))
            .await
            .assert_ok();
    }
    hub.state
        .admin
        .set_scope(
            &Administrator::new("ops-oliver"),
            &TenantId::parse(TENANT).expect("tenant"),
            Scope::parse("finra:otcMarket").expect("scope"),
        )
        .await
        .expect("narrow the scope");
    // At once here; on the other instance within its session cache's lifetime.
    here.send(hub.get(treasury, &tokens.session))
        .await
        .assert_error(403, "insufficient_scope");
    tokio::time::advance(SESSION_CACHE_TTL).await;
    other
        .send(hub.get(treasury, &tokens.session))
        .await
        .assert_error(403, "insufficient_scope");
    hub.send(hub.get(SMALL, &tokens.session)).await.assert_ok();
    let info = hub.send(session_call(&tokens)).await;
    assert_eq!(info.json()["scope"], "finra:otcMarket");
    let events = hub
        .state
        .admin
        .recent_audit_events(10)
        .await
        .expect("audit");
    assert!(
        events
            .iter()
            .any(|event| event.action == AuditAction::AdminSetScope
                && event.actor.as_deref() == Some("ops-oliver")),
        "{events:#?}"
    );
}
