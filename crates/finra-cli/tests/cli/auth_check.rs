//! `finra auth check`: a token is minted once and shown only as a preview; failures exit 1
//! with FINRA's reason.

use crate::support::{Finra, ID, SECRET, emulator};

/// The longest run of non-space characters in `text`: a token is over 500.
fn longest_word(text: &str) -> usize {
    text.split_whitespace()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn check_shows_a_preview_and_never_the_token() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .credentials()
        .run(&["auth", "check"])
        .await;
    out.expect_code(0);
    assert_eq!(emulator.counters().tokens_minted(), 1);
    assert!(out.stdout.contains("✓ token minted"), "{}", out.stdout);
    assert!(
        out.stdout.contains("token type:   bearer"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("lifetime:     43200 s (12 h)"),
        "{}",
        out.stdout
    );
    // The preview: the fixed 8-character head of FINRA's tokens, then the length.
    let preview = out
        .stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("preview:"))
        .expect("a preview line")
        .trim();
    let (head, length) = preview.split_once("… (").expect("head… (N characters)");
    assert_eq!(head, "*AAJTSQA");
    let length: usize = length
        .strip_suffix(" characters)")
        .expect("N characters")
        .parse()
        .expect("a number");
    assert!(length > 500, "{length}");
    // Nothing long enough to be the token, and no secret, anywhere.
    let all = out.all();
    assert!(longest_word(&all) < 80, "{all}");
    assert!(all.len() < 1_000, "{all}");
    assert!(!all.contains(SECRET));
}

#[tokio::test]
async fn credentials_are_read_from_a_dotenv_file_in_the_working_directory() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .dotenv(&format!(
            "FINRA_API_KEY={ID}\nFINRA_API_SECRET=\"{SECRET}\"\n"
        ))
        .run(&["auth", "check"])
        .await;
    out.expect_code(0);
    assert!(
        out.stdout.contains("credentials:  .env file"),
        "{}",
        out.stdout
    );
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test]
async fn a_refused_credential_exits_1_with_finras_reason() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .env("FINRA_API_KEY", ID)
        .env("FINRA_API_SECRET", "not-the-secret")
        .run(&["auth", "check"])
        .await;
    out.expect_code(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("Invalid Credentials (invalid_client)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("finra auth doctor"), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-secret"));
    assert_eq!(emulator.counters().tokens_minted(), 0);
}

#[tokio::test]
async fn no_credentials_is_an_error_that_says_what_was_looked_at() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator).run(&["auth", "check"]).await;
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("FINRA_API_KEY not set, FINRA_API_SECRET not set"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("no .env file"), "{}", out.stderr);
    assert_eq!(emulator.counters().total_responses(), 0);
}
