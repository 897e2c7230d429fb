//! A session through its life: login, downloads through the hub, one refresh at 90 % of the
//! access token's life however many tasks are downloading, the `refresh_token` grant after it
//! expired; a person with a second factor; the session file.

use std::time::Duration;

use finhub_client::{HubError, SecondFactor};
use finhub_clock::testing::FreezeGuard;
use finra_client::{CompareOp, FinraClient, Query};
use futures_util::TryStreamExt;
use secrecy::SecretString;

use crate::support::Hub;

const REFRESHED: &str = "finhub_session_refreshes_total{outcome=\"refreshed\"}";
const RENEWED: &str = "finhub_logins_total{grant=\"refresh_token\",outcome=\"success\"}";

/// One week and tier of the weekly summary: a few pages' worth.
async fn one_week(finra: &FinraClient) -> Query {
    let partitions = finra
        .partitions("otcMarket", "weeklySummary")
        .await
        .expect("partitions through the hub");
    let newest = &partitions.available_partitions[0].partitions;
    Query::new("otcMarket", "weeklySummary")
        .compare("weekStartDate", CompareOp::Equal, &newest[0])
        .compare("tierIdentifier", CompareOp::Equal, &newest[1])
}

async fn rows(finra: &FinraClient, query: &Query) -> usize {
    finra
        .stream_raw_rows(query.clone())
        .try_collect::<Vec<_>>()
        .await
        .expect("a download through the hub")
        .len()
}

#[tokio::test(start_paused = true)]
async fn downloads_go_on_across_one_refresh_and_a_renewal_after_expiry() {
    let _frozen = FreezeGuard::new();
    let hub = Hub::integration().await;
    let client = hub.client().build().expect("client");
    let login = client.login_client_credentials().await.expect("login");
    assert_eq!(login.expires_in, 3600);
    let finra = client.finra_client().expect("finra client");
    let query = one_week(&finra).await;
    let expected = rows(&finra, &query).await;
    assert!(expected > 0);

    // 90 % of the access token's life: the next calls refresh it, once, however many tasks ask.
    let refreshed = hub.counter(REFRESHED).await;
    tokio::time::advance(Duration::from_secs(3239)).await;
    assert_eq!(client.access_seconds_left().await, Some(361));
    rows(&finra, &query).await;
    assert_eq!(
        hub.counter(REFRESHED).await,
        refreshed,
        "361 s left: no refresh"
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    let downloads: Vec<_> = (0..8)
        .map(|_| {
            let finra = finra.clone();
            let query = query.clone();
            tokio::spawn(async move { rows(&finra, &query).await })
        })
        .collect();
    for download in downloads {
        assert_eq!(download.await.expect("task"), expected);
    }
    assert_eq!(
        hub.counter(REFRESHED).await,
        refreshed + 1.0,
        "exactly one refresh"
    );
    assert_eq!(client.access_seconds_left().await, Some(3600));

    // Expired: a new session from the refresh token, and the download goes on.
    let renewed = hub.counter(RENEWED).await;
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(rows(&finra, &query).await, expected);
    assert_eq!(hub.counter(RENEWED).await, renewed + 1.0);
    let info = client.session_info().await.expect("the renewed session");
    assert_eq!(info.username, None, "a machine");
    assert_eq!(info.expires_in, 3600);

    client.logout().await.expect("logout");
    assert!(matches!(
        client.session_info().await,
        Err(HubError::NotLoggedIn)
    ));
    assert!(matches!(
        finra.partitions("otcMarket", "weeklySummary").await,
        Err(finra_client::FinraError::Unauthorized { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_person_with_a_second_factor_logs_in_with_the_code_the_hub_asks_for() {
    let _frozen = FreezeGuard::new();
    let hub = Hub::integration().await;
    let person = &hub.credentials["mfaUser"];
    let username = person["username"].as_str().expect("username");
    let password = SecretString::from(person["password"].as_str().expect("password").to_owned());
    let client = hub.client().build().expect("client");

    let asked = client.login_password(username, &password, None).await;
    assert!(matches!(asked, Err(HubError::MfaRequired(_))), "{asked:?}");
    let wrong = SecondFactor::Otp("000000".into());
    let refused = client
        .login_password(username, &password, Some(&wrong))
        .await;
    assert!(
        matches!(refused, Err(HubError::InvalidOtp(_))),
        "{refused:?}"
    );

    let code = totp(person["totpSecret"].as_str().expect("secret"), &hub);
    client
        .login_password(username, &password, Some(&SecondFactor::Otp(code)))
        .await
        .expect("login with the code");
    let info = client.session_info().await.expect("session");
    assert_eq!(info.username.as_deref(), Some(username));
    assert_eq!(
        info.amr,
        Some(vec!["pwd".to_owned(), "otp".to_owned(), "mfa".to_owned()])
    );

    let bad = client
        .login_password(username, &SecretString::from("wrong".to_owned()), None)
        .await;
    assert!(matches!(bad, Err(HubError::InvalidClient(_))), "{bad:?}");
}

/// The current code of a Base32 TOTP secret, by the hub's clock.
fn totp(secret: &str, hub: &Hub) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).expect("Base32"))
        .build()
        .expect("totp");
    let now = u64::try_from(hub.clock.now_utc().unix_timestamp()).expect("after 1970");
    totp.generate(now).to_string()
}

#[tokio::test(start_paused = true)]
async fn a_session_file_keeps_the_session_for_the_next_run_and_no_secret_but_tokens() {
    let _frozen = FreezeGuard::new();
    let hub = Hub::integration().await;
    let path = std::env::temp_dir().join(format!("finhub-client-session-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let password = hub.text("password");
    {
        let client = hub.client().session_file(&path).build().expect("client");
        client
            .login_password(
                &hub.text("username"),
                &SecretString::from(password.clone()),
                None,
            )
            .await
            .expect("login");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let text = std::fs::read_to_string(&path).expect("file");
    assert!(!text.contains(&password), "no password");
    assert!(
        !text.contains(&hub.text("customerSecret")),
        "no customer secret"
    );

    // The next run starts from it, without logging in.
    let client = hub.client().session_file(&path).build().expect("client");
    let info = client.session_info().await.expect("the stored session");
    assert_eq!(
        info.username.as_deref(),
        Some(hub.text("username").as_str())
    );
    // Another customer's client does not take it.
    let other = hub
        .client()
        .customer("cus_other", SecretString::from("x".to_owned()))
        .session_file(&path)
        .build()
        .expect("client");
    assert!(!other.is_logged_in().await);

    client.logout().await.expect("logout");
    assert!(!path.exists(), "a logout removes the file");
}
