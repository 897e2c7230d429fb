//! The fixture of the domain tests: a `Hub` over in-memory SQLite with a tenant, a
//! `b2b` customer and a user; a second hub over the same store stands for a second hub
//! instance (its own session cache). Time is tokio's paused clock; a `FreezeGuard`-style idle
//! blocking task keeps it from auto-advancing while SQLite works, so it moves only by
//! `tokio::time::advance`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, mpsc};

use finhub_clock::{SharedClock, TokioClock};
use finhub_core::admin::Administrator;
use finhub_core::auth::{
    AccessCheck, AuthParts, AuthSettings, Hub, IssuedTokens, LoginGrant, LoginRequest, Profile,
    RequestContext, SecondFactorProof, Sessions,
};
use finhub_core::crypto::DataKey;
use finhub_core::error::AuthError;
use finhub_core::ids::{CustomerId, TenantId, Username};
use finhub_core::model::AccountType;
use finhub_core::password::PasswordHasher;
use finhub_core::scope::Scope;
use finhub_core::session_token::{SessionTokens, SigningKey};
use finhub_core::store::Store;
use secrecy::{ExposeSecret, SecretString};

pub(crate) const TENANT: &str = "1234567";
pub(crate) const USERNAME: &str = "alice";
pub(crate) const PASSWORD: &str = "correct horse battery staple";
const SIGNING_SECRET: &str = "domain test signing secret, 32 bytes or more";

/// A tenant with a customer and a user, served by two instances over one store.
pub(crate) struct Domain {
    pub(crate) auth: Hub,
    pub(crate) other: Hub,
    pub(crate) tenant: TenantId,
    pub(crate) customer: CustomerId,
    pub(crate) customer_secret: String,
    pub(crate) admin: Administrator,
    /// The store under both instances (test set-up only).
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: SharedClock,
    _freeze: mpsc::Sender<()>,
}

/// A hub instance of `profile` over `store`.
pub(crate) fn service(store: &Arc<dyn Store>, clock: &SharedClock, profile: Profile) -> Hub {
    let key = SigningKey::new("k1", SecretString::from(SIGNING_SECRET)).expect("key");
    Hub::new(AuthParts {
        store: Arc::clone(store),
        clock: clock.clone(),
        hasher: PasswordHasher::new(2),
        tokens: SessionTokens::new("http://hub.test", &key, &[]),
        data_key: Arc::new(DataKey::from_bytes(&[7u8; 32]).expect("data key")),
        settings: AuthSettings::for_profile(profile),
        audit_lines: None,
    })
}

impl Domain {
    pub(crate) async fn new() -> Self {
        let (freeze, frozen) = mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = frozen.recv();
        });
        let store = finhub_store::connect("sqlite::memory:")
            .await
            .expect("an in-memory store");
        let clock = TokioClock::fixed().shared();
        let auth = service(&store, &clock, Profile::Integration);
        let other = service(&store, &clock, Profile::Integration);
        let tenant = TenantId::parse(TENANT).expect("tenant");
        auth.admin
            .create_tenant(
                &finhub_core::admin::Administrator::new("test set-up"),
                tenant.clone(),
                "Acme",
                Scope::parse("finra:otcMarket finra:fixedIncomeMarket").expect("scope"),
            )
            .await
            .expect("tenant");
        let customer = auth
            .admin
            .create_customer(
                &finhub_core::admin::Administrator::new("test set-up"),
                &tenant,
                "app",
                AccountType::B2b,
            )
            .await
            .expect("customer");
        auth.admin
            .create_user(
                &finhub_core::admin::Administrator::new("test set-up"),
                &tenant,
                Username::parse(USERNAME).expect("username"),
                SecretString::from(PASSWORD),
            )
            .await
            .expect("user");
        Self {
            auth,
            other,
            tenant,
            customer: customer.customer.id.clone(),
            customer_secret: customer.secret.expose().to_owned(),
            admin: Administrator::new("ops-oliver"),
            store,
            clock,
            _freeze: freeze,
        }
    }

    /// The user's second factor as an administrator sees it.
    pub(crate) async fn mfa_status(&self) -> finhub_core::admin::MfaStatus {
        self.auth
            .admin
            .mfa_status(&self.tenant, &self.user())
            .await
            .expect("status")
    }

    pub(crate) fn user(&self) -> Username {
        Username::parse(USERNAME).expect("username")
    }

    fn request(&self, grant: LoginGrant) -> LoginRequest {
        LoginRequest {
            tenant: self.tenant.clone(),
            customer_id: self.customer.to_string(),
            customer_secret: SecretString::from(self.customer_secret.clone()),
            account_type: AccountType::B2b,
            grant,
        }
    }

    /// The user's password login.
    pub(crate) async fn login(&self, password: &str) -> Result<IssuedTokens, AuthError> {
        self.login_with(password, None).await
    }

    /// The user's password login with a second factor (or none).
    pub(crate) async fn login_with(
        &self,
        password: &str,
        second_factor: Option<SecondFactorProof>,
    ) -> Result<IssuedTokens, AuthError> {
        let grant = LoginGrant::Password {
            username: USERNAME.to_owned(),
            password: SecretString::from(password.to_owned()),
            second_factor,
        };
        self.auth.logins.login(&ctx(), self.request(grant)).await
    }

    /// The customer's `client_credentials` login on `hub`, with `secret`.
    pub(crate) async fn machine_login(
        &self,
        hub: &Hub,
        secret: &str,
    ) -> Result<IssuedTokens, AuthError> {
        let mut request = self.request(LoginGrant::ClientCredentials);
        request.customer_secret = SecretString::from(secret.to_owned());
        hub.logins.login(&ctx(), request).await
    }

    /// The `refresh_token` grant.
    pub(crate) async fn exchange(&self, tokens: &IssuedTokens) -> Result<IssuedTokens, AuthError> {
        let grant = LoginGrant::RefreshToken {
            refresh_token: tokens.refresh_token.clone(),
        };
        self.auth.logins.login(&ctx(), self.request(grant)).await
    }
}

/// A request from loopback over plain HTTP.
pub(crate) fn ctx() -> RequestContext {
    let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
    RequestContext {
        request_id: "domain-test".to_owned(),
        peer_addr: local,
        client_addr: local,
        forwarded_for: None,
        user_agent: None,
        platform: None,
        tenant_header: None,
        client_certificate: Default::default(),
    }
}

/// Whether `service` accepts the session token for a data call.
pub(crate) async fn accepts(sessions: &Sessions, tokens: &IssuedTokens) -> Result<(), AuthError> {
    sessions
        .authenticate(
            &ctx(),
            Some(tokens.user_session_token.expose_secret()),
            AccessCheck::Required,
        )
        .await
        .map(|_| ())
}
