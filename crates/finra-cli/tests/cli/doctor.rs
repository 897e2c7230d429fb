//! `finra auth doctor`: the notebook's failure modes, each diagnosed with its fix, in a
//! checklist without secrets; exit 0 only when everything works.

use crate::support::{Finra, ID, SECRET, emulator, flat};

#[tokio::test]
async fn everything_working_passes_every_check() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .credentials()
        .run(&["auth", "doctor"])
        .await;
    out.expect_code(0);
    let text = &flat(&out.stdout);
    for expected in [
        "✓ credentials found: environment variables FINRA_API_KEY and FINRA_API_SECRET",
        "✓ token service reachable",
        "✓ clock: within",
        "✓ token minted the right way",
        "preview: *AAJTSQA…",
        // The notebook's variants, replayed.
        "\"Invalid Credentials\", as FINRA answers",
        "\"Client credentials is required\", as FINRA answers",
        "unsupported_grant_type, as FINRA answers",
        "✓ anonymous (public data): otcMarket/weeklySummary limit 1 → 200 (1 row",
        "✓ with the minted token: otcMarket/weeklySummary limit 1 → 200 (1 row",
        "checks passed",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains('✗'), "{text}");
    assert!(!out.all().contains(SECRET));
    assert_eq!(emulator.counters().tokens_minted(), 1);
}

#[tokio::test]
async fn credentials_not_loaded_are_not_found() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator).run(&["auth", "doctor"]).await;
    out.expect_code(1);
    let text = &flat(&out.stdout);
    assert!(text.contains("✗ credentials not found"), "{text}");
    assert!(text.contains("FINRA_API_KEY not set"), "{text}");
    assert!(text.contains("not found"), "{text}");
    assert!(text.contains("None:None"), "{text}");
    assert!(text.contains("token request: skipped"), "{text}");
    // Anonymous data access still works, and is reported as such.
    assert!(text.contains("✓ anonymous (public data)"), "{text}");
    assert_eq!(emulator.counters().tokens_minted(), 0);
}

#[tokio::test]
async fn none_none_from_an_unloaded_dotenv_is_explained() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .dotenv("FINRA_API_KEY=None\nFINRA_API_SECRET=None\n")
        .run(&["auth", "doctor"])
        .await;
    out.expect_code(1);
    let text = &flat(&out.stdout);
    assert!(
        text.contains("FINRA_API_KEY is the text \"None\""),
        "{text}"
    );
    // The token service answers Invalid Credentials, and the doctor says why.
    assert!(
        text.contains("✗ token request failed: FINRA's token service refused the credentials: Invalid Credentials"),
        "{text}"
    );
    assert!(text.contains("None:None"), "{text}");
    assert!(text.contains("never loaded"), "{text}");
    assert!(text.contains(".env"), "{text}");
}

#[tokio::test]
async fn empty_variables_are_the_none_none_situation() {
    let emulator = emulator().await;
    let out = Finra::at(&emulator)
        .env("FINRA_API_KEY", "")
        .env("FINRA_API_SECRET", "")
        .run(&["auth", "doctor"])
        .await;
    out.expect_code(1);
    let text = &flat(&out.stdout);
    assert!(
        text.contains("environment: FINRA_API_KEY set but empty; FINRA_API_SECRET set but empty"),
        "{text}"
    );
    assert!(text.contains("✗ credentials incomplete"), "{text}");
    assert!(text.contains("how None:None gets sent"), "{text}");
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_credentials_with_the_fix() {
    let emulator = emulator().await;
    let wrong = "wrong-secret-value-123";
    let out = Finra::at(&emulator)
        .dotenv(&format!("FINRA_API_KEY={ID}\nFINRA_API_SECRET={wrong}\n"))
        .run(&["auth", "doctor"])
        .await;
    out.expect_code(1);
    let text = &flat(&out.stdout);
    assert!(text.contains("✓ credentials found: .env file"), "{text}");
    assert!(text.contains("✗ token request failed"), "{text}");
    assert!(text.contains("Invalid Credentials"), "{text}");
    assert!(text.contains("wrong, expired or rotated secret"), "{text}");
    assert!(
        text.contains("it accepts only the credentials it was set up with"),
        "{text}"
    );
    assert!(!out.all().contains(wrong), "the secret is never printed");
    // Anonymous access still works; the token checks that need a token are skipped.
    assert!(text.contains("✓ anonymous (public data)"), "{text}");
    assert!(text.contains("grant_type sent twice: skipped"), "{text}");
}

#[tokio::test]
async fn a_url_that_is_not_a_token_service_is_named() {
    let emulator = emulator().await;
    let base = emulator.base_url();
    for (path, status) in [("/oauth2/token", "404"), ("/datasets", "405")] {
        let out = Finra::with_urls(&base, &format!("{base}{path}"))
            .credentials()
            .run(&["auth", "doctor"])
            .await;
        out.expect_code(1);
        let text = &flat(&out.stdout);
        assert!(
            text.contains(&format!("✗ token URL answered {status}")),
            "{path}: {text}"
        );
        assert!(
            text.contains("there is no token service at this path"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "the path is {path} where FINRA's is /fip/rest/ews/oauth2/access_token"
            )),
            "{text}"
        );
        assert!(text.contains("token request: skipped"), "{text}");
    }
    assert_eq!(emulator.counters().tokens_minted(), 0);
}

#[tokio::test]
async fn an_unreachable_host_is_a_network_problem_with_its_cause_chain() {
    let out = Finra::with_urls(
        "http://127.0.0.1:1",
        "http://127.0.0.1:1/fip/rest/ews/oauth2/access_token",
    )
    .credentials()
    .run(&["auth", "doctor"])
    .await;
    out.expect_code(1);
    let text = &flat(&out.stdout);
    assert!(text.contains("✗ cannot reach the token service"), "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains("error chain:"), "{text}");
    assert!(
        text.contains("Connection refused"),
        "the OS error ends the chain: {text}"
    );
    assert!(
        text.contains("✗ anonymous (public data): otcMarket/weeklySummary limit 1 failed"),
        "{text}"
    );
    assert!(text.contains("problems"), "{text}");
}

/// A ready bearer token and no credentials: the token is the setup; neither the missing
/// credentials nor FINRA's token service are problems of it.
#[tokio::test]
async fn a_ready_bearer_token_is_checked_as_the_setup() {
    let emulator = emulator().await;
    let client = crate::support::client(
        &emulator,
        finra_client::Auth::ClientCredentials(finra_client::Credentials::new(ID, SECRET)),
    );
    let token = client
        .token_manager()
        .expect("a token manager")
        .mint_now()
        .await
        .expect("a token");
    let out = Finra::at(&emulator)
        .env(
            "FINRA_BEARER_TOKEN",
            secrecy::ExposeSecret::expose_secret(token.secret()),
        )
        .run(&["auth", "doctor"])
        .await;
    out.expect_code(0);
    let text = &flat(&out.stdout);
    assert!(text.contains("FINRA_BEARER_TOKEN is the token"), "{text}");
    assert!(
        !text.contains('✗') && !text.contains("token request"),
        "{text}"
    );
    assert!(text.contains("✓ with FINRA_BEARER_TOKEN"), "{text}");
    assert!(
        !out.all()
            .contains(secrecy::ExposeSecret::expose_secret(token.secret()))
    );
}
