//! Machine logins read their tenant and customer from a short-lived cache: the secret is still
//! checked every time, a failure is counted and backs off as before, and a change reaches the
//! logins at once on the instance that made it and within the cache's lifetime on another.

use finhub_core::auth::SESSION_CACHE_TTL;
use finhub_core::error::AuthError;
use finhub_core::net::AllowList;

use crate::support::Domain;

#[tokio::test(start_paused = true)]
async fn a_cached_customer_still_needs_its_secret_and_failures_back_off() {
    let domain = Domain::new().await;
    let secret = domain.customer_secret.clone();
    domain
        .machine_login(&domain.auth, &secret)
        .await
        .expect("a login reads and caches");
    domain
        .machine_login(&domain.auth, &secret)
        .await
        .expect("a cached login");
    for _ in 0..4 {
        assert!(matches!(
            domain.machine_login(&domain.auth, "fhcs_wrong").await,
            Err(AuthError::InvalidClient)
        ));
    }
    // The fifth failure in a row backs off, even for the right secret.
    assert!(matches!(
        domain.machine_login(&domain.auth, "fhcs_wrong").await,
        Err(AuthError::InvalidClient)
    ));
    assert!(matches!(
        domain.machine_login(&domain.auth, &secret).await,
        Err(AuthError::RateLimited { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn disabling_a_customer_stops_its_logins_here_at_once_and_elsewhere_within_the_cache_lifetime()
 {
    let domain = Domain::new().await;
    let secret = domain.customer_secret.clone();
    for hub in [&domain.auth, &domain.other] {
        domain
            .machine_login(hub, &secret)
            .await
            .expect("cached on both");
    }
    domain
        .auth
        .admin
        .set_customer_disabled(&domain.admin, &domain.tenant, &domain.customer, true)
        .await
        .expect("disable");
    assert!(matches!(
        domain.machine_login(&domain.auth, &secret).await,
        Err(AuthError::InvalidClient)
    ));
    tokio::time::advance(SESSION_CACHE_TTL).await;
    assert!(matches!(
        domain.machine_login(&domain.other, &secret).await,
        Err(AuthError::InvalidClient)
    ));
}

#[tokio::test(start_paused = true)]
async fn a_new_allow_list_applies_to_the_next_machine_login_here() {
    let domain = Domain::new().await;
    let secret = domain.customer_secret.clone();
    domain
        .machine_login(&domain.auth, &secret)
        .await
        .expect("cached");
    let elsewhere = AllowList::parse(&["192.0.2.0/24"]).expect("allow-list");
    domain
        .auth
        .admin
        .set_allow_list(&domain.admin, &domain.tenant, &elsewhere)
        .await
        .expect("allow-list");
    assert!(matches!(
        domain.machine_login(&domain.auth, &secret).await,
        Err(AuthError::AccessDenied(_))
    ));
}
