//! TRAQS files through the hub (`GET /v1/traqs/{facility}/{file}`) against the emulator's TRAQS
//! on the shared paused clock: byte for byte the direct download, one access-token exchange for
//! many concurrent downloads, the scope refused before anything reaches TRAQS, TRAQS's own
//! refusals in words the caller can act on, an expired refresh token as a 502 that says an
//! administrator must renew it (logged and audited), the daily warning from 14 days before, and
//! the refresh token in no answer, log line or audit entry.

use std::time::Duration;

use axum::http::Method;
use finhub_core::admin::{Administrator, NewTraqsCredential};
use finhub_core::audit::{AuditAction, AuditOutcome};
use finhub_core::ids::TenantId;
use finhub_core::mfa::TotpSecret;
use finhub_core::model::TraqsEnvironment;
use finra_client::traqs::{
    TraqsClient, TraqsEnvironment as ClientEnvironment, TraqsPaths, TraqsSignIn,
};
use finra_emulator::traqs::{
    TraqsConfig, TraqsEnvironment as EmulatedEnvironment, TraqsUser, files,
};
use finra_emulator::{Fault, FaultTarget};
use secrecy::{ExposeSecret, SecretString};

use finhub_server::upstream::warn_of_ending_traqs_tokens;

use crate::support::{Call, Hub, TENANT, advance, settle, until};

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "correct horse";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// The prefix of every production TRAQS token the emulator mints, refresh and access alike.
const TOKEN_PREFIX: &str = "trq_";
const DAY: u64 = 86_400;

/// The user at an emulator of `environment` on the hub's clock.
fn traqs_config(environment: EmulatedEnvironment, refresh_ttl: u64) -> TraqsConfig {
    let user: TraqsUser = format!("{EMAIL}:{PASSWORD}:{SECRET}:ORF,TRACE")
        .parse()
        .expect("user");
    TraqsConfig {
        environment,
        users: vec![user],
        refresh_ttl: Duration::from_secs(refresh_ttl),
        access_ttl: Duration::from_secs(1_800),
        bond_master_rows: None,
    }
}

/// A hub whose tenant may read ORF, TRACE and TRF files, in front of an emulator serving
/// production TRAQS to a user entitled to ORF and TRACE (not TRF).
async fn hub_with(refresh_ttl: u64) -> Hub {
    hub_on(Hub::builder(), refresh_ttl).await
}

async fn hub_on(builder: crate::support::Builder, refresh_ttl: u64) -> Hub {
    builder
        .unpaced()
        .scope("finra:otcMarket traqs:ORF traqs:TRACE traqs:TRF")
        .config(|raw| raw.audit.enabled = Some(true))
        .emulator(|emulator| {
            emulator.with_traqs(traqs_config(EmulatedEnvironment::Production, refresh_ttl))
        })
        .build()
        .await
}

/// The person's part, as `finhub admin traqs login` does it: password, code, a refresh token.
async fn person_mints(hub: &Hub) -> (SecretString, time::OffsetDateTime) {
    person_mints_at(hub, ClientEnvironment::Production, &hub.emulator_base).await
}

/// The same at the TRAQS host `base` of `environment`.
async fn person_mints_at(
    hub: &Hub,
    environment: ClientEnvironment,
    base: &str,
) -> (SecretString, time::OffsetDateTime) {
    let sign_in = TraqsSignIn::new(
        environment,
        Some(base),
        TraqsPaths::default(),
        reqwest::Client::new(),
    )
    .expect("sign-in");
    // The authenticator's code: RFC 6238 is RFC 6238, whoever computes it.
    let code = TotpSecret::from_base32(SECRET)
        .expect("Base32")
        .code_at(hub.clock.now_utc())
        .expect("a code");
    let session = sign_in
        .sign_in(EMAIL, &SecretString::from(PASSWORD), &code)
        .await
        .expect("signed in");
    let minted = sign_in.mint_refresh_token(&session).await.expect("minted");
    (minted.token, minted.expires_at)
}

/// Mints a refresh token as the person and sets it as the tenant's production credential;
/// returns the token.
async fn set_credential(hub: &Hub) -> String {
    set_credential_at(hub, TraqsEnvironment::Production, &hub.emulator_base).await
}

/// The same for `environment`, at the TRAQS host `base`.
async fn set_credential_at(hub: &Hub, environment: TraqsEnvironment, base: &str) -> String {
    let client_environment = match environment {
        TraqsEnvironment::Production => ClientEnvironment::Production,
        TraqsEnvironment::Ntf => ClientEnvironment::Ntf,
    };
    let (token, expires_at) = person_mints_at(hub, client_environment, base).await;
    let text = token.expose_secret().to_owned();
    hub.state
        .admin
        .set_traqs_credential(
            &Administrator::new("test"),
            &TenantId::parse(TENANT).expect("tenant"),
            &NewTraqsCredential {
                environment,
                username: EMAIL.into(),
                refresh_token: token,
                expires_at: Some(expires_at),
                base_url: Some(base.to_owned()),
            },
        )
        .await
        .expect("set the credential");
    text
}

fn file_call(path: &str, session: &str) -> Call {
    Call::new(Method::GET, &format!("/v1/traqs/{path}")).bearer(session)
}

fn exchanges(hub: &Hub) -> u64 {
    hub.emulator().emulator().traqs_access_tokens_minted()
}

/// Every answer of the emulator's TRAQS paths (downloads, the token exchange, sign-in).
fn traqs_responses(hub: &Hub) -> u64 {
    downloads(hub) + hub.counters().responses_under("/traqs/")
}

fn downloads(hub: &Hub) -> u64 {
    hub.counters().responses_under("/DownloadHandler.ashx")
}

/// The audit outcomes of TRAQS downloads, oldest first.
async fn download_outcomes(hub: &Hub) -> Vec<AuditOutcome> {
    let mut events = hub
        .state
        .admin
        .recent_audit_events(1_000)
        .await
        .expect("audit");
    events.reverse();
    events
        .into_iter()
        .filter(|e| e.action == AuditAction::TraqsDownload)
        .map(|e| e.outcome)
        .collect()
}

/// No answer, log line or audit entry holds a TRAQS token (refresh or access).
async fn assert_no_traqs_token_leaks(hub: &Hub, refresh_token: &str) {
    for (place, text) in [
        ("an answer", hub.answers()),
        ("the logs", hub.logs.text()),
        ("the audit log", hub.audit_text().await),
    ] {
        assert!(
            !text.contains(refresh_token),
            "{place} holds the refresh token"
        );
        assert!(!text.contains(TOKEN_PREFIX), "{place} holds a TRAQS token");
    }
}

#[tokio::test(start_paused = true)]
async fn every_file_through_the_hub_equals_the_direct_download_byte_for_byte() {
    let hub = hub_with(90 * DAY).await;
    let refresh_token = set_credential(&hub).await;
    let session = hub.login().await.session;

    // The same files straight from TRAQS with a refresh token of the tests' own (minted with
    // the next code: TRAQS takes each code once).
    advance(Duration::from_secs(30)).await;
    let (direct_token, _) = person_mints(&hub).await;
    let direct = TraqsClient::builder(ClientEnvironment::Production)
        .base_url(hub.emulator_base.clone())
        .username(EMAIL)
        .refresh_token(direct_token)
        .clock(hub.clock.clone())
        .build()
        .expect("direct client");
    for file in files::FILES
        .iter()
        .filter(|f| f.facility == "ORF" || f.facility == "TRACE")
    {
        let mut expected = Vec::new();
        direct
            .download(file.facility, file.name)
            .await
            .expect("direct download")
            .copy_to(&mut expected)
            .await
            .expect("direct copy");
        // Over the hub's real listener, streamed.
        let url = format!("{}/v1/traqs/{}/{}", hub.base, file.facility, file.name);
        let reply = hub.fetch(&url, Some(&session)).await;
        reply.assert_ok();
        assert!(reply.body == expected, "{} differs", file.name);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            reply.header("content-disposition"),
            Some(format!("attachment; filename=\"{}.txt\"", file.name).as_str())
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // Facility in any case, production named or not: the same file.
    let lower = hub
        .send(file_call("orf/DAILYLIST?environment=production", &session))
        .await;
    let plain = hub.send(file_call("ORF/DAILYLIST", &session)).await;
    lower.assert_ok();
    assert!(lower.body == plain.body);
    assert_eq!(
        exchanges(&hub),
        2,
        "one exchange for the hub, one for the direct client"
    );
    let outcomes = download_outcomes(&hub).await;
    assert_eq!(outcomes.len(), 8);
    assert!(outcomes.iter().all(|o| *o == AuditOutcome::Success));
    assert_no_traqs_token_leaks(&hub, &refresh_token).await;
}

#[tokio::test(start_paused = true)]
async fn many_concurrent_first_downloads_share_one_access_token_exchange() {
    let hub = hub_with(90 * DAY).await;
    set_credential(&hub).await;
    let session = hub.login().await.session;
    let calls = (0..30).map(|_| {
        let sender = hub.sender();
        let call = file_call("ORF/DAILYLIST", &session);
        tokio::spawn(async move { sender.send(call).await })
    });
    let replies = futures_util::future::join_all(calls).await;
    let first = replies[0].as_ref().expect("joined").body.clone();
    for reply in replies {
        let reply = reply.expect("joined");
        reply.assert_ok();
        assert!(reply.body == first);
    }
    assert_eq!(exchanges(&hub), 1);
    assert_eq!(downloads(&hub), 30);
}

#[tokio::test(start_paused = true)]
async fn two_instances_over_postgres_exchange_one_access_token_between_them() {
    let hub = hub_on(Hub::builder().postgres(), 90 * DAY).await;
    set_credential(&hub).await;
    let session = hub.login().await.session;
    let instances = [hub.sender(), hub.second_process().await];
    let calls = (0..30).map(|n| {
        let sender = instances[n % 2].clone();
        let call = file_call("ORF/DAILYLIST", &session);
        tokio::spawn(async move { sender.send(call).await })
    });
    for reply in futures_util::future::join_all(calls).await {
        reply.expect("joined").assert_ok();
    }
    assert_eq!(exchanges(&hub), 1, "one exchange for both instances");
    assert_eq!(downloads(&hub), 30);

    // A third instance, started later, adopts the stored token instead of exchanging.
    let third = hub.second_process().await;
    third
        .send(file_call("ORF/DAILYLIST", &session))
        .await
        .assert_ok();
    assert_eq!(exchanges(&hub), 1);
}

#[tokio::test(start_paused = true)]
async fn the_hub_refuses_bad_requests_and_the_scope_before_anything_reaches_traqs() {
    let hub = hub_with(90 * DAY).await;
    set_credential(&hub).await;
    let session = hub.login().await.session;
    // TRAQS's paths only: the login warms the FINRA token in the background meanwhile.
    let before = traqs_responses(&hub);

    // Outside the scope: 403 naming the facility, nothing sent to TRAQS.
    let refused = hub.send(file_call("ADF/DAILYLIST", &session)).await;
    refused.assert_error(403, "insufficient_scope");
    assert!(
        refused.description().contains("traqs:ADF"),
        "{}",
        refused.description()
    );
    // No session, a bad one, a path that names no file, a bad query.
    hub.send(Call::new(Method::GET, "/v1/traqs/ORF/DAILYLIST"))
        .await
        .assert_error(401, "invalid_token");
    hub.send(file_call("ORF/DAILYLIST", "not-a-token"))
        .await
        .assert_error(401, "invalid_token");
    for path in [
        "NASDAQ/DAILYLIST",
        "ORF/DAILY.LIST",
        "ORF/..%2F..%2Fetc",
        "ORF/DAILYLIST/x",
    ] {
        hub.send(file_call(path, &session))
            .await
            .assert_error(404, "not_found");
    }
    for query in [
        "?environment=qa",
        "?environment=ntf&environment=ntf",
        "?file=CAMASTER",
    ] {
        hub.send(file_call(&format!("ORF/DAILYLIST{query}"), &session))
            .await
            .assert_error(400, "invalid_request");
    }
    hub.send(
        Call::new(Method::POST, "/v1/traqs/ORF/DAILYLIST")
            .bearer(&session)
            .body("x"),
    )
    .await
    .assert_error(405, "method_not_allowed");
    assert_eq!(traqs_responses(&hub), before, "TRAQS saw none of them");
    assert_eq!(exchanges(&hub), 0);

    // TRAQS's own refusals: a file it does not have, a facility the account is not entitled
    // to, an environment the tenant has no credential for.
    let missing = hub.send(file_call("ORF/NOSUCHFILE", &session)).await;
    missing.assert_error(404, "not_found");
    assert!(
        missing.description().contains("NOSUCHFILE"),
        "{}",
        missing.description()
    );
    let unentitled = hub.send(file_call("TRF/PARTICIPANTLIST", &session)).await;
    unentitled.assert_error(403, "access_denied");
    assert!(unentitled.description().contains("not entitled to TRF"));
    let ntf = hub
        .send(file_call("ORF/DAILYLIST?environment=ntf", &session))
        .await;
    ntf.assert_error(502, "upstream_unavailable");
    assert!(
        ntf.description().contains("no TRAQS credential for ntf")
            && ntf.description().contains("administrator"),
        "{}",
        ntf.description()
    );
    let outcomes = download_outcomes(&hub).await;
    let codes: Vec<_> = outcomes
        .iter()
        .map(|o| match o {
            AuditOutcome::Success => "ok",
            AuditOutcome::Failure(code) => code.as_str(),
        })
        .collect();
    assert_eq!(
        codes,
        [
            "insufficient_scope",
            "not_found",
            "access_denied",
            "upstream_unavailable"
        ],
        "every request past the session check is audited"
    );
}

#[tokio::test(start_paused = true)]
async fn the_data_rate_limits_apply_to_traqs_files() {
    let hub = Hub::builder()
        .scope("traqs:ORF")
        .config(|raw| raw.rate_limits.data_per_session_per_second = Some(2))
        .build()
        .await;
    let session = hub.login().await.session;
    // No credential is needed to be limited: the limit comes first.
    for _ in 0..2 {
        hub.send(file_call("ORF/DAILYLIST", &session))
            .await
            .assert_error(502, "upstream_unavailable");
    }
    let limited = hub.send(file_call("ORF/DAILYLIST", &session)).await;
    limited.assert_error(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    advance(Duration::from_secs(1)).await;
    hub.send(file_call("ORF/DAILYLIST", &session))
        .await
        .assert_error(502, "upstream_unavailable");
}

#[tokio::test(start_paused = true)]
async fn an_expired_refresh_token_is_a_502_saying_an_administrator_must_renew_it() {
    let hub = hub_with(3 * DAY).await;
    let refresh_token = set_credential(&hub).await;
    let session = hub.login().await.session;
    hub.send(file_call("ORF/DAILYLIST", &session))
        .await
        .assert_ok();

    // Past the refresh token's end (and the access token's): TRAQS refuses the exchange.
    advance(Duration::from_secs(3 * DAY + 1)).await;
    let session = hub.login().await.session;
    let expired = hub.send(file_call("ORF/DAILYLIST", &session)).await;
    expired.assert_error(502, "upstream_unavailable");
    assert!(
        expired
            .description()
            .contains("refresh token for production has expired or was revoked: an administrator"),
        "{}",
        expired.description()
    );
    let events = hub
        .state
        .admin
        .recent_audit_events(100)
        .await
        .expect("audit");
    let audited = events
        .iter()
        .find(|e| e.action == AuditAction::TraqsRefreshTokenExpired)
        .expect("the expiry is audited");
    assert_eq!(audited.tenant.as_deref(), Some(TENANT));
    assert!(hub.logs.text().contains("must renew it"));

    // A person mints a new one and the administrator sets it: the hub uses it within a second.
    set_credential(&hub).await;
    advance(Duration::from_secs(1)).await;
    hub.send(file_call("ORF/DAILYLIST", &session))
        .await
        .assert_ok();
    assert_no_traqs_token_leaks(&hub, &refresh_token).await;
}

#[tokio::test(start_paused = true)]
async fn a_file_that_breaks_off_upstream_breaks_off_through_the_hub() {
    let hub = hub_with(90 * DAY).await;
    set_credential(&hub).await;
    let session = hub.login().await.session;
    hub.faults().inject(
        FaultTarget::TraqsDownloads,
        Fault::BreakMidBody { after_bytes: 4_096 },
        1,
    );
    let response = reqwest::Client::new()
        .get(format!("{}/v1/traqs/TRACE/CAMASTER", hub.base))
        .bearer_auth(&session)
        .send()
        .await
        .expect("the answer starts");
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.is_err(),
        "a short file never looks complete"
    );
    // The next download is whole again.
    hub.send(file_call("TRACE/DAILYLISTCA", &session))
        .await
        .assert_ok();
}

#[tokio::test(start_paused = true)]
async fn the_log_warns_daily_from_fourteen_days_before_a_refresh_token_ends() {
    let hub = hub_with(20 * DAY).await;
    set_credential(&hub).await;
    let warnings = || hub.logs.count("ends within 14 days");
    let credentials = hub.state.traqs.credentials();
    assert_eq!(
        warn_of_ending_traqs_tokens(credentials).await,
        0,
        "20 days left"
    );
    advance(Duration::from_secs(6 * DAY)).await;
    assert_eq!(
        warn_of_ending_traqs_tokens(credentials).await,
        0,
        "exactly 14 days left"
    );
    advance(Duration::from_secs(1)).await;
    assert_eq!(
        warn_of_ending_traqs_tokens(credentials).await,
        1,
        "within 14 days"
    );
    assert_eq!(warnings(), 1);
    assert!(
        hub.logs.text().contains(EMAIL),
        "the warning names whose token it is"
    );

    // The serving hub's chores warn at once, then once a day.
    let chores = tokio::spawn(finhub_server::housekeeping::run(hub.state.clone()));
    until("the warning at start", || warnings() == 2).await;
    advance(Duration::from_secs(DAY - 1)).await;
    settle().await;
    assert_eq!(warnings(), 2, "not before a day has passed");
    advance(Duration::from_secs(1)).await;
    until("the next day's warning", || warnings() == 3).await;
    settle().await;
    assert_eq!(warnings(), 3);
    chores.abort();
}

#[tokio::test(start_paused = true)]
async fn each_environment_is_served_from_its_own_host_with_its_own_credential() {
    let hub = hub_with(90 * DAY).await;
    let ntf = finra_emulator::spawn(
        finra_emulator::EmulatorConfig::default()
            .with_traqs(traqs_config(EmulatedEnvironment::Ntf, 90 * DAY))
            .with_clock(hub.clock.clone()),
    )
    .await
    .expect("the NTF emulator starts");
    set_credential(&hub).await;
    advance(Duration::from_secs(30)).await;
    let ntf_token = set_credential_at(&hub, TraqsEnvironment::Ntf, &ntf.base_url()).await;
    let session = hub.login().await.session;

    hub.send(file_call("ORF/DAILYLIST?environment=ntf", &session))
        .await
        .assert_ok();
    assert_eq!(ntf.counters().responses_under("/DownloadHandler.ashx"), 1);
    assert_eq!(downloads(&hub), 0, "production TRAQS saw nothing");
    hub.send(file_call("ORF/DAILYLIST", &session))
        .await
        .assert_ok();
    assert_eq!(downloads(&hub), 1);
    assert_eq!(ntf.counters().responses_under("/DownloadHandler.ashx"), 1);

    // The NTF token set with the production host by mistake: production TRAQS refuses the
    // other environment's token, and the caller is told an administrator must renew it.
    hub.state
        .admin
        .set_traqs_credential(
            &Administrator::new("test"),
            &TenantId::parse(TENANT).expect("tenant"),
            &NewTraqsCredential {
                environment: TraqsEnvironment::Ntf,
                username: EMAIL.into(),
                refresh_token: SecretString::from(ntf_token),
                expires_at: None,
                base_url: Some(hub.emulator_base.clone()),
            },
        )
        .await
        .expect("set");
    advance(Duration::from_secs(1)).await;
    let refused = hub
        .send(file_call("ORF/DAILYLIST?environment=ntf", &session))
        .await;
    refused.assert_error(502, "upstream_unavailable");
    assert!(
        refused.description().contains("for ntf"),
        "{}",
        refused.description()
    );
    assert_eq!(downloads(&hub), 1, "nothing was downloaded with it");
    ntf.shutdown().await.expect("the NTF emulator stops");
}
