//! A production hub: HTTPS with the hub's own CA, and a client certificate bound to the
//! customer, for the hub calls and the FINRA calls through it alike.

use finhub_client::HubError;
use finhub_clock::testing::FreezeGuard;

use crate::support::Hub;

#[tokio::test(start_paused = true)]
async fn a_production_hub_takes_the_client_certificate_and_refuses_without_it() {
    let _frozen = FreezeGuard::new();
    let hub = Hub::production().await;
    let read = |key: &str| std::fs::read(hub.text(key)).expect(key);
    let ca = read("caCert");
    let mut identity = read("clientCert");
    identity.extend(read("clientKey"));

    let client = hub
        .client()
        .ca_certificate(ca.clone())
        .client_identity_pem(identity)
        .build()
        .expect("client");
    client.login_client_credentials().await.expect("login");
    let finra = client.finra_client().expect("finra client");
    let partitions = finra
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("FINRA through the hub, over the certificate");
    assert!(!partitions.available_partitions.is_empty());

    let without = hub.client().ca_certificate(ca).build().expect("client");
    let refused = without.login_client_credentials().await;
    assert!(
        matches!(refused, Err(HubError::InvalidCertificate(_))),
        "{refused:?}"
    );
}
