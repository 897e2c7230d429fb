//! The portal in a real browser: this test serves the hub on a loopback port (on the system
//! clock, which the browser's authenticator shares), makes a tenant administrator, a member and
//! a person of a tenant that requires a second factor, and runs `tests/browser/portal.mjs`:
//! Debian's Chromium driven by playwright-core through sign-in, enrolment, codes and recovery
//! codes, sessions, CSRF and cookie refusals, the administrator's pages and a forced enrolment,
//! with axe-core on every page. Then no password, code, key or cookie the browser handled may
//! be in any log line the hub wrote.
//!
//! `scripts/test.sh` installs what it needs (`scripts/browser.sh`); with `UPDATE_SCREENSHOTS=1`
//! the pages are photographed into `docs/portal/` at desktop and phone width.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use finhub_clock::SystemClock;
use finhub_core::admin::Administrator;
use finhub_core::ids::{TenantId, Username};
use finhub_core::mfa::MfaPolicy;
use finhub_core::model::UserRole;
use finhub_core::scope::Scope;

use crate::support::{LogCapture, TENANT, TestHub, add_user};

/// Longest the browser run may take.
const BROWSER_TIME_LIMIT: Duration = Duration::from_secs(240);
/// The tenant whose policy requires a second factor.
const REQUIRED_TENANT: &str = "7654321";

/// Where playwright-core and axe-core are installed: `PORTAL_BROWSER_MODULES`, else where
/// `scripts/browser.sh` puts them in the target directory.
fn browser_modules() -> PathBuf {
    std::env::var_os("PORTAL_BROWSER_MODULES").map_or_else(
        || Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-browser"),
        PathBuf::from,
    )
}

fn chromium() -> PathBuf {
    std::env::var_os("PORTAL_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

#[tokio::test]
async fn the_portal_works_in_chromium_and_every_page_passes_axe_core() {
    let (modules, chromium) = (browser_modules(), chromium());
    assert!(
        modules.join("node_modules/playwright-core").is_dir() && chromium.is_file(),
        "the portal's browser tests need Chromium ({}) and playwright-core with axe-core ({}): \
         run scripts/test.sh, or source scripts/browser.sh and run ensure_test_browser",
        chromium.display(),
        modules.display()
    );
    let logs = LogCapture::default();
    let _guard = logs.install();
    let hub = TestHub::builder()
        .serve()
        .at(SystemClock::shared())
        .build()
        .await;
    let admin = &hub.state.admin;
    let set_up = Administrator::new("test set-up");
    let users = [
        ("ada", "ada's long test password"),
        ("bob", "bob's long test password"),
    ];
    for (name, password) in users {
        add_user(admin, TENANT, name, password).await;
    }
    let tenant = TenantId::parse(TENANT).expect("tenant");
    admin
        .set_user_role(
            &set_up,
            &tenant,
            &Username::parse("ada").expect("name"),
            UserRole::TenantAdmin,
        )
        .await
        .expect("ada administers the tenant");
    let required = TenantId::parse(REQUIRED_TENANT).expect("tenant");
    admin
        .create_tenant(&set_up, required.clone(), "Strict", Scope::default())
        .await
        .expect("a second tenant");
    admin
        .set_mfa_policy(&set_up, &required, Some(MfaPolicy::Required))
        .await
        .expect("that requires a second factor");
    add_user(
        admin,
        REQUIRED_TENANT,
        "carol",
        "carol's long test password",
    )
    .await;

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/portal.mjs");
    let address = hub.addr.expect("served");
    let mut command = tokio::process::Command::new("node");
    command
        .arg(&script)
        .env("PORTAL_HUB", format!("http://{address}"))
        .env("PORTAL_TENANT", TENANT)
        .env("PORTAL_REQUIRED_TENANT", REQUIRED_TENANT)
        .env("PORTAL_ADMIN", format!("{}:{}", users[0].0, users[0].1))
        .env("PORTAL_MEMBER", format!("{}:{}", users[1].0, users[1].1))
        .env("PORTAL_FORCED", "carol:carol's long test password")
        .env(
            "PORTAL_CUSTOMER",
            format!("{}:{}", hub.b2c.id, hub.b2c.secret),
        )
        .env("PORTAL_BROWSER_MODULES", &modules)
        .env("PORTAL_CHROMIUM", &chromium)
        .env_remove("PORTAL_SCREENSHOTS")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/portal");
        command.env("PORTAL_SCREENSHOTS", shots);
    }
    let output = tokio::time::timeout(BROWSER_TIME_LIMIT, command.output())
        .await
        .expect("the browser run ends in time")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser run failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("ok - forced enrolment"), "{stdout}");

    let secrets: Vec<String> = stdout
        .lines()
        .find_map(|line| line.strip_prefix("SECRETS "))
        .map(|json| serde_json::from_str(json).expect("the secrets as JSON"))
        .expect("the secrets the browser handled");
    assert!(secrets.len() > 30, "{secrets:?}");
    let logged = logs.text();
    assert!(logged.contains("/portal/"), "the requests were logged");
    for secret in &secrets {
        assert!(
            !logged.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
}
