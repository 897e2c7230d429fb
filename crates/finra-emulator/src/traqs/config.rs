//! TRAQS settings: which environment this emulator is, its users (e-mail, password, TOTP secret,
//! entitled facilities) and the lifetimes of the tokens it mints.

use std::fmt;
use std::time::Duration;

use rand::Rng;

/// A TRAQS environment: separate hosts, users, enrolments and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraqsEnvironment {
    /// `apidownload.finratraqs.org`.
    #[default]
    Production,
    /// The NASDAQ Testing Facility, `apidownload-ntf.finratraqs.org`.
    Ntf,
}

impl TraqsEnvironment {
    /// Its name on the command line and in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Ntf => "ntf",
        }
    }

    /// The prefix of the tokens it mints (how another environment recognises them).
    pub(crate) fn token_prefix(self) -> &'static str {
        match self {
            Self::Production => "trq_",
            Self::Ntf => "trqntf_",
        }
    }

    /// The environment whose token this is, by its prefix.
    pub(crate) fn of_token(token: &str) -> Option<Self> {
        // The longer prefix first: `trqntf_` also starts with `trq`.
        [Self::Ntf, Self::Production]
            .into_iter()
            .find(|env| token.starts_with(env.token_prefix()))
    }
}

impl std::str::FromStr for TraqsEnvironment {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "production" => Ok(Self::Production),
            "ntf" => Ok(Self::Ntf),
            other => Err(format!(
                "unknown TRAQS environment {other:?}: expected production or ntf"
            )),
        }
    }
}

/// A TRAQS user: an e-mail address, a password, a TOTP factor and the facilities they may
/// download from.
#[derive(Clone, PartialEq, Eq)]
pub struct TraqsUser {
    /// The username (an e-mail address; matched without regard to case).
    pub email: String,
    /// The password.
    pub password: String,
    /// The TOTP secret (bytes; Base32 at the edges).
    pub secret: Vec<u8>,
    /// Entitled facilities, upper case (`ORF`, `ADF`, `TRACE`, `TRF`).
    pub facilities: Vec<String>,
}

impl fmt::Debug for TraqsUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraqsUser")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("secret", &"[redacted]")
            .field("facilities", &self.facilities)
            .finish()
    }
}

impl TraqsUser {
    /// A user entitled to every facility, with a random password and secret:
    /// `demo@example.com`, what the binary creates when no user is given.
    pub fn demo() -> Self {
        let mut rng = rand::rng();
        let password: String = (0..16)
            .map(|_| {
                char::from(
                    b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
                        [rng.random_range(0..57)],
                )
            })
            .collect();
        let secret: Vec<u8> = (0..20).map(|_| rng.random()).collect();
        Self {
            email: "demo@example.com".to_owned(),
            password,
            secret,
            facilities: crate::traqs::files::FACILITIES
                .iter()
                .map(|f| (*f).to_owned())
                .collect(),
        }
    }

    /// The secret in unpadded Base32, as an authenticator app takes it.
    pub fn secret_base32(&self) -> String {
        totp_rs::Secret::from(self.secret.clone()).to_base32()
    }

    /// The `otpauth://` URI an authenticator app scans (issuer `FINRA TRAQS <environment>`).
    pub fn otpauth_uri(&self, environment: TraqsEnvironment) -> String {
        let issuer = format!("FINRA%20TRAQS%20{}", environment.as_str());
        format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
            self.email.replace('@', "%40"),
            self.secret_base32()
        )
    }

    /// Whether the user may download from `facility` (any case).
    pub fn entitled_to(&self, facility: &str) -> bool {
        self.facilities
            .iter()
            .any(|f| f.eq_ignore_ascii_case(facility))
    }
}

impl std::str::FromStr for TraqsUser {
    type Err = String;

    /// Parses `EMAIL:PASSWORD:BASE32SECRET:FAC1,FAC2`, split at the first `:` and the last two,
    /// so the password may contain `:`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || "expected EMAIL:PASSWORD:BASE32SECRET:FAC1,FAC2".to_owned();
        let (email, rest) = text.split_once(':').ok_or_else(usage)?;
        let (rest, facilities) = rest.rsplit_once(':').ok_or_else(usage)?;
        let (password, secret) = rest.rsplit_once(':').ok_or_else(usage)?;
        if !email.contains('@') || password.is_empty() {
            return Err(format!("{}: an e-mail address and a password", usage()));
        }
        let secret =
            totp_rs::Secret::try_from_base32(secret.trim_end_matches('=').to_ascii_uppercase())
                .map_err(|_| "the TOTP secret is not Base32".to_owned())?
                .as_bytes()
                .to_vec();
        if secret.len() < 16 {
            return Err("the TOTP secret must be at least 16 bytes (26 Base32 characters)".into());
        }
        let facilities: Vec<String> = facilities
            .split(',')
            .map(|f| f.trim().to_ascii_uppercase())
            .filter(|f| !f.is_empty())
            .collect();
        if let Some(unknown) = facilities
            .iter()
            .find(|f| !crate::traqs::files::FACILITIES.contains(&f.as_str()))
        {
            return Err(format!(
                "unknown facility {unknown}: expected some of {}",
                crate::traqs::files::FACILITIES.join(", ")
            ));
        }
        Ok(Self {
            email: email.to_owned(),
            password: password.to_owned(),
            secret,
            facilities,
        })
    }
}

/// The TRAQS part of an emulator.
#[derive(Debug, Clone)]
pub struct TraqsConfig {
    /// Which environment this emulator is.
    pub environment: TraqsEnvironment,
    /// Its users (none: the binary creates [`TraqsUser::demo`]).
    pub users: Vec<TraqsUser>,
    /// Lifetime of minted refresh tokens (90 days).
    pub refresh_ttl: Duration,
    /// Lifetime of access tokens (1 800 s).
    pub access_ttl: Duration,
    /// Data rows of `CAMASTER`, the big file, instead of the scale's (benchmarks of large
    /// downloads).
    pub bond_master_rows: Option<u64>,
}

impl TraqsConfig {
    /// The data rows `file` has at `scale`, with `CAMASTER`'s override.
    pub fn rows_of(&self, file: &crate::traqs::files::TraqsFile, scale: crate::data::Scale) -> u64 {
        match self.bond_master_rows {
            Some(rows) if file.is_bond_master() => rows,
            _ => file.rows(scale),
        }
    }
}

impl Default for TraqsConfig {
    fn default() -> Self {
        Self {
            environment: TraqsEnvironment::Production,
            users: Vec::new(),
            refresh_ttl: Duration::from_secs(90 * 86_400),
            access_ttl: Duration::from_secs(1_800),
            bond_master_rows: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_parses_with_colons_in_the_password_and_is_never_printed_whole() {
        let user: TraqsUser = "ops@example.com:pa:ss:JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP:orf,Trace"
            .parse()
            .expect("valid");
        assert_eq!(user.email, "ops@example.com");
        assert_eq!(user.password, "pa:ss");
        assert_eq!(user.facilities, ["ORF", "TRACE"]);
        assert_eq!(user.secret_base32(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        assert!(user.entitled_to("trace") && !user.entitled_to("ADF"));
        let debug = format!("{user:?}");
        assert!(
            !debug.contains("pa:ss") && !debug.contains("JBSWY3DP"),
            "{debug}"
        );
        for bad in [
            "no-at-sign:pw:JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP:ORF",
            "a@b:pw:not base32!:ORF",
            "a@b:pw:JBSWY3DP:ORF",
            "a@b:pw:JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP:NYSE",
            "a@b::JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP:ORF",
            "a@b",
        ] {
            assert!(bad.parse::<TraqsUser>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_name_their_environment() {
        assert_eq!(
            TraqsEnvironment::of_token("trqntf_x"),
            Some(TraqsEnvironment::Ntf)
        );
        assert_eq!(
            TraqsEnvironment::of_token("trq_x"),
            Some(TraqsEnvironment::Production)
        );
        assert_eq!(TraqsEnvironment::of_token("other"), None);
        assert_eq!("ntf".parse(), Ok(TraqsEnvironment::Ntf));
        assert!("qa".parse::<TraqsEnvironment>().is_err());
        let demo = TraqsUser::demo();
        assert!(
            demo.otpauth_uri(TraqsEnvironment::Ntf)
                .starts_with("otpauth://totp/FINRA%20TRAQS%20ntf:demo%40example.com?secret=")
        );
    }
}
