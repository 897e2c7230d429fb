//! `finra auth doctor`: the debugging notebook, automated. It says which credentials it found
//! and where (never their values), checks that the token URL is a reachable token service and
//! that the clock agrees with it, mints a token the right way, replays the notebook's failing
//! variants to show what older code got, checks anonymous data access and one data call with
//! the token, and ends with a summary; the exit code is 1 when anything is wrong.

mod checklist;
mod credentials;
mod explain;
mod hub;
mod probes;
mod traqs;

use std::process::ExitCode;

use anyhow::Context;
use finra_client::{Auth, Credentials, FinraClient, FinraError, Query, RetryPolicy};
use reqwest::Url;

use self::checklist::Checklist;
use self::credentials::Inspection;
use self::explain::{DataAuth, Explanation, Setup};
use self::probes::{Answer, Variant};
use crate::auth_check::describe_token;
use crate::settings::{BEARER_TOKEN_VAR, GlobalArgs, bearer_token};

/// Clock differences up to this many seconds pass.
const CLOCK_OK_SECS: f64 = 60.0;
/// Clock differences past this many seconds fail.
const CLOCK_BAD_SECS: f64 = 300.0;

pub(crate) async fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let token_url = Url::parse(&global.token_url()).context("invalid token URL")?;
    let api_base = Url::parse(&global.api_base()).context("invalid API base URL")?;
    if let Some(hub) = hub::target(global, &api_base).await {
        return hub::check(global, &hub).await;
    }
    let inspection = Inspection::gather();
    let setup = Setup {
        inspection: &inspection,
        token_url: &token_url,
        api_base: &api_base,
    };
    let mut list = Checklist::new();
    heading(&mut list, &token_url, &api_base);

    // A ready bearer token and no credentials: the token is the target; FINRA's token service
    // and the missing credentials are not problems of this setup.
    if bearer_token().is_some() && Credentials::from_env().is_err() {
        list.section("Credentials");
        list.info(&format!(
            "{BEARER_TOKEN_VAR} is the token: no FINRA_API_KEY / FINRA_API_SECRET needed, and \
             FINRA's token service is not asked"
        ));
        list.section("Data access");
        check_data(&mut list, global, None, &setup).await?;
        traqs::check(&mut list).await;
        return Ok(list.finish());
    }

    list.section("Credentials");
    let credentials = check_credentials(&mut list, &inspection);

    list.section("Token service");
    let http =
        probes::http_client(global.request_timeout()).context("cannot build the HTTP client")?;
    let first = probes::send(&http, &token_url, Variant::NoneNone).await;
    let reachable = check_reachable(&mut list, &first, &setup);
    let skipped_because = reachable.err().unwrap_or_default();
    let reachable = reachable.is_ok();
    if let Ok(answer) = &first {
        check_clock(&mut list, answer);
    }
    let minted = match (&credentials, reachable) {
        (Some(credentials), true) => mint(&mut list, global, credentials, &setup).await,
        (Some(_), false) => {
            list.skip(&format!(
                "token request: skipped, {skipped_because} (see above)"
            ));
            None
        }
        (None, _) => {
            list.skip("token request: skipped, no usable credentials (see above)");
            None
        }
    };

    list.section("The notebook's variants: what other ways of asking get");
    if reachable {
        if let Ok(answer) = &first {
            report_variant(&mut list, Variant::NoneNone, answer);
        }
        match probes::send(&http, &token_url, Variant::CustomHeaders).await {
            Ok(answer) => report_variant(&mut list, Variant::CustomHeaders, &answer),
            Err(error) => list.warn(&format!(
                "{}: no answer ({})",
                Variant::CustomHeaders.describe(),
                error
            )),
        }
        match (&credentials, &minted) {
            (Some(credentials), Some(_)) => {
                let variant = Variant::GrantTypeTwice(credentials);
                match probes::send(&http, &token_url, variant).await {
                    Ok(answer) => report_variant(&mut list, variant, &answer),
                    Err(error) => {
                        list.warn(&format!("{}: no answer ({error})", variant.describe()));
                    }
                }
            }
            _ => list.skip("grant_type sent twice: skipped, it needs credentials that work"),
        }
    } else {
        list.skip(&format!("skipped: {skipped_because}"));
    }

    list.section("Data access");
    check_data(&mut list, global, minted.as_ref(), &setup).await?;

    traqs::check(&mut list).await;

    Ok(list.finish())
}

fn heading(list: &mut Checklist, token_url: &Url, api_base: &Url) {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    list.plain(&format!(
        "finra auth doctor · finra-client {} · {}/{} · {now} (this computer's clock)",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    ));
    let token_env = explain::environment_of(token_url);
    let api_env = explain::environment_of(api_base);
    list.plain(&format!("  token URL: {token_url} ({token_env})"));
    list.plain(&format!("  API base:  {api_base} ({api_env})"));
    let qa = |text: &str| text.contains("QA");
    if explain::is_finra_host(token_url)
        && explain::is_finra_host(api_base)
        && qa(&token_env) != qa(&api_env)
    {
        list.warn(&format!(
            "the token URL is {token_env} but the API base is {api_env}: tokens of one \
             environment are refused by the other (use --env to set both)"
        ));
    }
}

/// Reports what was found and returns the credentials the tool uses, if usable.
fn check_credentials(list: &mut Checklist, inspection: &Inspection) -> Option<Credentials> {
    for line in inspection.lines() {
        list.info(&line);
    }
    for oddity in inspection.oddities() {
        list.warn(&format!(
            "{oddity}: finra trims it, but other programs send it as part of the value"
        ));
    }
    let placeholders = inspection.placeholders();
    let empties = inspection.empties();
    match Credentials::from_env() {
        Ok(credentials) if !placeholders.is_empty() => {
            list.fail(
                "the credentials are placeholder text (None:None)",
                &format!(
                    "credentials from {} are placeholder text, not a client id and secret",
                    credentials.source()
                ),
                &none_none(&placeholders),
            );
            Some(credentials)
        }
        Ok(credentials) => {
            list.pass(&format!("credentials found: {}", credentials.source()));
            Some(credentials)
        }
        Err(error) => {
            let why = match error {
                FinraError::Config(message) => message,
                other => other.to_string(),
            };
            let mut explanation = Explanation {
                why: vec![format!(
                    "{why}. Without credentials, Python's os.getenv returns None and requests \
                     sends None:None, which FINRA answers 400 \"Invalid Credentials\" (the notebook's error)"
                )],
                fix: vec![
                    "create a .env file in the directory you run from with the two lines \
                     FINRA_API_KEY=<client id> and FINRA_API_SECRET=<client secret> (from FINRA \
                     Gateway's API Console), or export both variables"
                        .to_owned(),
                ],
                chain: Vec::new(),
            };
            if !empties.is_empty() {
                explanation.why.push(format!(
                    "present but empty: {}; an empty value is how None:None gets sent",
                    empties.join(", ")
                ));
            }
            if !placeholders.is_empty() {
                explanation.why.push(format!(
                    "placeholder text instead of values: {}",
                    placeholders.join(", ")
                ));
            }
            let summary = if empties.is_empty() && placeholders.is_empty() {
                "credentials not found"
            } else {
                "credentials incomplete (empty values)"
            };
            list.fail(summary, summary, &explanation);
            None
        }
    }
}

fn none_none(placeholders: &[String]) -> Explanation {
    Explanation {
        why: vec![format!(
            "{}: this is what a program writes when the real values were never loaded (Python's \
             str(None)); FINRA answers it 400 \"Invalid Credentials\", the notebook's None:None",
            placeholders.join(", ")
        )],
        fix: vec![
            "put the real client id and secret in .env (or the environment) and make sure the \
             .env file is loaded: it is read from the directory the program runs in"
                .to_owned(),
        ],
        chain: Vec::new(),
    }
}

/// Whether the token URL answers like a token service (the first probe's answer); if not,
/// why the token checks are skipped.
fn check_reachable(
    list: &mut Checklist,
    first: &reqwest::Result<Answer>,
    setup: &Setup<'_>,
) -> Result<(), &'static str> {
    let answer = match first {
        Ok(answer) => answer,
        Err(error) => {
            list.fail(
                "the token service is not reachable",
                &format!("cannot reach the token service: {error}"),
                &explain::network(
                    error,
                    error.is_timeout(),
                    setup.token_url,
                    "the token service",
                ),
            );
            return Err("the token service is not reachable");
        }
    };
    let took = format!("{} ms", answer.elapsed.as_millis());
    match answer.status {
        404 | 405 => {
            let message = answer
                .message
                .clone()
                .or_else(|| answer.error_message.clone())
                .unwrap_or_else(|| "no token service here".to_owned());
            list.fail(
                &format!("the token URL is not a token service ({})", answer.status),
                &format!("token URL answered {}", answer.summary()),
                &explain::wrong_token_url(answer.status, &message, setup),
            );
            Err("the token URL is not a token service")
        }
        300..=399 => {
            list.fail(
                "the token URL redirects",
                &format!("token URL answered a redirect: {}", answer.summary()),
                &Explanation {
                    why: vec!["token requests are never sent through redirects (they carry the credentials)".to_owned()],
                    fix: vec!["use the final URL, with https:// and the exact path, as --token-url / FINRA_TOKEN_URL".to_owned()],
                    chain: Vec::new(),
                },
            );
            Err("the token URL redirects")
        }
        500..=599 => {
            list.fail(
                "the token service fails (5xx)",
                &format!("token service answered {}", answer.summary()),
                &Explanation {
                    why: vec!["the token service failed on its side".to_owned()],
                    fix: vec![
                        "try again later; FINRA support can check (quote this report's time)"
                            .to_owned(),
                    ],
                    chain: Vec::new(),
                },
            );
            Err("the token service fails")
        }
        200 => {
            list.warn(&format!(
                "token service reachable ({took}), but it issued a token for None:None, which \
                 FINRA never does: is this FINRA's token service?"
            ));
            Ok(())
        }
        _ if answer.is_fip_error() => {
            list.pass(&format!(
                "token service reachable ({took}) and answering like FINRA's (an error in its \
                 {{\"error\": …}} shape to a probe)"
            ));
            Ok(())
        }
        _ => {
            list.warn(&format!(
                "token service reachable ({took}), but its answer to a probe is not FINRA's \
                 error shape: {}",
                answer.summary()
            ));
            Ok(())
        }
    }
}

/// The local clock against the server's `Date`.
fn check_clock(list: &mut Checklist, answer: &Answer) {
    let Some(server) = answer.date else {
        list.info("clock: not checked (the token service sent no Date header)");
        return;
    };
    let local = time::OffsetDateTime::now_utc();
    let skew = (local - server).as_seconds_f64() - answer.elapsed.as_secs_f64() / 2.0;
    let side = if skew > 0.0 { "ahead of" } else { "behind" };
    let amount = skew.abs();
    if amount <= CLOCK_OK_SECS {
        list.pass(&format!(
            "clock: within {:.0} s of the token service's (its Date header)",
            amount.max(1.0)
        ));
    } else if amount <= CLOCK_BAD_SECS {
        list.warn(&format!(
            "clock: {amount:.0} s {side} the token service's; keep it synchronised (NTP)"
        ));
    } else {
        list.fail(
            &format!("the clock is {amount:.0} s {side} the server's"),
            &format!("clock: {amount:.0} s {side} the token service's (its Date header)"),
            &Explanation {
                why: vec![
                    "a clock this far off makes TLS certificates look expired or not yet valid, \
                     and makes token lifetimes and logs hard to read"
                        .to_owned(),
                ],
                fix: vec![
                    "turn on automatic time synchronisation (NTP) and run the doctor again"
                        .to_owned(),
                ],
                chain: Vec::new(),
            },
        );
    }
}

/// Mints a token the right way, through the library; the client keeps it for the data check.
async fn mint(
    list: &mut Checklist,
    global: &GlobalArgs,
    credentials: &Credentials,
    setup: &Setup<'_>,
) -> Option<FinraClient> {
    let client = match global.builder().and_then(|builder| {
        Ok(builder
            .auth(Auth::ClientCredentials(credentials.clone()))
            .retry(RetryPolicy::none())
            .build()?)
    }) {
        Ok(client) => client,
        Err(error) => {
            list.fail(
                "the client cannot be configured",
                &format!("cannot configure the client: {error}"),
                &Explanation::default(),
            );
            return None;
        }
    };
    let manager = client.token_manager()?;
    match manager.mint_now().await {
        Ok(token) => {
            list.pass(
                "token minted the right way (HTTP Basic, grant_type=client_credentials once in \
                 the query string, empty body)",
            );
            let mut details = String::new();
            describe_token(&mut details, &token);
            for line in details.lines() {
                list.detail(line.trim());
            }
            Some(client)
        }
        Err(error) => {
            list.fail(
                &format!("token request failed: {error}"),
                &format!("token request failed: {error}"),
                &explain::token_failure(&error, setup),
            );
            None
        }
    }
}

fn report_variant(list: &mut Checklist, variant: Variant<'_>, answer: &Answer) {
    if variant.matches(answer) {
        list.pass(&format!(
            "{} → {}, as FINRA answers ({})",
            variant.describe(),
            answer.summary(),
            variant.expected()
        ));
    } else {
        list.warn(&format!(
            "{} → {}; FINRA answers {} (this service differs, which is not a problem by itself)",
            variant.describe(),
            answer.summary(),
            variant.expected()
        ));
    }
}

/// Anonymous access, then one data call with the minted token and one with
/// `FINRA_BEARER_TOKEN`.
async fn check_data(
    list: &mut Checklist,
    global: &GlobalArgs,
    minted: Option<&FinraClient>,
    setup: &Setup<'_>,
) -> anyhow::Result<()> {
    let anonymous = global
        .builder()?
        .auth(Auth::Anonymous)
        .retry(RetryPolicy::none())
        .build()?;
    let reachable = data_call(
        list,
        &anonymous,
        "anonymous (public data)",
        DataAuth::Anonymous,
        setup,
    )
    .await;
    if !reachable {
        if minted.is_some() {
            list.skip("with the minted token: skipped, the Query API is not reachable");
        }
        return Ok(());
    }
    match minted {
        Some(client) => {
            data_call(
                list,
                client,
                "with the minted token",
                DataAuth::Minted,
                setup,
            )
            .await;
        }
        None => list.skip("with a minted token: skipped, no token"),
    }
    if let Some(token) = bearer_token() {
        let client = global
            .builder()?
            .auth(Auth::bearer(token))
            .retry(RetryPolicy::none())
            .build()?;
        data_call(
            list,
            &client,
            &format!("with {BEARER_TOKEN_VAR}"),
            DataAuth::Bearer,
            setup,
        )
        .await;
    }
    Ok(())
}

/// `otcMarket/weeklySummary` limit 1; returns false when the Query API could not be reached.
async fn data_call(
    list: &mut Checklist,
    client: &FinraClient,
    label: &str,
    how: DataAuth,
    setup: &Setup<'_>,
) -> bool {
    let query = Query::new("otcMarket", "weeklySummary").limit(1);
    match client.query_page(&query).await {
        Ok(page) => {
            let total = page
                .info
                .record_total
                .map_or_else(String::new, |t| format!(" of {t}"));
            let rows = page.rows.len();
            list.pass(&format!(
                "{label}: otcMarket/weeklySummary limit 1 → {} ({rows} row{}{total})",
                page.info.status,
                if rows == 1 { "" } else { "s" }
            ));
            true
        }
        Err(error) => {
            let unreachable =
                matches!(error, FinraError::Transport(_) | FinraError::Timeout { .. });
            list.fail(
                &format!("{label}: data call failed: {error}"),
                &format!("{label}: otcMarket/weeklySummary limit 1 failed: {error}"),
                &explain::data_failure(&error, how, setup),
            );
            !unreachable
        }
    }
}
