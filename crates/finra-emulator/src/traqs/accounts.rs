//! TRAQS accounts and tokens, the emulator's own reconstruction of a flow FINRA has not
//! published: a person signs in with password and TOTP code (a state token between the two
//! steps, a web session after), mints refresh tokens (opaque, stored as SHA-256 hashes), and a
//! program exchanges a refresh token and its username for a short-lived access token that
//! `DownloadHandler.ashx` takes. Codes follow RFC 6238 (SHA1, 6 digits, 30 s, steps s−1..s+1),
//! each step once per user; five wrong codes in a row lock the user's sign-in for 5 minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use finhub_clock::SharedClock;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::config::{TraqsConfig, TraqsEnvironment, TraqsUser};

/// How long the state token between password and code lives.
const STATE_TTL: Duration = Duration::minutes(5);
/// How long a web session lives.
const SESSION_TTL: Duration = Duration::minutes(30);
/// Wrong codes in a row that lock a user's sign-in.
const LOCK_AFTER: u32 = 5;
/// How long the lock lasts.
const LOCK_FOR: Duration = Duration::minutes(5);

/// Why a TRAQS call was refused; each answers with a plain-text reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TraqsRefusal {
    /// Wrong username or password.
    #[error("Invalid username or password")]
    BadCredentials,
    /// The state token is unknown or has lapsed.
    #[error("The sign-in has expired; sign in again with your password")]
    StateExpired,
    /// The code is wrong, malformed or already used.
    #[error("Invalid verification code")]
    BadCode,
    /// Too many wrong codes in a row.
    #[error("Too many wrong verification codes: sign-in is locked for {0} more seconds")]
    Locked(i64),
    /// No web session, or it has lapsed.
    #[error("Sign in to TRAQS first")]
    NoSession,
    /// A refresh token that is unknown, expired, revoked, or not the username's.
    #[error("invalid_grant")]
    InvalidGrant(String),
    /// No bearer token, or an unknown or expired one.
    #[error("{0}")]
    Unauthorized(String),
    /// The user is not entitled to the facility.
    #[error("You are not entitled to the {0} facility")]
    NotEntitled(String),
}

/// A refresh token as a user may list it: never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefreshTokenInfo {
    pub(crate) id: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) revoked: bool,
}

#[derive(Debug)]
struct RefreshRecord {
    info: RefreshTokenInfo,
    user: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct FactorState {
    last_step: Option<u64>,
    wrong_in_row: u32,
    locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Default)]
struct State {
    /// State tokens between password and code: user and end.
    pending: HashMap<String, (usize, OffsetDateTime)>,
    /// Web sessions: user and end.
    sessions: HashMap<String, (usize, OffsetDateTime)>,
    /// Refresh tokens by the SHA-256 of their value.
    refresh: HashMap<String, RefreshRecord>,
    /// Access tokens: user and end.
    access: HashMap<String, (usize, OffsetDateTime)>,
    factors: Vec<FactorState>,
}

/// One environment's TRAQS accounts and tokens.
#[derive(Debug)]
pub(crate) struct Accounts {
    pub(crate) config: TraqsConfig,
    clock: SharedClock,
    state: Mutex<State>,
    access_minted: AtomicU64,
    refresh_minted: AtomicU64,
}

impl Accounts {
    pub(crate) fn new(config: TraqsConfig, clock: SharedClock) -> Self {
        let factors = vec![FactorState::default(); config.users.len()];
        Self {
            config,
            clock,
            state: Mutex::new(State {
                factors,
                ..State::default()
            }),
            access_minted: AtomicU64::new(0),
            refresh_minted: AtomicU64::new(0),
        }
    }

    pub(crate) fn environment(&self) -> TraqsEnvironment {
        self.config.environment
    }

    /// Access tokens minted so far.
    pub(crate) fn access_tokens_minted(&self) -> u64 {
        self.access_minted.load(Ordering::SeqCst)
    }

    /// Refresh tokens minted so far.
    pub(crate) fn refresh_tokens_minted(&self) -> u64 {
        self.refresh_minted.load(Ordering::SeqCst)
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now_utc()
    }

    /// A fresh token of this environment: its prefix and 256 random bits.
    fn token(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        format!(
            "{}{}",
            self.environment().token_prefix(),
            URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    fn user_index(&self, email: &str) -> Option<usize> {
        self.config
            .users
            .iter()
            .position(|user| user.email.eq_ignore_ascii_case(email))
    }

    pub(crate) fn user(&self, index: usize) -> &TraqsUser {
        &self.config.users[index]
    }

    /// Step one of a sign-in: the password. Returns the state token for the code.
    pub(crate) fn sign_in(&self, email: &str, password: &str) -> Result<String, TraqsRefusal> {
        let index = self
            .user_index(email)
            .filter(|&index| {
                constant_time_eq(self.user(index).password.as_bytes(), password.as_bytes())
            })
            .ok_or(TraqsRefusal::BadCredentials)?;
        let token = self.token();
        let end = self.now() + STATE_TTL;
        let mut state = self.locked();
        let now = self.now();
        state.pending.retain(|_, (_, until)| *until > now);
        state.pending.insert(token.clone(), (index, end));
        Ok(token)
    }

    /// Step two: the TOTP code. Returns a web session.
    pub(crate) fn verify(&self, state_token: &str, code: &str) -> Result<String, TraqsRefusal> {
        let now = self.now();
        let mut state = self.locked();
        let (index, _) = *state
            .pending
            .get(state_token)
            .filter(|(_, until)| *until > now)
            .ok_or(TraqsRefusal::StateExpired)?;
        let factor = state.factors[index];
        if let Some(until) = factor.locked_until.filter(|until| *until > now) {
            return Err(TraqsRefusal::Locked((until - now).whole_seconds().max(1)));
        }
        let step = matched_step(&self.user(index).secret, code, now)
            .filter(|step| factor.last_step.is_none_or(|last| *step > last));
        let factor = &mut state.factors[index];
        let Some(step) = step else {
            factor.wrong_in_row += 1;
            if factor.wrong_in_row >= LOCK_AFTER {
                factor.wrong_in_row = 0;
                factor.locked_until = Some(now + LOCK_FOR);
            }
            return Err(TraqsRefusal::BadCode);
        };
        *factor = FactorState {
            last_step: Some(step),
            wrong_in_row: 0,
            locked_until: None,
        };
        state.pending.remove(state_token);
        let session = self.token();
        state.sessions.retain(|_, (_, until)| *until > now);
        state
            .sessions
            .insert(session.clone(), (index, now + SESSION_TTL));
        Ok(session)
    }

    fn session_user(&self, state: &State, session: Option<&str>) -> Result<usize, TraqsRefusal> {
        let now = self.now();
        session
            .and_then(|session| state.sessions.get(session))
            .filter(|(_, until)| *until > now)
            .map(|(index, _)| *index)
            .ok_or(TraqsRefusal::NoSession)
    }

    /// Mints a refresh token for the session's user: its id, value and end.
    pub(crate) fn mint_refresh_token(
        &self,
        session: Option<&str>,
    ) -> Result<(String, String, OffsetDateTime), TraqsRefusal> {
        let mut state = self.locked();
        let user = self.session_user(&state, session)?;
        let value = self.token();
        let now = self.now();
        let ttl = Duration::try_from(self.config.refresh_ttl).unwrap_or(Duration::days(90));
        let info = RefreshTokenInfo {
            id: format!("rt{}", state.refresh.len() + 1),
            created_at: now,
            expires_at: now + ttl,
            revoked: false,
        };
        let answer = (info.id.clone(), value.clone(), info.expires_at);
        state
            .refresh
            .insert(hash(&value), RefreshRecord { info, user });
        self.refresh_minted.fetch_add(1, Ordering::SeqCst);
        Ok(answer)
    }

    /// The session user's refresh tokens, oldest first.
    pub(crate) fn refresh_tokens(
        &self,
        session: Option<&str>,
    ) -> Result<Vec<RefreshTokenInfo>, TraqsRefusal> {
        let state = self.locked();
        let user = self.session_user(&state, session)?;
        let mut tokens: Vec<RefreshTokenInfo> = state
            .refresh
            .values()
            .filter(|record| record.user == user)
            .map(|record| record.info.clone())
            .collect();
        tokens.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(tokens)
    }

    /// Revokes one of the session user's refresh tokens: whether it was theirs.
    pub(crate) fn revoke_refresh_token(
        &self,
        session: Option<&str>,
        id: &str,
    ) -> Result<bool, TraqsRefusal> {
        let mut state = self.locked();
        let user = self.session_user(&state, session)?;
        let found = state
            .refresh
            .values_mut()
            .find(|record| record.user == user && record.info.id == id);
        Ok(found.map(|record| record.info.revoked = true).is_some())
    }

    /// Exchanges a refresh token (and its username) for an access token and its lifetime.
    pub(crate) fn exchange(
        &self,
        refresh_token: &str,
        username: &str,
    ) -> Result<(String, u64), TraqsRefusal> {
        if let Some(other) =
            TraqsEnvironment::of_token(refresh_token).filter(|env| *env != self.environment())
        {
            return Err(TraqsRefusal::InvalidGrant(format!(
                "The refresh token belongs to the {} environment, not {}",
                other.as_str(),
                self.environment().as_str()
            )));
        }
        let now = self.now();
        let mut state = self.locked();
        let record = state
            .refresh
            .get(&hash(refresh_token))
            .ok_or_else(|| TraqsRefusal::InvalidGrant("The refresh token is not valid".into()))?;
        if record.info.revoked {
            return Err(TraqsRefusal::InvalidGrant(
                "The refresh token has been revoked".into(),
            ));
        }
        if record.info.expires_at <= now {
            return Err(TraqsRefusal::InvalidGrant(
                "The refresh token has expired".into(),
            ));
        }
        let user = record.user;
        if !self.user(user).email.eq_ignore_ascii_case(username) {
            return Err(TraqsRefusal::InvalidGrant(
                "The username does not match the refresh token".into(),
            ));
        }
        let access = self.token();
        let ttl = self.config.access_ttl;
        let end = now + Duration::try_from(ttl).unwrap_or(Duration::minutes(30));
        state.access.retain(|_, (_, until)| *until > now);
        state.access.insert(access.clone(), (user, end));
        self.access_minted.fetch_add(1, Ordering::SeqCst);
        Ok((access, ttl.as_secs()))
    }

    /// The user a download's bearer token stands for, entitled to `facility`.
    pub(crate) fn authorize(
        &self,
        bearer: Option<&str>,
        facility: &str,
    ) -> Result<usize, TraqsRefusal> {
        let token = bearer.ok_or_else(|| {
            TraqsRefusal::Unauthorized("An access token is required (Authorization: Bearer)".into())
        })?;
        if let Some(other) =
            TraqsEnvironment::of_token(token).filter(|env| *env != self.environment())
        {
            return Err(TraqsRefusal::Unauthorized(format!(
                "The access token belongs to the {} environment, not {}",
                other.as_str(),
                self.environment().as_str()
            )));
        }
        let now = self.now();
        let state = self.locked();
        let user = state
            .access
            .get(token)
            .filter(|(_, until)| *until > now)
            .map(|(user, _)| *user)
            .ok_or_else(|| {
                TraqsRefusal::Unauthorized("The access token is not valid or has expired".into())
            })?;
        if !self.user(user).entitled_to(facility) {
            return Err(TraqsRefusal::NotEntitled(facility.to_ascii_uppercase()));
        }
        Ok(user)
    }
}

/// The step a six-digit code matches among s−1, s, s+1 of `now`.
fn matched_step(secret: &[u8], code: &str, now: OffsetDateTime) -> Option<u64> {
    let code: String = code.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::from(secret.to_vec()))
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .build()
        .ok()?;
    totp.check(&code, u64::try_from(now.unix_timestamp()).ok()?)
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Equality that takes the same time whatever the content (the lengths may differ).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
