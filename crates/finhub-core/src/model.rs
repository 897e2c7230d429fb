//! The records the hub keeps: tenants, customers, users, upstream credentials, sessions and
//! refresh tokens. Secrets appear only as hashes or sealed (encrypted) bytes.

use std::fmt;

use time::OffsetDateTime;

use crate::ids::{CustomerId, FamilyId, TenantId, Username};
use crate::net::AllowList;
use crate::scope::Scope;
use crate::secret::SecretHash;

/// `b2b` (business customers, may use `client_credentials`) or `b2c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// A business customer.
    B2b,
    /// A consumer-facing customer: people log in; no machine grant.
    B2c,
}

impl AccountType {
    /// Parses `accountType` exactly (`b2b` or `b2c`, lower-case).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "b2b" => Some(Self::B2b),
            "b2c" => Some(Self::B2c),
            _ => None,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::B2b => "b2b",
            Self::B2c => "b2c",
        }
    }
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant: the unit of isolation, with its granted scope and address allow-list.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// A display name.
    pub name: String,
    /// The upstream dataset groups its administrator granted.
    pub scope: Scope,
    /// Addresses allowed to use it (empty: any, which production refuses).
    pub allow_list: AllowList,
    /// Disabled tenants cannot log in; their sessions stop working.
    pub disabled: bool,
}

/// What sessions rest on: a whole tenant, one of its customers or one of its users. Ending
/// access for a principal ends every session and refresh-token family that rests on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Every session of the tenant.
    Tenant,
    /// Every session made through this customer (people's and machines').
    Customer(CustomerId),
    /// Every session of this person, through any customer.
    User(Username),
}

/// A customer (an API client of a tenant) with its hashed secret.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Its id.
    pub id: CustomerId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// A display name.
    pub name: String,
    /// Its one account type.
    pub account_type: AccountType,
    /// SHA-256 of the generated secret.
    pub secret_hash: SecretHash,
    /// Disabled customers cannot log in.
    pub disabled: bool,
}

/// What a person may do beyond looking after their own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserRole {
    /// Their own second factor and sessions only.
    #[default]
    Member,
    /// Also the tenant's users and its audit trail, in the portal.
    TenantAdmin,
}

impl UserRole {
    /// Every role.
    pub const ALL: [Self; 2] = [Self::Member, Self::TenantAdmin];

    /// The stored (and command-line) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "user",
            Self::TenantAdmin => "tenant-admin",
        }
    }

    /// The role of this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person who logs in through a customer.
#[derive(Clone)]
pub struct User {
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Its login name.
    pub username: Username,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// What they may do in the portal.
    pub role: UserRole,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("disabled", &self.disabled)
            .field("role", &self.role)
            .finish()
    }
}

/// Where a tenant's upstream FINRA credential points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamTarget {
    /// FINRA production (`api.finra.org`, `ews.fip.finra.org`).
    FinraProduction,
    /// FINRA's QA test environment.
    FinraQa,
    /// Explicit URLs (an emulator, another FinHub).
    Custom {
        /// The Query API base URL.
        api_base: String,
        /// The token URL.
        token_url: String,
    },
}

impl fmt::Display for UpstreamTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FinraProduction => f.write_str("FINRA production"),
            Self::FinraQa => f.write_str("FINRA QA"),
            Self::Custom {
                api_base,
                token_url,
            } => write!(f, "Query API {api_base}, token service {token_url}"),
        }
    }
}

/// A tenant's upstream FINRA credential; the secret is sealed with the hub's data key.
#[derive(Clone)]
pub struct UpstreamCredential {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The FINRA client id.
    pub client_id: String,
    /// The FINRA client secret, encrypted (see `crypto::DataKey`).
    pub sealed_secret: Vec<u8>,
    /// Where it points.
    pub target: UpstreamTarget,
}

impl fmt::Debug for UpstreamCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamCredential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("sealed_secret", &"[sealed]")
            .field("target", &self.target)
            .finish()
    }
}

/// Which upstream token: FINRA's for a tenant's credential, as the instances sharing a database
/// share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTokenKey {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Which upstream (`finra`).
    pub kind: &'static str,
    /// A hash of the credential the token is minted with (client id, secret, token URL): a
    /// token minted with a replaced credential is never used.
    pub credential: SecretHash,
}

/// An upstream access token as the store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredUpstreamToken {
    /// The token, encrypted (see `crypto::DataKey`), bound to its key.
    pub sealed_token: Vec<u8>,
    /// When it ends.
    pub expires_at: OffsetDateTime,
    /// Its whole lifetime.
    pub lifetime: time::Duration,
}

impl fmt::Debug for StoredUpstreamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredUpstreamToken")
            .field("sealed_token", &"[sealed]")
            .field("expires_at", &self.expires_at)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// A TRAQS environment: separate hosts, users, enrolments and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraqsEnvironment {
    /// Production.
    Production,
    /// The NASDAQ Testing Facility.
    Ntf,
}

impl TraqsEnvironment {
    /// Both, in the order listings show them.
    pub const ALL: [Self; 2] = [Self::Production, Self::Ntf];

    /// `production` or `ntf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Ntf => "ntf",
        }
    }

    /// The environment of this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|env| env.as_str() == name)
    }
}

/// A TRAQS facility whose reference data a tenant may download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraqsFacility {
    /// The Alternative Display Facility.
    Adf,
    /// The OTC Reporting Facility.
    Orf,
    /// TRACE (fixed income).
    Trace,
    /// The Trade Reporting Facilities.
    Trf,
}

impl TraqsFacility {
    /// Every facility.
    pub const ALL: [Self; 4] = [Self::Adf, Self::Orf, Self::Trace, Self::Trf];

    /// TRAQS's name: `ADF`, `ORF`, `TRACE` or `TRF`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adf => "ADF",
            Self::Orf => "ORF",
            Self::Trace => "TRACE",
            Self::Trf => "TRF",
        }
    }

    /// The facility of this name, in any case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|facility| facility.as_str().eq_ignore_ascii_case(name))
    }
}

/// A tenant's TRAQS credential in one environment: a person's refresh token, sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct TraqsCredential {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The environment.
    pub environment: TraqsEnvironment,
    /// The TRAQS username (an e-mail address) the token belongs to.
    pub username: String,
    /// The refresh token, encrypted (see `crypto::DataKey`).
    pub sealed_token: Vec<u8>,
    /// When the refresh token ends, when known.
    pub expires_at: Option<OffsetDateTime>,
    /// The TRAQS host's base URL, when not the environment's own (an emulator, a proxy).
    pub base_url: Option<String>,
    /// When it was set.
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for TraqsCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraqsCredential")
            .field("tenant_id", &self.tenant_id)
            .field("environment", &self.environment)
            .field("username", &self.username)
            .field("sealed_token", &"[sealed]")
            .field("expires_at", &self.expires_at)
            .field("base_url", &self.base_url)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A login session: the server side of a `userSessionToken`.
#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the `internalTokenKey`.
    pub key_hash: SecretHash,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The customer it logged in through.
    pub customer_id: CustomerId,
    /// The person, `None` for a machine (`client_credentials`).
    pub username: Option<Username>,
    /// The customer's account type.
    pub account_type: AccountType,
    /// The scope granted at login.
    pub scope: Scope,
    /// The refresh-token family this session belongs to.
    pub family_id: FamilyId,
    /// When it started.
    pub created_at: OffsetDateTime,
    /// When its access token expires (extended by refresh).
    pub access_expires_at: OffsetDateTime,
    /// The lifetime a refresh grants.
    pub access_lifetime: time::Duration,
    /// Its absolute end (the JWT's `exp`).
    pub session_expires_at: OffsetDateTime,
    /// When it was revoked (logout, reuse detection, administrator).
    pub revoked_at: Option<OffsetDateTime>,
    /// How the person proved who they are (`None` for a machine); kept across the family.
    pub authentication: Option<Authentication>,
    /// Where the login came from.
    pub origin: SessionOrigin,
    /// When a request last used it (written at most once a minute); `None` until then.
    pub last_used_at: Option<OffsetDateTime>,
}

/// Where a session was started from, as the client described itself: what a person needs to
/// recognise their own sessions. Client-sent text, cut to a bounded length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOrigin {
    /// `sec-ch-ua-platform` as sent (quotes removed).
    pub platform: Option<String>,
    /// `User-Agent` as sent.
    pub user_agent: Option<String>,
    /// The client address the policies used.
    pub address: Option<String>,
}

impl SessionOrigin {
    /// Longest platform kept, in characters.
    pub const MAX_PLATFORM: usize = 64;
    /// Longest user agent kept, in characters.
    pub const MAX_USER_AGENT: usize = 256;

    /// An origin from what the client sent, cut to the bounds.
    pub fn new(platform: Option<&str>, user_agent: Option<&str>, address: Option<String>) -> Self {
        let cut = |text: &str, max: usize| text.chars().take(max).collect::<String>();
        Self {
            platform: platform
                .map(|p| cut(p.trim().trim_matches('"'), Self::MAX_PLATFORM))
                .filter(|p| !p.is_empty()),
            user_agent: user_agent
                .map(|ua| cut(ua.trim(), Self::MAX_USER_AGENT))
                .filter(|ua| !ua.is_empty()),
            address,
        }
    }
}

/// A way a person proved who they are at login, as RFC 8176 names it in `amr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// A password.
    Pwd,
    /// A one-time password (a TOTP code).
    Otp,
    /// More than one factor.
    Mfa,
}

impl AuthMethod {
    /// The RFC 8176 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
            Self::Otp => "otp",
            Self::Mfa => "mfa",
        }
    }

    /// The method of this name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Pwd, Self::Otp, Self::Mfa]
            .into_iter()
            .find(|method| method.as_str() == name)
    }
}

/// A person's login: the methods that proved it (`amr`) and when (`auth_time`). Every session
/// of the refresh-token family the login started keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The methods, in RFC 8176's names.
    pub methods: Vec<AuthMethod>,
    /// When the login proved them.
    pub at: OffsetDateTime,
}

impl Authentication {
    /// A login with a password alone at `at`.
    pub fn password(at: OffsetDateTime) -> Self {
        Self {
            methods: vec![AuthMethod::Pwd],
            at,
        }
    }
}

/// A hub refresh token, stored by hash.
#[derive(Debug, Clone)]
pub struct RefreshTokenRecord {
    /// SHA-256 of the token.
    pub hash: SecretHash,
    /// Its family.
    pub family_id: FamilyId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The customer that obtained it.
    pub customer_id: CustomerId,
    /// The person, `None` for a machine.
    pub username: Option<Username>,
    /// The session it was issued with.
    pub session_key_hash: SecretHash,
    /// Absolute expiry of the family.
    pub expires_at: OffsetDateTime,
    /// When it was exchanged (it is single-use).
    pub used_at: Option<OffsetDateTime>,
    /// The pair its exchange produced, sealed, kept for the grace window so a retry gets it.
    pub successor: Option<Vec<u8>>,
    /// When its family was revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// How the person of the family's login proved who they are (`None` for a machine).
    pub authentication: Option<Authentication>,
}

/// A user's TOTP factor as stored: pending (until `expires_at`) or active (since
/// `confirmed_at`). The secret is sealed with the data key, bound to tenant, user and factor.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The user.
    pub username: Username,
    /// The factor.
    pub id: crate::ids::FactorId,
    /// The sealed secret.
    pub sealed_secret: Vec<u8>,
    /// When enrolment started.
    pub created_at: OffsetDateTime,
    /// When it was confirmed; `None` while pending.
    pub confirmed_at: Option<OffsetDateTime>,
    /// When a pending factor lapses; `None` once active.
    pub expires_at: Option<OffsetDateTime>,
    /// The last step whose code was accepted.
    pub last_used_step: Option<u64>,
}

impl TotpFactor {
    /// Whether it is the user's active factor.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

impl fmt::Debug for TotpFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpFactor")
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .field("confirmed_at", &self.confirmed_at)
            .field("expires_at", &self.expires_at)
            .field("last_used_step", &self.last_used_step)
            .finish_non_exhaustive()
    }
}
