//! Signing in and out: the password, then the code when the person has a factor, or a forced
//! enrolment when the tenant requires one they lack; signing out ends the portal session, and
//! the cookie that named it names nothing any more.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use finhub_core::auth::{Reauthentication, SecondFactorProof, SignIn};
use finhub_core::error::AuthError;
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::browser::{Browser, cookie_header};
use super::page::{Nav, Page, csrf_field, see_other};
use super::{NoFields, PortalError, Posted, field, posted, views};
use crate::http::RequestFacts;
use crate::state::AppState;

/// Longest tenant id, username or password accepted from the form.
const MAX_FIELD: usize = 256;

/// The sign-in form.
#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The code step's form.
#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    code: String,
}

/// A forced enrolment's confirmation.
#[derive(Deserialize)]
pub(crate) struct EnrolForm {
    #[serde(default)]
    enrollment: String,
    #[serde(default)]
    code: String,
}

/// `GET /portal/sign-in`.
pub(crate) async fn get_sign_in(
    State(state): State<AppState>,
    browser: Browser,
    facts: RequestFacts,
) -> Response {
    if let Some(key) = browser.session_key()
        && state.portal.session(&facts.context, key).await.is_ok()
    {
        return see_other("/portal/", None);
    }
    // A cookie naming an ended session is replaced: the form's token is the new cookie's.
    let browser = if browser.session_key().is_some() {
        Browser::anonymous()
    } else {
        browser
    };
    sign_in_page(&browser, None)
}

fn sign_in_page(browser: &Browser, tenant: Option<&str>) -> Response {
    let body = html! {
        form class="card" method="post" action="/portal/sign-in" {
            (csrf_field(browser))
            label for="tenant" { "Tenant id" }
            input id="tenant" name="tenant" type="text" inputmode="numeric" autocomplete="organization"
                required value=[tenant];
            label for="username" { "Username" }
            input id="username" name="username" type="text" autocomplete="username" required;
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password"
                required;
            button type="submit" { "Continue" }
        }
    };
    Page::ok("Sign in", Nav::Anonymous, body).respond(browser)
}

/// `POST /portal/sign-in`.
pub(crate) async fn post_sign_in(
    State(state): State<AppState>,
    browser: Browser,
    facts: RequestFacts,
    sent: Result<Form<Posted<SignInForm>>, FormRejection>,
) -> Response {
    match sign_in(&state, &browser, &facts, sent).await {
        Ok(response) => response,
        Err(error) => error.page(&browser, Nav::Anonymous),
    }
}

async fn sign_in(
    state: &AppState,
    browser: &Browser,
    facts: &RequestFacts,
    sent: Result<Form<Posted<SignInForm>>, FormRejection>,
) -> Result<Response, PortalError> {
    let sent = posted(browser, sent)?;
    let tenant = field(&sent.tenant, "The tenant id", MAX_FIELD)?;
    let username = field(&sent.username, "The username", MAX_FIELD)?;
    if sent.password.is_empty() || sent.password.len() > 1024 {
        return Err(PortalError::BadForm("The password is required".into()));
    }
    limit(state, facts, tenant, username).await?;
    let password = SecretString::from(sent.password);
    let outcome = state
        .portal
        .sign_in(
            &facts.context,
            tenant,
            username.to_owned(),
            password,
            browser.value(),
        )
        .await?;
    Ok(match outcome {
        SignIn::SignedIn(key) => see_other("/portal/", Some(cookie_header(key.expose()))),
        SignIn::CodeNeeded(token) => {
            let body = views::code_form(browser, token.expose_secret());
            Page::ok("Enter your code", Nav::Anonymous, body).respond(browser)
        }
        SignIn::EnrolmentNeeded(token) => {
            forced_enrolment(state, browser, facts, token.0.expose_secret()).await?
        }
    })
}

/// The tenant requires a factor the person lacks: a pending factor made with the enrolment
/// token, confirmed on the next form (which carries the token).
async fn forced_enrolment(
    state: &AppState,
    browser: &Browser,
    facts: &RequestFacts,
    token: &str,
) -> Result<Response, PortalError> {
    let enroller = state
        .enrolment
        .authenticate(&facts.context, Some(token))
        .await?;
    let proof = Reauthentication {
        password: None,
        otp: None,
    };
    let pending = state
        .enrolment
        .start(&facts.context, &enroller, proof)
        .await?;
    let steps = views::pending_factor(
        browser,
        &pending,
        &enroller.tenant,
        &enroller.username,
        "/portal/enrol/confirm",
        &[("enrollment", token)],
    )?;
    let body = html! {
        p class="notice" {
            "Your organisation requires a second factor. Set up an authenticator app now to "
            "finish signing in (this step is good for ten minutes)."
        }
        (steps)
    };
    Ok(Page::ok("Set up your second factor", Nav::Anonymous, body).respond(browser))
}

/// `POST /portal/sign-in/code`.
pub(crate) async fn post_sign_in_code(
    State(state): State<AppState>,
    browser: Browser,
    facts: RequestFacts,
    sent: Result<Form<Posted<CodeForm>>, FormRejection>,
) -> Response {
    let result = async {
        let sent = posted(&browser, sent)?;
        let code = field(&sent.code, "The code", 128)?;
        let key = state
            .portal
            .sign_in_code(&facts.context, &sent.token, browser.value(), proof_of(code))
            .await;
        match key {
            Ok(key) => Ok(see_other("/portal/", Some(cookie_header(key.expose())))),
            // A wrong code: say so, and ask again on the same step.
            Err(AuthError::InvalidOtp) => Ok(retry_code(&browser, &sent.token)),
            Err(other) => Err(PortalError::from(other)),
        }
    }
    .await;
    result.unwrap_or_else(|error| error.page(&browser, Nav::Anonymous))
}

fn retry_code(browser: &Browser, token: &str) -> Response {
    let form = views::code_form(browser, token);
    retry_page(browser, Nav::Anonymous, "Enter your code", &form)
}

/// A code that did not work (401): said, and the same step's `form` offered again.
pub(crate) fn retry_page(browser: &Browser, nav: Nav<'_>, title: &str, form: &Markup) -> Response {
    let body = html! {
        p class="problem" role="alert" {
            "That code did not work: it is wrong, was already used, or has expired. Wait for the "
            "next code in your app and try again."
        }
        (form)
    };
    Page {
        title,
        nav,
        status: StatusCode::UNAUTHORIZED,
        body,
    }
    .respond(browser)
}

/// A code as typed: six digits are an app's code, anything else a recovery code.
fn proof_of(code: &str) -> SecondFactorProof {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        SecondFactorProof::Otp(SecretString::from(digits))
    } else {
        SecondFactorProof::RecoveryCode(SecretString::from(code.to_owned()))
    }
}

/// `POST /portal/enrol/confirm`: a forced enrolment's first code; signed in, with the recovery
/// codes shown once.
pub(crate) async fn post_enrol_confirm(
    State(state): State<AppState>,
    browser: Browser,
    facts: RequestFacts,
    sent: Result<Form<Posted<EnrolForm>>, FormRejection>,
) -> Response {
    let result = async {
        let sent = posted(&browser, sent)?;
        let code = SecretString::from(field(&sent.code, "The code", 16)?.to_owned());
        let enroller = state
            .enrolment
            .authenticate(&facts.context, Some(&sent.enrollment))
            .await?;
        let enrolled = match state
            .enrolment
            .confirm(&facts.context, &enroller, &code)
            .await
        {
            Ok(enrolled) => enrolled,
            // A wrong code: said, and the confirmation asked again (the app is set up already).
            Err(AuthError::InvalidOtp) => {
                let form = views::confirm_again(
                    &browser,
                    "/portal/enrol/confirm",
                    &[("enrollment", &sent.enrollment)],
                );
                return Ok(retry_page(
                    &browser,
                    Nav::Anonymous,
                    "Set up your second factor",
                    &form,
                ));
            }
            Err(other) => return Err(other.into()),
        };
        let login = enrolled.login.ok_or_else(|| {
            AuthError::Internal("a forced enrolment ended without a login".into())
        })?;
        let key = state.portal.enrolled(&login)?;
        let signed_in = Browser::signed_in(key.expose());
        let body = views::recovery_codes(&enrolled.recovery_codes);
        let nav = Nav::SignedIn {
            username: enroller.username.as_str(),
            admin: false,
        };
        Ok(Page::ok("Second factor set up", nav, body).respond(&signed_in))
    }
    .await;
    result.unwrap_or_else(|error: PortalError| error.page(&browser, Nav::Anonymous))
}

/// `POST /portal/sign-out`: ends the portal session; the browser gets a new anonymous cookie.
pub(crate) async fn post_sign_out(
    State(state): State<AppState>,
    browser: Browser,
    facts: RequestFacts,
    sent: Result<Form<Posted<NoFields>>, FormRejection>,
) -> Response {
    let result = async {
        posted(&browser, sent)?;
        if let Some(key) = browser.session_key()
            && let Ok(portal) = state.portal.session(&facts.context, key).await
        {
            state.portal.sign_out(&facts.context, &portal).await;
        }
        let fresh = Browser::anonymous();
        let body = html! {
            p class="notice" role="status" { "You have signed out." }
            p { a href="/portal/sign-in" { "Sign in again" } }
        };
        Ok(Page::ok("Signed out", Nav::Anonymous, body).respond(&fresh))
    }
    .await;
    result.unwrap_or_else(|error: PortalError| error.page(&browser, Nav::Anonymous))
}

/// The sign-in limits: per client address, and per person (not per the portal's customer, which
/// every person shares).
async fn limit(
    state: &AppState,
    facts: &RequestFacts,
    tenant: &str,
    username: &str,
) -> Result<(), PortalError> {
    let ctx = &facts.context;
    let by_address = state
        .limiters
        .token_per_address
        .check(&ctx.client_addr)
        .await;
    let by_person = match by_address {
        Ok(()) => {
            let key = (tenant.to_owned(), format!("portal user {username}"));
            state.limiters.token_per_customer.check(&key).await
        }
        Err(wait) => Err(wait),
    };
    if let Err(wait) = by_person {
        let error = AuthError::RateLimited { retry_after: wait };
        state.sessions.audit_refusal(ctx, &error).await;
        return Err(error.into());
    }
    Ok(())
}
