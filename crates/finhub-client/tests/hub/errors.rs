//! The hub's refusals arrive as their typed errors, with the hub's words and request id.

use finhub_client::{AccountType, HubError};
use finhub_clock::testing::FreezeGuard;
use secrecy::SecretString;

use crate::support::Hub;

#[tokio::test(start_paused = true)]
async fn the_hubs_refusals_are_typed() {
    let _frozen = FreezeGuard::new();
    let hub = Hub::integration().await;

    let wrong_secret = hub
        .client()
        .customer(
            hub.text("customerId"),
            SecretString::from("fhcs_wrong".to_owned()),
        )
        .build()
        .expect("client");
    match wrong_secret.login_client_credentials().await {
        Err(HubError::InvalidClient(refusal)) => {
            assert_eq!(refusal.code, "invalid_client");
            assert!(!refusal.request_id.is_empty());
        }
        other => panic!("{other:?}"),
    }

    let b2c = hub
        .client()
        .account_type(AccountType::B2c)
        .build()
        .expect("client");
    let refused = b2c.login_client_credentials().await;
    assert!(
        matches!(refused, Err(HubError::UnauthorizedClient(_))),
        "{refused:?}"
    );

    let unknown_tenant = hub.client().tenant("999999").build().expect("client");
    let refused = unknown_tenant.login_client_credentials().await;
    assert!(
        matches!(refused, Err(HubError::InvalidClient(_))),
        "{refused:?}"
    );

    let not_logged_in = hub.client().build().expect("client");
    assert!(matches!(
        not_logged_in.session_info().await,
        Err(HubError::NotLoggedIn)
    ));

    let client = finhub_client::HubClient::builder("http://127.0.0.1:9")
        .tenant("1")
        .customer("c", SecretString::from("s".to_owned()))
        .build()
        .expect("client");
    assert!(matches!(
        client.login_client_credentials().await,
        Err(HubError::Transport(_))
    ));

    for bad in ["", "12a", "1234567890123456789"] {
        assert!(matches!(
            hub.client().tenant(bad).build(),
            Err(HubError::Config(_))
        ));
    }
}
