//! otcMarket/monthlySummary: OTC (non-ATS) volume per month for NMS stocks and OTC equities, by
//! symbol and firm (De Minimis firms aggregated), with exact roll-ups.

use rand::Rng;
use time::Date;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{
    ANCHOR, add_days, add_months, is_weekday, latest_published_month, month_end, month_starts_back,
    monthly_publication, weekday_on_or_before,
};
use super::names::DE_MINIMIS_NAME;
use super::random::{lognormal, rng_for};
use super::universe::{Security, Tier, Universe, dealers_for};
use super::volume::{Level, SymbolDraw, Totals, VenueWeight, split};
use super::{date, num, text};

static FIELDS: &[FieldDef] = &[
    date("monthStartDate", "The first day of the month."),
    text("tierIdentifier", "Tier identifier: NMS or OTCE."),
    text("issueSymbolIdentifier", "Security symbol."),
    text("issueName", "Company name associated with the symbol."),
    num("firmCRDNumber", "Firm CRD number."),
    text(
        "marketParticipantName",
        "Name of the OTC firm or De Minimis Firm.",
    ),
    date(
        "summaryStartDate",
        "Start date (first of the month) of the summary.",
    ),
    num(
        "totalMonthlyTradeCount",
        "Aggregate monthly number of OTC (non-ATS) trades.",
    ),
    num(
        "totalMonthlyShareQuantity",
        "Aggregate monthly number of OTC (non-ATS) shares.",
    ),
    text("productTypeCode", "Product type."),
    text(
        "summaryTypeCode",
        "Summary type: OTC_M_SMBL_FIRM, OTC_M_SMBL, OTC_M_FIRM or OTC_M_VOL_STATS.",
    ),
    date(
        "lastUpdateDate",
        "Most recent date the totals were updated.",
    ),
    date(
        "initialPublishedDate",
        "First publication: the first Monday of the second following month.",
    ),
    date(
        "lastReportedDate",
        "Last time a firm sent an update to the underlying data.",
    ),
    num(
        "totalNotionalSum",
        "Calculated total notional value of the trades.",
    ),
];

/// otcMarket/monthlySummary.
pub(super) static DEF: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "monthlySummary",
    description: "OTC (non-ATS) monthly summary by symbol and firm, NMS stocks and OTC equities",
    entitlement: Entitlement::Public,
    fields: FIELDS,
    partition_fields: &["monthStartDate", "tierIdentifier"],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

const SALT: u64 = 0x0EE1_0010;
const CODES: [&str; 4] = [
    "OTC_M_SMBL_FIRM",
    "OTC_M_SMBL",
    "OTC_M_FIRM",
    "OTC_M_VOL_STATS",
];

/// Symbols a monthly tier takes from one tier of the universe.
struct Source {
    tier: Tier,
    small: usize,
    full: usize,
}

/// A monthly tier: its `tierIdentifier`, the tier whose dealers report it, where its symbols
/// come from.
struct TierSpec {
    id: &'static str,
    dealer_tier: Tier,
    sources: &'static [Source],
}

const TIERS: [TierSpec; 2] = [
    TierSpec {
        id: "NMS",
        dealer_tier: Tier::T1,
        sources: &[
            Source {
                tier: Tier::T1,
                small: 12,
                full: 250,
            },
            Source {
                tier: Tier::T2,
                small: 8,
                full: 250,
            },
        ],
    },
    TierSpec {
        id: "OTCE",
        dealer_tier: Tier::Otce,
        sources: &[Source {
            tier: Tier::Otce,
            small: 16,
            full: 400,
        }],
    },
];

/// otcMarket/monthlySummary rows.
pub(super) fn generate(seed: u64, scale: Scale, universe: &Universe) -> Table {
    let mut rng = rng_for(seed, SALT);
    let mut builder = TableBuilder::new(DEF.fields, DEF.partition_fields);
    let months = month_starts_back(
        latest_published_month(),
        match scale {
            Scale::Small => 6,
            Scale::Full => 12,
        },
    );
    let codes = CODES.map(|c| builder.str(c));
    let tiers: Vec<MonthlyTier<'_>> = TIERS
        .iter()
        .map(|spec| MonthlyTier::new(&mut builder, universe, scale, spec))
        .collect();
    for &month in &months {
        let published = monthly_publication(month);
        let republished = add_days(published, 7);
        let last_day = weekday_on_or_before(month_end(month));
        let late: Vec<Date> = (1..=20)
            .map(|d| add_days(last_day, d))
            .filter(|d| is_weekday(*d) && *d < published && *d < add_months(month, 2))
            .collect();
        let trading_days = (0..i64::from(month.month().length(month.year())))
            .filter(|d| is_weekday(add_days(month, *d)))
            .count() as f64;
        for tier in &tiers {
            let last_update = if republished <= ANCHOR && rng.random::<f64>() < 0.15 {
                republished
            } else {
                published
            };
            let mut row = [Cell::Null; 15];
            row[0] = Cell::Date(month);
            row[1] = tier.id;
            row[6] = Cell::Date(month);
            row[11] = Cell::Date(last_update);
            row[12] = Cell::Date(published);
            let n = tier.venues.len();
            let draws: Vec<SymbolDraw> = tier
                .securities
                .iter()
                .enumerate()
                .filter_map(|(rank, s)| {
                    let k = if rank == 0 {
                        n
                    } else if rng.random::<f64>() < 0.05 {
                        return None;
                    } else {
                        let fraction = 0.06 + 0.94 * (-(rank as f64) / 60.0).exp();
                        ((n as f64 * fraction * rng.random_range(0.7..1.3)).round() as usize)
                            .clamp(1, n)
                    };
                    Some(SymbolDraw {
                        sym: rank,
                        venues: k,
                        shares: s.adv * trading_days * tier.otc_fraction * lognormal(&mut rng, 0.3),
                        price: s.price * lognormal(&mut rng, 0.05),
                        trade_size: (60.0 + 3000.0 / s.price).min(500_000.0),
                    })
                })
                .collect();
            split(
                &mut rng,
                &tier.venues,
                &draws,
                last_day,
                &late,
                |level, totals| {
                    fill(&mut row, level, totals, tier, &codes);
                    builder.push_row(&row);
                },
            );
        }
    }
    builder.finish()
}

/// One monthly tier with its interned cells.
struct MonthlyTier<'a> {
    id: Cell,
    securities: Vec<&'a Security>,
    /// Per symbol: symbol, issue name, product type.
    symbol_cells: Vec<[Cell; 3]>,
    venues: Vec<VenueWeight>,
    /// Per venue: CRD, participant name.
    venue_cells: Vec<[Cell; 2]>,
    otc_fraction: f64,
}

impl<'a> MonthlyTier<'a> {
    fn new(
        builder: &mut TableBuilder,
        universe: &'a Universe,
        scale: Scale,
        spec: &TierSpec,
    ) -> Self {
        let mut securities = Vec::new();
        for source in spec.sources {
            let n = match scale {
                Scale::Small => source.small,
                Scale::Full => source.full,
            };
            securities.extend(universe.tier(source.tier).iter().take(n));
        }
        // Interleave the two source tiers by activity so rank 0 is the most active overall.
        securities.sort_by(|a, b| (b.adv * b.price).total_cmp(&(a.adv * a.price)));
        let symbol_cells = securities
            .iter()
            .map(|s| {
                [
                    builder.str(&s.symbol),
                    builder.str(&s.name),
                    builder.opt_str(s.listing.product_type()),
                ]
            })
            .collect();
        let dealers = dealers_for(spec.dealer_tier, scale);
        let mut venues: Vec<VenueWeight> = dealers
            .iter()
            .map(|d| VenueWeight {
                weight: d.weight,
                size_factor: d.size_factor,
            })
            .collect();
        let mut venue_cells: Vec<[Cell; 2]> = dealers
            .iter()
            .map(|d| [Cell::Int(d.crd), builder.str(d.name)])
            .collect();
        venues.push(VenueWeight {
            weight: 1.5,
            size_factor: 1.2,
        });
        venue_cells.push([Cell::Null, builder.str(DE_MINIMIS_NAME)]);
        Self {
            id: builder.str(spec.id),
            securities,
            symbol_cells,
            venues,
            venue_cells,
            otc_fraction: if spec.dealer_tier == Tier::Otce {
                0.85
            } else {
                0.3
            },
        }
    }
}

fn fill(
    row: &mut [Cell; 15],
    level: Level,
    totals: &Totals,
    tier: &MonthlyTier<'_>,
    codes: &[Cell; 4],
) {
    let no_symbol = [Cell::Null; 3];
    let no_venue = [Cell::Null; 2];
    let (symbol, venue, product, code) = match level {
        Level::SymbolFirm { sym, venue } => (
            tier.symbol_cells[sym],
            tier.venue_cells[venue],
            Cell::Null,
            codes[0],
        ),
        Level::Symbol { sym } => (
            tier.symbol_cells[sym],
            no_venue,
            tier.symbol_cells[sym][2],
            codes[1],
        ),
        Level::Firm { venue } => (no_symbol, tier.venue_cells[venue], Cell::Null, codes[2]),
        Level::Total => (no_symbol, no_venue, Cell::Null, codes[3]),
    };
    row[2] = symbol[0];
    row[3] = symbol[1];
    row[4] = venue[0];
    row[5] = venue[1];
    row[7] = Cell::Int(totals.trades);
    row[8] = Cell::Int(totals.shares);
    row[9] = product;
    row[10] = code;
    row[13] = Cell::Date(totals.last_reported);
    row[14] = Cell::Int(totals.notional);
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::super::StrId;
    use super::*;

    #[test]
    fn symbol_rows_sum_their_firm_rows_and_partitions_go_newest_first() {
        let universe = Universe::new(8, Scale::Small);
        let table = generate(8, Scale::Small, &universe);
        assert!(table.len() > 100 && table.len() < 5000, "{}", table.len());
        assert_eq!(table.partitions().len(), 12);
        let months: Vec<Cell> = table.partitions().iter().map(|p| p.values[0]).collect();
        assert_eq!(months[0], Cell::Date(latest_published_month()));
        assert!(months.windows(2).all(|w| match (w[0], w[1]) {
            (Cell::Date(a), Cell::Date(b)) => a >= b,
            _ => false,
        }));
        for p in table.partitions() {
            let mut by_symbol: HashMap<StrId, i64> = HashMap::new();
            let mut symbol_rows = Vec::new();
            let mut grand = None;
            for i in p.rows.clone() {
                let row = table.row(i);
                let Cell::Int(shares) = row[8] else {
                    panic!("shares")
                };
                let Cell::Str(code) = row[10] else {
                    panic!("code")
                };
                let symbol = match row[2] {
                    Cell::Str(id) => Some(id),
                    _ => None,
                };
                match table.str(code) {
                    "OTC_M_SMBL_FIRM" => {
                        *by_symbol.entry(symbol.expect("symbol")).or_default() += shares;
                    }
                    "OTC_M_SMBL" => symbol_rows.push((symbol.expect("symbol"), shares)),
                    "OTC_M_VOL_STATS" => grand = Some(shares),
                    _ => {}
                }
            }
            assert_eq!(symbol_rows.len(), by_symbol.len());
            for (symbol, shares) in &symbol_rows {
                assert_eq!(by_symbol.get(symbol), Some(shares));
            }
            assert_eq!(grand, Some(symbol_rows.iter().map(|s| s.1).sum()));
        }
    }
}
