//! Row ↔ model conversions: how each domain value is laid out in columns, and how rows read back
//! are checked into domain types (a value that no longer parses is `StoreError::Corrupt`).
//!
//! Layout: instants are integer Unix nanoseconds in UTC (exact for every `OffsetDateTime` from
//! 1677-09-21 to 2262-04-11; the offset is not kept, values come back in UTC), durations are
//! integer nanoseconds, scopes are their space-separated `finra:<group>` text, allow-lists a JSON
//! array of CIDR strings, enums their wire names.

use finhub_core::audit::{AuditAction, AuditEvent, AuditOutcome};
use finhub_core::cert::{CertificateBinding, CertificateMatcher};
use finhub_core::error::StoreError;
use finhub_core::ids::{CustomerId, FactorId, FamilyId, TenantId, Username};
use finhub_core::mfa::MfaPolicy;
use finhub_core::model::{
    AccountType, AuthMethod, Authentication, Customer, RefreshTokenRecord, Session, SessionOrigin,
    StoredUpstreamToken, Tenant, TotpFactor, TraqsCredential, TraqsEnvironment, UpstreamCredential,
    UpstreamTarget, User, UserRole,
};
use finhub_core::net::{AllowList, NetList};
use finhub_core::scope::Scope;
use finhub_core::secret::SecretHash;
use finhub_core::store::LoginLookup;
use time::OffsetDateTime;

use crate::error::corrupt;

/// An instant as stored: Unix nanoseconds.
pub(crate) fn timestamp(at: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(at.unix_timestamp_nanos())
        .map_err(|_| corrupt("timestamp", format_args!("{at} is outside 1677..2262")))
}

/// An optional instant as stored.
pub(crate) fn opt_timestamp(at: Option<OffsetDateTime>) -> Result<Option<i64>, StoreError> {
    at.map(timestamp).transpose()
}

fn datetime(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|error| corrupt("timestamp", error))
}

fn opt_datetime(nanos: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    nanos.map(datetime).transpose()
}

/// A duration as stored: nanoseconds.
pub(crate) fn duration_nanos(duration: time::Duration) -> Result<i64, StoreError> {
    i64::try_from(duration.whole_nanoseconds()).map_err(|_| {
        corrupt(
            "duration",
            format_args!("{duration} does not fit in 64 bits"),
        )
    })
}

/// An allow-list as stored: a JSON array of CIDR strings.
pub(crate) fn allow_list_text(list: &AllowList) -> Result<String, StoreError> {
    serde_json::to_string(&list.to_strings()).map_err(|error| corrupt("allow-list", error))
}

fn parse_allow_list(text: &str) -> Result<AllowList, StoreError> {
    let entries: Vec<String> =
        serde_json::from_str(text).map_err(|error| corrupt("allow-list", error))?;
    NetList::parse(&entries).map_err(|error| corrupt("allow-list", error))
}

fn parse_scope(text: &str) -> Result<Scope, StoreError> {
    Scope::parse(text).map_err(|error| corrupt("scope", error))
}

fn parse_account_type(text: &str) -> Result<AccountType, StoreError> {
    AccountType::parse(text).ok_or_else(|| corrupt("account type", format_args!("{text:?}")))
}

/// A tenant's `mfa_policy` column, when set.
pub(crate) fn parse_mfa_policy(name: String) -> Result<MfaPolicy, StoreError> {
    MfaPolicy::parse(&name).ok_or_else(|| corrupt("second-factor policy", name))
}

fn tenant_id(text: &str) -> Result<TenantId, StoreError> {
    TenantId::parse(text).map_err(|error| corrupt("tenant id", error))
}

fn customer_id(text: &str) -> Result<CustomerId, StoreError> {
    CustomerId::parse(text).map_err(|error| corrupt("customer id", error))
}

fn username(text: &str) -> Result<Username, StoreError> {
    Username::parse(text).map_err(|error| corrupt("username", error))
}

fn opt_username(text: Option<&str>) -> Result<Option<Username>, StoreError> {
    text.map(username).transpose()
}

/// Where an upstream credential points, as `(target, api_base, token_url)` columns.
pub(crate) fn target_columns(
    target: &UpstreamTarget,
) -> (&'static str, Option<&str>, Option<&str>) {
    match target {
        UpstreamTarget::FinraProduction => ("finra-production", None, None),
        UpstreamTarget::FinraQa => ("finra-qa", None, None),
        UpstreamTarget::Custom {
            api_base,
            token_url,
        } => ("custom", Some(api_base), Some(token_url)),
    }
}

/// An audit action's stored name (its JSON spelling).
pub(crate) fn action_name(action: AuditAction) -> &'static str {
    action.as_str()
}

fn parse_action(name: &str) -> Result<AuditAction, StoreError> {
    AuditAction::parse(name).ok_or_else(|| corrupt("audit action", format_args!("{name:?}")))
}

/// An audit outcome as `(outcome, error)` columns.
pub(crate) fn outcome_columns(outcome: &AuditOutcome) -> (&'static str, Option<&str>) {
    match outcome {
        AuditOutcome::Success => ("success", None),
        AuditOutcome::Failure(code) => ("failure", Some(code)),
    }
}

/// `tenants` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: String,
    name: String,
    scope: String,
    allow_list: String,
    disabled: bool,
}

impl TenantRow {
    pub(crate) fn into_model(self) -> Result<Tenant, StoreError> {
        Ok(Tenant {
            id: tenant_id(&self.id)?,
            name: self.name,
            scope: parse_scope(&self.scope)?,
            allow_list: parse_allow_list(&self.allow_list)?,
            disabled: self.disabled,
        })
    }
}

/// `customers` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CustomerRow {
    tenant_id: String,
    id: String,
    name: String,
    account_type: String,
    secret_hash: String,
    disabled: bool,
}

impl CustomerRow {
    pub(crate) fn into_model(self) -> Result<Customer, StoreError> {
        Ok(Customer {
            id: customer_id(&self.id)?,
            tenant_id: tenant_id(&self.tenant_id)?,
            name: self.name,
            account_type: parse_account_type(&self.account_type)?,
            secret_hash: SecretHash::from_stored(self.secret_hash),
            disabled: self.disabled,
        })
    }
}

/// `users` columns. No `Debug`: the row holds a password hash.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    tenant_id: String,
    username: String,
    password_hash: String,
    disabled: bool,
    role: String,
}

impl UserRow {
    pub(crate) fn into_model(self) -> Result<User, StoreError> {
        Ok(User {
            tenant_id: tenant_id(&self.tenant_id)?,
            username: username(&self.username)?,
            password_hash: self.password_hash,
            disabled: self.disabled,
            role: UserRole::parse(&self.role)
                .ok_or_else(|| corrupt("user role", format_args!("{:?}", self.role)))?,
        })
    }
}

/// `upstream_credentials` columns. No `Debug`: the row holds the sealed secret.
#[derive(sqlx::FromRow)]
pub(crate) struct UpstreamCredentialRow {
    tenant_id: String,
    client_id: String,
    sealed_secret: Vec<u8>,
    target: String,
    api_base: Option<String>,
    token_url: Option<String>,
}

impl UpstreamCredentialRow {
    pub(crate) fn into_model(self) -> Result<UpstreamCredential, StoreError> {
        let target = match (self.target.as_str(), self.api_base, self.token_url) {
            ("finra-production", None, None) => UpstreamTarget::FinraProduction,
            ("finra-qa", None, None) => UpstreamTarget::FinraQa,
            ("custom", Some(api_base), Some(token_url)) => UpstreamTarget::Custom {
                api_base,
                token_url,
            },
            (other, ..) => return Err(corrupt("upstream target", format_args!("{other:?}"))),
        };
        Ok(UpstreamCredential {
            tenant_id: tenant_id(&self.tenant_id)?,
            client_id: self.client_id,
            sealed_secret: self.sealed_secret,
            target,
        })
    }
}

/// A login's `amr` as stored: RFC 8176 names, space-separated.
pub(crate) fn amr_text(authentication: Option<&Authentication>) -> Option<String> {
    authentication.map(|proof| {
        proof
            .methods
            .iter()
            .map(|method| method.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// A login's `auth_time` as stored.
pub(crate) fn auth_time(
    authentication: Option<&Authentication>,
) -> Result<Option<i64>, StoreError> {
    authentication.map(|proof| timestamp(proof.at)).transpose()
}

fn authentication(
    amr: Option<String>,
    at: Option<i64>,
) -> Result<Option<Authentication>, StoreError> {
    match (amr, at) {
        (None, None) => Ok(None),
        (Some(amr), Some(at)) => {
            let methods = amr
                .split(' ')
                .map(|name| AuthMethod::parse(name).ok_or_else(|| corrupt("amr", name)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(Authentication {
                methods,
                at: datetime(at)?,
            }))
        }
        (amr, at) => Err(corrupt(
            "amr and auth_time",
            format_args!("{amr:?} / {at:?}"),
        )),
    }
}

/// `sessions` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionRow {
    key_hash: String,
    tenant_id: String,
    customer_id: String,
    username: Option<String>,
    account_type: String,
    scope: String,
    family_id: String,
    created_at: i64,
    access_expires_at: i64,
    access_lifetime_ns: i64,
    session_expires_at: i64,
    revoked_at: Option<i64>,
    amr: Option<String>,
    auth_time: Option<i64>,
    platform: Option<String>,
    user_agent: Option<String>,
    address: Option<String>,
    last_used_at: Option<i64>,
}

impl SessionRow {
    pub(crate) fn into_model(self) -> Result<Session, StoreError> {
        Ok(Session {
            key_hash: SecretHash::from_stored(self.key_hash),
            tenant_id: tenant_id(&self.tenant_id)?,
            customer_id: customer_id(&self.customer_id)?,
            username: opt_username(self.username.as_deref())?,
            account_type: parse_account_type(&self.account_type)?,
            scope: parse_scope(&self.scope)?,
            family_id: FamilyId::from_stored(self.family_id),
            created_at: datetime(self.created_at)?,
            access_expires_at: datetime(self.access_expires_at)?,
            access_lifetime: time::Duration::nanoseconds(self.access_lifetime_ns),
            session_expires_at: datetime(self.session_expires_at)?,
            revoked_at: opt_datetime(self.revoked_at)?,
            authentication: authentication(self.amr, self.auth_time)?,
            origin: SessionOrigin {
                platform: self.platform,
                user_agent: self.user_agent,
                address: self.address,
            },
            last_used_at: opt_datetime(self.last_used_at)?,
        })
    }
}

/// A query that reads whole sessions: every column of `sessions`, in [`SessionRow`]'s order,
/// then the rest of the statement (`WHERE …`), as one literal.
macro_rules! select_sessions {
    ($rest:literal) => {
        concat!(
            "SELECT key_hash, tenant_id, customer_id, username, account_type, scope, family_id, \
             created_at, access_expires_at, access_lifetime_ns, session_expires_at, revoked_at, \
             amr, auth_time, platform, user_agent, address, last_used_at FROM sessions ",
            $rest
        )
    };
}
pub(crate) use select_sessions;

/// `refresh_tokens` columns. No `Debug`: the row holds the sealed successor.
#[derive(sqlx::FromRow)]
pub(crate) struct RefreshTokenRow {
    hash: String,
    family_id: String,
    tenant_id: String,
    customer_id: String,
    username: Option<String>,
    session_key_hash: String,
    expires_at: i64,
    used_at: Option<i64>,
    successor: Option<Vec<u8>>,
    revoked_at: Option<i64>,
    amr: Option<String>,
    auth_time: Option<i64>,
}

impl RefreshTokenRow {
    pub(crate) fn into_model(self) -> Result<RefreshTokenRecord, StoreError> {
        Ok(RefreshTokenRecord {
            hash: SecretHash::from_stored(self.hash),
            family_id: FamilyId::from_stored(self.family_id),
            tenant_id: tenant_id(&self.tenant_id)?,
            customer_id: customer_id(&self.customer_id)?,
            username: opt_username(self.username.as_deref())?,
            session_key_hash: SecretHash::from_stored(self.session_key_hash),
            expires_at: datetime(self.expires_at)?,
            used_at: opt_datetime(self.used_at)?,
            successor: self.successor,
            revoked_at: opt_datetime(self.revoked_at)?,
            authentication: authentication(self.amr, self.auth_time)?,
        })
    }
}

/// One row of the login lookup: every column optional, as each table is left-joined.
#[derive(sqlx::FromRow)]
pub(crate) struct LoginLookupRow {
    t_id: Option<String>,
    t_name: Option<String>,
    t_scope: Option<String>,
    t_allow_list: Option<String>,
    t_disabled: Option<bool>,
    t_mfa_policy: Option<String>,
    c_tenant_id: Option<String>,
    c_id: Option<String>,
    c_name: Option<String>,
    c_account_type: Option<String>,
    c_secret_hash: Option<String>,
    c_disabled: Option<bool>,
    u_tenant_id: Option<String>,
    u_username: Option<String>,
    u_password_hash: Option<String>,
    u_disabled: Option<bool>,
    u_role: Option<String>,
    a_tenant_id: Option<String>,
    a_username: Option<String>,
    a_id: Option<String>,
    a_sealed_secret: Option<Vec<u8>>,
    a_created_at: Option<i64>,
    a_confirmed_at: Option<i64>,
    a_expires_at: Option<i64>,
    a_last_used_step: Option<i64>,
    f_count: Option<i64>,
    f_last_failure: Option<i64>,
}

impl LoginLookupRow {
    pub(crate) fn into_model(self) -> Result<LoginLookup, StoreError> {
        let tenant = match (
            self.t_id,
            self.t_name,
            self.t_scope,
            self.t_allow_list,
            self.t_disabled,
        ) {
            (Some(id), Some(name), Some(scope), Some(allow_list), Some(disabled)) => Some(
                TenantRow {
                    id,
                    name,
                    scope,
                    allow_list,
                    disabled,
                }
                .into_model()?,
            ),
            _ => None,
        };
        let customer = match (
            self.c_tenant_id,
            self.c_id,
            self.c_name,
            self.c_account_type,
            self.c_secret_hash,
            self.c_disabled,
        ) {
            (
                Some(tenant_id),
                Some(id),
                Some(name),
                Some(account_type),
                Some(secret_hash),
                Some(disabled),
            ) => Some(
                CustomerRow {
                    tenant_id,
                    id,
                    name,
                    account_type,
                    secret_hash,
                    disabled,
                }
                .into_model()?,
            ),
            _ => None,
        };
        let user = match (
            self.u_tenant_id,
            self.u_username,
            self.u_password_hash,
            self.u_disabled,
            self.u_role,
        ) {
            (Some(tenant_id), Some(username), Some(password_hash), Some(disabled), Some(role)) => {
                Some(
                    UserRow {
                        tenant_id,
                        username,
                        password_hash,
                        disabled,
                        role,
                    }
                    .into_model()?,
                )
            }
            _ => None,
        };
        let active_factor = match (
            self.a_tenant_id,
            self.a_username,
            self.a_id,
            self.a_sealed_secret,
            self.a_created_at,
        ) {
            (Some(tenant_id), Some(username), Some(id), Some(sealed_secret), Some(created_at)) => {
                Some(
                    TotpFactorRow {
                        tenant_id,
                        username,
                        id,
                        sealed_secret,
                        created_at,
                        confirmed_at: self.a_confirmed_at,
                        expires_at: self.a_expires_at,
                        last_used_step: self.a_last_used_step,
                    }
                    .into_model()?,
                )
            }
            _ => None,
        };
        let mfa_policy = self.t_mfa_policy.map(parse_mfa_policy).transpose()?;
        let failures = match (self.f_count, self.f_last_failure) {
            (Some(count), Some(last_failure)) => Some(
                FailureRow {
                    count,
                    last_failure,
                }
                .into_model()?,
            ),
            _ => None,
        };
        Ok(LoginLookup {
            tenant,
            mfa_policy,
            customer,
            user,
            active_factor,
            failures,
        })
    }
}

/// `login_failures` columns used by `failures`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FailureRow {
    count: i64,
    last_failure: i64,
}

impl FailureRow {
    pub(crate) fn into_model(self) -> Result<(u32, OffsetDateTime), StoreError> {
        Ok((failure_count(self.count)?, datetime(self.last_failure)?))
    }
}

/// `totp_factors` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TotpFactorRow {
    tenant_id: String,
    username: String,
    id: String,
    sealed_secret: Vec<u8>,
    created_at: i64,
    confirmed_at: Option<i64>,
    expires_at: Option<i64>,
    last_used_step: Option<i64>,
}

impl TotpFactorRow {
    pub(crate) fn into_model(self) -> Result<TotpFactor, StoreError> {
        Ok(TotpFactor {
            tenant_id: tenant_id(&self.tenant_id)?,
            username: username(&self.username)?,
            id: FactorId::from_stored(self.id),
            sealed_secret: self.sealed_secret,
            created_at: datetime(self.created_at)?,
            confirmed_at: opt_datetime(self.confirmed_at)?,
            expires_at: opt_datetime(self.expires_at)?,
            last_used_step: self
                .last_used_step
                .map(|step| u64::try_from(step).map_err(|_| corrupt("TOTP step", step)))
                .transpose()?,
        })
    }
}

/// `traqs_credentials` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TraqsCredentialRow {
    tenant_id: String,
    environment: String,
    username: String,
    sealed_token: Vec<u8>,
    expires_at: Option<i64>,
    base_url: Option<String>,
    updated_at: i64,
}

impl TraqsCredentialRow {
    pub(crate) fn into_model(self) -> Result<TraqsCredential, StoreError> {
        Ok(TraqsCredential {
            tenant_id: tenant_id(&self.tenant_id)?,
            environment: TraqsEnvironment::parse(&self.environment)
                .ok_or_else(|| corrupt("TRAQS environment", &self.environment))?,
            username: self.username,
            sealed_token: self.sealed_token,
            expires_at: opt_datetime(self.expires_at)?,
            base_url: self.base_url,
            updated_at: datetime(self.updated_at)?,
        })
    }
}

/// A stored failure count as the trait's `u32`.
pub(crate) fn failure_count(count: i64) -> Result<u32, StoreError> {
    u32::try_from(count).map_err(|_| corrupt("login failure count", count))
}

/// `audit_events` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditEventRow {
    at: i64,
    request_id: String,
    action: String,
    outcome: String,
    error: Option<String>,
    tenant: Option<String>,
    customer: Option<String>,
    username: Option<String>,
    peer_addr: String,
    client_addr: String,
    forwarded_for: Option<String>,
    user_agent: Option<String>,
    platform: Option<String>,
    client_certificate: Option<String>,
    actor: Option<String>,
    sessions_ended: Option<i64>,
}

/// A count of ended sessions as its column.
pub(crate) fn sessions_ended_column(count: u64) -> Result<i64, StoreError> {
    i64::try_from(count).map_err(|_| corrupt("sessions ended", count))
}

impl AuditEventRow {
    pub(crate) fn into_model(self) -> Result<AuditEvent, StoreError> {
        let outcome = match (self.outcome.as_str(), self.error) {
            ("success", None) => AuditOutcome::Success,
            ("failure", Some(code)) => AuditOutcome::Failure(code),
            (other, _) => return Err(corrupt("audit outcome", format_args!("{other:?}"))),
        };
        Ok(AuditEvent {
            at: datetime(self.at)?,
            request_id: self.request_id,
            action: parse_action(&self.action)?,
            outcome,
            tenant: self.tenant,
            customer: self.customer,
            username: self.username,
            peer_addr: self.peer_addr,
            client_addr: self.client_addr,
            forwarded_for: self.forwarded_for,
            user_agent: self.user_agent,
            platform: self.platform,
            client_certificate: self.client_certificate,
            actor: self.actor,
            sessions_ended: self
                .sessions_ended
                .map(|count| u64::try_from(count).map_err(|_| corrupt("sessions ended", count)))
                .transpose()?,
        })
    }
}

/// `certificate_bindings` columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CertificateBindingRow {
    tenant_id: String,
    customer_id: String,
    kind: String,
    value: String,
    created_at: i64,
}

impl CertificateBindingRow {
    pub(crate) fn into_model(self) -> Result<CertificateBinding, StoreError> {
        Ok(CertificateBinding {
            tenant_id: tenant_id(&self.tenant_id)?,
            customer_id: customer_id(&self.customer_id)?,
            matcher: CertificateMatcher::from_stored(&self.kind, &self.value)
                .map_err(|error| corrupt("certificate binding", error))?,
            created_at: datetime(self.created_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_action_round_trips_through_its_stored_name() {
        for action in AuditAction::ALL {
            let name = action_name(action);
            assert_eq!(parse_action(name).ok(), Some(action), "{name}");
            // The stored name is the JSON spelling, so logs and the database agree.
            let json = serde_json::to_string(&action).expect("serializable");
            assert_eq!(json, format!("\"{name}\""));
        }
    }

    #[test]
    fn timestamps_round_trip_to_the_nanosecond_and_refuse_what_does_not_fit() {
        let at = time::macros::datetime!(2026-01-05 14:30:00.123_456_789 +02:00);
        let stored = timestamp(at).expect("in range");
        assert_eq!(datetime(stored).expect("readable"), at);
        assert!(timestamp(time::macros::datetime!(2300-01-01 0:00 UTC)).is_err());
        assert!(timestamp(time::macros::datetime!(1600-01-01 0:00 UTC)).is_err());
    }
}

/// `upstream_tokens` columns (PostgreSQL).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StoredUpstreamTokenRow {
    sealed_token: Vec<u8>,
    expires_at: i64,
    lifetime_ns: i64,
}

impl StoredUpstreamTokenRow {
    pub(crate) fn into_model(self) -> Result<StoredUpstreamToken, StoreError> {
        Ok(StoredUpstreamToken {
            sealed_token: self.sealed_token,
            expires_at: datetime(self.expires_at)?,
            lifetime: time::Duration::nanoseconds(self.lifetime_ns),
        })
    }
}
