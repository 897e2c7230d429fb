//! A person's own account: the home page, and their second factor — set up (QR code and manual
//! key, confirmed by its first code), new recovery codes, removal — each change confirmed by
//! the password (and a current code when a factor is active), as the API asks.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::Response;
use finhub_core::auth::{Enroller, Reauthentication};
use finhub_core::error::AuthError;
use finhub_core::mfa::MfaPolicy;
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use super::page::csrf_field;
use super::sign_in::retry_page;
use super::{PortalError, Posted, SignedIn, field, posted, views};
use crate::http::within_mfa_limit;
use crate::state::AppState;

/// A change to the factor: the password, and a code when a factor is active.
#[derive(Deserialize)]
pub(crate) struct ProofForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// The confirmation of a pending factor.
#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    code: String,
}

/// `GET /portal/`.
pub(crate) async fn get_home(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let enroller = signed_in.portal.enroller();
    let status = match state.enrolment.status(&enroller).await {
        Ok(status) => status,
        Err(error) => return signed_in.refuse(error),
    };
    let body = html! {
        p { "Signed in to tenant " strong { (signed_in.portal.tenant.as_str()) } " as "
            strong { (signed_in.portal.username.as_str()) } "." }
        section class="card" {
            h2 { "Second factor" }
            @if status.confirmed_at.is_some() {
                p { "An authenticator app protects your sign-ins." }
            } @else {
                p { "No authenticator app is set up." }
            }
            a href="/portal/factor" { "Manage your second factor" }
        }
        section class="card" {
            h2 { "Sessions" }
            p { "See where you are signed in, and end what you do not recognise." }
            a href="/portal/sessions" { "Manage your sessions" }
        }
    };
    signed_in.page("Your account", body)
}

/// `GET /portal/factor`.
pub(crate) async fn get_factor(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let enroller = signed_in.portal.enroller();
    let status = match state.enrolment.status(&enroller).await {
        Ok(status) => status,
        Err(error) => return signed_in.refuse(error),
    };
    let active = status.confirmed_at.is_some();
    let proof_fields = |id: &str| proof_fields(id, active);
    let body = html! {
        @match status.policy {
            MfaPolicy::Required => p class="notice" { "Your organisation requires a second factor." },
            MfaPolicy::Optional => p { "A second factor is optional here, and recommended." },
            MfaPolicy::Off => p class="notice" { "Second factors are switched off for your organisation." },
        }
        @if let Some(at) = status.confirmed_at {
            section class="card" {
                h2 { "Authenticator app" }
                p { "Set up on " (views::when(at)) ". Recovery codes left: "
                    strong id="codes-left" { (status.recovery_codes_left) } "." }
            }
        }
        @if status.policy != MfaPolicy::Off {
            form class="card" method="post" action="/portal/factor/start" {
                h2 { @if active { "Replace your authenticator app" } @else { "Set up an authenticator app" } }
                (csrf_field(&signed_in.browser))
                (proof_fields("start"))
                button type="submit" { "Continue" }
            }
        }
        @if active {
            form class="card" method="post" action="/portal/factor/recovery-codes" {
                h2 { "New recovery codes" }
                p class="hint" { "The codes you have now stop working." }
                (csrf_field(&signed_in.browser))
                (proof_fields("renew"))
                button type="submit" { "Make new codes" }
            }
            form class="card" method="post" action="/portal/factor/remove" {
                h2 { "Remove your authenticator app" }
                p class="hint" { "Your other sessions end too." }
                (csrf_field(&signed_in.browser))
                (proof_fields("remove"))
                button class="danger" type="submit" { "Remove" }
            }
        }
    };
    signed_in.page("Second factor", body)
}

/// The password field, and the code field when a factor is active; ids prefixed by `id`.
fn proof_fields(id: &str, active: bool) -> Markup {
    html! {
        label for=(format!("{id}-password")) { "Your password" }
        input id=(format!("{id}-password")) name="password" type="password"
            autocomplete="current-password" required;
        @if active {
            label for=(format!("{id}-code")) { "A code from your app" }
            input id=(format!("{id}-code")) name="code" type="text" inputmode="numeric"
                autocomplete="one-time-code" required;
        }
    }
}

/// The password and code of a change, as the domain takes them.
fn reauthentication(sent: &ProofForm) -> Result<Reauthentication, PortalError> {
    if sent.password.is_empty() || sent.password.len() > 1024 {
        return Err(PortalError::BadForm("Your password is required".into()));
    }
    let code = sent.code.trim();
    Ok(Reauthentication {
        password: Some(SecretString::from(sent.password.clone())),
        otp: (!code.is_empty()).then(|| SecretString::from(code.to_owned())),
    })
}

/// The person as `/v1/mfa` knows them, within the same per-session limit.
async fn enroller(state: &AppState, signed_in: &SignedIn) -> Result<Enroller, PortalError> {
    let enroller = signed_in.portal.enroller();
    within_mfa_limit(state, &signed_in.facts.context, &enroller).await?;
    Ok(enroller)
}

/// A change to the factor from its form: this browser's CSRF token, the per-session limit, the
/// password and code; then `make` with the person and that proof.
async fn change<T>(
    state: &AppState,
    signed_in: &SignedIn,
    sent: Result<Form<Posted<ProofForm>>, FormRejection>,
    make: impl AsyncFnOnce(&Enroller, Reauthentication) -> Result<T, AuthError>,
) -> Result<(Enroller, T), PortalError> {
    let sent = posted(&signed_in.browser, sent)?;
    let enroller = enroller(state, signed_in).await?;
    let made = make(&enroller, reauthentication(&sent)?).await?;
    Ok((enroller, made))
}

/// `POST /portal/factor/start`: a pending factor to scan and confirm.
pub(crate) async fn post_factor_start(
    State(state): State<AppState>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<ProofForm>>, FormRejection>,
) -> Response {
    let ctx = &signed_in.facts.context;
    let result = change(&state, &signed_in, sent, async |enroller, proof| {
        state.enrolment.start(ctx, enroller, proof).await
    })
    .await
    .and_then(|(enroller, pending)| {
        views::pending_factor(
            &signed_in.browser,
            &pending,
            &enroller.tenant,
            &enroller.username,
            "/portal/factor/confirm",
            &[],
        )
    });
    match result {
        Ok(body) => signed_in.page("Set up your authenticator app", body),
        Err(error) => signed_in.refuse(error),
    }
}

/// `POST /portal/factor/confirm`: the pending factor's first code; the recovery codes, once.
pub(crate) async fn post_factor_confirm(
    State(state): State<AppState>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<ConfirmForm>>, FormRejection>,
) -> Response {
    let result = async {
        let sent = posted(&signed_in.browser, sent)?;
        let code = SecretString::from(field(&sent.code, "The code", 16)?.to_owned());
        let enroller = enroller(&state, &signed_in).await?;
        state
            .enrolment
            .confirm(&signed_in.facts.context, &enroller, &code)
            .await
            .map_err(PortalError::from)
    }
    .await;
    match result {
        Ok(enrolled) => signed_in.page(
            "Second factor set up",
            views::recovery_codes(&enrolled.recovery_codes),
        ),
        // A wrong code: said, and the confirmation asked again (the app is set up already).
        Err(PortalError::Auth(AuthError::InvalidOtp)) => {
            let form = views::confirm_again(&signed_in.browser, "/portal/factor/confirm", &[]);
            retry_page(
                &signed_in.browser,
                signed_in.nav(),
                "Set up your authenticator app",
                &form,
            )
        }
        Err(error) => signed_in.refuse(error),
    }
}

/// `POST /portal/factor/recovery-codes`: a new batch, shown once.
pub(crate) async fn post_recovery_codes(
    State(state): State<AppState>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<ProofForm>>, FormRejection>,
) -> Response {
    let ctx = &signed_in.facts.context;
    let result = change(&state, &signed_in, sent, async |enroller, proof| {
        state
            .enrolment
            .renew_recovery_codes(ctx, enroller, proof)
            .await
    })
    .await;
    match result {
        Ok((_, codes)) => signed_in.page("New recovery codes", views::recovery_codes(&codes)),
        Err(error) => signed_in.refuse(error),
    }
}

/// `POST /portal/factor/remove`: the factor and its codes go; the person's other sessions end.
pub(crate) async fn post_factor_remove(
    State(state): State<AppState>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<ProofForm>>, FormRejection>,
) -> Response {
    let ctx = &signed_in.facts.context;
    let result = change(&state, &signed_in, sent, async |enroller, proof| {
        state.enrolment.remove(ctx, enroller, proof).await
    })
    .await;
    match result {
        Ok((_, ended)) => signed_in.page(
            "Authenticator app removed",
            html! {
                p class="notice" role="status" {
                    "Your authenticator app and recovery codes are removed. "
                    (ended) " other session(s) ended."
                }
                p { a href="/portal/factor" { "Back to your second factor" } }
            },
        ),
        Err(error) => signed_in.refuse(error),
    }
}
