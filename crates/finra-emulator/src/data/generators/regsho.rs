//! otcMarket/regShoDaily: daily off-exchange short-sale volume per symbol and trade reporting
//! facility, weekdays only.

use rand::Rng;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{ANCHOR, prev_weekday, weekdays_back};
use super::random::{chance, lognormal, normal, rng_for};
use super::universe::{Security, Tier, Universe};
use super::{date, num, text};

static FIELDS: &[FieldDef] = &[
    date("tradeReportDate", "Trade date."),
    text(
        "securitiesInformationProcessorSymbolIdentifier",
        "Security symbol.",
    ),
    num(
        "shortParQuantity",
        "Reported share volume of short sale and short sale exempt trades.",
    ),
    num(
        "shortExemptParQuantity",
        "Reported share volume of short sale exempt trades.",
    ),
    num(
        "totalParQuantity",
        "Reported share volume of all trades during regular trading hours.",
    ),
    text(
        "marketCode",
        "Market code: N (NYSE TRF), Q (Nasdaq TRF Carteret), B (Nasdaq TRF Chicago), D (ADF).",
    ),
    text(
        "reportingFacilityCode",
        "Reporting facility: NYTRF, NQTRF, NCTRF or ADF.",
    ),
];

/// otcMarket/regShoDaily.
pub(super) static DEF: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "regShoDaily",
    description: "Reg SHO daily short sale volume by symbol and trade reporting facility",
    entitlement: Entitlement::Public,
    fields: FIELDS,
    partition_fields: &["tradeReportDate"],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

const SALT: u64 = 0x0EE1_0020;

/// Facilities in output order: market code, facility code, share of off-exchange volume, chance
/// that a symbol has a row there on a given day.
const FACILITIES: [(&str, &str, f64, f64); 4] = [
    ("B", "NCTRF", 0.09, 0.5),
    ("D", "ADF", 0.01, 0.0),
    ("N", "NYTRF", 0.35, 0.85),
    ("Q", "NQTRF", 0.55, 1.0),
];

/// Index of the ADF in [`FACILITIES`].
const ADF: usize = 1;

/// Per-symbol traits that persist from day to day.
struct Profile<'a> {
    security: &'a Security,
    symbol: Cell,
    short_ratio: f64,
    /// Chance of an ADF row on a given day (most symbols never have one).
    adf: f64,
}

/// otcMarket/regShoDaily rows.
pub(super) fn generate(seed: u64, scale: Scale, universe: &Universe) -> Table {
    let mut rng = rng_for(seed, SALT);
    let (days, t2_symbols) = match scale {
        Scale::Small => (15, 10),
        Scale::Full => (250, 600),
    };
    let mut builder = TableBuilder::new(DEF.fields, DEF.partition_fields);
    let mut securities: Vec<&Security> = universe
        .tier(Tier::T1)
        .iter()
        .chain(universe.tier(Tier::T2).iter().take(t2_symbols))
        .collect();
    securities.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    let profiles: Vec<Profile<'_>> = securities
        .into_iter()
        .map(|security| Profile {
            security,
            symbol: builder.str(&security.symbol),
            short_ratio: rng.random_range(0.30..0.60),
            adf: if chance(&mut rng, 0.08) { 0.4 } else { 0.0 },
        })
        .collect();
    let codes =
        FACILITIES.map(|(market, facility, _, _)| (builder.str(market), builder.str(facility)));
    builder.reserve_rows(profiles.len() * days * 5 / 2);
    for day in weekdays_back(prev_weekday(ANCHOR), days) {
        let market = lognormal(&mut rng, 0.15);
        for profile in &profiles {
            let off_exchange = profile.security.adv * 0.45 * market * lognormal(&mut rng, 0.35);
            let ratio = (profile.short_ratio + 0.06 * normal(&mut rng)).clamp(0.02, 0.98);
            for (i, (&(_, _, share, presence), &(market_code, facility_code))) in
                FACILITIES.iter().zip(&codes).enumerate()
            {
                let presence = if i == ADF { profile.adf } else { presence };
                if !chance(&mut rng, presence) {
                    continue;
                }
                let total =
                    ((off_exchange * share * lognormal(&mut rng, 0.25)).round() as i64).max(1);
                let short = ((total as f64 * ratio).round() as i64).min(total);
                let exempt = (short as f64 * rng.random_range(0.0..0.03)).round() as i64;
                let (short, total) = if chance(&mut rng, 0.003) {
                    // Fractional-share executions: FINRA's quantities are decimals now and then.
                    let fraction = (rng.random_range(0.0001..0.9999) * 1e4_f64).round() / 1e4;
                    let short_fraction = (fraction * rng.random::<f64>() * 1e4).round() / 1e4;
                    (
                        Cell::Float(short as f64 + short_fraction),
                        Cell::Float(total as f64 + fraction),
                    )
                } else {
                    (Cell::Int(short), Cell::Int(total))
                };
                builder.push_row(&[
                    Cell::Date(day),
                    profile.symbol,
                    short,
                    Cell::Int(exempt),
                    total,
                    market_code,
                    facility_code,
                ]);
            }
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::super::calendar::is_weekday;
    use super::*;

    fn value(cell: Cell) -> f64 {
        match cell {
            Cell::Int(v) => v as f64,
            Cell::Float(v) => v,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    #[test]
    fn weekdays_only_short_within_total_and_facility_pairs() {
        let universe = Universe::new(21, Scale::Small);
        let table = generate(21, Scale::Small, &universe);
        assert!(table.len() > 500 && table.len() < 5000, "{}", table.len());
        let mut previous = None;
        for p in table.partitions() {
            let Cell::Date(day) = p.values[0] else {
                panic!("date")
            };
            assert!(is_weekday(day));
            assert!(previous.is_none_or(|prev| prev > day), "newest first");
            previous = Some(day);
        }
        let pairs = [("N", "NYTRF"), ("Q", "NQTRF"), ("B", "NCTRF"), ("D", "ADF")];
        for i in 0..table.len() {
            let row = table.row(i);
            let (short, exempt, total) = (value(row[2]), value(row[3]), value(row[4]));
            assert!(exempt <= short && short <= total && total > 0.0, "{row:?}");
            let (Cell::Str(m), Cell::Str(f)) = (row[5], row[6]) else {
                panic!("codes")
            };
            assert!(pairs.contains(&(table.str(m), table.str(f))));
        }
    }

    #[test]
    fn same_seed_same_rows() {
        let universe = Universe::new(4, Scale::Small);
        let a = generate(4, Scale::Small, &universe);
        let b = generate(4, Scale::Small, &universe);
        assert_eq!(a.len(), b.len());
        assert!((0..a.len()).all(|i| a.row(i) == b.row(i)));
    }
}
