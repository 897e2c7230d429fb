//! The portal in production, over mutual TLS: a browser presenting a certificate bound to any
//! customer of the tenant signs in (the portal's own customer has none bound: it is every
//! customer's front door), goes through the enrolment production requires, and is signed in;
//! the same cookie over a certificate bound to nothing is refused, and without a certificate
//! the gate refuses before any page.

use finhub_core::mfa::TotpSecret;
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::common::portal_page::{COOKIE, cookie_value, element_text, field_of, recovery_codes};
use crate::support::{FreezeGuard, Hub, PASSWORD, PKI, TENANT, USERNAME, client};

/// A page fetched with the portal cookie `cookie` (and a form, when given).
async fn page(
    client: &reqwest::Client,
    url: String,
    cookie: Option<&str>,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, Option<String>, String) {
    let mut request = match form {
        Some(fields) => client.post(url).form(fields),
        None => client.get(url),
    };
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("{COOKIE}={cookie}"));
    }
    let response = request.send().await.expect("an answer");
    let status = response.status();
    let set = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .map(cookie_value);
    (status, set, response.text().await.expect("a page"))
}

#[tokio::test(start_paused = true)]
async fn a_certificate_bound_to_any_customer_of_the_tenant_opens_the_portal() {
    let _freeze = FreezeGuard::new();
    let hub = Hub::production().await;
    let browser = client(Some(&PKI.bound));

    let (status, anonymous, form) = page(&browser, hub.url("/portal/sign-in"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let anonymous = anonymous.expect("an anonymous cookie");
    let csrf = field_of(&form, "csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("tenant", TENANT),
        ("username", USERNAME),
        ("password", PASSWORD),
    ];
    // Production requires a second factor: the person enrols first.
    let (status, _, enrol) = page(
        &browser,
        hub.url("/portal/sign-in"),
        Some(&anonymous),
        Some(&fields),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{enrol}");
    assert!(enrol.contains("requires a second factor"), "{enrol}");
    let secret = TotpSecret::from_base32(&element_text(&enrol, "manual-secret")).expect("Base32");
    let code = secret.code_at(hub.clock.now_utc()).expect("a code");
    let enrollment = field_of(&enrol, "enrollment");
    let confirm = [
        ("csrf", csrf.as_str()),
        ("enrollment", enrollment.as_str()),
        ("code", code.expose_secret()),
    ];
    let (status, key, done) = page(
        &browser,
        hub.url("/portal/enrol/confirm"),
        Some(&anonymous),
        Some(&confirm),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(recovery_codes(&done).len(), 10);
    let key = key.expect("signed in");
    let (status, _, home) = page(&browser, hub.url("/portal/"), Some(&key), None).await;
    assert_eq!(status, StatusCode::OK, "{home}");
    assert!(home.contains(USERNAME));

    // The same cookie over a valid certificate bound to no customer: refused.
    let unbound = client(Some(&PKI.unbound));
    let (status, _, refused) = page(&unbound, hub.url("/portal/"), Some(&key), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    // Without a certificate the gate refuses every route, the portal's too.
    let bare = client(None);
    let (status, _, _) = page(&bare, hub.url("/portal/sign-in"), None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Production audits the sign-in and the enrolment under the portal's customer.
    let audit = hub.audit().await;
    assert!(
        audit
            .iter()
            .any(|e| e.customer.as_deref() == Some("finhub-portal")
                && e.action.as_str() == "password_login"),
        "{audit:?}"
    );
}
