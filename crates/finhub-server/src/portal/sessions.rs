//! A person's sessions: every live login of theirs, through any customer — platform, user
//! agent, address, created, last used — with the portal's own marked; end one, or all others.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::page::{csrf_field, see_other};
use super::{NoFields, PortalError, Posted, SignedIn, posted, views};
use crate::state::AppState;

/// Ending one login.
#[derive(Deserialize)]
pub(crate) struct EndForm {
    #[serde(default)]
    session: String,
}

/// `GET /portal/sessions`.
pub(crate) async fn get_sessions(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let sessions = match state.portal.my_sessions(&signed_in.portal).await {
        Ok(sessions) => sessions,
        Err(error) => return signed_in.refuse(error),
    };
    let own = &signed_in.portal.session.family_id;
    let unknown = "—";
    let body = html! {
        p { "Where you are signed in now, newest first. End any session you do not recognise." }
        div class="table-wrap" tabindex="0" role="region" aria-label="Table, scrolls sideways" {
            table id="sessions" {
                caption class="hint" { (sessions.len()) " live session(s)" }
                thead { tr {
                    th scope="col" { "Platform" } th scope="col" { "Browser or app" }
                    th scope="col" { "Address" } th scope="col" { "Through" }
                    th scope="col" { "Created" } th scope="col" { "Last used" }
                    th scope="col" { span class="hint" { "Action" } }
                } }
                tbody {
                    @for session in &sessions {
                        tr data-session=(session.family_id.as_str()) {
                            td { (session.origin.platform.as_deref().unwrap_or(unknown)) }
                            td { (session.origin.user_agent.as_deref().unwrap_or(unknown)) }
                            td { (session.origin.address.as_deref().unwrap_or(unknown)) }
                            td { (session.customer_id.as_str()) }
                            td { (views::when(session.created_at)) }
                            td { (session.last_used_at.map_or_else(|| unknown.to_owned(), views::when)) }
                            td {
                                @if &session.family_id == own {
                                    strong { "This session" }
                                } @else {
                                    form class="inline" method="post" action="/portal/sessions/end" {
                                        (csrf_field(&signed_in.browser))
                                        input type="hidden" name="session" value=(session.family_id.as_str());
                                        button class="quiet" type="submit"
                                            aria-label=(format!("End the session created {}", views::when(session.created_at))) {
                                            "End"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/portal/sessions/end-others" {
            (csrf_field(&signed_in.browser))
            button class="danger" type="submit" { "End all other sessions" }
        }
    };
    signed_in.page("Your sessions", body)
}

/// `POST /portal/sessions/end`: ends one login (its whole refresh-token family).
pub(crate) async fn post_end_session(
    State(state): State<AppState>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<EndForm>>, FormRejection>,
) -> Response {
    let result = async {
        let sent = posted(&signed_in.browser, sent)?;
        if sent.session.is_empty() || sent.session.len() > 128 {
            return Err(PortalError::BadForm("No session was chosen".into()));
        }
        let ended = state
            .portal
            .end_session(&signed_in.facts.context, &signed_in.portal, &sent.session)
            .await?;
        if ended == 0 {
            return Err(PortalError::NotFound);
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => see_other("/portal/sessions", None),
        Err(error) => signed_in.refuse(error),
    }
}

/// `POST /portal/sessions/end-others`.
pub(crate) async fn post_end_others(
    State(state): State<AppState>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<NoFields>>, FormRejection>,
) -> Response {
    let result = async {
        posted(&signed_in.browser, sent)?;
        state
            .portal
            .end_other_sessions(&signed_in.facts.context, &signed_in.portal)
            .await
            .map_err(PortalError::from)
    }
    .await;
    match result {
        Ok(_) => see_other("/portal/sessions", None),
        Err(error) => signed_in.refuse(error),
    }
}
