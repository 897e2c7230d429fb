//! `finhub demo`: a working hub in one command on a fresh machine — an in-process FINRA emulator
//! as upstream (serving TRAQS too), the hub on SQLite in a temporary directory, one demo tenant
//! with a `b2b` customer, a user, scope `finra:otcMarket finra:fixedIncomeMarket traqs:ORF
//! traqs:TRACE` and a TRAQS credential minted at start through the emulator's password-and-code
//! sign-in, and a copy-paste walk-through. In integration (second factors `optional`) a second user has a TOTP factor
//! enrolled already: the walk-through prints its `otpauth://` URI and QR code for an
//! authenticator app, and logs in with a code (`oathtool` computes one without a phone).
//!
//! `--database postgres://… --redis redis://… --instances N` runs the scaled-out shape instead:
//! N hub instances in this process over the given PostgreSQL database (a fresh demo tenant in
//! it) sharing limits and FINRA pacing through Redis, behind nginx as a TCP balancer sending
//! PROXY protocol headers when nginx is installed (else each instance's address is printed).
//!
//! `--profile production` adds what that profile demands: a throw-away CA, a server certificate
//! and a client certificate (rcgen) in the temporary directory, HTTPS with mandatory client
//! certificates, the client certificate bound to the demo customer, and the demo tenant's
//! allow-list (127.0.0.1 and ::1). Second factors are `required` there and the demo user has
//! none: the walk-through starts with the forced enrolment.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod balancer;
mod in_process;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use finhub_clock::SharedClock;
use finhub_core::admin::NewTraqsCredential;
use finhub_core::auth::RequestContext;
use finhub_core::cert::CertificateMatcher;
use finhub_core::ids::{TenantId, Username};
use finhub_core::mfa::TotpSecret;
use finhub_core::model::{AccountType, TraqsEnvironment, UpstreamTarget, UserRole};
use finhub_core::net::AllowList;
use finhub_core::scope::Scope;
use finhub_core::secret::random_base64url;
use finra_client::traqs::{TraqsPaths, TraqsSignIn};
use finra_emulator::traqs::{TraqsConfig, TraqsEnvironment as EmulatedTraqs, TraqsUser};
use finra_emulator::{Credential, EmulatorConfig, RunningEmulator, Tier};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use time::OffsetDateTime;

pub use in_process::InProcess;

use crate::AppState;
use crate::config::{Config, RawConfig, Transport};
use crate::tls::TlsServer;
use crate::tls::pki::CertificateAuthority;
use crate::upstream::client_environment;

pub use self::balancer::{Buffering, NginxStream};

/// The demo tenant's id.
pub const DEMO_TENANT: &str = "1234567";
/// The demo user's name.
pub const DEMO_USER: &str = "demo";
/// The demo user with a TOTP factor (integration).
pub const DEMO_MFA_USER: &str = "demo-mfa";
/// The demo tenant's scope.
pub const DEMO_SCOPE: &str = "finra:otcMarket finra:fixedIncomeMarket traqs:ORF traqs:TRACE";

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the hub listens.
    pub listen: SocketAddr,
    /// `integration` or `production`.
    pub profile: String,
    /// Access-token lifetime override.
    pub access_token_ttl_secs: Option<u64>,
    /// Where to write the credentials as JSON.
    pub credentials_out: Option<PathBuf>,
    /// The store (default: SQLite in the demo's temporary directory).
    pub database: Option<String>,
    /// Redis, for limits and FINRA pacing shared by the instances.
    pub redis: Option<String>,
    /// How many hub instances (more than one needs a PostgreSQL `database`).
    pub instances: usize,
    /// A TOML file whose settings go over the demo's own (rate limits, lifetimes, …).
    pub config: Option<PathBuf>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            profile: "integration".into(),
            access_token_ttl_secs: None,
            credentials_out: None,
            database: None,
            redis: None,
            instances: 1,
            config: None,
        }
    }
}

/// What a demo user needs, as `--credentials-out` writes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoCredentials {
    /// The hub's root URL.
    pub base_url: String,
    /// The tenant.
    pub tenant_id: String,
    /// The customer.
    pub customer_id: String,
    /// Its secret.
    pub customer_secret: String,
    /// `b2b`.
    pub account_type: String,
    /// The user.
    pub username: String,
    /// Their password.
    pub password: String,
    /// The CA certificate the hub's server certificate chains to (production: HTTPS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// The client certificate bound to the customer (production).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// Its private key (production).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// The user with a TOTP factor (integration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_user: Option<DemoMfaUser>,
    /// The TRAQS user whose refresh token the demo tenant holds (production TRAQS).
    pub traqs_username: String,
}

/// The demo user whose TOTP factor is enrolled already.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoMfaUser {
    /// The user.
    pub username: String,
    /// Their password.
    pub password: String,
    /// The factor's secret, Base32 (for `oathtool --totp -b`).
    pub totp_secret: String,
    /// The `otpauth://` URI an authenticator app scans.
    pub otpauth_uri: String,
    /// The recovery codes of the enrolment.
    pub recovery_codes: Vec<String>,
}

/// A demo ready to serve: the emulator running, the hub's state seeded, the listeners bound.
#[derive(Debug)]
pub struct Demo {
    /// The (first) instance's state.
    pub state: AppState,
    /// Its bound listener.
    pub listener: tokio::net::TcpListener,
    /// The further instances (`--instances`), each with its own state over the same database.
    pub siblings: Vec<(AppState, tokio::net::TcpListener)>,
    /// nginx in front of the instances, when there are several and nginx is installed.
    pub balancer: Option<NginxStream>,
    /// Where the demo's data is kept, in words (never a URL: it may hold a password).
    pub store_description: String,
    /// The credentials of the demo tenant.
    pub credentials: DemoCredentials,
    /// The upstream emulator (stops when dropped).
    pub emulator: RunningEmulator,
    /// The temporary directory holding the database (and, in production, the certificates).
    pub dir: PathBuf,
    /// HTTPS (production): serve with [`crate::serve_tls`].
    pub tls: Option<TlsServer>,
}

/// The throw-away PKI files of a production demo.
#[derive(Debug)]
struct DemoPki {
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    crl: PathBuf,
    client_fingerprint: finhub_core::cert::CertFingerprint,
}

/// Generates a CA, a server certificate for the listening address and a client certificate
/// into `dir` (keys readable by the owner only).
fn generate_pki(dir: &Path, listen: SocketAddr, now: OffsetDateTime) -> anyhow::Result<DemoPki> {
    let ca = CertificateAuthority::new("FinHub demo CA", now)?;
    let server = ca.issue_server(&[listen.ip()], now)?;
    let client = ca.issue_client("finhub-demo-client", now)?;
    let crl = ca.crl(&[], now)?;
    let pki = DemoPki {
        ca_cert: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
        crl: dir.join("ca.crl.pem"),
        client_fingerprint: client.fingerprint(),
    };
    write_file(&pki.ca_cert, ca.certificate().cert_pem.as_bytes(), false)?;
    write_file(&pki.server_cert, server.cert_pem.as_bytes(), false)?;
    write_file(&pki.server_key, server.key_pem.as_bytes(), true)?;
    write_file(&pki.client_cert, client.cert_pem.as_bytes(), false)?;
    write_file(&pki.client_key, client.key_pem.as_bytes(), true)?;
    write_file(&pki.crl, crl.as_bytes(), false)?;
    Ok(pki)
}

/// Writes a file; a `private` one is created readable by its owner only (mode 0600, never
/// readable by others even for a moment), and one that existed is restricted too.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot restrict {}", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Starts the emulator, builds and seeds the hub, binds the listener, in a new temporary
/// directory, which is removed again when any of it fails (a port in use, say).
pub async fn prepare(options: &DemoOptions, clock: SharedClock) -> anyhow::Result<Demo> {
    let dir = std::env::temp_dir().join(format!(
        "finhub-demo-{}-{}",
        std::process::id(),
        random_base64url(6)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let prepared = prepare_in(options, clock, dir.clone()).await;
    if prepared.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    prepared
}

async fn prepare_in(
    options: &DemoOptions,
    clock: SharedClock,
    dir: PathBuf,
) -> anyhow::Result<Demo> {
    let production = options.profile == "production";

    let upstream_secret = random_base64url(24);
    let traqs_user = TraqsUser::demo();
    let emulator = finra_emulator::spawn(
        EmulatorConfig::default()
            .with_credentials([Credential::new(
                "finhub-demo",
                upstream_secret.clone(),
                Tier::Public,
            )])
            .with_traqs(TraqsConfig {
                environment: EmulatedTraqs::Production,
                users: vec![traqs_user.clone()],
                ..TraqsConfig::default()
            })
            .with_clock(clock.clone()),
    )
    .await
    .context("cannot start the FINRA emulator")?;

    let pki = if production {
        Some(generate_pki(&dir, options.listen, clock.now_utc())?)
    } else {
        None
    };
    let front = Front::bind(options, &dir).await?;
    let raw = demo_config(options, &dir, pki.as_ref(), &front)?;
    let config = Config::from_raw(raw.clone())?;
    let tls = match config.serving_transport()? {
        Transport::Tls(files) => Some(TlsServer::load(files)?),
        Transport::PlainHttp | Transport::Unconfigured => None,
    };
    let state = AppState::build(config, clock.clone()).await?;
    let mut siblings = Vec::new();
    for _ in 1..front.listeners.len() {
        let config = Config::from_raw(raw.clone())?;
        siblings.push(AppState::build(config, clock.clone()).await?);
    }
    let Front {
        listeners,
        balancer,
        base_url: front_url,
    } = front;
    let mut listeners = listeners.into_iter();
    let listener = listeners.next().context("the first instance's listener")?;
    let siblings: Vec<_> = siblings.into_iter().zip(listeners).collect();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{front_url}");

    let domain = &state.admin;
    let demo = finhub_core::admin::Administrator::new("finhub demo");
    // A database of the user's may hold an earlier demo's tenant: a new one each time there.
    let tenant_id = match options.database {
        None => DEMO_TENANT.to_owned(),
        Some(_) => format!("9{:08}", rand::random_range(0..100_000_000u32)),
    };
    let tenant = TenantId::parse(&tenant_id).map_err(anyhow::Error::msg)?;
    domain
        .create_tenant(
            &demo,
            tenant.clone(),
            "Demo tenant",
            Scope::parse(DEMO_SCOPE).map_err(anyhow::Error::msg)?,
        )
        .await?;
    let customer = domain
        .create_customer(&demo, &tenant, "Demo app", AccountType::B2b)
        .await?;
    if let Some(pki) = &pki {
        // Production: allow-lists are mandatory, and the customer's client certificate is bound.
        let loopback =
            AllowList::parse(&["127.0.0.1/32", "::1/128"]).map_err(anyhow::Error::msg)?;
        domain.set_allow_list(&demo, &tenant, &loopback).await?;
        domain
            .bind_certificate(
                &demo,
                &tenant,
                &customer.customer.id,
                CertificateMatcher::Fingerprint(pki.client_fingerprint),
            )
            .await?;
    }
    let password = random_base64url(12);
    let demo_user = Username::parse(DEMO_USER).map_err(anyhow::Error::msg)?;
    domain
        .create_user(
            &demo,
            &tenant,
            demo_user.clone(),
            SecretString::from(password.clone()),
        )
        .await?;
    // The demo user also administers the tenant, so the portal shows its users and audit trail.
    domain
        .set_user_role(&demo, &tenant, &demo_user, UserRole::TenantAdmin)
        .await?;
    domain
        .set_upstream_credential(
            &demo,
            &tenant,
            "finhub-demo",
            &SecretString::from(upstream_secret),
            UpstreamTarget::Custom {
                api_base: emulator.base_url(),
                token_url: emulator.token_url(),
            },
        )
        .await?;

    set_traqs_credential(&state, &demo, &tenant, &emulator, &traqs_user).await?;

    let mfa_user = if production {
        None
    } else {
        Some(enrolled_user(&state, &demo, &tenant).await?)
    };
    let credentials = DemoCredentials {
        base_url,
        tenant_id,
        customer_id: customer.customer.id.to_string(),
        customer_secret: customer.secret.expose().to_owned(),
        account_type: "b2b".to_owned(),
        username: DEMO_USER.to_owned(),
        password,
        ca_cert: pki.as_ref().map(|p| p.ca_cert.display().to_string()),
        client_cert: pki.as_ref().map(|p| p.client_cert.display().to_string()),
        client_key: pki.as_ref().map(|p| p.client_key.display().to_string()),
        mfa_user,
        traqs_username: traqs_user.email.clone(),
    };
    if let Some(path) = &options.credentials_out {
        write_credentials(path, &credentials)?;
    }
    let store_description = match (&options.database, &options.redis) {
        (None, _) => format!("SQLite in {}", dir.display()),
        (Some(_), None) => "PostgreSQL".to_owned(),
        (Some(_), Some(_)) => "PostgreSQL, limits shared through Redis".to_owned(),
    };
    Ok(Demo {
        state,
        listener,
        siblings,
        balancer,
        store_description,
        credentials,
        emulator,
        dir,
        tls,
    })
}

/// Signs in to the emulator's TRAQS as `user` (password, then the authenticator's code), mints a
/// refresh token and sets it as the demo tenant's production TRAQS credential: what `finhub
/// admin traqs login` does with a person at the keyboard.
async fn set_traqs_credential(
    state: &AppState,
    demo: &finhub_core::admin::Administrator,
    tenant: &TenantId,
    emulator: &RunningEmulator,
    user: &TraqsUser,
) -> anyhow::Result<()> {
    let base_url = emulator.base_url();
    let sign_in = TraqsSignIn::new(
        client_environment(TraqsEnvironment::Production),
        Some(&base_url),
        TraqsPaths::default(),
        reqwest::Client::new(),
    )?;
    let code = TotpSecret::from_bytes(user.secret.clone())?.code_at(state.clock.now_utc())?;
    let session = sign_in
        .sign_in(
            &user.email,
            &SecretString::from(user.password.clone()),
            &code,
        )
        .await
        .context("signing in to the emulator's TRAQS")?;
    let minted = sign_in.mint_refresh_token(&session).await?;
    state
        .admin
        .set_traqs_credential(
            demo,
            tenant,
            &NewTraqsCredential {
                environment: TraqsEnvironment::Production,
                username: user.email.clone(),
                refresh_token: minted.token,
                expires_at: Some(minted.expires_at),
                base_url: Some(base_url),
            },
        )
        .await?;
    Ok(())
}

/// Creates [`DEMO_MFA_USER`] and enrols a TOTP factor for them through the domain's own
/// enrolment steps (start, then confirm with the current code), as their authenticator would.
async fn enrolled_user(
    state: &AppState,
    demo: &finhub_core::admin::Administrator,
    tenant: &TenantId,
) -> anyhow::Result<DemoMfaUser> {
    let username = Username::parse(DEMO_MFA_USER).map_err(anyhow::Error::msg)?;
    let password = random_base64url(12);
    state
        .admin
        .create_user(
            demo,
            tenant,
            username.clone(),
            SecretString::from(password.clone()),
        )
        .await?;
    let ctx = RequestContext::internal("finhub-demo");
    let factors = state.logins.second_factors();
    let pending = factors.start_totp(&ctx, tenant, &username).await?;
    // The previous step's code (inside the accepted window): the confirming step counts as
    // used, and the person's first login should not have to wait for the next one.
    let code = pending
        .secret
        .code_at(state.clock.now_utc() - time::Duration::seconds(30))?;
    let recovery_codes = factors
        .confirm_totp(
            &ctx,
            tenant,
            &username,
            &pending.factor_id,
            code.expose_secret(),
        )
        .await?;
    Ok(DemoMfaUser {
        username: DEMO_MFA_USER.to_owned(),
        password,
        totp_secret: pending.secret.to_base32().expose_secret().to_owned(),
        otpauth_uri: pending
            .secret
            .otpauth_uri(tenant, &username)
            .expose_secret()
            .to_owned(),
        recovery_codes: recovery_codes
            .iter()
            .map(|code| code.display().expose_secret().to_owned())
            .collect(),
    })
}

/// Where the demo's clients connect: one instance's listener, or nginx in front of several.
struct Front {
    /// One per instance.
    listeners: Vec<tokio::net::TcpListener>,
    /// nginx, when it fronts them.
    balancer: Option<NginxStream>,
    /// The address clients use (`host:port`).
    base_url: SocketAddr,
}

impl Front {
    /// Binds the instances' listeners and starts nginx in front of them when there are several
    /// and it is installed.
    async fn bind(options: &DemoOptions, dir: &Path) -> anyhow::Result<Self> {
        let bind = |addr: SocketAddr| async move {
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))
        };
        let instances = options.instances.max(1);
        if instances > 1 {
            let shared_database = options.database.as_deref().is_some_and(|url| {
                finhub_store::Backend::from_url(url).ok() == Some(finhub_store::Backend::Postgres)
            });
            anyhow::ensure!(
                shared_database,
                "--instances {instances} needs a database the instances share: add \
                 --database postgres://USER@HOST/DATABASE"
            );
        }
        let nginx = (instances > 1).then(NginxStream::installed).flatten();
        let Some(nginx) = nginx else {
            // One instance on the address asked for, the others on free ports beside it.
            let mut listeners = vec![bind(options.listen).await?];
            for _ in 1..instances {
                listeners.push(bind(SocketAddr::new(options.listen.ip(), 0)).await?);
            }
            let base_url = listeners[0].local_addr()?;
            return Ok(Self {
                listeners,
                balancer: None,
                base_url,
            });
        };
        let mut listeners = Vec::new();
        for _ in 0..instances {
            listeners.push(bind(SocketAddr::new(options.listen.ip(), 0)).await?);
        }
        let addresses = listeners
            .iter()
            .map(tokio::net::TcpListener::local_addr)
            .collect::<Result<Vec<_>, _>>()?;
        let listen = match options.listen.port() {
            // nginx needs a port of its own: one free now.
            0 => std::net::TcpListener::bind(options.listen)?.local_addr()?,
            _ => options.listen,
        };
        let balancer = NginxStream::start(&nginx, listen, &addresses, 2, &dir.join("nginx"))?;
        Ok(Self {
            listeners,
            base_url: balancer.listen(),
            balancer: Some(balancer),
        })
    }
}

fn demo_config(
    options: &DemoOptions,
    dir: &Path,
    pki: Option<&DemoPki>,
    front: &Front,
) -> anyhow::Result<RawConfig> {
    // Fresh keys for every demo: 256 random bits each.
    let data_key = URL_SAFE_NO_PAD
        .decode(random_base64url(32))
        .context("random bytes")?;
    let scheme = if pki.is_some() { "https" } else { "http" };
    let mut raw = RawConfig {
        profile: options.profile.clone(),
        listen: options.listen.to_string(),
        public_url: Some(format!("{scheme}://{}", front.base_url)),
        database_url: options
            .database
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}?mode=rwc", dir.join("finhub.db").display())),
        ..RawConfig::default()
    };
    raw.keys.session_secret = Some(random_base64url(32));
    raw.keys.data_key = Some(STANDARD.encode(data_key));
    raw.sessions.access_token_ttl_secs = options.access_token_ttl_secs;
    if let Some(url) = &options.redis {
        raw.redis.url = Some(url.clone());
        raw.redis.key_prefix = format!("finhub-demo-{}", random_base64url(6));
        raw.redis.expected_instances = u32::try_from(options.instances.max(1)).unwrap_or(1);
    }
    // Production serves /metrics and /readyz on a listener of their own: a free port here, so
    // several demos (and instances) never collide.
    raw.metrics.listen = (options.profile == "production").then(|| "127.0.0.1:0".to_owned());
    if front.balancer.is_some() {
        // The instances hear clients through nginx's PROXY headers, and only from it.
        raw.trusted_proxies = vec!["127.0.0.1/32".into(), "::1/128".into()];
        raw.proxy_protocol = true;
    }
    match pki {
        Some(pki) => {
            let path = |p: &PathBuf| p.display().to_string();
            raw.tls.cert_path = Some(path(&pki.server_cert));
            raw.tls.key_path = Some(path(&pki.server_key));
            raw.tls.client_ca_paths = vec![path(&pki.ca_cert)];
            raw.tls.crl_paths = vec![path(&pki.crl)];
        }
        None => raw.tls.plain_http = true,
    }
    if let Some(file) = &options.config {
        raw = raw.overlaid(file)?;
    }
    // Checked here, so a bad --database, --redis or --config is reported before anything starts.
    Config::from_raw(raw.clone())?;
    Ok(raw)
}

/// Writes the credentials (a password and a customer secret) readable by the owner only.
fn write_credentials(path: &Path, credentials: &DemoCredentials) -> anyhow::Result<()> {
    write_file(path, &serde_json::to_vec_pretty(credentials)?, true)
}

/// With several instances: where each listens and what fronts them (nothing for one).
pub fn instances(demo: &Demo, out: &mut dyn Write) -> std::io::Result<()> {
    if demo.siblings.is_empty() {
        return Ok(());
    }
    let addresses = std::iter::once(&demo.listener)
        .chain(demo.siblings.iter().map(|(_, listener)| listener))
        .map(|listener| listener.local_addr().map(|a| a.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    writeln!(
        out,
        "\n{} hub instances over one database:",
        addresses.len()
    )?;
    for (n, address) in addresses.iter().enumerate() {
        writeln!(out, "  instance {}: {address}", n + 1)?;
    }
    match &demo.balancer {
        Some(balancer) => writeln!(
            out,
            "nginx on {} passes TCP through to them (round robin) with PROXY protocol headers; \
             the instances accept connections only through it.",
            balancer.listen()
        )?,
        None => writeln!(
            out,
            "nginx is not installed (apt-get install nginx libnginx-mod-stream puts it in front): \
             the walk-through talks to instance 1; any other address works the same."
        )?,
    }
    Ok(())
}

/// Where the portal is, and who can sign in there.
fn portal(c: &DemoCredentials, out: &mut dyn Write) -> std::io::Result<()> {
    let certificate = if c.client_cert.is_some() {
        " (the browser presents the client certificate above)"
    } else {
        ""
    };
    writeln!(
        out,
        "In a browser, the portal: {}/portal/{certificate}\n  \
         sign in to tenant {} as {} with password {} (the tenant's administrator: its users\n  \
         and audit trail too); set up an authenticator app, see and end your sessions.",
        c.base_url, c.tenant_id, c.username, c.password
    )?;
    if let Some(mfa) = &c.mfa_user {
        writeln!(
            out,
            "  Or as {} with password {}, then a code of the factor shown in step 1a.",
            mfa.username, mfa.password
        )?;
    }
    writeln!(out)
}

/// The walk-through printed after the `listening on` line.
pub fn walkthrough(demo: &Demo, out: &mut dyn Write) -> std::io::Result<()> {
    let c = &demo.credentials;
    let base = &c.base_url;
    // Production: every curl call presents the client certificate and trusts the demo CA.
    let tls_args = match (&c.ca_cert, &c.client_cert, &c.client_key) {
        (Some(ca), Some(cert), Some(key)) => {
            format!("--cacert {ca} --cert {cert} --key {key} \\\n  ")
        }
        _ => String::new(),
    };
    let profile = if demo.tls.is_some() {
        "production profile: HTTPS, mandatory client certificates bound to customers, allow-list \
         127.0.0.1 and ::1, audit on, strict rate limits"
    } else {
        "integration profile"
    };
    let login = format!(
        r#"{{"username":"{}","password":"{}","customerId":"{}","customerSecret":"{}","accountType":"b2b","grantType":"password"}}"#,
        c.username, c.password, c.customer_id, c.customer_secret
    );
    writeln!(
        out,
        "\nFinHub demo ({profile}, {}), upstream: FINRA emulator at {}\n\
         \n  tenantId        {}\n  customerId      {}\n  customerSecret  {}\n  accountType     b2b\n  \
         username        {}\n  password        {}\n  scope           {DEMO_SCOPE}\n",
        demo.store_description,
        demo.emulator.base_url(),
        c.tenant_id,
        c.customer_id,
        c.customer_secret,
        c.username,
        c.password,
    )?;
    if let (Some(ca), Some(cert), Some(key)) = (&c.ca_cert, &c.client_cert, &c.client_key) {
        writeln!(
            out,
            "  CA certificate  {ca}\n  client cert     {cert} (bound to the customer)\n  \
             client key      {key}\n"
        )?;
    }
    portal(c, out)?;
    let headers = format!(
        "-H 'Content-Type: application/json' \\\n  \
         -H 'sec-ch-ua-platform: Linux' -H 'X-Forwarded-For: 127.0.0.1' -H 'User-Agent: curl' \\\n  \
         -H 'X-Tenant-ID: {}'",
        c.tenant_id
    );
    let pick = |field: &str| {
        format!("python3 -c 'import json,sys; print(json.load(sys.stdin)[\"{field}\"])'")
    };
    if demo.tls.is_some() {
        writeln!(
            out,
            "1. Log in. This tenant requires a second factor and {user} has none yet, so the hub\n   \
             answers 401 mfa_enrollment_required with an enrolment token (10 minutes, /v1/mfa only):\n\n\
             ENROLL=$(curl -s {tls_args}{base}/v1/auth/token {headers} \\\n  \
             -d '{login}' \\\n  \
             | {pick_enroll})\n\n\
             1a. Start enrolling: the answer has the secret, its otpauth:// URI and a QR code (qrSvg)\n    \
             for an authenticator app. This walk-through computes codes with oathtool instead\n    \
             (apt-get install oathtool):\n\n\
             SECRET=$(curl -s {tls_args}-X POST -H \"Authorization: Bearer $ENROLL\" {base}/v1/mfa/totp \\\n  \
             | {pick_secret})\n\n\
             1b. Confirm with the current code: the answer holds ten recovery codes (shown once) and\n    \
             the login itself, so the enrolment ends logged in:\n\n\
             TOKEN=$(curl -s {tls_args}-X POST -H \"Authorization: Bearer $ENROLL\" \\\n  \
             -H 'Content-Type: application/json' -d \"{{\\\"otp\\\":\\\"$(oathtool --totp -b $SECRET)\\\"}}\" \\\n  \
             {base}/v1/mfa/totp/confirm | {pick_token})\n\n   \
             Later logins add \"otp\":\"$(oathtool --totp -b $SECRET)\" (a new code each 30 s).\n",
            user = c.username,
            pick_enroll = pick("enrollmentToken"),
            pick_secret = pick("secret"),
            pick_token = pick("userSessionToken"),
        )?;
    } else {
        writeln!(
            out,
            "1. Log in (the hub keeps FINRA's token; you get a session token):\n\n\
             TOKEN=$(curl -s {tls_args}{base}/v1/auth/token {headers} \\\n  \
             -d '{login}' \\\n  \
             | {})\n",
            pick("userSessionToken")
        )?;
    }
    if let Some(mfa) = &c.mfa_user {
        let mfa_login = format!(
            r#"{{"username":"{}","password":"{}","customerId":"{}","customerSecret":"{}","accountType":"b2b","grantType":"password","otp":"'$(oathtool --totp -b {})'"}}"#,
            mfa.username, mfa.password, c.customer_id, c.customer_secret, mfa.totp_secret
        );
        let qr = crate::qr::terminal(&SecretString::from(mfa.otpauth_uri.clone()))
            .map(|qr| qr.expose_secret().to_owned())
            .unwrap_or_default();
        writeln!(
            out,
            "1a. {user} (password {password}) has a TOTP factor: scan this with an authenticator app\n    \
             (Google Authenticator, Okta Verify, …), or add {uri}\n\n{qr}\n    \
             Without a phone, oathtool computes the same code (apt-get install oathtool):\n\n\
             MFA_TOKEN=$(curl -s {base}/v1/auth/token {headers} \\\n  \
             -d '{mfa_login}' \\\n  \
             | {pick_token})\n\n    \
             Without the code the hub answers 401 mfa_required; a code already used, 401 invalid_otp.\n    \
             A recovery code works once instead of a code: {recovery}\n",
            user = mfa.username,
            password = mfa.password,
            uri = mfa.otpauth_uri,
            recovery = mfa.recovery_codes.first().map_or("", String::as_str),
            pick_token = pick("userSessionToken"),
        )?;
    }
    writeln!(
        out,
        "2. Call FINRA's Query API through the hub with it:\n\n\
         curl -s {tls_args}-H \"Authorization: Bearer $TOKEN\" -H 'Accept: application/json' \\\n  \
         '{base}/v1/finra/data/group/otcMarket/name/weeklySummary?limit=3'\n"
    )?;
    writeln!(
        out,
        "2b. Download a TRAQS reference-data file through the hub. The demo tenant's TRAQS refresh\n    \
         token was minted at start by signing in to the emulator's TRAQS as {traqs_user} with\n    \
         password and authenticator code; the hub keeps it and exchanges it for access tokens:\n\n\
         curl -s {tls_args}-H \"Authorization: Bearer $TOKEN\" '{base}/v1/traqs/ORF/DAILYLIST' | head -3\n",
        traqs_user = c.traqs_username,
    )?;
    writeln!(
        out,
        "3. Refresh (extends the access token only when 10 % or less of it is left):\n\n\
         curl -s {tls_args}-X POST -H \"Authorization: Bearer $TOKEN\" {base}/v1/auth/refresh\n"
    )?;
    let (tenant, customer) = (&c.tenant_id, &c.customer_id);
    match (&c.ca_cert, &c.client_cert, &c.client_key) {
        (Some(ca), Some(cert), Some(key)) => writeln!(
            out,
            "4. Without the client certificate the hub answers 403 invalid_certificate (audited),\n   \
             whatever the token:\n\n\
             curl -s --cacert {ca} -H \"Authorization: Bearer $TOKEN\" {base}/v1/auth/session\n\n\
             5. Or the finra CLI through the hub, over the same certificate (the customer logs in as a\n   \
             machine; the session is kept and renewed by itself):\n\n\
             export FINRA_HUB={base} FINRA_CA_CERT={ca} FINRA_CLIENT_CERT={cert} FINRA_CLIENT_KEY={key}\n\
             FINRA_HUB_CUSTOMER_SECRET='{secret}' cargo run -q --release -p finra-cli -- \\\n  \
             hub login --tenant {tenant} --customer-id {customer}\n\
             cargo run -q --release -p finra-cli -- query otcMarket/weeklySummary --limit 5 --format json\n\n\
             Press Ctrl-C to stop.",
            secret = c.customer_secret,
        )?,
        _ => writeln!(
            out,
            "4. Or use the finra CLI through the hub: log in once (it asks for the customer secret and\n   \
             the password; the session is kept and renewed by itself), then query:\n\n\
             export FINRA_HUB={base}\n\
             cargo run -q --release -p finra-cli -- hub login --tenant {tenant} --customer-id {customer} \\\n  \
             --username {username}\n\
             cargo run -q --release -p finra-cli -- query otcMarket/weeklySummary --limit 5 --format json\n\n\
             Press Ctrl-C to stop.",
            username = c.username,
        )?,
    }
    out.flush()
}
