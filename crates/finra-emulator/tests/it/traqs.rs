//! TRAQS over real HTTP: a person's sign-in (password, then a TOTP code, each step once), the
//! refresh tokens they mint, list and revoke, the access-token exchange, every file of every
//! facility, the other environment's tokens refused, expiry on the shared clock, the lock after
//! five wrong codes, faults, the HTML pages, and bad input of every kind (4xx, never 500).

use std::time::Duration;

use finhub_clock::{Clock, TokioClock};
use finra_emulator::traqs::{TraqsConfig, TraqsEnvironment, TraqsUser, files};
use finra_emulator::{Fault, FaultTarget, Scale};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::{Harness, config, start};

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "pass:word with colons";
/// 20 bytes, Base32.
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn user(facilities: &str) -> TraqsUser {
    format!("{EMAIL}:{PASSWORD}:{SECRET}:{facilities}")
        .parse()
        .expect("a TRAQS user")
}

struct Traqs {
    h: Harness,
    clock: TokioClock,
    user: TraqsUser,
}

async fn traqs(environment: TraqsEnvironment, facilities: &str) -> Traqs {
    let clock = TokioClock::fixed();
    let user = user(facilities);
    let h = start(config().with_clock(clock.shared()).with_traqs(TraqsConfig {
        environment,
        users: vec![user.clone()],
        refresh_ttl: Duration::from_secs(86_400),
        access_ttl: Duration::from_secs(1_800),
        bond_master_rows: None,
    }))
    .await;
    Traqs { h, clock, user }
}

/// The code an authenticator shows `offset` steps from now.
fn code(t: &Traqs, offset: i64) -> String {
    let at = t.clock.now_utc() + time::Duration::seconds(30 * offset);
    let step = u64::try_from(at.unix_timestamp()).expect("after 1970");
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(SECRET).expect("secret"))
        .build()
        .expect("a TOTP")
        .generate(step)
        .to_string()
}

async fn post_json(
    t: &Traqs,
    path: &str,
    body: &Value,
    bearer: Option<&str>,
) -> (StatusCode, String) {
    let mut request = t.h.http.post(t.h.url(path)).json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("answer");
    (response.status(), response.text().await.expect("body"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Password then code: the web session.
async fn sign_in(t: &Traqs, code_offset: i64) -> String {
    let (status, body) = post_json(
        t,
        "/traqs/api/login",
        &json!({"username": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let state = json_of(&body)["stateToken"]
        .as_str()
        .expect("stateToken")
        .to_owned();
    assert_eq!(json_of(&body)["factor"], "totp");
    let (status, body) = post_json(
        t,
        "/traqs/api/login/verify",
        &json!({"stateToken": state, "passCode": code(t, code_offset)}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    json_of(&body)["sessionToken"]
        .as_str()
        .expect("sessionToken")
        .to_owned()
}

async fn mint_refresh_token(t: &Traqs, session: &str) -> String {
    let (status, body) = post_json(t, "/traqs/api/refresh-tokens", &json!({}), Some(session)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    json_of(&body)["refreshToken"]
        .as_str()
        .expect("refreshToken")
        .to_owned()
}

async fn exchange(t: &Traqs, refresh_token: &str, username: &str) -> (StatusCode, Value) {
    let response =
        t.h.http
            .post(t.h.url("/traqs/oauth2/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("username", username),
            ])
            .send()
            .await
            .expect("answer");
    let status = response.status();
    (status, json_of(&response.text().await.expect("body")))
}

async fn access_token(t: &Traqs, refresh_token: &str) -> String {
    let (status, body) = exchange(t, refresh_token, EMAIL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1_800);
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

async fn download(t: &Traqs, token: Option<&str>, query: &str) -> (StatusCode, String) {
    let mut request =
        t.h.http
            .get(t.h.url(&format!("/DownloadHandler.ashx?{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("answer");
    (response.status(), response.text().await.expect("body"))
}

#[tokio::test(start_paused = true)]
async fn a_person_signs_in_mints_a_refresh_token_and_a_program_downloads_every_file() {
    let t = traqs(TraqsEnvironment::Production, "ADF,ORF,TRACE,TRF").await;
    // A wrong code first, then the right one.
    let (_, body) = post_json(
        &t,
        "/traqs/api/login",
        &json!({"username": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    let state = json_of(&body)["stateToken"]
        .as_str()
        .expect("state")
        .to_owned();
    let wrong = if code(&t, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, reason) = post_json(
        &t,
        "/traqs/api/login/verify",
        &json!({"stateToken": state, "passCode": wrong}),
        None,
    )
    .await;
    assert_eq!(
        (status, reason.as_str()),
        (StatusCode::UNAUTHORIZED, "Invalid verification code")
    );
    let (status, body) = post_json(
        &t,
        "/traqs/api/login/verify",
        &json!({"stateToken": state, "passCode": code(&t, 0)}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = json_of(&body)["sessionToken"]
        .as_str()
        .expect("session")
        .to_owned();

    let refresh = mint_refresh_token(&t, &session).await;
    assert!(
        refresh.starts_with("trq_") && refresh.len() >= 40,
        "{refresh}"
    );
    let access = access_token(&t, &refresh).await;
    assert_eq!(t.h.emulator.emulator().traqs_access_tokens_minted(), 1);

    for file in files::FILES {
        let (status, text) = download(
            &t,
            Some(&access),
            &format!(
                "action=DOWNLOAD&facility={}&file={}",
                file.facility, file.name
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}/{}: {text}",
            file.facility,
            file.name
        );
        assert_eq!(
            text,
            file.render(42, Scale::Small),
            "{}/{}",
            file.facility,
            file.name
        );
        assert!(text.starts_with(&file.columns().join("|")));
    }
    let (status, list) = download(&t, Some(&access), "action=LIST&facility=orf").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, "EQUITYMASTERAC\r\nEQUITYMASTERIN\r\nDAILYLIST\r\n");
    // POST with the username form field, as published clients do.
    let response = t
        .h
        .http
        .post(t.h.url("/DownloadHandler.ashx?action=DOWNLOAD&facility=TRF&file=PARTICIPANTLIST"))
        .bearer_auth(&access)
        .form(&[("username", EMAIL)])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    t.h.assert_no_500();
}

#[tokio::test(start_paused = true)]
async fn codes_are_used_once_and_five_wrong_ones_lock_the_sign_in_for_five_minutes() {
    let t = traqs(TraqsEnvironment::Production, "ORF").await;
    sign_in(&t, 0).await;
    // The same code again (a replay) is refused; the next step's code works.
    let (_, body) = post_json(
        &t,
        "/traqs/api/login",
        &json!({"username": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    let state = json_of(&body)["stateToken"]
        .as_str()
        .expect("state")
        .to_owned();
    let verify = |pass_code: String| {
        let state = state.clone();
        let t = &t;
        async move {
            post_json(
                t,
                "/traqs/api/login/verify",
                &json!({"stateToken": state, "passCode": pass_code}),
                None,
            )
            .await
        }
    };
    assert_eq!(
        verify(code(&t, 0)).await.0,
        StatusCode::UNAUTHORIZED,
        "replayed"
    );
    // The replay was the first wrong code in a row; three more make four.
    for _ in 0..3 {
        assert_eq!(verify("000000".into()).await.1, "Invalid verification code");
    }
    let (status, reason) = verify(code(&t, 1)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the fifth attempt is right: {reason}"
    );
    let (_, body) = post_json(
        &t,
        "/traqs/api/login",
        &json!({"username": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    let state = json_of(&body)["stateToken"]
        .as_str()
        .expect("state")
        .to_owned();
    for _ in 0..5 {
        let (status, _) = post_json(
            &t,
            "/traqs/api/login/verify",
            &json!({"stateToken": state, "passCode": "000000"}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    tokio::time::advance(Duration::from_secs(60)).await;
    let (status, reason) = post_json(
        &t,
        "/traqs/api/login/verify",
        &json!({"stateToken": state, "passCode": code(&t, 0)}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        reason.starts_with("Too many wrong verification codes"),
        "{reason}"
    );
    tokio::time::advance(Duration::from_secs(240)).await;
    let (_, body) = post_json(
        &t,
        "/traqs/api/login",
        &json!({"username": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    let state = json_of(&body)["stateToken"]
        .as_str()
        .expect("state")
        .to_owned();
    let (status, body) = post_json(
        &t,
        "/traqs/api/login/verify",
        &json!({"stateToken": state, "passCode": code(&t, 0)}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "after five minutes: {body}");
    // A wrong password says nothing about the factor.
    let (status, reason) = post_json(
        &t,
        "/traqs/api/login",
        &json!({"username": EMAIL, "password": "nope"}),
        None,
    )
    .await;
    assert_eq!(
        (status, reason.as_str()),
        (StatusCode::UNAUTHORIZED, "Invalid username or password")
    );
}

#[tokio::test(start_paused = true)]
async fn tokens_expire_on_the_shared_clock_and_revoked_or_foreign_ones_are_refused() {
    let t = traqs(TraqsEnvironment::Production, "TRACE").await;
    let session = sign_in(&t, 0).await;
    let refresh = mint_refresh_token(&t, &session).await;
    let access = access_token(&t, &refresh).await;
    let query = "action=DOWNLOAD&facility=TRACE&file=PARTICIPANTLIST";
    assert_eq!(download(&t, Some(&access), query).await.0, StatusCode::OK);
    tokio::time::advance(Duration::from_secs(1_800)).await;
    let (status, reason) = download(&t, Some(&access), query).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}");
    // The refresh token is not rotated: it mints again until its own end.
    let again = access_token(&t, &refresh).await;
    assert_ne!(again, access);
    let (status, body) = exchange(&t, &refresh, "someone@example.com").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    tokio::time::advance(Duration::from_secs(86_400)).await;
    let (status, body) = exchange(&t, &refresh, EMAIL).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "The refresh token has expired");

    // Revoked: listed (never with its value) and refused.
    let session = sign_in(&t, 0).await;
    let refresh = mint_refresh_token(&t, &session).await;
    let listed =
        t.h.http
            .get(t.h.url("/traqs/api/refresh-tokens"))
            .bearer_auth(&session)
            .send()
            .await
            .expect("list");
    let listed: Value = listed.json().await.expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    assert!(!listed.to_string().contains(&refresh));
    let id = listed[1]["id"].as_str().expect("id").to_owned();
    let revoked =
        t.h.http
            .delete(t.h.url(&format!("/traqs/api/refresh-tokens/{id}")))
            .bearer_auth(&session)
            .send()
            .await
            .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let (status, body) = exchange(&t, &refresh, EMAIL).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("The refresh token has been revoked")
        )
    );

    // Another environment's tokens.
    let (status, body) = exchange(
        &t,
        "trqntf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        EMAIL,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error_description"]
            .as_str()
            .expect("text")
            .contains("ntf environment"),
        "{body}"
    );
    let (status, reason) = download(&t, Some("trqntf_AAAA"), query).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(reason.contains("ntf environment"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn an_ntf_emulator_refuses_production_tokens() {
    let ntf = traqs(TraqsEnvironment::Ntf, "ORF").await;
    let session = sign_in(&ntf, 0).await;
    let refresh = mint_refresh_token(&ntf, &session).await;
    assert!(refresh.starts_with("trqntf_"));
    let (status, body) = exchange(
        &ntf,
        "trq_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        EMAIL,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error_description"]
            .as_str()
            .expect("text")
            .contains("production environment")
    );
    assert!(access_token(&ntf, &refresh).await.starts_with("trqntf_"));
}

#[tokio::test(start_paused = true)]
async fn downloads_refuse_what_they_must_with_the_right_status() {
    let t = traqs(TraqsEnvironment::Production, "ORF").await;
    let session = sign_in(&t, 0).await;
    let access = access_token(&t, &mint_refresh_token(&t, &session).await).await;
    let cases: Vec<(Option<&str>, String, StatusCode)> = vec![
        (
            None,
            "action=DOWNLOAD&facility=ORF&file=DAILYLIST".into(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some("garbage"),
            "action=DOWNLOAD&facility=ORF&file=DAILYLIST".into(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=TRACE&file=CAMASTER".into(),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=ORF&file=NOSUCHFILE".into(),
            StatusCode::NOT_FOUND,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=NOPE&file=DAILYLIST".into(),
            StatusCode::NOT_FOUND,
        ),
        (
            Some(&access),
            "action=DELETE&facility=ORF&file=DAILYLIST".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            "facility=ORF&file=DAILYLIST".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&file=DAILYLIST".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=ORF".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=ORF&facility=ORF&file=DAILYLIST".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=ORF&file=DAILYLIST&extra=1".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            format!("action=DOWNLOAD&facility=ORF&file={}", "A".repeat(10_000)),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=ORF&file=%FF%FE".into(),
            StatusCode::NOT_FOUND,
        ),
        (
            Some(&access),
            "action=DOWNLOAD&facility=%FF&file=DAILYLIST".into(),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (token, query, expected) in cases {
        let (status, body) = download(&t, token, &query).await;
        assert_eq!(status, expected, "{query}: {body}");
        assert!(!body.contains("DAILY_LIST_DT"), "{query}");
    }
    let put =
        t.h.http
            .put(t.h.url("/DownloadHandler.ashx?action=DOWNLOAD&facility=ORF&file=DAILYLIST"))
            .bearer_auth(&access)
            .send()
            .await
            .expect("answer");
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    t.h.assert_no_500();
}

#[tokio::test(start_paused = true)]
async fn bad_input_on_the_sign_in_and_token_paths_is_a_4xx() {
    let t = traqs(TraqsEnvironment::Production, "ORF").await;
    let long = "x".repeat(10_000);
    for (path, body) in [
        ("/traqs/api/login", json!({"username": EMAIL})),
        (
            "/traqs/api/login",
            json!({"username": EMAIL, "password": PASSWORD, "extra": 1}),
        ),
        (
            "/traqs/api/login",
            json!({"username": 5, "password": PASSWORD}),
        ),
        (
            "/traqs/api/login",
            json!({"username": long, "password": long}),
        ),
        (
            "/traqs/api/login/verify",
            json!({"stateToken": "nope", "passCode": "123456"}),
        ),
        ("/traqs/api/login/verify", json!({"stateToken": "nope"})),
        ("/traqs/api/refresh-tokens", json!({})),
    ] {
        let (status, reply) = post_json(&t, path, &body, None).await;
        assert!(status.is_client_error(), "{path} {body}: {status} {reply}");
    }
    let raw =
        t.h.http
            .post(t.h.url("/traqs/api/login"))
            .header(CONTENT_TYPE, "application/json")
            .body(vec![0xff, 0xfe, b'{'])
            .send()
            .await
            .expect("answer");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let form =
        t.h.http
            .post(t.h.url("/traqs/api/login"))
            .form(&[("username", EMAIL)])
            .send()
            .await
            .expect("answer");
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    for body in [
        "grant_type=refresh_token&refresh_token=x",
        "grant_type=password&refresh_token=x&username=y",
        "grant_type=refresh_token&grant_type=refresh_token&refresh_token=x&username=y",
        "grant_type=refresh_token&refresh_token=x&username=y&scope=z",
        &format!("grant_type=refresh_token&refresh_token={long}&username=y"),
        "grant_type=refresh_token&refresh_token=%FF&username=y",
    ] {
        let response =
            t.h.http
                .post(t.h.url("/traqs/oauth2/token"))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.to_owned())
                .send()
                .await
                .expect("answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = response.json().await.expect("JSON");
        assert!(error["error"].is_string(), "{body}");
    }
    let json_token =
        t.h.http
            .post(t.h.url("/traqs/oauth2/token"))
            .json(&json!({"grant_type": "refresh_token"}))
            .send()
            .await
            .expect("answer");
    assert_eq!(json_token.status(), StatusCode::BAD_REQUEST);
    let get_token =
        t.h.http
            .get(t.h.url("/traqs/oauth2/token"))
            .send()
            .await
            .expect("answer");
    assert_eq!(get_token.status(), StatusCode::METHOD_NOT_ALLOWED);
    t.h.assert_no_500();
}

#[tokio::test(start_paused = true)]
async fn faults_cover_the_token_exchange_and_break_a_download_mid_file() {
    let t = traqs(TraqsEnvironment::Production, "TRACE").await;
    let session = sign_in(&t, 0).await;
    let refresh = mint_refresh_token(&t, &session).await;
    let faults = t.h.emulator.faults();
    faults.inject(FaultTarget::TraqsTokenCalls, Fault::ServiceUnavailable, 1);
    let response =
        t.h.http
            .post(t.h.url("/traqs/oauth2/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("username", EMAIL),
            ])
            .send()
            .await
            .expect("answer");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    // A hang holds the call until the client gives up.
    faults.inject(FaultTarget::TraqsTokenCalls, Fault::Hang, 1);
    let hung =
        t.h.http
            .post(t.h.url("/traqs/oauth2/token"))
            .timeout(Duration::from_secs(5))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("username", EMAIL),
            ])
            .send()
            .await
            .expect_err("no answer");
    assert!(hung.is_timeout(), "{hung}");
    assert_eq!(t.h.emulator.emulator().traqs_access_tokens_minted(), 0);
    let access = access_token(&t, &refresh).await;
    faults.inject(
        FaultTarget::TraqsDownloads,
        Fault::BreakMidBody { after_bytes: 100 },
        1,
    );
    let response =
        t.h.http
            .get(t.h.url("/DownloadHandler.ashx?action=DOWNLOAD&facility=TRACE&file=CAMASTER"))
            .bearer_auth(&access)
            .send()
            .await
            .expect("headers");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.is_err(), "the body breaks off");
    faults.inject(FaultTarget::TraqsDownloads, Fault::InternalServerError, 1);
    let (status, _) = download(
        &t,
        Some(&access),
        "action=DOWNLOAD&facility=TRACE&file=CAMASTER",
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, text) = download(
        &t,
        Some(&access),
        "action=DOWNLOAD&facility=TRACE&file=CAMASTER",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text.split_terminator("\r\n").count(), 2_001);
}

#[tokio::test(start_paused = true)]
async fn a_person_can_mint_a_refresh_token_with_the_html_pages() {
    let t = traqs(TraqsEnvironment::Production, "ORF").await;
    let page = t.h.http.get(t.h.url("/traqs/")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("<form method=\"post\" action=\"/traqs/login\"")
    );
    let code_page =
        t.h.http
            .post(t.h.url("/traqs/login"))
            .form(&[("username", EMAIL), ("password", PASSWORD)])
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
    let state = code_page
        .split("name=\"stateToken\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a state token in the form")
        .to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(None)
        .build()
        .expect("client");
    let verified = client
        .post(t.h.url("/traqs/verify"))
        .form(&[
            ("stateToken", state.as_str()),
            ("passCode", code(&t, 0).as_str()),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(verified.status(), StatusCode::SEE_OTHER);
    let cookie = verified
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session_cookie = cookie.split(';').next().expect("name=value").to_owned();
    let minted = client
        .post(t.h.url("/traqs/tokens"))
        .header(COOKIE, &session_cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let refresh = minted
        .split("<code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the token, shown once")
        .to_owned();
    assert!(access_token(&t, &refresh).await.starts_with("trq_"));
    let listing = client
        .get(t.h.url("/traqs/tokens"))
        .header(COOKIE, &session_cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(listing.contains("rt1") && !listing.contains(&refresh));
    let without = client
        .get(t.h.url("/traqs/tokens"))
        .send()
        .await
        .expect("page");
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    // Sent as a bearer token, the session works the same.
    let api =
        t.h.http
            .get(t.h.url("/traqs/api/refresh-tokens"))
            .header(
                AUTHORIZATION,
                format!(
                    "Bearer {}",
                    session_cookie.trim_start_matches("traqs_session=")
                ),
            )
            .send()
            .await
            .expect("answer");
    assert_eq!(api.status(), StatusCode::OK);
    let _ = &t.user;
}
