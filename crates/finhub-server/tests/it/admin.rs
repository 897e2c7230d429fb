//! `finhub admin` as an operator meets it: records that exist or do not are named in the
//! operator's words, a bad argument names the flag it came in, the upstream target reads as
//! a person says it, and ending access reports how many sessions it ended.

use finhub_core::admin::{Administrator, NewTraqsCredential};
use finhub_core::model::UpstreamTarget;
use finhub_server::admin::{AdminCommand, TenantCommand, UserCommand};
use secrecy::SecretString;

use crate::support::{TENANT, TestApp, USERNAME};

async fn admin(app: &TestApp, command: AdminCommand) -> Result<String, String> {
    let mut out = Vec::new();
    finhub_server::admin::run(app.admin(), &Administrator::new("ops"), command, &mut out)
        .await
        .map(|()| String::from_utf8_lossy(&out).into_owned())
        .map_err(|error| format!("{error:#}"))
}

fn create_tenant(id: &str) -> AdminCommand {
    AdminCommand::Tenant(TenantCommand::Create {
        id: id.to_owned(),
        name: "Another".to_owned(),
        scope: "finra:otcMarket".to_owned(),
    })
}

#[tokio::test(start_paused = true)]
async fn records_that_exist_or_do_not_are_named_plainly() {
    let app = TestApp::builder().with_user().build().await;
    assert!(admin(&app, create_tenant("7654321")).await.is_ok());
    assert_eq!(
        admin(&app, create_tenant("7654321")).await,
        Err("tenant 7654321 already exists".to_owned())
    );
    let bad = admin(&app, create_tenant("76x"))
        .await
        .expect_err("not digits");
    assert!(bad.starts_with("--id \"76x\""), "{bad}");
    let unknown = AdminCommand::User(UserCommand::Disable {
        tenant: TENANT.to_owned(),
        username: "bob".to_owned(),
    });
    assert_eq!(
        admin(&app, unknown).await,
        Err(format!("user bob of tenant {TENANT} not found"))
    );
    let disable = AdminCommand::User(UserCommand::Disable {
        tenant: TENANT.to_owned(),
        username: USERNAME.to_owned(),
    });
    app.password_login().await;
    assert_eq!(
        admin(&app, disable).await,
        Ok(format!("user {USERNAME}: disabled; 1 session ended\n"))
    );
}

#[tokio::test(start_paused = true)]
async fn the_upstream_target_reads_as_a_person_says_it() {
    let app = TestApp::new().await;
    let tenant = finhub_core::ids::TenantId::parse(TENANT).expect("tenant");
    app.admin()
        .set_upstream_credential(
            &finhub_core::admin::Administrator::new("test set-up"),
            &tenant,
            "client-1",
            &SecretString::from("s3cret"),
            UpstreamTarget::Custom {
                api_base: "http://127.0.0.1:8700".to_owned(),
                token_url: "http://127.0.0.1:8700/fip/rest/ews/oauth2/access_token".to_owned(),
            },
        )
        .await
        .expect("set");
    let show = AdminCommand::Upstream(finhub_server::admin::UpstreamCommand::Show {
        tenant: TENANT.to_owned(),
    });
    assert_eq!(
        admin(&app, show).await,
        Ok(
            "client_id: client-1\ntarget: Query API http://127.0.0.1:8700, token service \
            http://127.0.0.1:8700/fip/rest/ews/oauth2/access_token\n"
                .to_owned()
        )
    );
}

#[tokio::test(start_paused = true)]
async fn second_factors_are_administered_by_policy_status_and_reset() {
    use finhub_server::admin::MfaCommand;

    let app = TestApp::builder().with_user().build().await;
    let set = |policy: &str| {
        AdminCommand::Tenant(TenantCommand::SetMfa {
            tenant: TENANT.to_owned(),
            policy: policy.to_owned(),
        })
    };
    assert_eq!(
        admin(&app, set("required")).await,
        Ok(format!("tenant {TENANT}: second-factor policy required\n"))
    );
    let status = || {
        AdminCommand::Mfa(MfaCommand::Status {
            tenant: TENANT.to_owned(),
            username: USERNAME.to_owned(),
        })
    };
    assert_eq!(
        admin(&app, status()).await,
        Ok(format!(
            "user {USERNAME} of tenant {TENANT}: policy required, TOTP not enrolled, 0 recovery \
             codes left, 0 consecutive failures\n"
        ))
    );
    assert_eq!(
        admin(&app, set("default")).await,
        Ok(format!(
            "tenant {TENANT}: second-factor policy the profile's default\n"
        ))
    );
    assert!(
        admin(&app, status())
            .await
            .is_ok_and(|line| line.contains("policy optional")),
        "integration's default"
    );

    app.password_login().await;
    let reset = AdminCommand::Mfa(MfaCommand::Reset {
        tenant: TENANT.to_owned(),
        username: USERNAME.to_owned(),
    });
    assert_eq!(
        admin(&app, reset).await,
        Ok(format!(
            "user {USERNAME} of tenant {TENANT}: second factor reset; 1 session ended\n"
        ))
    );
    let unknown = AdminCommand::Mfa(MfaCommand::Status {
        tenant: TENANT.to_owned(),
        username: "bob".to_owned(),
    });
    assert_eq!(
        admin(&app, unknown).await,
        Err(format!("user bob of tenant {TENANT} not found"))
    );
}

#[tokio::test(start_paused = true)]
async fn traqs_credentials_show_their_user_and_expiry_never_the_token() {
    use finhub_core::model::TraqsEnvironment;
    use finhub_server::admin::TraqsCommand;

    let app = TestApp::new().await;
    let status = || {
        AdminCommand::Traqs(TraqsCommand::Status {
            tenant: TENANT.to_owned(),
        })
    };
    assert_eq!(
        admin(&app, status()).await,
        Ok(format!("tenant {TENANT}: no TRAQS credential\n"))
    );
    let token = "trq_never-shown-refresh-token";
    app.admin()
        .set_traqs_credential(
            &Administrator::new("ops"),
            &app.tenant,
            &NewTraqsCredential {
                environment: TraqsEnvironment::Production,
                username: "ops@example.com".into(),
                refresh_token: SecretString::from(token),
                expires_at: Some(time::macros::datetime!(2027-03-01 00:00 UTC)),
                base_url: None,
            },
        )
        .await
        .expect("set");
    let shown = admin(&app, status()).await.expect("status");
    assert!(
        shown.starts_with("production: ops@example.com (expires 2027-03-01T00:00:00Z; set "),
        "{shown}"
    );
    assert!(!shown.contains(token));
}

#[tokio::test(start_paused = true)]
async fn a_users_role_is_set_listed_and_audited() {
    let app = TestApp::builder().with_user().build().await;
    let list = || {
        AdminCommand::User(UserCommand::List {
            tenant: TENANT.to_owned(),
        })
    };
    assert_eq!(
        admin(&app, list()).await,
        Ok(format!("{USERNAME}\tenabled\tuser\n"))
    );
    let set_role = |role: finhub_core::model::UserRole| {
        AdminCommand::User(UserCommand::SetRole {
            tenant: TENANT.to_owned(),
            username: USERNAME.to_owned(),
            role,
        })
    };
    assert_eq!(
        admin(&app, set_role(finhub_core::model::UserRole::TenantAdmin)).await,
        Ok(format!("user {USERNAME}: role tenant-admin\n"))
    );
    assert_eq!(
        admin(&app, list()).await,
        Ok(format!("{USERNAME}\tenabled\ttenant-admin\n"))
    );
    let audited = app.admin().recent_audit_events(1).await.expect("audit");
    assert_eq!(audited[0].action.as_str(), "admin_set_role");
    assert_eq!(audited[0].actor.as_deref(), Some("ops"));
    assert_eq!(audited[0].username.as_deref(), Some(USERNAME));
    let unknown = AdminCommand::User(UserCommand::SetRole {
        tenant: TENANT.to_owned(),
        username: "bob".to_owned(),
        role: finhub_core::model::UserRole::Member,
    });
    assert_eq!(
        admin(&app, unknown).await,
        Err(format!("user bob of tenant {TENANT} not found"))
    );
}
