//! Where settings come from: flags first, then the environment, then `.env` in the working
//! directory, for every `FINRA_*` setting; `finra config show` says which, secrets hidden.

use crate::support::{Finra, emulator};

#[tokio::test]
async fn flags_beat_the_environment_which_beats_dotenv() {
    let emulator = emulator().await;
    let nowhere = "http://127.0.0.1:9";
    let dotenv = format!(
        "FINRA_API_BASE={}\nFINRA_API_SECRET=from-dotenv\nFINRA_RATE=off\n",
        emulator.base_url()
    );
    // .env alone: its API base is used.
    Finra::at(&emulator)
        .env_remove("FINRA_API_BASE")
        .dotenv(&dotenv)
        .run(&["--anonymous", "partitions", "otcMarket/weeklySummary"])
        .await
        .expect_code(0);
    // The environment over .env: nowhere, so the call fails.
    Finra::at(&emulator)
        .env("FINRA_API_BASE", nowhere)
        .dotenv(&dotenv)
        .run(&[
            "--anonymous",
            "--timeout",
            "2",
            "partitions",
            "otcMarket/weeklySummary",
        ])
        .await
        .expect_code(1);
    // A flag over both.
    Finra::at(&emulator)
        .env("FINRA_API_BASE", nowhere)
        .dotenv(&dotenv)
        .run(&[
            "--anonymous",
            "--api-base",
            &emulator.base_url(),
            "partitions",
            "otcMarket/weeklySummary",
        ])
        .await
        .expect_code(0);

    let shown = Finra::at(&emulator)
        .env("FINRA_API_BASE", nowhere)
        .env("FINRA_BEARER_TOKEN", "a-secret-token")
        .dotenv(&dotenv)
        .run(&["config", "show"])
        .await;
    shown.expect_code(0);
    let line = |name: &str| {
        shown
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name}: {}", shown.stdout))
            .to_owned()
    };
    assert!(line("FINRA_API_BASE").contains(nowhere));
    assert!(line("FINRA_API_BASE").ends_with("the environment"));
    assert!(line("FINRA_RATE").contains("off") && line("FINRA_RATE").ends_with(".env"));
    assert!(
        line("FINRA_API_SECRET").contains(" set ") && line("FINRA_API_SECRET").ends_with(".env")
    );
    assert!(line("FINRA_BEARER_TOKEN").contains(" set "));
    assert!(line("FINRA_HUB").contains("not set"));
    assert!(!shown.all().contains("a-secret-token") && !shown.all().contains("from-dotenv"));
}
