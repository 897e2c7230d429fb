//! The tenant's second-factor policy and the rules of second-factor failures: the same back-off
//! as failed passwords (from the 5th consecutive failure, 1 s doubling to 15 minutes), counted
//! per user apart from password failures, and a lock at 100 consecutive failures that only an
//! administrator lifts.

use crate::auth::Profile;

/// Consecutive second-factor failures that lock the factor.
pub const LOCK_AT: u32 = 100;

/// Whether a tenant's password logins ask for a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaPolicy {
    /// Never: no code is asked, enrolment is refused (factors are kept). Not in production.
    Off,
    /// Users may enrol; a user with a factor must give a code.
    Optional,
    /// Every password login needs a second factor; users without one must enrol first.
    Required,
}

impl MfaPolicy {
    /// Every policy.
    pub const ALL: [Self; 3] = [Self::Off, Self::Optional, Self::Required];

    /// The policy a new tenant gets: `optional` in integration, `required` in production.
    pub fn default_for(profile: Profile) -> Self {
        match profile {
            Profile::Integration => Self::Optional,
            Profile::Production => Self::Required,
        }
    }

    /// The stable name (config, CLI, API, store).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }

    /// The policy of this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|policy| policy.as_str() == name)
    }

    /// Whether `profile` allows this policy (production refuses `off`).
    pub fn allowed_in(self, profile: Profile) -> bool {
        !(self == Self::Off && profile == Profile::Production)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_production_refuses_off() {
        for policy in MfaPolicy::ALL {
            assert_eq!(MfaPolicy::parse(policy.as_str()), Some(policy));
        }
        assert_eq!(MfaPolicy::parse("Required"), None);
        assert!(!MfaPolicy::Off.allowed_in(Profile::Production));
        assert!(MfaPolicy::Off.allowed_in(Profile::Integration));
        assert_eq!(
            MfaPolicy::default_for(Profile::Production),
            MfaPolicy::Required
        );
        assert_eq!(
            MfaPolicy::default_for(Profile::Integration),
            MfaPolicy::Optional
        );
    }
}
