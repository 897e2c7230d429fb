//! Logs in to a FinHub and downloads one week of FINRA's weekly summary through it.
//!
//! ```sh
//! finhub demo --credentials-out demo.json &   # prints the values below
//! FINHUB_URL=http://127.0.0.1:8080 TENANT=1234567 CUSTOMER_ID=cus_… CUSTOMER_SECRET=fhcs_… \
//!   cargo run -p finhub-client --example login
//! ```
//!
//! With `USERNAME` and `PASSWORD` set it logs a person in (asking for the authenticator code on
//! standard input when the hub wants one); otherwise the customer logs in as a machine.

use std::io::BufRead;

use finhub_client::{HubClient, HubError, SecondFactor};
use finra_client::{CompareOp, Query};
use futures_util::TryStreamExt;
use secrecy::SecretString;

fn setting(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
#[expect(clippy::print_stdout, reason = "an example prints what it got")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hub = HubClient::builder(setting("FINHUB_URL")?)
        .tenant(setting("TENANT")?)
        .customer(
            setting("CUSTOMER_ID")?,
            SecretString::from(setting("CUSTOMER_SECRET")?),
        )
        .build()?;

    match (std::env::var("USERNAME"), std::env::var("PASSWORD")) {
        (Ok(username), Ok(password)) => {
            let password = SecretString::from(password);
            match hub.login_password(&username, &password, None).await {
                Err(HubError::MfaRequired(_)) => {
                    eprint!("code from your authenticator app: ");
                    let mut code = String::new();
                    std::io::stdin().lock().read_line(&mut code)?;
                    let code = SecondFactor::Otp(code.trim().to_owned());
                    hub.login_password(&username, &password, Some(&code))
                        .await?;
                }
                other => {
                    other?;
                }
            }
        }
        _ => {
            hub.login_client_credentials().await?;
        }
    }
    let session = hub.session_info().await?;
    println!("logged in; scope: {}", session.scope);

    let finra = hub.finra_client()?;
    let partitions = finra.partitions("otcMarket", "weeklySummary").await?;
    let newest = &partitions.available_partitions[0].partitions;
    let query = Query::new("otcMarket", "weeklySummary")
        .compare("weekStartDate", CompareOp::Equal, &newest[0])
        .compare("tierIdentifier", CompareOp::Equal, &newest[1]);
    let rows: Vec<_> = finra.stream_raw_rows(query).try_collect().await?;
    println!("{} rows of {} tier {}", rows.len(), newest[0], newest[1]);

    hub.logout().await?;
    Ok(())
}
