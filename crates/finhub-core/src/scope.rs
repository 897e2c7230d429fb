//! Scopes: the upstream dataset groups a tenant may read, written `finra:<group>`.

use std::fmt;

/// The scope prefix of FINRA dataset groups.
pub const FINRA_PREFIX: &str = "finra:";

/// A set of granted `finra:<group>` entries, in the order the administrator gave them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope(Vec<String>);

impl Scope {
    /// Parses a space-separated list such as `finra:otcMarket finra:fixedIncomeMarket`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut groups: Vec<String> = Vec::new();
        for entry in text.split_whitespace() {
            let group = entry
                .strip_prefix(FINRA_PREFIX)
                .ok_or_else(|| format!("scope entry {entry:?} must start with {FINRA_PREFIX}"))?;
            if group.is_empty() || !group.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("scope entry {entry:?} must name a dataset group"));
            }
            if !groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
                groups.push(group.to_owned());
            }
        }
        Ok(Self(groups))
    }

    /// Whether the dataset group is granted; groups match case-insensitively, as FINRA's do.
    pub fn allows_group(&self, group: &str) -> bool {
        self.0.iter().any(|g| g.eq_ignore_ascii_case(group))
    }

    /// The entries of this scope that `granted` still allows (in this scope's order).
    pub fn narrowed_to(&self, granted: &Self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|group| granted.allows_group(group))
                .cloned()
                .collect(),
        )
    }

    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (idx, group) in self.0.iter().enumerate() {
            if idx > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{FINRA_PREFIX}{group}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_match_groups_case_insensitively() {
        let scope = Scope::parse("finra:otcMarket  finra:fixedIncomeMarket finra:OTCMARKET")
            .expect("valid");
        assert_eq!(scope.to_string(), "finra:otcMarket finra:fixedIncomeMarket");
        assert!(scope.allows_group("otcmarket"));
        assert!(scope.allows_group("FIXEDINCOMEMARKET"));
        assert!(!scope.allows_group("firm"));
        assert!(Scope::parse("otcMarket").is_err());
        assert!(Scope::parse("finra:").is_err());
        assert!(Scope::parse("finra:../x").is_err());
        assert!(Scope::parse("").expect("empty is valid").is_empty());
    }

    #[test]
    fn a_scope_narrows_to_what_is_still_granted() {
        let session = Scope::parse("finra:otcMarket finra:fixedIncomeMarket").expect("valid");
        let narrowed =
            session.narrowed_to(&Scope::parse("finra:OTCMARKET finra:firm").expect("valid"));
        assert_eq!(narrowed.to_string(), "finra:otcMarket");
        assert!(session.narrowed_to(&Scope::default()).is_empty());
        assert_eq!(session.narrowed_to(&session), session);
    }
}
