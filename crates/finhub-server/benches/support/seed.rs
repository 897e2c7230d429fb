//! The tenant a benchmark's hub serves, created through the domain as an administrator would:
//! scope `finra:otcMarket`, one `b2b` customer, and a FINRA credential when it proxies; and the
//! login request with the headers the hub requires.

use finhub_core::admin::{Administration, Administrator};
use finhub_core::ids::TenantId;
use finhub_core::model::{AccountType, UpstreamTarget};
use finhub_core::scope::Scope;
use secrecy::SecretString;

/// The FINRA credential a tenant's data calls go out with.
pub(crate) struct Upstream<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) secret: &'a str,
    pub(crate) api_base: String,
    pub(crate) token_url: String,
}

/// Creates `tenant` with its customer (and `upstream`, when given); the customer's id and secret.
pub(crate) async fn tenant(
    admin: &Administration,
    tenant: &str,
    upstream: Option<Upstream<'_>>,
) -> (String, String) {
    let by = Administrator::new("bench set-up");
    let tenant = TenantId::parse(tenant).expect("tenant id");
    admin
        .create_tenant(
            &by,
            tenant.clone(),
            "Bench",
            Scope::parse("finra:otcMarket").expect("scope"),
        )
        .await
        .expect("tenant");
    let customer = admin
        .create_customer(&by, &tenant, "bench", AccountType::B2b)
        .await
        .expect("customer");
    if let Some(upstream) = upstream {
        admin
            .set_upstream_credential(
                &by,
                &tenant,
                upstream.client_id,
                &SecretString::from(upstream.secret.to_owned()),
                UpstreamTarget::Custom {
                    api_base: upstream.api_base,
                    token_url: upstream.token_url,
                },
            )
            .await
            .expect("upstream credential");
    }
    (
        customer.customer.id.to_string(),
        customer.secret.expose().to_owned(),
    )
}

/// `POST /v1/auth/token` to the hub at `base` for `tenant`, with the headers a login needs.
pub(crate) async fn post_login(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    client
        .post(format!("{base}/v1/auth/token"))
        .header("sec-ch-ua-platform", "Linux")
        .header("X-Forwarded-For", "127.0.0.1")
        .header("User-Agent", "finhub-bench")
        .header("X-Tenant-ID", tenant)
        .json(body)
        .send()
        .await
        .expect("a login answer")
}
