//! The seeded security master every equity dataset draws from: the securities of each tier (the
//! hand-written well-known names first, then a generated long tail) and the venues that trade them.

use std::collections::HashSet;

use rand::Rng;
use rand::seq::IndexedRandom;

use super::Scale;
use super::names::{
    ADR_SUFFIXES, ATS_VENUES, AtsVenue, DEALERS, Dealer, FOREIGN_SUFFIXES, KnownSecurity, Listing,
    NMS_SUFFIXES, OTC_SUFFIXES, OTCE, STEM_HEADS, STEM_MIDDLES, STEM_TAILS, TIER1, TIER2,
};
use super::random::{lognormal, normal, rng_for};

/// An OTC transparency tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    /// NMS Tier 1: S&P 500, Russell 1000 and selected ETPs.
    T1,
    /// NMS Tier 2: all other NMS stocks.
    T2,
    /// OTC equities.
    Otce,
}

impl Tier {
    /// All tiers, in the order partitions list them within a week.
    pub(super) const ALL: [Self; 3] = [Self::T1, Self::T2, Self::Otce];

    /// `tierIdentifier`.
    pub(super) fn id(self) -> &'static str {
        match self {
            Self::T1 => "T1",
            Self::T2 => "T2",
            Self::Otce => "OTCE",
        }
    }

    /// `tierDescription`.
    pub(super) fn description(self) -> &'static str {
        match self {
            Self::T1 => "NMS Tier 1",
            Self::T2 => "NMS Tier 2",
            Self::Otce => "OTCE",
        }
    }

    /// Weeks between a week's end and its first publication (T1 two, T2 and OTCE four).
    pub(super) fn publication_lag_weeks(self) -> i64 {
        match self {
            Self::T1 => 2,
            Self::T2 | Self::Otce => 4,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::T1 => 0,
            Self::T2 => 1,
            Self::Otce => 2,
        }
    }
}

/// One security.
#[derive(Debug, Clone)]
pub(super) struct Security {
    /// The symbol (`issueSymbolIdentifier`, `symbolCode`, …).
    pub(super) symbol: String,
    /// The issue name.
    pub(super) name: String,
    /// Where it is listed.
    pub(super) listing: Listing,
    /// A typical price in dollars.
    pub(super) price: f64,
    /// Average daily consolidated volume, in shares.
    pub(super) adv: f64,
    /// Whether the issuer files reports with the SEC (decides the threshold list's flags).
    pub(super) sec_reporting: bool,
}

/// The securities of every tier, most active first within a tier.
#[derive(Debug)]
pub(super) struct Universe {
    tiers: [Vec<Security>; 3],
}

/// How many securities each tier holds at each scale.
pub(super) fn tier_size(tier: Tier, scale: Scale) -> usize {
    match (scale, tier) {
        (Scale::Small, _) => 20,
        (Scale::Full, Tier::T1) => 600,
        (Scale::Full, Tier::T2) => 1000,
        (Scale::Full, Tier::Otce) => 1500,
    }
}

const UNIVERSE_SALT: u64 = 0x5EC0_0001;

/// The most shares a security trades a day (sub-penny OTC names reach about a billion).
const MAX_ADV: f64 = 1.2e9;

impl Universe {
    /// The universe of `seed` at `scale`; a smaller scale takes a prefix of each tier's list.
    pub(super) fn new(seed: u64, scale: Scale) -> Self {
        let mut rng = rng_for(seed, UNIVERSE_SALT);
        let mut taken: HashSet<String> = TIER1
            .iter()
            .chain(TIER2)
            .chain(OTCE)
            .map(|s| s.0.to_owned())
            .collect();
        let mut stems = HashSet::new();
        let tiers = Tier::ALL.map(|tier| {
            let known: &[KnownSecurity] = match tier {
                Tier::T1 => TIER1,
                Tier::T2 => TIER2,
                Tier::Otce => OTCE,
            };
            let n = tier_size(tier, scale);
            let mut securities = Vec::with_capacity(n);
            for &(symbol, name, price, listing) in known.iter().take(n) {
                securities.push(Security {
                    symbol: symbol.to_owned(),
                    name: name.to_owned(),
                    listing,
                    price,
                    adv: 0.0,
                    sec_reporting: !name.contains("ADR"),
                });
            }
            while securities.len() < n {
                securities.push(generate_security(&mut rng, tier, &mut taken, &mut stems));
            }
            let (dollars, alpha) = match tier {
                Tier::T1 => (30e9, 0.9),
                Tier::T2 => (1.5e9, 0.9),
                Tier::Otce => (3e8, 1.0),
            };
            for (rank, security) in securities.iter_mut().enumerate() {
                let daily_dollars =
                    dollars * ((rank + 1) as f64).powf(-alpha) * lognormal(&mut rng, 0.3);
                security.adv = (daily_dollars / security.price).clamp(500.0, MAX_ADV);
            }
            securities
        });
        Self { tiers }
    }

    /// The securities of `tier`, most active first.
    pub(super) fn tier(&self, tier: Tier) -> &[Security] {
        &self.tiers[tier.index()]
    }
}

/// A generated stem such as `Corvista`, unused so far.
fn stem(rng: &mut impl Rng, stems: &mut HashSet<String>) -> String {
    loop {
        let head = STEM_HEADS.choose(rng).expect("non-empty pool");
        let middle = STEM_MIDDLES.choose(rng).expect("non-empty pool");
        let tail = STEM_TAILS.choose(rng).expect("non-empty pool");
        let candidate = format!("{head}{middle}{tail}");
        if stems.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// A symbol of `len` letters drawn from `stem`'s letters in order (first letter kept), plus
/// `suffix`; `None` when every attempt collides.
fn symbol_from(
    rng: &mut impl Rng,
    stem: &str,
    len: usize,
    suffix: &str,
    taken: &mut HashSet<String>,
) -> Option<String> {
    let letters: Vec<u8> = stem
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    for _ in 0..12 {
        let mut symbol = String::with_capacity(len + suffix.len());
        symbol.push(char::from(letters[0]));
        let mut positions: Vec<usize> = (1..letters.len()).collect();
        while positions.len() > len - 1 {
            let drop = rng.random_range(0..positions.len());
            positions.remove(drop);
        }
        for &p in &positions {
            symbol.push(char::from(letters[p]));
        }
        while symbol.len() < len {
            symbol.push(char::from(b'A' + rng.random_range(0..26u8)));
        }
        symbol.push_str(suffix);
        if taken.insert(symbol.clone()) {
            return Some(symbol);
        }
    }
    None
}

fn generate_security(
    rng: &mut impl Rng,
    tier: Tier,
    taken: &mut HashSet<String>,
    stems: &mut HashSet<String>,
) -> Security {
    loop {
        let stem = stem(rng, stems);
        let roll: f64 = rng.random();
        let (len, symbol_suffix, name_suffix, listing, price, sec_reporting) = match tier {
            Tier::T1 => {
                let listing = if roll < 0.5 {
                    Listing::Nasdaq
                } else {
                    Listing::Nyse
                };
                let price = (85f64.ln() + 0.8 * normal(rng)).exp().clamp(5.0, 3000.0);
                let len = if rng.random::<bool>() { 3 } else { 4 };
                let suffix = NMS_SUFFIXES.choose(rng).expect("non-empty pool");
                (len, "", *suffix, listing, price, true)
            }
            Tier::T2 => {
                let listing = match roll {
                    r if r < 0.45 => Listing::Nasdaq,
                    r if r < 0.70 => Listing::NasdaqCapital,
                    r if r < 0.92 => Listing::Nyse,
                    _ => Listing::NyseAmerican,
                };
                let price = (15f64.ln() + 1.1 * normal(rng)).exp().clamp(0.3, 800.0);
                let len = if rng.random::<f64>() < 0.7 { 4 } else { 3 };
                let suffix = NMS_SUFFIXES.choose(rng).expect("non-empty pool");
                (len, "", *suffix, listing, price, true)
            }
            Tier::Otce => {
                if roll < 0.2 {
                    let price = (20f64.ln() + 0.9 * normal(rng)).exp().clamp(0.5, 400.0);
                    let suffix = ADR_SUFFIXES.choose(rng).expect("non-empty pool");
                    (4, "Y", *suffix, Listing::Otc, price, false)
                } else if roll < 0.35 {
                    let price = (3f64.ln() + 1.5 * normal(rng)).exp().clamp(0.01, 300.0);
                    let suffix = FOREIGN_SUFFIXES.choose(rng).expect("non-empty pool");
                    (4, "F", *suffix, Listing::Otc, price, false)
                } else {
                    let price = (0.08f64.ln() + 1.8 * normal(rng)).exp().clamp(0.0002, 30.0);
                    let suffix = OTC_SUFFIXES.choose(rng).expect("non-empty pool");
                    let reporting = rng.random::<f64>() < 0.6;
                    (4, "", *suffix, Listing::Otc, price, reporting)
                }
            }
        };
        if let Some(symbol) = symbol_from(rng, &stem, len, symbol_suffix, taken) {
            return Security {
                symbol,
                name: format!("{stem} {name_suffix}"),
                listing,
                price,
                adv: 0.0,
                sec_reporting,
            };
        }
    }
}

/// The ATS venues reporting `tier`'s securities at `scale` (the largest few at small scale).
pub(super) fn ats_for(tier: Tier, scale: Scale) -> Vec<&'static AtsVenue> {
    let venues = ATS_VENUES.iter().filter(|v| match tier {
        Tier::T1 | Tier::T2 => v.trades_nms(),
        Tier::Otce => v.trades_otce(),
    });
    match scale {
        Scale::Small => venues.take(8).collect(),
        Scale::Full => venues.collect(),
    }
}

/// The OTC (non-ATS) dealers reporting `tier`'s securities at `scale`.
pub(super) fn dealers_for(tier: Tier, scale: Scale) -> Vec<&'static Dealer> {
    let dealers = DEALERS.iter().filter(|d| tier != Tier::Otce || d.otce);
    match scale {
        Scale::Small => dealers.take(6).collect(),
        Scale::Full => dealers.collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_unique_and_well_formed() {
        let universe = Universe::new(42, Scale::Full);
        let mut seen = HashSet::new();
        for tier in Tier::ALL {
            assert_eq!(universe.tier(tier).len(), tier_size(tier, Scale::Full));
            for s in universe.tier(tier) {
                assert!(seen.insert(s.symbol.clone()), "duplicate {}", s.symbol);
                assert!(
                    s.symbol
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'.'),
                    "{}",
                    s.symbol
                );
                assert!((1..=5).contains(&s.symbol.len()), "{}", s.symbol);
                assert!(s.price > 0.0 && s.adv >= 500.0);
            }
        }
        let t1 = universe.tier(Tier::T1);
        assert_eq!(t1[3].symbol, "AAPL");
        assert_eq!(t1[3].name, "Apple Inc. Common Stock");
    }

    #[test]
    fn small_universe_is_a_prefix_of_the_hand_pools() {
        let universe = Universe::new(1, Scale::Small);
        assert_eq!(universe.tier(Tier::T1)[0].symbol, "SPY");
        assert_eq!(universe.tier(Tier::Otce)[0].symbol, "FNMA");
    }
}
