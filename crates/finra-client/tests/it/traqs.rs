//! `TraqsClient` and `TraqsSignIn` against the emulator's TRAQS, on the shared paused clock: a
//! person's sign-in and refresh token, every file downloaded byte for byte, the access token
//! renewed at 10 % of its life and once after a 401 (one exchange for 100 concurrent downloads),
//! an expired refresh token as its own error, and a download that breaks off as an error.

use std::time::Duration;

use finhub_clock::SharedClock;
use finra_client::FinraError;
use finra_client::traqs::{TraqsClient, TraqsEnvironment, TraqsPaths, TraqsSignIn};
use finra_emulator::traqs::{
    TraqsConfig, TraqsEnvironment as EmulatedEnvironment, TraqsUser, files,
};
use finra_emulator::{Fault, FaultTarget, RunningEmulator, Scale};
use secrecy::SecretString;

use crate::support::{clock, config, spawn};

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "correct horse";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

struct Setup {
    emulator: RunningEmulator,
    clock: SharedClock,
}

async fn setup(access_ttl: u64, refresh_ttl: u64) -> Setup {
    let clock = clock();
    let user: TraqsUser = format!("{EMAIL}:{PASSWORD}:{SECRET}:ORF,TRACE")
        .parse()
        .expect("user");
    let emulator = spawn(config(&clock).with_traqs(TraqsConfig {
        environment: EmulatedEnvironment::Production,
        users: vec![user],
        refresh_ttl: Duration::from_secs(refresh_ttl),
        access_ttl: Duration::from_secs(access_ttl),
        bond_master_rows: None,
    }))
    .await;
    Setup { emulator, clock }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("client")
}

fn code(clock: &SharedClock) -> SecretString {
    let step = u64::try_from(clock.now_utc().unix_timestamp()).expect("after 1970");
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(SECRET).expect("secret"))
        .build()
        .expect("totp");
    SecretString::from(totp.generate(step).to_string())
}

/// The person's part: password, code, a refresh token.
async fn person_mints(s: &Setup) -> (SecretString, time::OffsetDateTime) {
    let sign_in = TraqsSignIn::new(
        TraqsEnvironment::Production,
        Some(&s.emulator.base_url()),
        TraqsPaths::default(),
        http(),
    )
    .expect("sign-in");
    let session = sign_in
        .sign_in(EMAIL, &SecretString::from(PASSWORD), &code(&s.clock))
        .await
        .expect("signed in");
    let minted = sign_in.mint_refresh_token(&session).await.expect("minted");
    (minted.token, minted.expires_at)
}

async fn client(s: &Setup) -> TraqsClient {
    let (token, expires_at) = person_mints(s).await;
    TraqsClient::builder(TraqsEnvironment::Production)
        .base_url(s.emulator.base_url())
        .username(EMAIL)
        .refresh_token(token)
        .refresh_token_expires_at(expires_at)
        .http_client(http())
        .clock(s.clock.clone())
        .build()
        .expect("client")
}

fn exchanges(s: &Setup) -> u64 {
    s.emulator.emulator().traqs_access_tokens_minted()
}

#[tokio::test(start_paused = true)]
async fn every_entitled_file_downloads_byte_for_byte_with_its_header_checked() {
    let s = setup(1_800, 86_400).await;
    let traqs = client(&s).await;
    assert!(
        !format!("{traqs:?}").contains("trq_"),
        "Debug hides the token"
    );
    assert_eq!(
        traqs.files("ORF").await.expect("list"),
        ["EQUITYMASTERAC", "EQUITYMASTERIN", "DAILYLIST"]
    );
    for file in files::FILES
        .iter()
        .filter(|f| f.facility == "ORF" || f.facility == "TRACE")
    {
        let download = traqs
            .download(file.facility, file.name)
            .await
            .expect("download");
        assert_eq!(download.columns(), file.columns());
        download
            .require_columns(&file.columns()[..2])
            .expect("columns");
        let mut out = Vec::new();
        let rows = download.copy_to(&mut out).await.expect("copy");
        assert_eq!(rows, file.rows(Scale::Small), "{}", file.name);
        assert_eq!(
            String::from_utf8(out).expect("text"),
            file.render(42, Scale::Small),
            "{}/{}",
            file.facility,
            file.name
        );
    }
    assert_eq!(exchanges(&s), 1, "one access token for every call");
    let refused = traqs
        .download("ADF", "DAILYLIST")
        .await
        .expect_err("not entitled");
    assert!(
        matches!(refused, FinraError::NotEntitled { .. }),
        "{refused}"
    );
    let missing = traqs
        .download("ORF", "NOPE")
        .await
        .expect_err("unknown file");
    assert!(matches!(missing, FinraError::NotFound { .. }), "{missing}");
    let download = traqs.download("ORF", "DAILYLIST").await.expect("download");
    assert!(download.require_columns(&["NO_SUCH_COLUMN"]).is_err());
}

#[tokio::test(start_paused = true)]
async fn the_access_token_is_renewed_at_ten_percent_and_once_for_a_hundred_waiting_downloads() {
    let s = setup(600, 86_400).await;
    let traqs = client(&s).await;
    traqs.access_token().await.expect("token");
    assert_eq!(exchanges(&s), 1);
    tokio::time::advance(Duration::from_secs(539)).await;
    traqs.access_token().await.expect("token");
    assert_eq!(exchanges(&s), 1, "61 s of 600 left: more than 10 %");
    tokio::time::advance(Duration::from_secs(1)).await;
    let downloads: Vec<_> = (0..100)
        .map(|_| {
            let traqs = traqs.clone();
            tokio::spawn(async move {
                traqs
                    .download("TRACE", "PARTICIPANTLIST")
                    .await?
                    .copy_to(&mut tokio::io::sink())
                    .await
            })
        })
        .collect();
    for download in downloads {
        assert_eq!(download.await.expect("join").expect("download"), 250);
    }
    assert_eq!(
        exchanges(&s),
        2,
        "100 downloads at 10 % left: exactly one exchange"
    );

    // A 401 (the token revoked server-side, say) replaces the token once and goes on.
    s.emulator
        .faults()
        .inject(FaultTarget::TraqsDownloads, Fault::Unauthorized, 1);
    let rows = traqs
        .download("ORF", "DAILYLIST")
        .await
        .expect("after one renewal")
        .copy_to(&mut tokio::io::sink())
        .await
        .expect("copy");
    assert_eq!(rows, 60);
    assert_eq!(exchanges(&s), 3);
}

#[tokio::test(start_paused = true)]
async fn an_expired_refresh_token_is_its_own_error_saying_what_a_person_must_do() {
    let s = setup(600, 3_600).await;
    let traqs = client(&s).await;
    traqs.access_token().await.expect("token");
    tokio::time::advance(Duration::from_secs(3_600)).await;
    let error = traqs
        .download("ORF", "DAILYLIST")
        .await
        .expect_err("the refresh token ended");
    match &error {
        FinraError::TraqsRefreshTokenExpired {
            environment,
            reason,
        } => {
            assert_eq!(environment, "production");
            assert_eq!(reason, "The refresh token has expired");
        }
        other => panic!("{other}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("finra traqs login") && !text.contains("trq_"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_download_that_breaks_off_is_an_error_never_a_short_file() {
    let s = setup(1_800, 86_400).await;
    let traqs = client(&s).await;
    s.emulator.faults().inject(
        FaultTarget::TraqsDownloads,
        Fault::BreakMidBody {
            after_bytes: 70_000,
        },
        1,
    );
    let download = traqs.download("TRACE", "CAMASTER").await.expect("started");
    let mut out = Vec::new();
    let error = download.copy_to(&mut out).await.expect_err("broken off");
    assert!(matches!(error, FinraError::Transport(_)), "{error}");
    let wrong = TraqsClient::builder(TraqsEnvironment::Production)
        .base_url(s.emulator.base_url())
        .username("someone@example.com")
        .refresh_token(SecretString::from("trq_not-a-token"))
        .http_client(http())
        .clock(s.clock.clone())
        .build()
        .expect("client");
    assert!(matches!(
        wrong.access_token().await,
        Err(FinraError::TraqsRefreshTokenExpired { .. })
    ));
    assert!(matches!(
        TraqsClient::builder(TraqsEnvironment::Ntf).build(),
        Err(FinraError::Config(_))
    ));
}
