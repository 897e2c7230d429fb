//! `finra auth doctor` when the target is a FinHub — given by `--hub`/`FINRA_HUB`, or an API
//! base whose origin answers `/healthz` as a FinHub — instead of FINRA: the hub reachable, the
//! session (`finra hub login`'s, or `FINRA_BEARER_TOKEN` as a session token) with its time
//! left, scope and how the person proved who they are, and a data call through the hub; with
//! `--verbose` the hub's readiness. FINRA's token service is the hub's business, not checked.

use std::process::ExitCode;

use finra_client::{Auth, FinraClient, RetryPolicy};
use reqwest::Url;
use serde::Deserialize;

use super::checklist::Checklist;
use super::explain::Explanation;
use crate::settings::{GlobalArgs, bearer_token};

/// `/healthz`'s answer.
#[derive(Deserialize)]
struct Health {
    status: String,
    service: String,
    version: String,
}

/// A client with the CLI's TLS material, for the hub's own routes.
fn http(global: &GlobalArgs) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(global.request_timeout())
        .redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = global.ca_cert_bytes()? {
        let certificate =
            reqwest::Certificate::from_pem(&ca).or_else(|_| reqwest::Certificate::from_der(&ca))?;
        builder = builder.add_root_certificate(certificate);
    }
    if let Some(identity) = global.client_identity_bytes()? {
        builder = builder.identity(reqwest::Identity::from_pem(&identity)?);
    }
    Ok(builder.build()?)
}

async fn health(http: &reqwest::Client, hub: &Url) -> Result<Health, String> {
    let url = hub.join("/healthz").map_err(|e| e.to_string())?;
    let answer = http
        .get(url)
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !answer.status().is_success() {
        return Err(format!("HTTP {}", answer.status()));
    }
    answer
        .json::<Health>()
        .await
        .map_err(|_| "not a FinHub's /healthz answer".to_owned())
}

/// The hub to diagnose, if the target is one: `--hub`, or the API base's origin when it answers
/// `/healthz` as a FinHub.
pub(super) async fn target(global: &GlobalArgs, api_base: &Url) -> Option<Url> {
    if let Some(hub) = &global.hub {
        return Some(hub.clone());
    }
    let http = http(global).ok()?;
    let origin = Url::parse(&api_base.origin().ascii_serialization()).ok()?;
    match health(&http, &origin).await {
        Ok(health) if health.service == "finhub" => Some(origin),
        _ => None,
    }
}

/// The checks of a hub target.
pub(super) async fn check(global: &GlobalArgs, hub: &Url) -> anyhow::Result<ExitCode> {
    let mut list = Checklist::new();
    list.plain(&format!(
        "finra auth doctor · target: the FinHub at {hub} (FINRA's token service is the hub's \
         business)"
    ));
    list.section("The hub");
    let http = http(global)?;
    match health(&http, hub).await {
        Ok(health) if health.service == "finhub" && health.status == "ok" => {
            list.pass(&format!(
                "reachable: FinHub {} answers /healthz",
                health.version
            ));
        }
        Ok(health) => list.fail(
            "not a FinHub",
            &format!(
                "{hub} answers /healthz as {:?}, not a FinHub",
                health.service
            ),
            &Explanation::new(
                "the URL names another service",
                "give the hub's base URL with --hub (or FINRA_HUB)",
            ),
        ),
        Err(error) => {
            list.fail(
                "hub unreachable",
                &format!("{hub}/healthz: {error}"),
                &Explanation::new(
                    "the hub could not be reached, or its TLS handshake failed",
                    "check the URL; a production hub needs --cacert and the client certificate \
                     (--cert, --key)",
                ),
            );
            return Ok(list.finish());
        }
    }

    list.section("The session");
    let client = match session_client(global, &mut list, hub).await? {
        Some(client) => client,
        None => return Ok(list.finish()),
    };

    list.section("Data through the hub");
    match client.partitions("otcMarket", "weeklySummary").await {
        Ok(partitions) => list.pass(&format!(
            "otcMarket/weeklySummary through the hub: {} partitions",
            partitions.available_partitions.len()
        )),
        Err(error) => list.fail(
            "a data call through the hub failed",
            &format!("otcMarket/weeklySummary through the hub: {error}"),
            &Explanation::new(
                "the hub refused the call, or could not reach FINRA with the tenant's credential",
                "`finra hub status` shows the session's scope; a 502 means the hub's FINRA \
                 credential needs an administrator",
            ),
        ),
    }
    if global.verbose {
        list.section("The hub's readiness (--verbose)");
        match http.get(hub.join("/readyz")?).send().await {
            Ok(answer) => {
                let status = answer.status();
                let body = answer.text().await.unwrap_or_default();
                list.info(&format!("/readyz: HTTP {status} {}", body.trim()));
            }
            Err(error) => list.info(&format!("/readyz: {}", error.without_url())),
        }
    }
    Ok(list.finish())
}

/// The client of the session in force — `finra hub login`'s, or `FINRA_BEARER_TOKEN` — after
/// reporting it; `None` (a problem reported) when there is none.
async fn session_client(
    global: &GlobalArgs,
    list: &mut Checklist,
    hub: &Url,
) -> anyhow::Result<Option<FinraClient>> {
    let base = format!("{}/v1/finra", hub.as_str().trim_end_matches('/'));
    if global.hub.is_some() || bearer_token().is_none() {
        return Ok(match crate::hub::session(global).await {
            Ok(session) => {
                let info = session.session_info().await?;
                let who = info
                    .username
                    .as_deref()
                    .map_or_else(|| "a machine".to_owned(), |u| format!("user {u}"));
                list.pass(&format!(
                    "logged in (finra hub login): {who} of customer {}, tenant {}",
                    info.customer_id, info.tenant_id
                ));
                list.pass(&format!(
                    "access token: {} s left (renewed by itself); session: {} s left",
                    info.expires_in, info.session_expires_in
                ));
                list.info(&format!("scope: {}", info.scope));
                if let Some(amr) = &info.amr {
                    list.info(&format!("proved with: {}", amr.join(", ")));
                }
                Some(
                    global
                        .paced(session.finra_client_builder())
                        .retry(RetryPolicy::none())
                        .build()?,
                )
            }
            Err(error) => {
                list.fail(
                    "no usable session",
                    &error.to_string(),
                    &Explanation::new(
                        "commands through the hub need a session of this hub",
                        format!("run `finra hub login --hub {hub}`"),
                    ),
                );
                None
            }
        });
    }
    let token = bearer_token().unwrap_or_default();
    let answer = http(global)?
        .get(hub.join("/v1/auth/session")?)
        .bearer_auth(&token)
        .send()
        .await;
    match answer {
        Ok(answer) if answer.status().is_success() => {
            list.pass("FINRA_BEARER_TOKEN is a session of this hub");
            Ok(Some(
                global
                    .builder()?
                    .api_base(base)
                    .auth(Auth::bearer(token))
                    .retry(RetryPolicy::none())
                    .build()?,
            ))
        }
        Ok(answer) => {
            list.fail(
                "FINRA_BEARER_TOKEN refused",
                &format!("the hub answers HTTP {} to FINRA_BEARER_TOKEN", answer.status()),
                &Explanation::new(
                    "the session token has expired or ended (or is not this hub's)",
                    format!("log in again: `finra hub login --hub {hub}` keeps a session that renews itself"),
                ),
            );
            Ok(None)
        }
        Err(error) => Err(error.without_url().into()),
    }
}
