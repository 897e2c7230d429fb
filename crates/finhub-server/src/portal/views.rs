//! Pieces several portal pages show: times, a pending factor's QR code and manual secret with
//! its confirmation form, recovery codes with their download, and the code form of a sign-in.

use finhub_core::auth::PendingTotp;
use finhub_core::ids::{TenantId, Username};
use finhub_core::mfa::RecoveryCode;
use finhub_core::uri::percent_encode;
use maud::{Markup, PreEscaped, html};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use super::browser::Browser;
use super::error::PortalError;
use super::page::csrf_field;

/// A time as the pages show it (UTC, to the minute).
pub(crate) fn when(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A pending factor: the QR code for the app, the secret to type instead, and the form that
/// confirms it with the first code (posted to `action`, with `hidden` fields kept).
pub(crate) fn pending_factor(
    browser: &Browser,
    pending: &PendingTotp,
    tenant: &TenantId,
    username: &Username,
    action: &str,
    hidden: &[(&str, &str)],
) -> Result<Markup, PortalError> {
    let uri = pending.secret.otpauth_uri(tenant, username);
    let svg = crate::qr::svg(&uri).map_err(|_| {
        PortalError::Auth(finhub_core::error::AuthError::Internal(
            "an otpauth URI does not fit a QR code".into(),
        ))
    })?;
    // The SVG document without its XML prolog, inline in the page (no script, no style).
    let svg = svg.expose_secret();
    let inline = svg.find("<svg").map_or(svg, |start| &svg[start..]);
    let secret = pending.secret.to_base32();
    Ok(html! {
        section class="card" aria-labelledby="scan" {
            h2 id="scan" { "1. Scan this code with your authenticator app" }
            div class="qr" role="img" aria-label="QR code of your new second factor" {
                (PreEscaped(inline))
            }
            p { "Or type this key into the app (time-based, 6 digits, every 30 seconds):" }
            p class="secret" id="manual-secret" { (secret.expose_secret()) }
        }
        h2 { "2. Enter the code the app shows" }
        (confirm_again(browser, action, hidden))
    })
}

/// The confirmation form of a factor already scanned, asked again after a wrong code.
pub(crate) fn confirm_again(browser: &Browser, action: &str, hidden: &[(&str, &str)]) -> Markup {
    html! {
        form class="card" method="post" action=(action) {
            (csrf_field(browser))
            @for (name, value) in hidden {
                input type="hidden" name=(name) value=(value);
            }
            label for="code" { "Code" }
            input id="code" name="code" type="text" inputmode="numeric"
                autocomplete="one-time-code" required autofocus;
            button type="submit" { "Confirm" }
        }
    }
}

/// Recovery codes, shown once, with a download as text from this very page.
pub(crate) fn recovery_codes(codes: &[RecoveryCode]) -> Markup {
    let shown: Vec<String> = codes
        .iter()
        .map(|code| code.display().expose_secret().to_owned())
        .collect();
    let text = format!(
        "FinHub recovery codes. Each works once, instead of a code from your app.\n\n{}\n",
        shown.join("\n")
    );
    let download = format!("data:text/plain;charset=utf-8,{}", percent_encode(&text));
    html! {
        section class="card" aria-labelledby="codes" {
            h2 id="codes" { "Your recovery codes" }
            p class="notice" {
                "Keep these somewhere safe. Each works once if you lose your app. "
                "They are shown only now."
            }
            ol class="codes" id="recovery-codes" {
                @for code in &shown { li { (code) } }
            }
            a class="button" download="finhub-recovery-codes.txt" href=(download) {
                "Download as text"
            }
        }
        p { a href="/portal/factor" { "Done" } }
    }
}

/// The code step of a sign-in: a code from the app, or a recovery code.
pub(crate) fn code_form(browser: &Browser, sign_in_token: &str) -> Markup {
    html! {
        form class="card" method="post" action="/portal/sign-in/code" {
            (csrf_field(browser))
            input type="hidden" name="token" value=(sign_in_token);
            p { "Enter the code your authenticator app shows, or one of your recovery codes." }
            label for="code" { "Code" }
            input id="code" name="code" type="text" autocomplete="one-time-code" required
                autofocus;
            button type="submit" { "Sign in" }
        }
        p class="hint" { "This step is good for five minutes." }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_to_the_minute_in_utc() {
        assert_eq!(
            when(time::macros::datetime!(2026-12-04 08:05:59 UTC)),
            "2026-12-04 08:05 UTC"
        );
    }
}
