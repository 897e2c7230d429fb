//! TOTP (RFC 6238) with the one profile every authenticator app accepts: HMAC-SHA1, 6 digits,
//! 30-second steps from the Unix epoch, 20-byte secrets. Codes of the steps s−1, s and s+1 of the
//! hub's clock are accepted; which step matched is returned so that a step is used once per user.
//! The algorithm is `totp-rs`'s; its `Totp` is built for one check and dropped (it is never
//! serialised: it would write the secret in clear).

use std::fmt;

use secrecy::{ExposeSecret, SecretBox, SecretString};
use time::OffsetDateTime;
use totp_rs::{Builder, Secret, Totp};

use crate::error::AuthError;
use crate::ids::{TenantId, Username};
use crate::uri::percent_encode;

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Bytes of a generated secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Steps accepted on either side of the current one.
pub const SKEW_STEPS: u16 = 1;

/// The step (counter) of `at`.
pub fn step_at(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0) / STEP_SECS
}

/// A TOTP secret. Never printed, compared only by the algorithm.
pub struct TotpSecret(SecretBox<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A fresh secret of [`SECRET_BYTES`] from the OS random generator.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).expect("the OS random number generator is available");
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// A secret from its bytes (opened from the store); shorter than 16 bytes is refused.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, AuthError> {
        let secret = Self(SecretBox::new(Box::new(bytes)));
        secret.totp()?;
        Ok(secret)
    }

    /// A secret from its Base32 (as enrolment shows it; padding and case tolerated), for a
    /// client that computes codes itself; `None` when it is not Base32 or too short.
    pub fn from_base32(text: &str) -> Option<Self> {
        let secret =
            Secret::try_from_base32(text.trim_end_matches('=').to_ascii_uppercase()).ok()?;
        Self::from_bytes(secret.as_bytes().to_vec()).ok()
    }

    /// The raw bytes, for sealing.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// Unpadded Base32, as a person types it into an authenticator app.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(Secret::from(self.expose_bytes()).to_base32())
    }

    /// The `otpauth://` URI an authenticator app scans: issuer `FinHub <tenant>`, account the
    /// username, the profile spelt out.
    pub fn otpauth_uri(&self, tenant: &TenantId, username: &Username) -> SecretString {
        let issuer = format!("FinHub {tenant}");
        let label = format!(
            "{}:{}",
            percent_encode(&issuer),
            percent_encode(username.as_str())
        );
        SecretString::from(format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            self.to_base32().expose_secret(),
            percent_encode(&issuer),
        ))
    }

    /// The code an authenticator app shows at `now` (tests, the demo's walk-through).
    pub fn code_at(&self, now: OffsetDateTime) -> Result<SecretString, AuthError> {
        self.code_at_step(step_at(now))
    }

    /// The code of `step`.
    pub fn code_at_step(&self, step: u64) -> Result<SecretString, AuthError> {
        Ok(SecretString::from(
            self.totp()?.generate(step * STEP_SECS).to_string(),
        ))
    }

    /// The step whose code `code` is, among s−1, s and s+1 of `now`; `None` for any other code.
    /// Every step of the window is computed and compared in constant time, whatever matches.
    pub fn verify(&self, code: &TotpCode, now: OffsetDateTime) -> Result<Option<u64>, AuthError> {
        let totp = self.totp()?;
        Ok(totp.check(
            code.0.expose_secret(),
            u64::try_from(now.unix_timestamp()).unwrap_or(0),
        ))
    }

    fn totp(&self) -> Result<Totp, AuthError> {
        Builder::new()
            .with_secret(Secret::from(self.expose_bytes()))
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECS)
            .build()
            .map_err(|e| AuthError::Internal(format!("an unusable TOTP secret: {e}")))
    }
}

/// A code as a person typed it, normalised: spaces and dashes dropped, then exactly six ASCII
/// digits. Never printed.
pub struct TotpCode(SecretString);

impl fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpCode([redacted])")
    }
}

impl TotpCode {
    /// The normalised code, `None` when it is not six digits once spaces and dashes are dropped
    /// (Unicode digits, letters and any other length included).
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() > 64 {
            return None;
        }
        let digits: String = input.chars().filter(|c| *c != ' ' && *c != '-').collect();
        (digits.len() == usize::from(DIGITS) && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(SecretString::from(digits)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA1 secret and the 8-digit codes at its times.
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    fn at(unix: u64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(i64::try_from(unix).expect("in range")).expect("time")
    }

    fn code(text: &str) -> TotpCode {
        TotpCode::parse(text).expect("a well-formed code")
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_hold_with_8_digits_and_truncated_to_6() {
        let eight = Builder::new()
            .with_secret(Secret::from(RFC_SECRET))
            .with_digits(8)
            .build()
            .expect("the RFC's profile");
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).expect("20 bytes");
        for (unix, expected) in RFC_VECTORS {
            assert_eq!(eight.generate(unix).to_string(), expected, "t={unix}");
            let six = &expected[2..];
            let generated = secret.code_at_step(unix / STEP_SECS).expect("code");
            assert_eq!(generated.expose_secret(), six, "t={unix}");
            assert_eq!(
                secret.verify(&code(six), at(unix)).expect("verify"),
                Some(unix / STEP_SECS),
                "t={unix}"
            );
        }
    }

    #[test]
    fn codes_of_the_previous_and_next_step_are_accepted_and_no_further() {
        let secret = TotpSecret::generate();
        let now = at(1_800_000_015);
        let s = step_at(now);
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let step = s.checked_add_signed(offset).expect("step");
            let text = secret.code_at_step(step).expect("code");
            let matched = secret
                .verify(&code(text.expose_secret()), now)
                .expect("verify");
            assert_eq!(matched, accepted.then_some(step), "offset {offset}");
        }
    }

    #[test]
    fn a_secret_round_trips_through_its_base32_in_any_case_and_padding() {
        let secret = TotpSecret::generate();
        let text = secret.to_base32();
        let now = time::OffsetDateTime::from_unix_timestamp(1_767_623_400).expect("time");
        for written in [
            text.expose_secret().to_owned(),
            text.expose_secret().to_lowercase(),
            format!("{}====", text.expose_secret()),
        ] {
            let parsed = TotpSecret::from_base32(&written).expect("Base32");
            assert_eq!(parsed.expose_bytes(), secret.expose_bytes());
            assert_eq!(
                parsed.code_at(now).expect("code").expose_secret(),
                secret.code_at(now).expect("code").expose_secret()
            );
        }
        assert!(TotpSecret::from_base32("not base32 at all!").is_none());
        assert!(
            TotpSecret::from_base32("GEZDGNBV").is_none(),
            "5 bytes: too short"
        );
    }

    #[test]
    fn a_secret_shorter_than_16_bytes_is_refused() {
        assert!(TotpSecret::from_bytes(vec![7u8; 15]).is_err());
        assert!(TotpSecret::from_bytes(vec![7u8; 16]).is_ok());
        assert_eq!(TotpSecret::generate().expose_bytes().len(), SECRET_BYTES);
    }

    #[test]
    fn input_is_normalised_to_six_ascii_digits() {
        for good in ["123456", "123 456", "123-456", " 12 34 56 "] {
            assert!(TotpCode::parse(good).is_some(), "{good:?}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "+12345",
            "１２３４５６",
            "١٢٣٤٥٦",
            "123\t456",
        ] {
            assert!(TotpCode::parse(bad).is_none(), "{bad:?}");
        }
        assert!(TotpCode::parse(&"1".repeat(10_000)).is_none());
    }

    #[test]
    fn the_uri_names_the_tenant_and_user_and_spells_out_the_profile() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).expect("secret");
        let tenant = TenantId::parse("1234567").expect("tenant");
        let user = Username::parse("alice@acme.com").expect("user");
        let uri = secret.otpauth_uri(&tenant, &user);
        assert_eq!(
            uri.expose_secret(),
            "otpauth://totp/FinHub%201234567:alice%40acme.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=FinHub%201234567&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn nothing_secret_is_printed() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).expect("secret");
        let text = format!("{secret:?} {:?}", code("287082"));
        assert!(!text.contains("GEZD") && !text.contains("287082") && !text.contains("1234"));
    }
}
