//! Every portal page's frame: the document, its navigation, and the response around it — the
//! status, the cookie when one was just made, and the security headers every portal answer
//! carries (no script or style but the portal's own files, no framing, nothing cached).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::browser::Browser;

/// The portal's content security policy: its own files only, no framing, forms only to itself.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'; \
     form-action 'self'; base-uri 'none'; object-src 'none'";

/// The headers every portal response carries.
pub(crate) fn security_headers(headers: &mut HeaderMap) {
    let pairs: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Who the page is for, for its navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav<'a> {
    /// Not signed in.
    Anonymous,
    /// Signed in as `username`; `admin` adds the tenant's pages.
    SignedIn {
        /// The person.
        username: &'a str,
        /// Whether they administer the tenant.
        admin: bool,
    },
}

/// One page: its title, what it shows, and its status.
pub(crate) struct Page<'a> {
    pub(crate) title: &'a str,
    pub(crate) nav: Nav<'a>,
    pub(crate) status: StatusCode,
    pub(crate) body: Markup,
}

impl Page<'_> {
    /// A page answering 200.
    pub(crate) fn ok<'a>(title: &'a str, nav: Nav<'a>, body: Markup) -> Page<'a> {
        Page {
            title,
            nav,
            status: StatusCode::OK,
            body,
        }
    }

    /// The response for `browser` (its cookie set when it was just made).
    pub(crate) fn respond(self, browser: &Browser) -> Response {
        let csrf = browser.csrf_token();
        let document = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · FinHub" }
                    link rel="stylesheet" href="/portal/static/portal.css";
                }
                body {
                    a class="skip" href="#main" { "Skip to content" }
                    header class="top" {
                        a class="brand" href="/portal/" { "FinHub" }
                        @if let Nav::SignedIn { username, admin } = self.nav {
                            nav aria-label="Account" {
                                ul {
                                    li { a href="/portal/factor" { "Second factor" } }
                                    li { a href="/portal/sessions" { "Sessions" } }
                                    @if admin {
                                        li { a href="/portal/admin/users" { "Users" } }
                                        li { a href="/portal/admin/audit" { "Audit trail" } }
                                    }
                                }
                            }
                            form class="signout" method="post" action="/portal/sign-out" {
                                input type="hidden" name="csrf" value=(csrf);
                                span class="who" { (username) }
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                    main id="main" {
                        h1 { (self.title) }
                        (self.body)
                    }
                }
            }
        };
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            document.into_string(),
        )
            .into_response();
        if let Some(cookie) = browser.set_cookie() {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// The hidden CSRF field of a form shown to `browser`.
pub(crate) fn csrf_field(browser: &Browser) -> Markup {
    html! { input type="hidden" name="csrf" value=(browser.csrf_token()); }
}

/// A redirect after a form (303: the browser fetches `to` with GET), setting `cookie` if given.
pub(crate) fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}
