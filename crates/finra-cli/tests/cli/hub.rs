//! `finra hub login|status|logout` and `--hub`: the built binary against the demo hub served in
//! this process (on the system clock, as the binary's): a person logs in with password (and
//! code), queries go through the hub, an expired session renews by itself, an ended one says to
//! log in again, and nothing kept holds a password.

use std::net::SocketAddr;

use finhub_clock::SystemClock;
use finhub_server::demo::{DemoOptions, InProcess};
use serde_json::Value;

use crate::support::{Finra, TempDir};

struct Setup {
    demo: InProcess,
    credentials: Value,
    config: TempDir,
}

impl Setup {
    async fn new() -> Self {
        Self::with_access_token_ttl(None).await
    }

    /// The demo hub with this access-token lifetime (seconds).
    async fn with_access_token_ttl(ttl: Option<u64>) -> Self {
        let options = DemoOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            access_token_ttl_secs: ttl,
            ..DemoOptions::default()
        };
        let demo = InProcess::start(&options, SystemClock::shared())
            .await
            .expect("the demo starts");
        let credentials = demo.credentials_json();
        Self {
            demo,
            credentials,
            config: TempDir::new(),
        }
    }

    fn text(&self, key: &str) -> String {
        self.credentials[key].as_str().expect(key).to_owned()
    }

    /// `finra` with `--hub` set by FINRA_HUB and its config directory here; FINRA itself is out
    /// of reach, so every data call must go through the hub.
    fn finra(&self) -> Finra {
        Finra::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/token")
            .env("FINRA_HUB", self.demo.base_url())
            .env("XDG_CONFIG_HOME", &self.config.path().display().to_string())
            .env("FINRA_HUB_TENANT", &self.text("tenantId"))
            .env("FINRA_HUB_CUSTOMER_ID", &self.text("customerId"))
    }

    fn session_file(&self) -> std::path::PathBuf {
        self.config.path().join("finra/hub-session.json")
    }

    /// The kept session as its file holds it.
    fn stored_session(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.session_file()).expect("session")).expect("JSON")
    }

    /// Marks the kept session's access token as expired (and, given one, replaces its refresh
    /// token), as the file says.
    fn expire_session(&self, refresh_token: Option<&str>) {
        let mut stored = self.stored_session();
        stored["session"]["access_expires_at"] = Value::from("2020-01-01T00:00:00Z");
        if let Some(token) = refresh_token {
            stored["session"]["refresh_token"] = Value::from(token);
        }
        std::fs::write(
            self.session_file(),
            serde_json::to_vec(&stored).expect("JSON"),
        )
        .expect("write");
    }

    /// `finra hub login` of the demo customer as a machine.
    async fn log_in_as_machine(&self) {
        self.finra()
            .env("FINRA_HUB_CUSTOMER_SECRET", &self.text("customerSecret"))
            .run(&["hub", "login"])
            .await
            .expect_code(0);
    }
}

#[tokio::test]
async fn a_person_logs_in_queries_through_the_hub_and_the_session_renews_itself() {
    let s = Setup::new().await;
    let username = s.text("username");
    let answers = format!("{}\n{}\n", s.text("customerSecret"), s.text("password"));
    s.finra()
        .run_with_stdin(&["hub", "login", "--username", &username], &answers)
        .await
        .expect_code(0);

    let status = s.finra().run(&["hub", "status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!("user:     {username}")),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("proved:   pwd"), "{}", status.stdout);

    let rows = s
        .finra()
        .run(&[
            "query",
            "otcMarket/weeklySummary",
            "--limit",
            "3",
            "--format",
            "ndjson",
        ])
        .await;
    rows.expect_code(0);
    assert_eq!(rows.stdout.lines().count(), 3, "{}", rows.stdout);

    // Nothing kept holds the password; the files are the owner's alone.
    for name in ["hub.json", "hub-session.json"] {
        let path = s.config.path().join("finra").join(name);
        let text = std::fs::read_to_string(&path).expect(name);
        assert!(!text.contains(&s.text("password")), "{name}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect(name).permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }

    // The access token has expired (as the file says): the next command renews the session
    // from its refresh token by itself.
    let before = s.stored_session()["session"]["session_token"].clone();
    s.expire_session(None);
    s.finra()
        .run(&["partitions", "otcMarket/weeklySummary"])
        .await
        .expect_code(0);
    assert_ne!(
        s.stored_session()["session"]["session_token"],
        before,
        "a new session"
    );

    // Logged out: one clear line saying what to do.
    s.finra().run(&["hub", "logout"]).await.expect_code(0);
    assert!(!s.session_file().exists());
    let after = s
        .finra()
        .run(&["partitions", "otcMarket/weeklySummary"])
        .await;
    after.expect_code(1);
    assert!(after.stderr.contains("finra hub login"), "{}", after.stderr);
}

#[tokio::test]
async fn a_person_with_a_second_factor_types_the_code_when_the_hub_asks() {
    let s = Setup::new().await;
    let person = &s.credentials["mfaUser"];
    let username = person["username"].as_str().expect("username");
    let step = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).expect("1970");
    let code = totp_rs::Builder::new()
        .with_secret(
            totp_rs::Secret::try_from_base32(person["totpSecret"].as_str().expect("secret"))
                .expect("Base32"),
        )
        .build()
        .expect("totp")
        .generate(step)
        .to_string();
    let answers = format!(
        "{}\n{}\n{code}\n",
        s.text("customerSecret"),
        person["password"].as_str().expect("password")
    );
    let login = s
        .finra()
        .run_with_stdin(&["hub", "login", "--username", username], &answers)
        .await;
    login.expect_code(0);
    assert!(!login.all().contains(&code), "the code is not echoed");
    let status = s.finra().run(&["hub", "status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("proved:   pwd, otp, mfa"),
        "{}",
        status.stdout
    );
}

#[tokio::test]
async fn a_session_that_cannot_be_renewed_says_to_log_in_again() {
    let s = Setup::new().await;
    s.log_in_as_machine().await;
    s.expire_session(Some("fhrt_not-a-token"));
    let out = s.finra().run(&["hub", "status"]).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("has ended") && out.stderr.contains("finra hub login --hub"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);

    // Not logged in anywhere yet: the same kind of line.
    let other = Setup::new().await;
    let out = other.finra().run(&["hub", "status"]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("not logged in to"), "{}", out.stderr);
}

#[tokio::test]
async fn the_doctor_checks_a_hub_as_a_hub() {
    let s = Setup::new().await;
    s.log_in_as_machine().await;
    let doctor = s.finra().run(&["auth", "doctor", "--verbose"]).await;
    doctor.expect_code(0);
    assert!(
        doctor.stdout.contains("target: the FinHub at"),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.stdout.contains("all") && !doctor.stdout.contains('✗'),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.stdout.contains("/readyz: HTTP 200"),
        "{}",
        doctor.stdout
    );

    // A session token in FINRA_BEARER_TOKEN against the hub's FINRA paths: recognised by the
    // hub's /healthz, checked as a hub session.
    let hub = finhub_client::HubClient::builder(s.demo.base_url())
        .tenant(s.text("tenantId"))
        .customer(
            s.text("customerId"),
            secrecy::SecretString::from(s.text("customerSecret")),
        )
        .build()
        .expect("client");
    hub.login_client_credentials().await.expect("login");
    let token = hub.bearer().await.expect("token");
    let base = format!("{}/v1/finra", s.demo.base_url());
    let by_token = Finra::with_urls(&base, "http://127.0.0.1:9/token")
        .env(
            "FINRA_BEARER_TOKEN",
            secrecy::ExposeSecret::expose_secret(&token),
        )
        .run(&["auth", "doctor"])
        .await;
    by_token.expect_code(0);
    assert!(
        by_token.stdout.contains("is a session of this hub"),
        "{}",
        by_token.stdout
    );

    // The wrong URL, and an ended session, are named as what they are.
    let nowhere = s
        .finra()
        .env("FINRA_HUB", "http://127.0.0.1:9")
        .run(&["auth", "doctor"])
        .await;
    nowhere.expect_code(1);
    assert!(
        nowhere.stdout.contains("hub unreachable"),
        "{}",
        nowhere.stdout
    );
    s.finra().run(&["hub", "logout"]).await.expect_code(0);
    let ended = s.finra().run(&["auth", "doctor"]).await;
    ended.expect_code(1);
    assert!(
        ended.stdout.contains("no usable session"),
        "{}",
        ended.stdout
    );
}

/// Access tokens of one second and a download paced at one request a second: the session is
/// renewed in the middle of `query --all`, and every row arrives once.
#[tokio::test]
async fn a_download_goes_on_across_renewals_of_the_session() {
    let s = Setup::with_access_token_ttl(Some(1)).await;
    s.log_in_as_machine().await;
    let renewals = || async {
        s.demo
            .metric("finhub_session_refreshes_total{outcome=\"refreshed\"}")
            .await
            + s.demo
                .metric("finhub_logins_total{grant=\"refresh_token\",outcome=\"success\"}")
                .await
    };
    let before = renewals().await;
    let out = s
        .finra()
        .run(&[
            "--rate",
            "1",
            "query",
            "otcMarket/weeklySummary",
            "--all",
            "--format",
            "ndjson",
        ])
        .await;
    out.expect_code(0);
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert!(rows.len() > 5000, "more than one page: {}", rows.len());
    let distinct: std::collections::BTreeSet<&&str> = rows.iter().collect();
    assert_eq!(distinct.len(), rows.len(), "every row once");
    assert!(renewals().await > before, "renewed during the download");
}
