//! Which consecutive failures a store counts — of passwords (`login_failures`, by username as
//! sent) and of second factors (`mfa_failures`, by user) — and their tables: one table shape,
//! counted the same way by every backend.

/// Which failures.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Failures {
    /// Failed logins (wrong credentials).
    Login,
    /// Failed second factors (wrong, replayed or malformed codes).
    SecondFactor,
}

impl Failures {
    /// The table: a name from this closed list, the only part of the statements not bound, so
    /// the statements built with it are safe.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Self::Login => "login_failures",
            Self::SecondFactor => "mfa_failures",
        }
    }

    /// What a failure count is called in errors.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Self::Login => "login failure count",
            Self::SecondFactor => "second-factor failure count",
        }
    }
}
