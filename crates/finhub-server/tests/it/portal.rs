//! The portal as a browser meets it, page by page, in-process: the cookie and its attributes,
//! the security headers on every answer, CSRF tokens that belong to one browser and one session,
//! sign-in with a password, a code or a recovery code (each code once), a forced enrolment, a
//! person's sessions ended from the portal and refused by the API, the tenant administrator's
//! pages, and no secret in any log line.

use axum::http::{Method, StatusCode};
use finhub_core::admin::Administrator;
use finhub_core::ids::{TenantId, Username};
use finhub_core::mfa::{MfaPolicy, TotpSecret};
use finhub_core::model::UserRole;
use secrecy::ExposeSecret;

use crate::common::portal_page;
use crate::support::{Call, PASSWORD, Reply, TENANT, TestApp, USERNAME, add_user, advance};

/// The portal's content security policy, exactly.
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; \
                   base-uri 'none'; object-src 'none'";
/// How the browsers of these tests present themselves.
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A browser: its cookie jar (the portal's one cookie) and how it presents itself.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    async fn send(&mut self, call: Call) -> Reply {
        let call = call
            .header("user-agent", FIREFOX)
            .header("sec-ch-ua-platform", "\"Linux\"");
        let call = match &self.cookie {
            Some(cookie) => call.header("cookie", &format!("__Host-finhub_portal={cookie}")),
            None => call,
        };
        let reply = self.app.send(call).await;
        assert_security_headers(&reply);
        if let Some(set) = reply.header("set-cookie") {
            self.cookie = Some(portal_page::cookie_value(set));
        }
        reply
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.send(Call::new(Method::GET, path)).await
    }

    /// Posts a form with the CSRF token of `page` (the page the form was on).
    async fn submit(&mut self, page: &Reply, action: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf", csrf_of(page))];
        all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.post(action, &all).await
    }

    async fn post(&mut self, action: &str, fields: &[(&str, String)]) -> Reply {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(
            Call::new(Method::POST, action)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await
    }

    /// Signs in with a password; the answer (a redirect, or the next step's page).
    async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        let form = self.get("/portal/sign-in").await;
        form.assert_ok();
        self.submit(
            &form,
            "/portal/sign-in",
            &[
                ("tenant", TENANT),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    fn signed_in(&self) -> bool {
        self.cookie
            .as_deref()
            .is_some_and(|c| c.starts_with("fhsk_"))
    }
}

#[track_caller]
fn assert_security_headers(reply: &Reply) {
    assert_eq!(reply.header("content-security-policy"), Some(CSP));
    assert_eq!(reply.header("x-frame-options"), Some("DENY"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let text = reply.text();
    assert!(!text.contains("<script"), "no script in any page");
    assert!(!text.contains("style="), "no inline style in any page");
}

fn field_of(page: &Reply, name: &str) -> String {
    portal_page::field_of(&page.text(), name)
}

fn csrf_of(page: &Reply) -> String {
    field_of(page, "csrf")
}

fn element_text(page: &Reply, id: &str) -> String {
    portal_page::element_text(&page.text(), id)
}

fn recovery_codes(page: &Reply) -> Vec<String> {
    portal_page::recovery_codes(&page.text())
}

impl TestApp {
    fn code_of(&self, secret: &TotpSecret) -> String {
        secret
            .code_at(self.clock.now_utc())
            .expect("code")
            .expose_secret()
            .to_owned()
    }
}

/// Enrols a factor from a signed-in portal session: its secret and recovery codes.
async fn enrol(browser: &mut Browser<'_>, password: &str) -> (TotpSecret, Vec<String>) {
    let page = browser.get("/portal/factor").await;
    page.assert_ok();
    let started = browser
        .submit(&page, "/portal/factor/start", &[("password", password)])
        .await;
    started.assert_ok();
    assert!(
        started.text().contains("<svg"),
        "the QR code is in the page"
    );
    let secret = TotpSecret::from_base32(&element_text(&started, "manual-secret")).expect("Base32");
    let code = browser.app.code_of(&secret);
    let confirmed = browser
        .submit(&started, "/portal/factor/confirm", &[("code", &code)])
        .await;
    confirmed.assert_ok();
    let codes = recovery_codes(&confirmed);
    assert_eq!(codes.len(), 10);
    // The download is the same codes, in the page itself.
    let text = confirmed.text();
    assert!(text.contains("download=\"finhub-recovery-codes.txt\""));
    assert!(
        text.contains(&codes[0]),
        "the codes are in the download link"
    );
    (secret, codes)
}

#[tokio::test(start_paused = true)]
async fn the_cookie_is_host_only_secure_http_only_strict_and_holds_an_opaque_id() {
    let app = TestApp::builder().with_user().build().await;
    let reply = app.send(Call::new(Method::GET, "/portal/sign-in")).await;
    reply.assert_ok();
    assert_security_headers(&reply);
    let cookie = reply.header("set-cookie").expect("a cookie");
    let (pair, attributes) = cookie.split_once("; ").expect("attributes");
    let value = pair
        .strip_prefix("__Host-finhub_portal=")
        .expect("the name");
    assert!(value.starts_with("anon_") && value.len() > 40, "{value}");
    assert_eq!(attributes, "Path=/; Secure; HttpOnly; SameSite=Strict");
    assert!(!cookie.contains("Domain"), "host-only");

    // The style sheet is the portal's own file, under the same headers.
    let mut browser = Browser::new(&app);
    let css = browser.get("/portal/static/portal.css").await;
    css.assert_ok();
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));

    // Signing in replaces the anonymous id with the session's key: a fresh value.
    let signed_in = browser.sign_in(USERNAME, PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.header("location"), Some("/portal/"));
    let set = signed_in
        .header("set-cookie")
        .expect("the session's cookie");
    assert!(
        set.ends_with("; Path=/; Secure; HttpOnly; SameSite=Strict"),
        "{set}"
    );
    assert!(browser.signed_in());
    let home = browser.get("/portal/").await;
    home.assert_ok();
    assert!(home.text().contains(USERNAME));
}

#[tokio::test(start_paused = true)]
async fn signed_out_pages_say_so_and_a_cookie_replayed_after_sign_out_is_refused() {
    let app = TestApp::builder().with_user().build().await;
    let mut stranger = Browser::new(&app);
    for path in [
        "/portal/",
        "/portal/factor",
        "/portal/sessions",
        "/portal/admin/users",
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(page.text().contains("You are signed out"), "{path}");
        assert!(page.text().contains("href=\"/portal/sign-in\""));
    }

    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;
    let key = browser.cookie.clone().expect("signed in");
    let home = browser.get("/portal/").await;
    let out = browser.submit(&home, "/portal/sign-out", &[]).await;
    out.assert_ok();
    assert!(out.text().contains("You have signed out"));
    assert!(
        browser
            .cookie
            .as_deref()
            .is_some_and(|c| c.starts_with("anon_"))
    );

    // The old cookie, replayed: the session it named has ended.
    let mut replay = Browser::new(&app);
    replay.cookie = Some(key);
    let page = replay.get("/portal/sessions").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.text().contains("You are signed out"));
    // And the sign-in page gives it a new anonymous id instead.
    let form = replay.get("/portal/sign-in").await;
    form.assert_ok();
    assert!(
        replay
            .cookie
            .as_deref()
            .is_some_and(|c| c.starts_with("anon_"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_form_needs_this_browsers_current_csrf_token() {
    let app = TestApp::builder().with_user().build().await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/portal/sign-in").await;
    let mut other = Browser::new(&app);
    let others_form = other.get("/portal/sign-in").await;
    let fields = [
        ("tenant", TENANT.to_owned()),
        ("username", USERNAME.to_owned()),
        ("password", PASSWORD.to_owned()),
    ];

    // No token, and another browser's token: refused, nothing signed in.
    let missing = browser.post("/portal/sign-in", &fields).await;
    let mut with_others = vec![("csrf", csrf_of(&others_form))];
    with_others.extend(fields.iter().cloned());
    let foreign = browser.post("/portal/sign-in", &with_others).await;
    for refused in [&missing, &foreign] {
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.text().contains("This form has expired"));
    }
    assert!(!browser.signed_in());

    // Signed in, the token of the page from before signing in is another session's.
    browser.sign_in(USERNAME, PASSWORD).await;
    let stale = browser.submit(&form, "/portal/sign-out", &[]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    browser.get("/portal/").await.assert_ok();

    // A form that is not a form.
    let home = browser.get("/portal/").await;
    let json = browser
        .send(
            Call::new(Method::POST, "/portal/sessions/end-others")
                .header("content-type", "application/json")
                .body(format!("{{\"csrf\":\"{}\"}}", csrf_of(&home))),
        )
        .await;
    assert_eq!(json.status, StatusCode::BAD_REQUEST);
    assert!(json.text().contains("not sent as a web form"));
}

#[tokio::test(start_paused = true)]
async fn every_bad_credential_gets_the_same_answer() {
    let app = TestApp::builder().with_user().build().await;
    let mut browser = Browser::new(&app);
    for (tenant, username, password) in [
        (TENANT, USERNAME, "wrong password"),
        (TENANT, "nobody", PASSWORD),
        ("7654321", USERNAME, PASSWORD),
        ("not-a-tenant", USERNAME, PASSWORD),
    ] {
        let form = browser.get("/portal/sign-in").await;
        let reply = browser
            .submit(
                &form,
                "/portal/sign-in",
                &[
                    ("tenant", tenant),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
        assert!(
            reply
                .text()
                .contains("The tenant, username or password is wrong")
        );
        assert!(!browser.signed_in());
    }
    // Empty fields are the person's mistake, said as such.
    let form = browser.get("/portal/sign-in").await;
    let empty = browser
        .submit(
            &form,
            "/portal/sign-in",
            &[("tenant", TENANT), ("username", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.text().contains("The username is required"));
}

#[tokio::test(start_paused = true)]
async fn enrol_then_sign_in_with_a_code_once_and_with_a_recovery_code_once() {
    let app = TestApp::builder().with_user().build().await;
    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;
    let (secret, codes) = enrol(&mut browser, PASSWORD).await;
    let home = browser.get("/portal/").await;
    browser.submit(&home, "/portal/sign-out", &[]).await;

    // The password, then the code step.
    advance(30).await;
    let step = browser.sign_in(USERNAME, PASSWORD).await;
    step.assert_ok();
    assert!(step.text().contains("action=\"/portal/sign-in/code\""));
    assert!(!browser.signed_in());
    let token = field_of(&step, "token");
    // A wrong code: said, and the same step is offered again.
    let wrong = browser
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("That code did not work"));
    assert_eq!(field_of(&wrong, "token"), token);
    let code = app.code_of(&secret);
    let signed_in = browser
        .submit(
            &wrong,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &code)],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.text()
    );
    assert!(browser.signed_in());

    // The same code again (same time step), in a new sign-in: refused.
    let mut second = Browser::new(&app);
    let step = second.sign_in(USERNAME, PASSWORD).await;
    let token = field_of(&step, "token");
    let replayed = second
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &code)],
        )
        .await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    assert!(!second.signed_in());

    // A recovery code works once.
    let recovered = second
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &codes[3])],
        )
        .await;
    assert_eq!(
        recovered.status,
        StatusCode::SEE_OTHER,
        "{}",
        recovered.text()
    );
    let mut third = Browser::new(&app);
    let step = third.sign_in(USERNAME, PASSWORD).await;
    let token = field_of(&step, "token");
    let again = third
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &codes[3])],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let factor = second.get("/portal/factor").await;
    assert_eq!(element_text(&factor, "codes-left"), "9");
}

#[tokio::test(start_paused = true)]
async fn a_sign_in_step_belongs_to_its_browser_and_lasts_five_minutes() {
    let app = TestApp::builder().with_user().build().await;
    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;
    let (secret, _) = enrol(&mut browser, PASSWORD).await;

    let mut first = Browser::new(&app);
    let step = first.sign_in(USERNAME, PASSWORD).await;
    let token = field_of(&step, "token");
    // Another browser cannot finish it, even with a right code.
    let mut thief = Browser::new(&app);
    let thiefs_page = thief.get("/portal/sign-in").await;
    advance(30).await;
    let stolen = thief
        .submit(
            &thiefs_page,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &app.code_of(&secret))],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::UNAUTHORIZED);
    assert!(stolen.text().contains("no longer valid"));
    assert!(!thief.signed_in());

    // Past five minutes, its own browser cannot either.
    advance(5 * 60).await;
    let late = first
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &app.code_of(&secret))],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
    assert!(late.text().contains("This step has expired"));
    assert!(!first.signed_in());
}

#[tokio::test(start_paused = true)]
async fn a_person_sees_their_sessions_and_ends_one_the_api_then_refuses() {
    let app = TestApp::builder().with_user().build().await;
    let api = app.password_login().await;
    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;

    let page = browser.get("/portal/sessions").await;
    page.assert_ok();
    let text = page.text();
    assert!(text.contains("2 live session(s)"), "{text}");
    // The API login's origin as its client described it; the portal's own, marked.
    assert!(text.contains("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"));
    assert!(
        text.contains(">Windows<"),
        "the platform without its quotes"
    );
    assert!(text.contains(FIREFOX));
    assert!(text.contains("127.0.0.1"));
    assert!(text.contains("This session"));
    assert_eq!(text.matches("action=\"/portal/sessions/end\"").count(), 1);

    let ended = browser
        .submit(
            &page,
            "/portal/sessions/end",
            &[("session", &field_of(&page, "session"))],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    app.session(&api.session)
        .await
        .assert_error(401, "invalid_token");
    let after = browser.get("/portal/sessions").await;
    assert!(after.text().contains("1 live session(s)"));

    // Not one of theirs (or already ended): not found, nothing else ends.
    let gone = browser
        .submit(
            &after,
            "/portal/sessions/end",
            &[("session", "fam_unknown")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    browser.get("/portal/").await.assert_ok();

    // All others: the two new API logins end, the portal's own goes on.
    let (one, two) = (app.password_login().await, app.password_login().await);
    let page = browser.get("/portal/sessions").await;
    let all = browser
        .submit(&page, "/portal/sessions/end-others", &[])
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    for tokens in [one, two] {
        app.session(&tokens.session)
            .await
            .assert_error(401, "invalid_token");
    }
    browser.get("/portal/sessions").await.assert_ok();
}

#[tokio::test(start_paused = true)]
async fn a_session_is_last_used_when_a_request_uses_it_written_at_most_once_a_minute() {
    let app = TestApp::builder().with_user().build().await;
    let api = app.password_login().await;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let user = Username::parse(USERNAME).expect("user");
    let last_used = || async {
        app.store()
            .list_user_sessions(&tenant, &user, app.clock.now_utc())
            .await
            .expect("list")[0]
            .last_used_at
    };
    assert_eq!(last_used().await, None, "not used since the login");
    let first = app.clock.now_utc();
    app.session(&api.session).await.assert_ok();
    assert_eq!(last_used().await, Some(first));
    // Used again within the minute (past the session cache): not written again.
    advance(30).await;
    app.session(&api.session).await.assert_ok();
    assert_eq!(last_used().await, Some(first));
    advance(31).await;
    let later = app.clock.now_utc();
    app.session(&api.session).await.assert_ok();
    assert_eq!(last_used().await, Some(later));
}

#[tokio::test(start_paused = true)]
async fn a_tenant_that_requires_a_factor_has_a_person_enrol_before_signing_in() {
    let app = TestApp::builder()
        .with_user()
        .mfa_policy(MfaPolicy::Required)
        .build()
        .await;
    let mut browser = Browser::new(&app);
    let page = browser.sign_in(USERNAME, PASSWORD).await;
    page.assert_ok();
    assert!(page.text().contains("requires a second factor"));
    assert!(!browser.signed_in());
    let secret = TotpSecret::from_base32(&element_text(&page, "manual-secret")).expect("Base32");
    let enrollment = field_of(&page, "enrollment");

    // A wrong code first: refused, still not signed in.
    let wrong = browser
        .submit(
            &page,
            "/portal/enrol/confirm",
            &[("enrollment", &enrollment), ("code", "123456")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!browser.signed_in());

    let done = browser
        .submit(
            &page,
            "/portal/enrol/confirm",
            &[("enrollment", &enrollment), ("code", &app.code_of(&secret))],
        )
        .await;
    done.assert_ok();
    assert_eq!(recovery_codes(&done).len(), 10);
    assert!(browser.signed_in(), "the enrolment ends signed in");
    browser.get("/portal/factor").await.assert_ok();

    // The enrolment token is spent.
    let mut again = Browser::new(&app);
    let form = again.get("/portal/sign-in").await;
    let replay = again
        .submit(
            &form,
            "/portal/enrol/confirm",
            &[("enrollment", &enrollment), ("code", &app.code_of(&secret))],
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(!again.signed_in());
}

#[tokio::test(start_paused = true)]
async fn a_tenant_administrator_resets_a_factor_disables_and_reads_the_audit_trail() {
    let app = TestApp::builder().with_user().build().await;
    add_user(app.admin(), TENANT, "bob", "bob's long password").await;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    app.admin()
        .set_user_role(
            &Administrator::new("ops"),
            &tenant,
            &Username::parse(USERNAME).expect("user"),
            UserRole::TenantAdmin,
        )
        .await
        .expect("make alice an administrator");

    // Bob enrols and has an API session; he may not see the administrator's pages.
    let mut bob = Browser::new(&app);
    bob.sign_in("bob", "bob's long password").await;
    enrol(&mut bob, "bob's long password").await;
    for path in ["/portal/admin/users", "/portal/admin/audit"] {
        let page = bob.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!page.text().contains("href=\"/portal/admin/users\""));
    }

    let mut alice = Browser::new(&app);
    alice.sign_in(USERNAME, PASSWORD).await;
    let users = alice.get("/portal/admin/users").await;
    users.assert_ok();
    let text = users.text();
    assert!(text.contains("data-user=\"bob\""));
    assert!(text.contains("tenant-admin"));
    let reset = alice
        .submit(
            &users,
            "/portal/admin/users/reset-factor",
            &[("username", "bob")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.text());
    // Bob's sessions ended with the reset.
    let page = bob.get("/portal/").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);

    let users = alice.get("/portal/admin/users").await;
    let disabled = alice
        .submit(
            &users,
            "/portal/admin/users/disable",
            &[("username", "bob")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let refused = Browser::new(&app)
        .sign_in("bob", "bob's long password")
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let users = alice.get("/portal/admin/users").await;
    let enabled = alice
        .submit(&users, "/portal/admin/users/enable", &[("username", "bob")])
        .await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    // Unknown users and actions, and disabling oneself.
    for (action, username, status) in [
        ("disable", "nobody", StatusCode::NOT_FOUND),
        ("promote", "bob", StatusCode::NOT_FOUND),
        ("disable", USERNAME, StatusCode::BAD_REQUEST),
        ("disable", "bad\u{7}name", StatusCode::BAD_REQUEST),
    ] {
        let users = alice.get("/portal/admin/users").await;
        let reply = alice
            .submit(
                &users,
                &format!("/portal/admin/users/{action}"),
                &[("username", username)],
            )
            .await;
        assert_eq!(
            reply.status,
            status,
            "{action} {username:?}: {}",
            reply.text()
        );
    }

    // The audit trail: the administrator's actions, each with who acted.
    let audit = alice.get("/portal/admin/audit?event=mfa_reset").await;
    audit.assert_ok();
    let text = audit.text();
    assert!(text.contains("mfa_reset"));
    assert!(text.contains("portal:alice"));
    assert!(!text.contains("admin_disable</td>"));
    let all = alice.get("/portal/admin/audit?user=bob").await;
    assert!(all.text().contains("admin_disable"));
    assert!(all.text().contains("admin_enable"));
    for bad in [
        "/portal/admin/audit?event=no_such_event",
        "/portal/admin/audit?from=yesterday",
        "/portal/admin/audit?page=many",
    ] {
        let reply = alice.get(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let far = alice.get("/portal/admin/audit?page=4000000000").await;
    far.assert_ok();
    assert!(far.text().contains("No event matches"));
}

#[tokio::test(start_paused = true)]
async fn no_password_code_secret_or_cookie_reaches_a_log_line() {
    let app = TestApp::builder().with_user().build().await;
    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;
    let session_cookie = browser.cookie.clone().expect("signed in");
    let (secret, codes) = enrol(&mut browser, PASSWORD).await;
    let home = browser.get("/portal/").await;
    browser.submit(&home, "/portal/sign-out", &[]).await;
    advance(30).await;
    let step = browser
        .sign_in(USERNAME, "a wrong password typed by mistake")
        .await;
    assert_eq!(step.status, StatusCode::UNAUTHORIZED);
    let step = browser.sign_in(USERNAME, PASSWORD).await;
    let token = field_of(&step, "token");
    let code = app.code_of(&secret);
    browser
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &code)],
        )
        .await;

    let logs = app.logs.text();
    assert!(
        logs.contains("/portal/"),
        "the requests were logged: {logs}"
    );
    for secret_text in [
        PASSWORD,
        "a wrong password typed by mistake",
        &session_cookie,
        &token,
        &code,
        &codes[0],
        secret.to_base32().expose_secret(),
    ] {
        assert!(
            !logs.contains(secret_text),
            "a secret in the logs: {secret_text}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn new_recovery_codes_replace_the_old_and_removing_the_factor_ends_the_other_sessions() {
    let app = TestApp::builder().with_user().build().await;
    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;
    let (secret, old_codes) = enrol(&mut browser, PASSWORD).await;

    // A change needs the password and a current code: a wrong password says so.
    advance(30).await;
    let page = browser.get("/portal/factor").await;
    let wrong = browser
        .submit(
            &page,
            "/portal/factor/recovery-codes",
            &[
                ("password", "not the password"),
                ("code", &app.code_of(&secret)),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.text().contains("Wrong password"));
    advance(30).await;
    let page = browser.get("/portal/factor").await;
    let renewed = browser
        .submit(
            &page,
            "/portal/factor/recovery-codes",
            &[("password", PASSWORD), ("code", &app.code_of(&secret))],
        )
        .await;
    renewed.assert_ok();
    let new_codes = recovery_codes(&renewed);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|code| !old_codes.contains(code)));
    // An old code no longer signs in; a new one does.
    let mut other = Browser::new(&app);
    let step = other.sign_in(USERNAME, PASSWORD).await;
    let token = field_of(&step, "token");
    let old = other
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &old_codes[0])],
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = other
        .submit(
            &step,
            "/portal/sign-in/code",
            &[("token", &token), ("code", &new_codes[0])],
        )
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);

    // Removing the factor ends the person's other sessions, not this one.
    advance(30).await;
    let page = browser.get("/portal/factor").await;
    let removed = browser
        .submit(
            &page,
            "/portal/factor/remove",
            &[("password", PASSWORD), ("code", &app.code_of(&secret))],
        )
        .await;
    removed.assert_ok();
    assert!(
        removed.text().contains("1 other session(s) ended"),
        "{}",
        removed.text()
    );
    assert_eq!(other.get("/portal/").await.status, StatusCode::UNAUTHORIZED);
    let factor = browser.get("/portal/factor").await;
    factor.assert_ok();
    assert!(factor.text().contains("Set up an authenticator app"));
    // Signing in needs no code any more.
    let mut again = Browser::new(&app);
    assert_eq!(
        again.sign_in(USERNAME, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(start_paused = true)]
async fn portal_sign_ins_count_against_the_address_and_person_limits() {
    let app = TestApp::builder()
        .with_user()
        .per_address_per_minute(3)
        .build()
        .await;
    let mut browser = Browser::new(&app);
    for _ in 0..3 {
        let refused = browser.sign_in(USERNAME, "wrong password").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    let limited = browser.sign_in(USERNAME, PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.text().contains("Too many attempts"));
    let wait: u64 = limited
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    advance(wait).await;
    assert_eq!(
        browser.sign_in(USERNAME, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(start_paused = true)]
async fn in_production_every_portal_decision_is_audited_under_the_portal_customer() {
    let app = TestApp::builder().with_user().production().build().await;
    let mut browser = Browser::new(&app);
    // Production requires a factor: the portal enrols the person, then they are signed in.
    let page = browser.sign_in(USERNAME, PASSWORD).await;
    page.assert_ok();
    let secret = TotpSecret::from_base32(&element_text(&page, "manual-secret")).expect("Base32");
    let done = browser
        .submit(
            &page,
            "/portal/enrol/confirm",
            &[
                ("enrollment", &field_of(&page, "enrollment")),
                ("code", &app.code_of(&secret)),
            ],
        )
        .await;
    done.assert_ok();
    assert!(browser.signed_in());
    let sessions = browser.get("/portal/sessions").await;
    browser
        .submit(&sessions, "/portal/sessions/end-others", &[])
        .await;
    let home = browser.get("/portal/").await;
    browser.submit(&home, "/portal/sign-out", &[]).await;

    let events = app.admin().recent_audit_events(50).await.expect("audit");
    let portal: Vec<(&str, String)> = events
        .iter()
        .filter(|event| event.customer.as_deref() == Some("finhub-portal"))
        .map(|event| (event.action.as_str(), format!("{:?}", event.outcome)))
        .collect();
    for action in ["password_login", "sessions_ended", "logout"] {
        assert!(
            portal.iter().any(|(name, _)| *name == action),
            "{action} in {portal:?}"
        );
    }
    assert!(
        events.iter().any(|e| e.action.as_str() == "mfa_enrolled"
            && e.username.as_deref() == Some(USERNAME)
            && e.outcome == finhub_core::audit::AuditOutcome::Success),
        "the enrolment is audited"
    );
    assert!(
        events
            .iter()
            .filter(|e| e.action.as_str() == "password_login")
            .all(|e| e.user_agent.as_deref() == Some(FIREFOX)),
        "the browser's own headers are recorded"
    );
}

#[tokio::test(start_paused = true)]
async fn the_audit_trail_pages_fifty_at_a_time_keeping_its_filters() {
    let app = TestApp::builder().with_user().build().await;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    let alice = Username::parse(USERNAME).expect("user");
    let ops = Administrator::new("ops");
    app.admin()
        .set_user_role(&ops, &tenant, &alice, UserRole::TenantAdmin)
        .await
        .expect("administrator");
    add_user(app.admin(), TENANT, "bob", "bob's long password").await;
    let bob = Username::parse("bob").expect("user");
    // 60 role changes of bob's, a second apart, and one of alice's own.
    for n in 0..60 {
        advance(1).await;
        let role = if n % 2 == 0 {
            UserRole::TenantAdmin
        } else {
            UserRole::Member
        };
        app.admin()
            .set_user_role(&ops, &tenant, &bob, role)
            .await
            .expect("role");
    }
    let mut browser = Browser::new(&app);
    browser.sign_in(USERNAME, PASSWORD).await;
    let first = browser
        .get("/portal/admin/audit?user=bob&event=admin_set_role")
        .await;
    first.assert_ok();
    let text = first.text();
    assert_eq!(text.matches("<td>admin_set_role</td>").count(), 50);
    assert!(
        text.contains("href=\"/portal/admin/audit?user=bob&amp;event=admin_set_role&amp;page=2\"")
    );
    assert!(!text.contains("rel=\"prev\""));
    let second = browser
        .get("/portal/admin/audit?user=bob&event=admin_set_role&page=2")
        .await;
    let text = second.text();
    assert_eq!(text.matches("<td>admin_set_role</td>").count(), 10);
    assert!(text.contains("rel=\"prev\""));
    assert!(!text.contains("rel=\"next\""));
    // A time window (from inclusive, until exclusive): the hub's clock started at 14:30:00,
    // the changes came at 14:30:01 … 14:31:00, so only the last is at or after 14:31.
    let window = browser
        .get("/portal/admin/audit?user=bob&from=2026-01-05T14:31&until=2026-01-05T14:32")
        .await;
    window.assert_ok();
    assert_eq!(window.text().matches("<td>admin_set_role</td>").count(), 1);
    let before = browser
        .get("/portal/admin/audit?user=bob&until=2026-01-05T14:31")
        .await;
    assert_eq!(before.text().matches("<td>admin_set_role</td>").count(), 50);
}
