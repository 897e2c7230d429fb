//! The tenant administrator's pages: the tenant's users (reset a second factor, disable,
//! enable — the admin CLI's own operations, so sessions end and the audit trail records who
//! acted) and the tenant's audit trail, filtered by user, event and time, a page at a time.

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use finhub_core::admin::Administrator;
use finhub_core::audit::{AuditAction, AuditOutcome, AuditQuery};
use finhub_core::ids::Username;
use finhub_core::model::UserRole;
use maud::html;
use serde::Deserialize;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use super::page::{csrf_field, see_other};
use super::{PortalError, Posted, SignedIn, posted, views};
use crate::state::AppState;

/// Audit events per page.
const PAGE_SIZE: u32 = 50;
/// The last page that may be asked for (bounds the offset the store is given).
const MAX_PAGE: u32 = 10_000;

/// An action on one user.
#[derive(Deserialize)]
pub(crate) struct UserForm {
    #[serde(default)]
    username: String,
}

/// The audit trail's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditFilters {
    #[serde(default)]
    user: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    page: Option<u32>,
}

impl SignedIn {
    /// Only the tenant's administrators go on.
    fn administrator(&self) -> Result<Administrator, PortalError> {
        if self.portal.role != UserRole::TenantAdmin {
            return Err(PortalError::NotAdministrator);
        }
        Ok(Administrator {
            actor: format!("portal:{}", self.portal.username),
            request_id: self.facts.context.request_id.clone(),
        })
    }
}

/// `GET /portal/admin/users`.
pub(crate) async fn get_users(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let result = async {
        signed_in.administrator()?;
        let tenant = &signed_in.portal.tenant;
        let users = state.admin.list_users(tenant).await?;
        let mut rows = Vec::with_capacity(users.len());
        for user in users {
            let factor = state.admin.mfa_status(tenant, &user.username).await?;
            rows.push((user, factor));
        }
        Ok::<_, PortalError>(rows)
    }
    .await;
    let rows = match result {
        Ok(rows) => rows,
        Err(error) => return signed_in.refuse(error),
    };
    let browser = &signed_in.browser;
    let body = html! {
        div class="table-wrap" tabindex="0" role="region" aria-label="Table, scrolls sideways" {
            table id="users" {
                caption class="hint" { (rows.len()) " user(s) in tenant " (signed_in.portal.tenant.as_str()) }
                thead { tr {
                    th scope="col" { "User" } th scope="col" { "Role" } th scope="col" { "Account" }
                    th scope="col" { "Second factor" } th scope="col" { span class="hint" { "Actions" } }
                } }
                tbody {
                    @for (user, factor) in &rows {
                        tr data-user=(user.username.as_str()) {
                            td { (user.username.as_str()) }
                            td { (user.role.as_str()) }
                            td { @if user.disabled { "disabled" } @else { "enabled" } }
                            td {
                                @if factor.locked { "locked" }
                                @else if factor.enrolled_at.is_some() { "set up" }
                                @else { "none" }
                            }
                            td {
                                @if factor.enrolled_at.is_some() || factor.locked {
                                    form class="inline" method="post" action="/portal/admin/users/reset-factor" {
                                        (csrf_field(browser))
                                        input type="hidden" name="username" value=(user.username.as_str());
                                        button class="quiet" type="submit"
                                            aria-label=(format!("Reset factor of {}", user.username)) { "Reset factor" }
                                    }
                                    " "
                                }
                                @let (action, label) = if user.disabled { ("enable", "Enable") } else { ("disable", "Disable") };
                                form class="inline" method="post" action=(format!("/portal/admin/users/{action}")) {
                                    (csrf_field(browser))
                                    input type="hidden" name="username" value=(user.username.as_str());
                                    button class="quiet" type="submit"
                                        aria-label=(format!("{label} {}", user.username)) { (label) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    signed_in.page("Users", body)
}

/// `POST /portal/admin/users/{action}`: `reset-factor`, `disable` or `enable`.
pub(crate) async fn post_user_action(
    State(state): State<AppState>,
    Path(action): Path<String>,
    signed_in: SignedIn,
    sent: Result<Form<Posted<UserForm>>, FormRejection>,
) -> Response {
    let result = async {
        let admin = signed_in.administrator()?;
        let sent = posted(&signed_in.browser, sent)?;
        let username = Username::parse(sent.username.trim())
            .map_err(|_| PortalError::BadForm("The username is not valid".into()))?;
        let tenant = &signed_in.portal.tenant;
        // Unknown users are a 404 before anything changes.
        state.admin.user(tenant, &username).await?;
        match action.as_str() {
            "reset-factor" => state.admin.reset_mfa(&admin, tenant, &username).await?,
            "disable" => {
                if username == signed_in.portal.username {
                    return Err(PortalError::BadForm(
                        "You cannot disable your own account here".into(),
                    ));
                }
                state
                    .admin
                    .set_user_disabled(&admin, tenant, &username, true)
                    .await?
            }
            "enable" => {
                state
                    .admin
                    .set_user_disabled(&admin, tenant, &username, false)
                    .await?
            }
            _ => return Err(PortalError::NotFound),
        };
        Ok(())
    }
    .await;
    match result {
        Ok(()) => see_other("/portal/admin/users", None),
        Err(error) => signed_in.refuse(error),
    }
}

/// `GET /portal/admin/audit?user=&event=&from=&until=&page=`.
pub(crate) async fn get_audit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    filters: Result<Query<AuditFilters>, QueryRejection>,
) -> Response {
    let result = async {
        signed_in.administrator()?;
        let Query(filters) =
            filters.map_err(|_| PortalError::BadForm("The filters cannot be read".into()))?;
        let page = filters.page.unwrap_or(1).clamp(1, MAX_PAGE);
        let query = AuditQuery {
            tenant: signed_in.portal.tenant.clone(),
            username: Some(filters.user.trim())
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            action: match filters.event.trim() {
                "" => None,
                name => Some(AuditAction::parse(name).ok_or_else(|| {
                    PortalError::BadForm(format!("There is no event called {name:?}"))
                })?),
            },
            from: instant(&filters.from, "The start")?,
            until: instant(&filters.until, "The end")?,
            // One more than a page, to know whether a next page exists.
            limit: PAGE_SIZE + 1,
            offset: (page - 1) * PAGE_SIZE,
        };
        let mut events = state.admin.audit_events(&query).await?;
        let more = events.len() > PAGE_SIZE as usize;
        events.truncate(PAGE_SIZE as usize);
        Ok::<_, PortalError>((filters, page, events, more))
    }
    .await;
    let (filters, page, events, more) = match result {
        Ok(found) => found,
        Err(error) => return signed_in.refuse(error),
    };
    let link = |page: u32| {
        let pairs = [
            ("user", filters.user.as_str()),
            ("event", filters.event.as_str()),
            ("from", filters.from.as_str()),
            ("until", filters.until.as_str()),
        ];
        let mut query: Vec<String> = pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", finhub_core::uri::percent_encode(value)))
            .collect();
        query.push(format!("page={page}"));
        format!("/portal/admin/audit?{}", query.join("&"))
    };
    let body = html! {
        form class="card" method="get" action="/portal/admin/audit" {
            label for="user" { "User" }
            input id="user" name="user" type="search" value=(filters.user);
            label for="event" { "Event" }
            select id="event" name="event" {
                option value="" selected[filters.event.is_empty()] { "Any" }
                @for action in AuditAction::ALL {
                    option value=(action.as_str()) selected[filters.event == action.as_str()] { (action.as_str()) }
                }
            }
            label for="from" { "From (UTC)" }
            input id="from" name="from" type="datetime-local" value=(filters.from);
            label for="until" { "Until (UTC)" }
            input id="until" name="until" type="datetime-local" value=(filters.until);
            button type="submit" { "Filter" }
        }
        div class="table-wrap" tabindex="0" role="region" aria-label="Table, scrolls sideways" {
            table id="audit" {
                caption class="hint" { "Page " (page) ", newest first" }
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "Outcome" }
                    th scope="col" { "User" } th scope="col" { "By" } th scope="col" { "Address" }
                } }
                tbody {
                    @for event in &events {
                        tr {
                            td { (views::when(event.at)) }
                            td { (event.action.as_str()) }
                            td { @match &event.outcome {
                                AuditOutcome::Success => "success",
                                AuditOutcome::Failure(code) => { "refused: " (code) },
                            } }
                            td { (event.username.as_deref().unwrap_or("—")) }
                            td { (event.actor.as_deref().unwrap_or("—")) }
                            td { (event.client_addr) }
                        }
                    }
                }
            }
        }
        @if events.is_empty() { p { "No event matches these filters." } }
        nav class="pager" aria-label="Pages" {
            @if page > 1 { a href=(link(page - 1)) rel="prev" { "Newer" } }
            @if more { a href=(link(page + 1)) rel="next" { "Older" } }
        }
    };
    signed_in.page("Audit trail", body)
}

/// A time from the filter form: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, in UTC; empty is none.
fn instant(text: &str, what: &str) -> Result<Option<OffsetDateTime>, PortalError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || PortalError::BadForm(format!("{what} is not a date (YYYY-MM-DD) or a time"));
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    let time_format = time::macros::format_description!("[hour]:[minute]");
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let date = Date::parse(date, &date_format).map_err(|_| bad())?;
    let time = match time {
        Some(time) => {
            Time::parse(time.get(..5).unwrap_or(time), &time_format).map_err(|_| bad())?
        }
        None => Time::MIDNIGHT,
    };
    Ok(Some(PrimitiveDateTime::new(date, time).assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_times_are_dates_or_minutes_in_utc() {
        let at = instant("2026-12-04", "x").expect("a date").expect("given");
        assert_eq!(at, time::macros::datetime!(2026-12-04 00:00 UTC));
        let at = instant("2026-12-04T18:30", "x")
            .expect("a time")
            .expect("given");
        assert_eq!(at, time::macros::datetime!(2026-12-04 18:30 UTC));
        assert!(instant("", "x").expect("empty").is_none());
        assert!(instant("yesterday", "x").is_err());
        assert!(instant("2026-13-01", "x").is_err());
        assert!(instant("2026-12-04T25:00", "x").is_err());
    }
}
