//! `finra traqs`: a login read from stdin (password, then code) that stores the refresh token
//! privately, `status` without the token, `files`, and `download` to stdout or atomically to
//! `--out` (nothing left behind when the download breaks off); a refused refresh token says what
//! a person must do.

use std::time::Duration;

use finra_emulator::traqs::{TraqsConfig, TraqsEnvironment, TraqsUser, files};
use finra_emulator::{Fault, FaultTarget, RunningEmulator, Scale};

use crate::support::{Finra, TempDir, config, spawn};

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "correct horse";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

async fn emulator() -> RunningEmulator {
    let user: TraqsUser = format!("{EMAIL}:{PASSWORD}:{SECRET}:ORF,TRACE")
        .parse()
        .expect("user");
    spawn(config().with_traqs(TraqsConfig {
        environment: TraqsEnvironment::Production,
        users: vec![user],
        refresh_ttl: Duration::from_secs(30 * 86_400),
        access_ttl: Duration::from_secs(1_800),
        bond_master_rows: None,
    }))
    .await
}

fn code_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(SECRET).expect("secret"))
        .build()
        .expect("totp")
        .generate(now)
        .to_string()
}

/// `finra` for TRAQS against `emulator`, its config directory in `config_home`.
fn traqs(emulator: &RunningEmulator, config_home: &TempDir) -> Finra {
    Finra::at(emulator)
        .env("FINRA_TRAQS_BASE", &emulator.base_url())
        .env("FINRA_TRAQS_USERNAME", EMAIL)
        .env("XDG_CONFIG_HOME", &config_home.path().display().to_string())
}

/// `finra traqs login` with the password and the current code on stdin.
async fn log_in(emulator: &RunningEmulator, home: &TempDir) -> crate::support::Outcome {
    traqs(emulator, home)
        .run_with_stdin(
            &["traqs", "login"],
            &format!("{PASSWORD}\n{}\n", code_now()),
        )
        .await
}

#[tokio::test]
async fn login_stores_the_token_privately_and_download_writes_the_whole_file() {
    let emulator = emulator().await;
    let home = TempDir::new();
    let login = log_in(&emulator, &home).await;
    login.expect_code(0);
    assert!(
        !login.all().contains("trq_"),
        "the token is never printed: {}",
        login.all()
    );
    let stored = home.path().join("finra").join("traqs-production.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&stored)
            .expect("stored")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let status = traqs(&emulator, &home).run(&["traqs", "status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains(EMAIL) && status.stdout.contains("29 days left"),
        "{}",
        status.stdout
    );
    assert!(!status.all().contains("trq_"));

    let list = traqs(&emulator, &home)
        .run(&["traqs", "files", "TRACE"])
        .await;
    list.expect_code(0);
    assert_eq!(list.stdout, "CAMASTER\nDAILYLISTCA\nPARTICIPANTLIST\n");

    let file = files::find("TRACE", "CAMASTER").expect("file");
    let run = traqs(&emulator, &home);
    let out = run.dir().join("camaster.txt");
    let download = run
        .run(&[
            "traqs",
            "download",
            "TRACE",
            "CAMASTER",
            "--out",
            "camaster.txt",
        ])
        .await;
    download.expect_code(0);
    assert!(
        download
            .stderr
            .contains(&format!("{} rows", file.rows(Scale::Small))),
        "{}",
        download.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&out).expect("written"),
        file.render(42, Scale::Small)
    );
    assert_eq!(download.dir.files(), ["camaster.txt"]);

    let to_stdout = traqs(&emulator, &home)
        .run(&["traqs", "download", "ORF", "DAILYLIST"])
        .await;
    to_stdout.expect_code(0);
    assert_eq!(
        to_stdout.stdout,
        files::find("ORF", "DAILYLIST")
            .expect("file")
            .render(42, Scale::Small)
    );
}

#[tokio::test]
async fn a_download_that_breaks_off_leaves_no_file_and_a_refused_token_says_what_to_do() {
    let emulator = emulator().await;
    let home = TempDir::new();
    log_in(&emulator, &home).await.expect_code(0);
    emulator.faults().inject(
        FaultTarget::TraqsDownloads,
        Fault::BreakMidBody {
            after_bytes: 70_000,
        },
        1,
    );
    let broken = traqs(&emulator, &home)
        .run(&[
            "traqs",
            "download",
            "TRACE",
            "CAMASTER",
            "--out",
            "camaster.txt",
        ])
        .await;
    broken.expect_code(1);
    assert!(broken.dir.files().is_empty(), "{:?}", broken.dir.files());

    let refused = traqs(&emulator, &home)
        .env("FINRA_TRAQS_REFRESH_TOKEN", "trq_revoked-or-made-up")
        .run(&["traqs", "download", "ORF", "DAILYLIST"])
        .await;
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("finra traqs login"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("trq_revoked"),
        "{}",
        refused.stderr
    );

    let wrong_code = traqs(&emulator, &home)
        .run_with_stdin(
            &["traqs", "login", "--print"],
            &format!("{PASSWORD}\n000000\n"),
        )
        .await;
    wrong_code.expect_code(1);
    assert!(
        wrong_code.stderr.contains("Invalid verification code"),
        "{}",
        wrong_code.stderr
    );
}

#[tokio::test]
async fn the_doctor_checks_traqs_too_and_explains_a_refused_refresh_token() {
    let emulator = emulator().await;
    let home = TempDir::new();
    log_in(&emulator, &home).await.expect_code(0);
    let doctor = traqs(&emulator, &home)
        .credentials()
        .run(&["auth", "doctor"])
        .await;
    doctor.expect_code(0);
    let text = crate::support::flat(&doctor.stdout);
    for expected in [
        "✓ TRAQS settings: production, user ops@example.com",
        "✓ TRAQS download host answers",
        "✓ TRAQS access token exchanged",
        "✓ downloaded ORF/DAILYLIST: 60 rows, a header row of 10 columns",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!doctor.all().contains("trq_"));

    let refused = traqs(&emulator, &home)
        .credentials()
        .env("FINRA_TRAQS_REFRESH_TOKEN", "trq_made-up")
        .run(&["auth", "doctor"])
        .await;
    refused.expect_code(1);
    let text = crate::support::flat(&refused.stdout);
    assert!(text.contains("✗ TRAQS token exchange failed"), "{text}");
    assert!(text.contains("run `finra traqs login`"), "{text}");
}
