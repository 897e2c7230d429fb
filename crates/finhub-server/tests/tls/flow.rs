//! The production profile end to end over HTTPS, on tokio's paused clock (moved only by
//! `advance`, so the 10 % refresh rule is exact): `finhub demo --profile production` as a user
//! runs it — its certificate files, login, a data call through the hub to the FINRA emulator,
//! refresh, refresh-token rotation, logout — and the profile's other rules holding together
//! under TLS: mandatory allow-lists, strict rate limits with `Retry-After`, and an audit entry
//! naming the client certificate for every decision.

use std::net::SocketAddr;
use std::time::Duration;

use finhub_clock::TokioClock;
use finhub_core::audit::AuditOutcome;
use finhub_core::mfa::TotpSecret;
use finhub_server::demo::{DemoOptions, prepare};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::support::{FreezeGuard, Hub, PKI, client, client_from, demo_tls_config, pooled_client};

/// A client from the files the demo wrote.
fn demo_client(credentials: &Value, with_certificate: bool) -> reqwest::Client {
    client_from(demo_tls_config(credentials, with_certificate), false)
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    tenant: &str,
) -> (StatusCode, Value) {
    let mut request = client
        .request(method, url)
        .header("accept", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .header("sec-ch-ua-platform", "\"Linux\"")
            .header("x-forwarded-for", "127.0.0.1")
            .header("user-agent", "finhub-tls-tests")
            .header("x-tenant-id", tenant)
            .body(body.to_string());
    }
    let response = request.send().await.expect("an answer");
    let status = response.status();
    let bytes = response.bytes().await.expect("a body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(start_paused = true)]
async fn the_production_demo_serves_login_data_refresh_rotation_and_logout_over_https() {
    let _freeze = FreezeGuard::new();
    let out = std::env::temp_dir().join(format!("finhub-tls-demo-{}.json", std::process::id()));
    let options = DemoOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        profile: "production".into(),
        access_token_ttl_secs: None,
        credentials_out: Some(out.clone()),
        ..DemoOptions::default()
    };
    // The demo's certificates are made on its clock, which starts at the real time.
    let clock = TokioClock::starting_at(time::OffsetDateTime::now_utc()).shared();
    let demo = prepare(&options, clock)
        .await
        .expect("the production demo starts");
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("credentials file")).expect("JSON");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(
            mode(&out),
            0o600,
            "the credentials hold a password and a secret"
        );
        let key = credentials["clientKey"].as_str().expect("clientKey");
        assert_eq!(mode(std::path::Path::new(key)), 0o600, "a private key");
    }
    let _ = std::fs::remove_file(&out);
    let base = credentials["baseUrl"].as_str().expect("baseUrl").to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    for key in ["caCert", "clientCert", "clientKey"] {
        let path = credentials[key].as_str().expect(key);
        assert!(std::path::Path::new(path).is_file(), "{key}: {path}");
    }
    let mut walkthrough = Vec::new();
    finhub_server::demo::walkthrough(&demo, &mut walkthrough).expect("walk-through");
    let walkthrough = String::from_utf8(walkthrough).expect("text");
    for needle in [
        "--cacert",
        "--cert",
        "--key",
        "https://",
        "mfa_enrollment_required",
        "/v1/mfa/totp/confirm",
        "oathtool --totp -b",
    ] {
        assert!(walkthrough.contains(needle), "{needle}: {walkthrough}");
    }

    let tls = demo.tls.clone().expect("production serves HTTPS");
    let state = demo.state.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = demo.state.http.connections.clone();
    let clock = demo.state.clock.clone();
    let server = tokio::spawn(finhub_server::serve_tls(
        demo.listener,
        finhub_server::http::app(demo.state),
        limits,
        tls,
        clock,
        async {
            let _ = stopped.await;
        },
    ));
    let tenant = credentials["tenantId"].as_str().expect("tenant").to_owned();
    let hub = demo_client(&credentials, true);
    let url = |path: &str| format!("{base}{path}");

    // Log in with the password grant: the production default requires a second factor and
    // the demo user has none yet, so the answer is an enrolment token.
    let login = json!({
        "grantType": "password",
        "username": credentials["username"],
        "password": credentials["password"],
        "customerId": credentials["customerId"],
        "customerSecret": credentials["customerSecret"],
        "accountType": "b2b",
    });
    let (status, refused) = call(
        &hub,
        reqwest::Method::POST,
        &url("/v1/auth/token"),
        None,
        Some(&login),
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["error"], "mfa_enrollment_required");
    let enrollment = refused["enrollmentToken"]
        .as_str()
        .expect("enrollmentToken")
        .to_owned();

    // The forced enrolment: a pending factor, its first code, and the login it ends in.
    let (status, pending) = call(
        &hub,
        reqwest::Method::POST,
        &url("/v1/mfa/totp"),
        Some(&enrollment),
        Some(&json!({})),
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    let secret = TotpSecret::from_base32(pending["secret"].as_str().expect("secret"))
        .expect("a Base32 secret");
    let code = secret.code_at(state.clock.now_utc()).expect("code");
    let (status, tokens) = call(
        &hub,
        reqwest::Method::POST,
        &url("/v1/mfa/totp/confirm"),
        Some(&enrollment),
        Some(&json!({ "otp": code.expose_secret() })),
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["recoveryCodes"].as_array().map(Vec::len), Some(10));
    assert_eq!(tokens["expires_in"], 1_800);
    let token = tokens["userSessionToken"]
        .as_str()
        .expect("token")
        .to_owned();

    // A data call through the hub to the emulator.
    let data = url("/v1/finra/data/group/otcMarket/name/weeklySummary?limit=2");
    let (status, rows) = call(
        &hub,
        reqwest::Method::GET,
        &data,
        Some(&token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "{rows}");

    // Refresh: nothing to do with 100 % left; at ≤ 10 % the access token gets a new lifetime.
    let refresh = url("/v1/auth/refresh");
    let (status, answer) = call(
        &hub,
        reqwest::Method::POST,
        &refresh,
        Some(&token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["refreshed"], false);
    tokio::time::advance(Duration::from_secs(1_650)).await;
    let (status, answer) = call(
        &hub,
        reqwest::Method::POST,
        &refresh,
        Some(&token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["refreshed"], true);
    assert_eq!(answer["expires_in"], 1_800);
    let (status, rows) = call(
        &hub,
        reqwest::Method::GET,
        &data,
        Some(&token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");

    // Without the certificate: 403, whatever the token.
    let bare = demo_client(&credentials, false);
    let (status, answer) = call(
        &bare,
        reqwest::Method::GET,
        &data,
        Some(&token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"], "invalid_certificate");

    // Rotation: the refresh-token grant ends the old session and starts a new one.
    let grant = json!({
        "grantType": "refresh_token",
        "refreshToken": tokens["refreshToken"],
        "customerId": credentials["customerId"],
        "customerSecret": credentials["customerSecret"],
        "accountType": "b2b",
    });
    let (status, rotated) = call(
        &hub,
        reqwest::Method::POST,
        &url("/v1/auth/token"),
        None,
        Some(&grant),
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_token = rotated["userSessionToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let session = url("/v1/auth/session");
    let (status, _) = call(
        &hub,
        reqwest::Method::GET,
        &session,
        Some(&token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old session ended");
    let (status, info) = call(
        &hub,
        reqwest::Method::GET,
        &session,
        Some(&new_token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["username"], "demo");

    // Logout ends it.
    let (status, _) = call(
        &hub,
        reqwest::Method::POST,
        &url("/v1/auth/logout"),
        Some(&new_token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &hub,
        reqwest::Method::GET,
        &session,
        Some(&new_token),
        None,
        &tenant,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Every authentication decision was audited, with the certificate that made it.
    let events = state.admin.recent_audit_events(100).await.expect("audit");
    assert!(events.len() >= 6, "{events:#?}");
    let refused = events
        .iter()
        .find(|e| e.outcome == AuditOutcome::Failure("invalid_certificate".into()))
        .expect("the refusal is audited");
    assert_eq!(
        refused.client_certificate, None,
        "no certificate was presented"
    );
    // (The demo's own set-up is an administrator's action, made without a connection.)
    assert!(
        events
            .iter()
            .filter(|e| e.outcome == AuditOutcome::Success && e.actor.is_none())
            .all(|e| e.client_certificate.is_some()),
        "{events:#?}"
    );

    let _ = stop.send(());
    server.await.expect("join").expect("served");
    drop(demo.emulator);
    let _ = std::fs::remove_dir_all(&demo.dir);
}

#[tokio::test(start_paused = true)]
async fn production_allow_lists_rate_limits_and_audit_hold_under_tls() {
    let _freeze = FreezeGuard::new();
    let pki = &*PKI;

    // Allow-lists are mandatory: a valid, bound certificate does not replace them.
    let open = Hub::builder().without_allow_list().start().await;
    let answer = open
        .login(&client(Some(&pki.bound)), &open.client_body())
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    assert_eq!(answer.error(), "access_denied");

    // Strict login limit per address: 120 a minute, then 429 with Retry-After (paused clock: no
    // refill), each decision audited with the certificate.
    let hub = Hub::production().await;
    let bound = pooled_client(Some(&pki.bound));
    for attempt in 0..120 {
        let answer = hub.login(&bound, &hub.client_body()).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "login {attempt}: {:?}",
            answer.body
        );
    }
    let limited = hub.login(&bound, &hub.client_body()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error(), "rate_limited");
    assert!(limited.headers.get("retry-after").is_some());
    // An invalid certificate is refused before anything else, even when the address is over its
    // limit; whether a valid one is bound needs the body, which the limit keeps from being read.
    hub.login(&pooled_client(Some(&pki.revoked)), &hub.client_body())
        .await
        .assert_invalid_certificate("the client certificate has been revoked");
    let unbound = hub
        .login(&pooled_client(Some(&pki.unbound)), &hub.client_body())
        .await;
    assert_eq!(unbound.status, StatusCode::TOO_MANY_REQUESTS);

    // Strict data limit per session: 20 a second (the tenant has no upstream credential, so
    // admitted calls answer 502; the 21st is refused before that).
    let token = hub.login(&bound, &hub.client_body()).await;
    assert_eq!(token.status, StatusCode::TOO_MANY_REQUESTS, "still limited");
    tokio::time::advance(Duration::from_secs(60)).await;
    // A minute later the hub has closed the idle kept-alive connections: a new pool.
    let bound = pooled_client(Some(&pki.bound));
    let token = hub.login(&bound, &hub.client_body()).await.token();
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(hub.get(&bound, "/v1/finra/datasets", &token).await.status);
    }
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::BAD_GATEWAY),
        "{statuses:?}"
    );
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);

    let events = hub.audit().await;
    let fingerprint = pki.bound.fingerprint().to_hex();
    let logins = events
        .iter()
        .filter(|e| e.client_certificate.as_deref() == Some(fingerprint.as_str()))
        .count();
    assert!(
        logins >= 122,
        "{logins} audited decisions with the certificate"
    );
}

/// `finhub demo` in integration on an ephemeral port, on a paused clock starting now.
async fn integration_demo() -> finhub_server::demo::Demo {
    let options = DemoOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        profile: "integration".into(),
        access_token_ttl_secs: None,
        credentials_out: None,
        ..DemoOptions::default()
    };
    let clock = TokioClock::starting_at(time::OffsetDateTime::now_utc()).shared();
    prepare(&options, clock).await.expect("the demo starts")
}

/// A request to the demo's hub as the walk-through's `curl` sends it, from 127.0.0.1.
fn demo_request(
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: String,
) -> axum::http::Request<axum::body::Body> {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("sec-ch-ua-platform", "Linux")
        .header("x-forwarded-for", "127.0.0.1")
        .header("user-agent", "curl")
        .header("x-tenant-id", "1234567")
        .extension(axum::extract::ConnectInfo(SocketAddr::from((
            [127, 0, 0, 1],
            9,
        ))));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(axum::body::Body::from(body)).expect("request")
}

/// The demo hub's answer to `request`, in-process: status and body.
async fn demo_answer(
    router: finhub_server::http::App,
    request: axum::http::Request<axum::body::Body>,
) -> (StatusCode, axum::body::Bytes) {
    use tower::ServiceExt as _;
    let response = router.oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, bytes)
}

/// The integration demo's second user has a TOTP factor already: its walk-through shows the
/// otpauth URI, a QR code and the oathtool login, and that login (with the code computed from the
/// secret, as oathtool would) gets a session proved by password and code; without the code the
/// hub asks for one. Its first code works at once (the enrolment used the step before).
#[tokio::test(start_paused = true)]
async fn the_integration_demo_has_a_user_with_an_enrolled_factor_and_shows_how_to_log_in() {
    let _freeze = FreezeGuard::new();
    let demo = integration_demo().await;
    let mfa = demo
        .credentials
        .mfa_user
        .as_ref()
        .expect("a user with a factor");
    let mut walkthrough = Vec::new();
    finhub_server::demo::walkthrough(&demo, &mut walkthrough).expect("walk-through");
    let walkthrough = String::from_utf8(walkthrough).expect("text");
    for needle in [
        mfa.otpauth_uri.as_str(),
        &format!("oathtool --totp -b {}", mfa.totp_secret),
        mfa.recovery_codes[0].as_str(),
    ] {
        assert!(walkthrough.contains(needle), "{needle}: {walkthrough}");
    }
    assert!(
        walkthrough.contains(['\u{2580}', '\u{2584}']),
        "a QR code in half blocks: {walkthrough}"
    );

    let state = demo.state.clone();
    let router = finhub_server::http::app(demo.state.clone());
    let login = |otp: Option<String>| {
        let mut body = json!({
            "grantType": "password",
            "username": mfa.username,
            "password": mfa.password,
            "customerId": demo.credentials.customer_id,
            "customerSecret": demo.credentials.customer_secret,
            "accountType": "b2b",
        });
        if let Some(otp) = otp {
            body["otp"] = json!(otp);
        }
        demo_request("POST", "/v1/auth/token", None, body.to_string())
    };
    let answer = |request| {
        let router = router.clone();
        async move {
            let (status, bytes) = demo_answer(router, request).await;
            (
                status,
                serde_json::from_slice::<Value>(&bytes).expect("JSON"),
            )
        }
    };
    let (status, body) = answer(login(None)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("mfa_required"))
    );
    let code = TotpSecret::from_base32(&mfa.totp_secret)
        .expect("Base32")
        .code_at(state.clock.now_utc())
        .expect("code");
    let (status, body) = answer(login(Some(code.expose_secret().to_owned()))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["userSessionToken"].as_str().expect("token");
    let payload = token.split('.').nth(1).expect("payload");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("base64url"),
    )
    .expect("claims");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    drop(demo.emulator);
    let _ = std::fs::remove_dir_all(&demo.dir);
}

/// The demo tenant holds a TRAQS credential minted at start through the emulator's password and
/// code sign-in, and its scope grants ORF and TRACE: the walk-through's download works through
/// the hub, a facility outside the scope is refused.
#[tokio::test(start_paused = true)]
async fn the_demo_downloads_traqs_files_through_the_hub() {
    let _freeze = FreezeGuard::new();
    let demo = integration_demo().await;
    let mut walkthrough = Vec::new();
    finhub_server::demo::walkthrough(&demo, &mut walkthrough).expect("walk-through");
    let walkthrough = String::from_utf8(walkthrough).expect("text");
    assert!(
        walkthrough.contains("/v1/traqs/ORF/DAILYLIST") && walkthrough.contains("traqs:TRACE"),
        "{walkthrough}"
    );
    let tenant = finhub_core::ids::TenantId::parse("1234567").expect("tenant");
    let credentials = demo
        .state
        .admin
        .traqs_status(&tenant)
        .await
        .expect("status");
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0].username, demo.credentials.traqs_username);
    assert!(credentials[0].expires_at.is_some());

    let c = &demo.credentials;
    let router = finhub_server::http::app(demo.state.clone());
    let send = |request| demo_answer(router.clone(), request);
    let login = json!({
        "grantType": "password",
        "username": c.username,
        "password": c.password,
        "customerId": c.customer_id,
        "customerSecret": c.customer_secret,
        "accountType": "b2b",
    });
    let (status, body) = send(demo_request(
        "POST",
        "/v1/auth/token",
        None,
        login.to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    let token = body["userSessionToken"].as_str().expect("token");

    let (status, file) = send(demo_request(
        "GET",
        "/v1/traqs/ORF/DAILYLIST",
        Some(token),
        String::new(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let file = String::from_utf8(file.to_vec()).expect("text");
    let header = file.lines().next().expect("a header row");
    assert!(
        header.contains('|') && header.contains("SYM_CD"),
        "{header}"
    );
    assert!(file.lines().count() > 1, "rows after the header");
    let (status, _) = send(demo_request(
        "GET",
        "/v1/traqs/ADF/DAILYLIST",
        Some(token),
        String::new(),
    ))
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "ADF is outside the demo's scope"
    );
    drop(demo.emulator);
    let _ = std::fs::remove_dir_all(&demo.dir);
}

/// `finhub demo` on a port already taken fails, saying so, and leaves nothing behind: no
/// temporary directory, no credentials file.
#[test]
fn a_demo_that_cannot_listen_leaves_nothing_behind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port();
    let tmp = std::env::temp_dir().join(format!("finhub-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a temporary directory");
    let out = tmp.join("credentials.json");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_finhub"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--credentials-out")
        .arg(&out)
        .env("TMPDIR", &tmp)
        .env("RUST_LOG", "off")
        .output()
        .expect("run finhub demo");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .expect("read the temporary directory")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(left.is_empty(), "left behind: {left:?}");
    drop(taken);
}
