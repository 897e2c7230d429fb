//! Scopes: what a tenant may read upstream — FINRA dataset groups, written `finra:<group>`, and
//! TRAQS facilities, written `traqs:<facility>`.

use std::fmt;

use crate::model::TraqsFacility;

/// The scope prefix of FINRA dataset groups.
pub const FINRA_PREFIX: &str = "finra:";
/// The scope prefix of TRAQS facilities.
pub const TRAQS_PREFIX: &str = "traqs:";

/// One granted entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A FINRA dataset group, as the administrator spelled it.
    Finra(String),
    /// A TRAQS facility.
    Traqs(TraqsFacility),
}

impl Entry {
    fn parse(entry: &str) -> Result<Self, String> {
        if let Some(group) = entry.strip_prefix(FINRA_PREFIX) {
            if group.is_empty() || !group.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("scope entry {entry:?} must name a dataset group"));
            }
            return Ok(Self::Finra(group.to_owned()));
        }
        if let Some(facility) = entry.strip_prefix(TRAQS_PREFIX) {
            return TraqsFacility::parse(facility)
                .map(Self::Traqs)
                .ok_or_else(|| {
                    format!(
                        "scope entry {entry:?} must name a TRAQS facility: ADF, ORF, TRACE or TRF"
                    )
                });
        }
        Err(format!(
            "scope entry {entry:?} must start with {FINRA_PREFIX} or {TRAQS_PREFIX}"
        ))
    }

    /// Whether `other` names the same thing (dataset groups match case-insensitively).
    fn same_as(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Finra(a), Self::Finra(b)) => a.eq_ignore_ascii_case(b),
            (Self::Traqs(a), Self::Traqs(b)) => a == b,
            (Self::Finra(_), Self::Traqs(_)) | (Self::Traqs(_), Self::Finra(_)) => false,
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Finra(group) => write!(f, "{FINRA_PREFIX}{group}"),
            Self::Traqs(facility) => write!(f, "{TRAQS_PREFIX}{}", facility.as_str()),
        }
    }
}

/// A set of granted entries, in the order the administrator gave them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope(Vec<Entry>);

impl Scope {
    /// Parses a space-separated list such as `finra:otcMarket finra:fixedIncomeMarket traqs:ORF`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries: Vec<Entry> = Vec::new();
        for text in text.split_whitespace() {
            let entry = Entry::parse(text)?;
            if !entries.iter().any(|e| e.same_as(&entry)) {
                entries.push(entry);
            }
        }
        Ok(Self(entries))
    }

    /// Whether the FINRA dataset group is granted; groups match case-insensitively, as FINRA's
    /// do.
    pub fn allows_group(&self, group: &str) -> bool {
        self.0
            .iter()
            .any(|e| matches!(e, Entry::Finra(g) if g.eq_ignore_ascii_case(group)))
    }

    /// Whether the TRAQS facility is granted.
    pub fn allows_facility(&self, facility: TraqsFacility) -> bool {
        self.0.contains(&Entry::Traqs(facility))
    }

    /// The entries of this scope that `granted` still allows (in this scope's order).
    pub fn narrowed_to(&self, granted: &Self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|entry| granted.0.iter().any(|g| g.same_as(entry)))
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
        for (idx, entry) in self.0.iter().enumerate() {
            if idx > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{entry}")?;
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
    fn traqs_facilities_are_their_own_entries() {
        let scope = Scope::parse("traqs:orf finra:otcMarket traqs:TRACE traqs:ORF").expect("valid");
        assert_eq!(scope.to_string(), "traqs:ORF finra:otcMarket traqs:TRACE");
        assert!(scope.allows_facility(TraqsFacility::Orf));
        assert!(scope.allows_facility(TraqsFacility::Trace));
        assert!(!scope.allows_facility(TraqsFacility::Adf));
        // A facility is not a dataset group, nor the reverse.
        assert!(!scope.allows_group("ORF"));
        assert!(
            !Scope::parse("finra:ORF")
                .expect("valid")
                .allows_facility(TraqsFacility::Orf)
        );
        for bad in ["traqs:", "traqs:NASDAQ", "traqs:../ORF", "traqs:ORF/x"] {
            let error = Scope::parse(bad).expect_err(bad);
            assert!(error.contains("TRAQS facility"), "{bad}: {error}");
        }
        assert!(
            Scope::parse("other:x")
                .expect_err("prefix")
                .contains(TRAQS_PREFIX)
        );
    }

    #[test]
    fn a_scope_narrows_to_what_is_still_granted() {
        let session = Scope::parse("finra:otcMarket finra:fixedIncomeMarket traqs:ORF traqs:TRF")
            .expect("valid");
        let narrowed = session
            .narrowed_to(&Scope::parse("finra:OTCMARKET finra:firm traqs:TRF").expect("valid"));
        assert_eq!(narrowed.to_string(), "finra:otcMarket traqs:TRF");
        assert!(session.narrowed_to(&Scope::default()).is_empty());
        assert_eq!(session.narrowed_to(&session), session);
    }
}
