//! The TRAQS part of `finra auth doctor`: which TRAQS settings were found (never the refresh
//! token), whether the download host answers, whether the refresh token still buys an access
//! token, and one small download, each failure with why and how to fix it.

use finra_client::FinraError;
use finra_client::traqs::TraqsClient;
use time::OffsetDateTime;

use super::checklist::Checklist;
use super::explain::Explanation;
use crate::traqs::{Resolved, token};

/// Facilities tried for the small download, and the small file of each.
const SMALL_FILES: [(&str, &str); 4] = [
    ("ORF", "DAILYLIST"),
    ("ADF", "DAILYLIST"),
    ("TRACE", "DAILYLISTCA"),
    ("TRF", "PARTICIPANTLIST"),
];

fn explanation(why: impl Into<String>, fix: impl Into<String>) -> Explanation {
    Explanation {
        why: vec![why.into()],
        fix: vec![fix.into()],
        chain: Vec::new(),
    }
}

pub(super) async fn check(list: &mut Checklist) {
    list.section("TRAQS reference data");
    let resolved = match Resolved::from_settings() {
        Ok(resolved) => resolved,
        Err(error) => {
            list.fail(
                "TRAQS settings unusable",
                &format!("TRAQS settings: {error}"),
                &explanation(
                    "FINRA_TRAQS_ENV must be production or ntf",
                    "fix the variable (in the environment or .env)",
                ),
            );
            return;
        }
    };
    let found = match token(&resolved) {
        Ok(found) => found,
        Err(_) if resolved.username.is_none() => {
            list.skip(
                "TRAQS: not set up (FINRA_TRAQS_USERNAME and a refresh token from `finra traqs login`)",
            );
            return;
        }
        Err(error) => {
            list.fail(
                "no TRAQS refresh token",
                &format!("TRAQS: {error}"),
                &explanation(
                    "a TRAQS download needs a refresh token that a person mints by signing in to \
                     TRAQS with password and authenticator code",
                    "run `finra traqs login` (or set FINRA_TRAQS_REFRESH_TOKEN)",
                ),
            );
            return;
        }
    };
    let expiry = match found.expires_at {
        Some(at) => format!(
            "expires {} ({} days left)",
            at.date(),
            (at - OffsetDateTime::now_utc()).whole_days()
        ),
        None => "expiry unknown".to_owned(),
    };
    list.pass(&format!(
        "TRAQS settings: {}, user {}, refresh token from {} ({expiry})",
        resolved.environment.as_str(),
        found.username,
        found.source
    ));
    if let Some(at) = found.expires_at
        && at - OffsetDateTime::now_utc() <= time::Duration::days(14)
    {
        list.warn("the TRAQS refresh token expires within 14 days: a person must run `finra traqs login` before then");
    }
    let client = match crate::traqs::client(&resolved) {
        Ok(client) => client,
        Err(error) => {
            list.fail(
                "TRAQS client",
                &format!("TRAQS client: {error}"),
                &explanation(
                    "the settings do not make a client",
                    "check FINRA_TRAQS_BASE",
                ),
            );
            return;
        }
    };
    if !reachable(list, &resolved).await {
        list.skip("TRAQS token exchange and download: skipped, the host does not answer");
        return;
    }
    match client.access_token().await {
        Ok(_) => list.pass("TRAQS access token exchanged for the refresh token"),
        Err(error) => {
            let (why, fix) = match &error {
                FinraError::TraqsRefreshTokenExpired { reason, .. } => (
                    format!("TRAQS no longer accepts the refresh token: {reason}"),
                    "a person must sign in to TRAQS again: run `finra traqs login`".to_owned(),
                ),
                other => (
                    format!("the token exchange failed: {other}"),
                    "check FINRA_TRAQS_BASE and the network, then try again".to_owned(),
                ),
            };
            list.fail(
                "TRAQS token exchange",
                "TRAQS token exchange failed",
                &explanation(why, fix),
            );
            return;
        }
    }
    small_download(list, &client).await;
}

/// The download host answers (a request without a token must get TRAQS's 401).
async fn reachable(list: &mut Checklist, resolved: &Resolved) -> bool {
    let base = resolved
        .base
        .clone()
        .unwrap_or_else(|| resolved.environment.base_url().to_owned());
    let url = format!(
        "{}/DownloadHandler.ashx?action=LIST&facility=ORF",
        base.trim_end_matches('/')
    );
    match reqwest::Client::new().get(&url).send().await {
        Ok(response) if response.status().as_u16() == 401 => {
            list.pass(&format!("TRAQS download host answers ({base})"));
            true
        }
        Ok(response) => {
            list.fail(
                "TRAQS host",
                &format!("TRAQS download host answered {} without a token", response.status()),
                &explanation(
                    "a TRAQS host answers 401 to a request without an access token; this is something else",
                    "check FINRA_TRAQS_BASE",
                ),
            );
            false
        }
        Err(error) => {
            list.fail(
                "TRAQS host unreachable",
                &format!("TRAQS download host unreachable ({base})"),
                &explanation(
                    format!("no answer: {error}"),
                    "check the network, a proxy, or FINRA_TRAQS_BASE",
                ),
            );
            false
        }
    }
}

/// Downloads the first small file of a facility the user is entitled to.
async fn small_download(list: &mut Checklist, client: &TraqsClient) {
    for (facility, file) in SMALL_FILES {
        match client.download(facility, file).await {
            Ok(download) => {
                let columns = download.columns().len();
                match download.copy_to(&mut tokio::io::sink()).await {
                    Ok(rows) => list.pass(&format!(
                        "downloaded {facility}/{file}: {rows} rows, a header row of {columns} columns"
                    )),
                    Err(error) => list.fail(
                        "TRAQS download",
                        &format!("{facility}/{file} broke off"),
                        &explanation(format!("{error}"), "try again; if it persists, report it"),
                    ),
                }
                return;
            }
            Err(FinraError::NotEntitled { .. } | FinraError::NotFound { .. }) => {}
            Err(error) => {
                list.fail(
                    "TRAQS download",
                    &format!("{facility}/{file} refused"),
                    &explanation(
                        format!("{error}"),
                        "see the message; `finra traqs files FACILITY` lists the files",
                    ),
                );
                return;
            }
        }
    }
    list.warn("the TRAQS user is entitled to none of ORF, ADF, TRACE and TRF: no file to try");
}
