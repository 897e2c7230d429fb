//! otcMarket/consolidatedShortInterest: twice-monthly short positions of every listed and OTC
//! security, simulated forward from the oldest settlement date so each cycle's previous position
//! is the cycle before's current one.

use rand::Rng;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{settlement_dates_back, yyyymmdd};
use super::number;
use super::random::{chance, lognormal, rng_for, round2};
use super::universe::{Security, Tier, Universe};
use super::{date, num, text};

static FIELDS: &[FieldDef] = &[
    num(
        "accountingYearMonthNumber",
        "Settlement date of the shorts cycle, yyyyMMdd.",
    ),
    text("symbolCode", "Security symbol."),
    text("issueName", "Name of the issue."),
    text(
        "issuerServicesGroupExchangeCode",
        "The issuer's service group exchange code.",
    ),
    text(
        "marketClassCode",
        "Market class, e.g. NNM, NYSE, ARCA, OTC.",
    ),
    num(
        "currentShortPositionQuantity",
        "Short position in the current cycle.",
    ),
    num(
        "previousShortPositionQuantity",
        "Short position in the previous cycle.",
    ),
    text(
        "stockSplitFlag",
        "S if a stock split took place in the current cycle, else null.",
    ),
    num(
        "averageDailyVolumeQuantity",
        "Average daily volume over the cycle.",
    ),
    num(
        "daysToCoverQuantity",
        "Current short position over average daily volume, capped at 999.99.",
    ),
    text(
        "revisionFlag",
        "R if the prior cycle's position was revised, else null.",
    ),
    num(
        "changePercent",
        "Percent change from the previous position; 100 when there was none.",
    ),
    num(
        "changePreviousNumber",
        "Current minus previous short position.",
    ),
    date("settlementDate", "Settlement date."),
];

/// otcMarket/consolidatedShortInterest.
pub(super) static DEF: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "consolidatedShortInterest",
    description: "Consolidated short interest of exchange-listed and OTC securities, twice monthly",
    entitlement: Entitlement::Public,
    fields: FIELDS,
    partition_fields: &["settlementDate"],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

const SALT: u64 = 0x0EE1_0030;

/// The sentinel days-to-cover of illiquid names.
const DAYS_TO_COVER_CAP: f64 = 999.99;

/// One security's figures in one cycle.
#[derive(Debug, Clone, Copy)]
struct Cycle {
    current: i64,
    previous: i64,
    adv: i64,
    split: bool,
    revised: bool,
}

/// The days-to-cover cell: integral values as `Int`, others rounded to two decimals.
fn days_to_cover(current: i64, adv: i64) -> Cell {
    if adv == 0 {
        return if current > 0 {
            Cell::Float(DAYS_TO_COVER_CAP)
        } else {
            Cell::Int(0)
        };
    }
    number(round2(current as f64 / adv as f64).min(DAYS_TO_COVER_CAP))
}

/// The change-percent cell: 100 without a previous position.
fn change_percent(current: i64, previous: i64) -> Cell {
    if previous == 0 {
        return Cell::Int(100);
    }
    number(round2(
        (current - previous) as f64 / previous as f64 * 100.0,
    ))
}

/// otcMarket/consolidatedShortInterest rows.
pub(super) fn generate(seed: u64, scale: Scale, universe: &Universe) -> Table {
    let mut rng = rng_for(seed, SALT);
    let dates = settlement_dates_back(match scale {
        Scale::Small => 6,
        Scale::Full => 48,
    });
    let mut securities: Vec<(Tier, &Security)> = Tier::ALL
        .iter()
        .flat_map(|&t| universe.tier(t).iter().map(move |s| (t, s)))
        .collect();
    securities.sort_by(|a, b| a.1.symbol.cmp(&b.1.symbol));

    // Simulate oldest to newest; `cycles[d][s]` is date `d` (newest first) of security `s`.
    let mut cycles = vec![Vec::with_capacity(securities.len()); dates.len()];
    let mut positions: Vec<i64> = securities
        .iter()
        .map(|&(tier, s)| {
            let cover = match tier {
                Tier::T1 => 2.0,
                Tier::T2 => 4.0,
                Tier::Otce => 6.0,
            };
            if tier == Tier::Otce && chance(&mut rng, 0.2) {
                0
            } else {
                (s.adv * cover * lognormal(&mut rng, 0.6)).round() as i64
            }
        })
        .collect();
    for d in (0..dates.len()).rev() {
        for (position, &(tier, security)) in positions.iter_mut().zip(&securities) {
            let previous = *position;
            let split = chance(&mut rng, 0.002);
            let current = if tier == Tier::Otce && previous > 0 && chance(&mut rng, 0.01) {
                0
            } else if previous == 0 {
                if chance(&mut rng, 0.25) {
                    (security.adv * rng.random_range(0.05..3.0)).round() as i64
                } else {
                    0
                }
            } else if split {
                let ratio = [2.0, 3.0, 4.0, 0.1][rng.random_range(0..4)];
                (previous as f64 * ratio * lognormal(&mut rng, 0.1)).round() as i64
            } else {
                (previous as f64 * lognormal(&mut rng, 0.12)).round() as i64
            };
            let adv = if tier == Tier::Otce && chance(&mut rng, 0.05) {
                0
            } else {
                ((security.adv * lognormal(&mut rng, 0.3)).round() as i64).max(1)
            };
            cycles[d].push(Cycle {
                current,
                previous,
                adv,
                split,
                revised: chance(&mut rng, 0.004),
            });
            *position = current;
        }
    }

    let mut builder = TableBuilder::new(DEF.fields, DEF.partition_fields);
    builder.reserve_rows(dates.len() * securities.len());
    let statics: Vec<[Cell; 4]> = securities
        .iter()
        .map(|(_, s)| {
            [
                builder.str(&s.symbol),
                builder.str(&s.name),
                builder.str(s.listing.exchange_code()),
                builder.str(s.listing.market_class()),
            ]
        })
        .collect();
    let split_flag = builder.str("S");
    let revision_flag = builder.str("R");
    for (date, cycles) in dates.iter().zip(&cycles) {
        let accounting = Cell::Int(yyyymmdd(*date));
        for (cells, cycle) in statics.iter().zip(cycles) {
            builder.push_row(&[
                accounting,
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                Cell::Int(cycle.current),
                Cell::Int(cycle.previous),
                if cycle.split { split_flag } else { Cell::Null },
                Cell::Int(cycle.adv),
                days_to_cover(cycle.current, cycle.adv),
                if cycle.revised {
                    revision_flag
                } else {
                    Cell::Null
                },
                change_percent(cycle.current, cycle.previous),
                Cell::Int(cycle.current - cycle.previous),
                Cell::Date(*date),
            ]);
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(cell: Cell) -> f64 {
        match cell {
            Cell::Int(v) => v as f64,
            Cell::Float(v) => v,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    #[test]
    fn encodings_follow_finra() {
        assert_eq!(days_to_cover(300, 100), Cell::Int(3));
        assert_eq!(days_to_cover(139_749_097, 39_537_335), Cell::Float(3.53));
        assert_eq!(days_to_cover(5, 0), Cell::Float(999.99));
        assert_eq!(days_to_cover(10_000_000, 1), Cell::Float(999.99));
        assert_eq!(change_percent(139_749_097, 116_327_753), Cell::Float(20.13));
        assert_eq!(change_percent(10, 0), Cell::Int(100));
        assert_eq!(change_percent(0, 0), Cell::Int(100));
        assert_eq!(change_percent(150, 100), Cell::Int(50));
    }

    #[test]
    fn rows_are_consistent_and_cycles_chain() {
        let universe = Universe::new(13, Scale::Small);
        let table = generate(13, Scale::Small, &universe);
        let parts = table.partitions();
        assert_eq!(parts.len(), 6);
        assert!(
            parts
                .windows(2)
                .all(|w| match (w[0].values[0], w[1].values[0]) {
                    (Cell::Date(a), Cell::Date(b)) => a > b,
                    _ => false,
                })
        );
        let mut saw_decimal = false;
        for i in 0..table.len() {
            let row = table.row(i);
            let (current, previous) = (value(row[5]), value(row[6]));
            assert_eq!(value(row[12]), current - previous);
            let cover = value(row[9]);
            assert!((0.0..=DAYS_TO_COVER_CAP).contains(&cover));
            if let Cell::Float(v) = row[9] {
                saw_decimal = true;
                assert_eq!(round2(v), v);
                assert_ne!(v.fract(), 0.0, "integral values are Int cells");
            }
            if previous == 0.0 {
                assert_eq!(row[11], Cell::Int(100));
            }
        }
        assert!(saw_decimal, "decimal days-to-cover expected");
        // The newest cycle's previous position is the cycle before's current one.
        let (newest, older) = (parts[0].rows.clone(), parts[1].rows.clone());
        for (a, b) in newest.zip(older) {
            assert_eq!(table.row(a)[1], table.row(b)[1]);
            assert_eq!(table.row(a)[6], table.row(b)[5]);
        }
    }
}
