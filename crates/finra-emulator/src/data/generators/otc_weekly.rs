//! otcMarket/weeklySummary and weeklySummaryHistoric: OTC transparency volume per week and tier,
//! by symbol and venue, ATS and non-ATS, with roll-up rows that are exact sums of their details.
//!
//! How many venues report each symbol in a week is decided by a stateless hash, so the row count
//! of every partition is known without generating it ([`planned_rows`]).

use time::Date;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{ANCHOR, add_days, is_weekday, mondays_back, year_month};
use super::names::DE_MINIMIS_NAME;
use super::random::{hash, lognormal, mix, rng_for, unit};
use super::universe::{Security, Tier, Universe, ats_for, dealers_for};
use super::volume::{Level, SymbolDraw, Totals, VenueWeight, split};
use super::{date, num, text};

const WEEKLY_FIELDS: [FieldDef; 17] = [
    date(
        "weekStartDate",
        "The first business day of the week (Monday).",
    ),
    text("tierIdentifier", "Tier identifier: T1, T2 or OTCE."),
    text("issueSymbolIdentifier", "Security symbol."),
    text("issueName", "Company name associated with the symbol."),
    num("firmCRDNumber", "Firm CRD number."),
    text("MPID", "ATS/OTC market participant identifier."),
    text(
        "marketParticipantName",
        "Name of the ATS/OTC or De Minimis Firm.",
    ),
    text(
        "tierDescription",
        "Tier description: NMS Tier 1, NMS Tier 2 or OTCE.",
    ),
    date("summaryStartDate", "Report start date (Monday)."),
    num(
        "totalWeeklyTradeCount",
        "Aggregate weekly number of trades.",
    ),
    num(
        "totalWeeklyShareQuantity",
        "Aggregate weekly number of shares.",
    ),
    text("productTypeCode", "Product type."),
    text(
        "summaryTypeCode",
        "Summary type, e.g. ATS_W_SMBL_FIRM or OTC_W_VOL_STATS.",
    ),
    date(
        "lastUpdateDate",
        "Most recent date the totals were updated.",
    ),
    date(
        "initialPublishedDate",
        "First publication date (two-week delay for T1, four for T2 and OTCE).",
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

const HISTORIC_FIELDS: [FieldDef; 19] = {
    let mut fields = [WEEKLY_FIELDS[0]; 19];
    let mut i = 0;
    while i < WEEKLY_FIELDS.len() {
        fields[i] = WEEKLY_FIELDS[i];
        i += 1;
    }
    fields[17] = date("historicalWeek", "The week queried (its Monday).");
    fields[18] = text("historicalMonth", "The month queried, yyyy-MM.");
    fields
};

const PARTITIONS: &[&str] = &["weekStartDate", "tierIdentifier"];

/// otcMarket/weeklySummary.
pub(super) static WEEKLY: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "weeklySummary",
    description: "OTC transparency weekly summary: ATS and non-ATS volume by symbol and firm, rolling 12 months",
    entitlement: Entitlement::Public,
    fields: &WEEKLY_FIELDS,
    partition_fields: PARTITIONS,
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

/// otcMarket/weeklySummaryHistoric.
pub(super) static HISTORIC: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "weeklySummaryHistoric",
    description: "OTC transparency weekly summary, older weeks (the four years before weeklySummary)",
    entitlement: Entitlement::Public,
    fields: &HISTORIC_FIELDS,
    partition_fields: PARTITIONS,
    primary_id_field: None,
    rules: QueryRules::HistoricEqualOnly,
    has_mock: true,
};

const WEEKLY_SALT: u64 = 0x0EE1_0001;
const HISTORIC_SALT: u64 = 0x0EE1_0002;
const SHAPE_SALT: u64 = 0x0EE1_0003;

const ATS_CODES: [&str; 4] = [
    "ATS_W_SMBL_FIRM",
    "ATS_W_SMBL",
    "ATS_W_FIRM",
    "ATS_W_VOL_STATS",
];
const OTC_CODES: [&str; 4] = [
    "OTC_W_SMBL_FIRM",
    "OTC_W_SMBL",
    "OTC_W_FIRM",
    "OTC_W_VOL_STATS",
];

/// How the number of reporting venues falls off with a symbol's activity rank.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Chance that a symbol (other than the most active) trades on this side at all in a week.
    active: f64,
    /// Fraction of venues reporting the least active symbols.
    floor: f64,
    /// Rank scale over which the fraction decays from all venues to `floor`.
    tau: f64,
}

impl Shape {
    /// Venues reporting the symbol of `rank` (0 when it did not trade), out of `n`. The most
    /// active symbol trades everywhere, so every venue has at least one row each week.
    fn venues(self, h: u64, rank: usize, n: usize) -> usize {
        if rank == 0 {
            return n;
        }
        if unit(h) >= self.active {
            return 0;
        }
        let fraction = self.floor + (1.0 - self.floor) * (-(rank as f64) / self.tau).exp();
        let jitter = 0.7 + 0.6 * unit(mix(h));
        ((n as f64 * fraction * jitter).round() as usize).clamp(1, n)
    }
}

/// The volume plan of one tier.
#[derive(Debug)]
struct Plan {
    tier: Tier,
    /// The most active `n_symbols` of the tier trade.
    n_symbols: usize,
    ats: Vec<VenueRef>,
    /// Dealers, then the De Minimis aggregate.
    otc: Vec<VenueRef>,
    ats_shape: Shape,
    otc_shape: Shape,
    /// Week starts, newest first.
    weeks: Vec<Date>,
    /// Share of consolidated volume executed on ATSs / by OTC dealers.
    ats_fraction: f64,
    otc_fraction: f64,
}

/// A venue as the summaries show it.
#[derive(Debug, Clone)]
struct VenueRef {
    crd: Option<i64>,
    mpid: Option<&'static str>,
    name: String,
    weight: VenueWeight,
}

fn plan(tier: Tier, scale: Scale, historic: bool) -> Plan {
    let weekly_weeks = match scale {
        Scale::Small => 8,
        Scale::Full => 52,
    };
    let latest = add_days(ANCHOR, -7 * (tier.publication_lag_weeks() + 1));
    let weeks = if historic {
        let n = match scale {
            Scale::Small => 12,
            Scale::Full => 208,
        };
        mondays_back(add_days(latest, -7 * weekly_weeks as i64), n)
    } else {
        mondays_back(latest, weekly_weeks)
    };
    let (n_symbols, ats_cap, dealer_cap) = match (historic, scale) {
        (false, Scale::Small) => (20, usize::MAX, usize::MAX),
        (false, Scale::Full) => (
            super::universe::tier_size(tier, scale),
            usize::MAX,
            usize::MAX,
        ),
        (true, Scale::Small) => (8, 5, 3),
        (true, Scale::Full) => (30, 10, 8),
    };
    let ats = ats_for(tier, scale)
        .into_iter()
        .take(ats_cap)
        .map(|v| VenueRef {
            crd: Some(v.crd),
            mpid: Some(v.mpid),
            name: format!("{} {}", v.mpid, v.name),
            weight: VenueWeight {
                weight: v.weight,
                size_factor: v.size_factor,
            },
        })
        .collect();
    let mut otc: Vec<VenueRef> = dealers_for(tier, scale)
        .into_iter()
        .take(dealer_cap)
        .map(|d| VenueRef {
            crd: Some(d.crd),
            mpid: Some(d.mpid),
            name: d.name.to_owned(),
            weight: VenueWeight {
                weight: d.weight,
                size_factor: d.size_factor,
            },
        })
        .collect();
    otc.push(VenueRef {
        crd: None,
        mpid: None,
        name: DE_MINIMIS_NAME.to_owned(),
        weight: VenueWeight {
            weight: 1.5,
            size_factor: 1.2,
        },
    });
    let (ats_shape, otc_shape, ats_fraction, otc_fraction) = match tier {
        Tier::T1 => (
            Shape {
                active: 1.0,
                floor: 0.09,
                tau: 110.0,
            },
            Shape {
                active: 1.0,
                floor: 0.06,
                tau: 70.0,
            },
            0.07,
            0.30,
        ),
        Tier::T2 => (
            Shape {
                active: 0.92,
                floor: 0.03,
                tau: 55.0,
            },
            Shape {
                active: 0.95,
                floor: 0.03,
                tau: 55.0,
            },
            0.05,
            0.32,
        ),
        Tier::Otce => (
            Shape {
                active: 0.35,
                floor: 0.05,
                tau: 200.0,
            },
            Shape {
                active: 0.85,
                floor: 0.07,
                tau: 150.0,
            },
            0.02,
            0.85,
        ),
    };
    Plan {
        tier,
        n_symbols,
        ats,
        otc,
        ats_shape,
        otc_shape,
        weeks,
        ats_fraction,
        otc_fraction,
    }
}

fn shape_hash(seed: u64, tier: Tier, week: Date, rank: usize, side: u64) -> u64 {
    hash(&[
        seed,
        SHAPE_SALT,
        tier as u64,
        week.to_julian_day() as u64,
        rank as u64,
        side,
    ])
}

/// Rows of one (week, tier) partition.
fn partition_rows(plan: &Plan, seed: u64, week: Date) -> usize {
    let mut rows = plan.ats.len() + 1 + plan.otc.len() + 1;
    for rank in 0..plan.n_symbols {
        for (side, shape, n) in [
            (0, plan.ats_shape, plan.ats.len()),
            (1, plan.otc_shape, plan.otc.len()),
        ] {
            let k = shape.venues(shape_hash(seed, plan.tier, week, rank, side), rank, n);
            if k > 0 {
                rows += k + 1;
            }
        }
    }
    rows
}

/// Per tier: total rows over all weeks and the largest single (week, tier) partition.
pub(super) fn planned_rows(seed: u64, scale: Scale, historic: bool) -> Vec<(Tier, usize, usize)> {
    Tier::ALL
        .iter()
        .map(|&tier| {
            let plan = plan(tier, scale, historic);
            let sizes: Vec<usize> = plan
                .weeks
                .iter()
                .map(|&w| partition_rows(&plan, seed, w))
                .collect();
            (
                tier,
                sizes.iter().sum(),
                sizes.iter().copied().max().unwrap_or(0),
            )
        })
        .collect()
}

/// otcMarket/weeklySummary rows.
pub(super) fn generate_weekly(seed: u64, scale: Scale, universe: &Universe) -> Table {
    generate(seed, scale, universe, false)
}

/// otcMarket/weeklySummaryHistoric rows.
pub(super) fn generate_historic(seed: u64, scale: Scale, universe: &Universe) -> Table {
    generate(seed, scale, universe, true)
}

/// The interned cells of one tier.
struct TierCells {
    id: Cell,
    description: Cell,
    /// Per symbol: symbol, issue name, product type.
    symbols: Vec<[Cell; 3]>,
    /// Per venue: CRD, MPID, participant name.
    ats: Vec<[Cell; 3]>,
    otc: Vec<[Cell; 3]>,
}

fn intern_tier(builder: &mut TableBuilder, plan: &Plan, securities: &[Security]) -> TierCells {
    let symbols = securities[..plan.n_symbols]
        .iter()
        .map(|s| {
            [
                builder.str(&s.symbol),
                builder.str(&s.name),
                builder.opt_str(s.listing.product_type()),
            ]
        })
        .collect();
    let mut venues = |list: &[VenueRef]| -> Vec<[Cell; 3]> {
        list.iter()
            .map(|v| {
                [
                    v.crd.map_or(Cell::Null, Cell::Int),
                    builder.opt_str(v.mpid),
                    builder.str(&v.name),
                ]
            })
            .collect()
    };
    let ats = venues(&plan.ats);
    let otc = venues(&plan.otc);
    TierCells {
        id: builder.str(plan.tier.id()),
        description: builder.str(plan.tier.description()),
        symbols,
        ats,
        otc,
    }
}

fn generate(seed: u64, scale: Scale, universe: &Universe, historic: bool) -> Table {
    let (def, salt) = if historic {
        (&HISTORIC, HISTORIC_SALT)
    } else {
        (&WEEKLY, WEEKLY_SALT)
    };
    let plans: Vec<Plan> = Tier::ALL
        .map(|t| plan(t, scale, historic))
        .into_iter()
        .collect();
    let mut builder = TableBuilder::new(def.fields, def.partition_fields);
    builder.reserve_rows(
        planned_rows(seed, scale, historic)
            .iter()
            .map(|t| t.1)
            .sum(),
    );
    let cells: Vec<TierCells> = plans
        .iter()
        .map(|p| intern_tier(&mut builder, p, universe.tier(p.tier)))
        .collect();
    let ats_codes = ATS_CODES.map(|c| builder.str(c));
    let otc_codes = OTC_CODES.map(|c| builder.str(c));
    let mut all_weeks: Vec<Date> = plans.iter().flat_map(|p| p.weeks.iter().copied()).collect();
    all_weeks.sort_unstable_by(|a, b| b.cmp(a));
    all_weeks.dedup();
    let mut rng = rng_for(seed, salt);
    for week in all_weeks {
        let week_factor = 0.8 + 0.4 * unit(hash(&[seed, salt, week.to_julian_day() as u64]));
        let month = historic.then(|| builder.str(&year_month(week)));
        for (plan, tier_cells) in plans.iter().zip(&cells) {
            if !plan.weeks.contains(&week) {
                continue;
            }
            let dates = PartitionDates::new(seed, plan.tier, week);
            let mut row = [Cell::Null; 19];
            row[0] = Cell::Date(week);
            row[1] = tier_cells.id;
            row[7] = tier_cells.description;
            row[8] = Cell::Date(week);
            row[13] = Cell::Date(dates.last_update);
            row[14] = Cell::Date(dates.initial_published);
            if let Some(month) = month {
                row[17] = Cell::Date(week);
                row[18] = month;
            }
            let width = def.fields.len();
            let securities = universe.tier(plan.tier);
            for side in [Side::Ats, Side::Otc] {
                let (shape, venues, fraction, side_id) = match side {
                    Side::Ats => (plan.ats_shape, &plan.ats, plan.ats_fraction, 0),
                    Side::Otc => (plan.otc_shape, &plan.otc, plan.otc_fraction, 1),
                };
                let mut draws = Vec::with_capacity(plan.n_symbols);
                for (rank, security) in securities[..plan.n_symbols].iter().enumerate() {
                    let h = shape_hash(seed, plan.tier, week, rank, side_id);
                    let k = shape.venues(h, rank, venues.len());
                    if k == 0 {
                        continue;
                    }
                    draws.push(SymbolDraw {
                        sym: rank,
                        venues: k,
                        shares: security.adv
                            * 5.0
                            * fraction
                            * week_factor
                            * lognormal(&mut rng, 0.35),
                        price: security.price * lognormal(&mut rng, 0.04),
                        trade_size: side.trade_size(security.price),
                    });
                }
                let weights: Vec<VenueWeight> = venues.iter().map(|v| v.weight).collect();
                let (venue_cells, codes) = match side {
                    Side::Ats => (&tier_cells.ats, &ats_codes),
                    Side::Otc => (&tier_cells.otc, &otc_codes),
                };
                split(
                    &mut rng,
                    &weights,
                    &draws,
                    dates.friday,
                    &dates.late,
                    |level, totals| {
                        fill(
                            &mut row,
                            level,
                            totals,
                            &tier_cells.symbols,
                            venue_cells,
                            codes,
                        );
                        builder.push_row(&row[..width]);
                    },
                );
            }
        }
    }
    builder.finish()
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Ats,
    Otc,
}

impl Side {
    /// Typical trade size in shares at `price`.
    fn trade_size(self, price: f64) -> f64 {
        match self {
            Self::Ats => (100.0 + 5000.0 / price).min(300_000.0),
            Self::Otc => (60.0 + 3000.0 / price).min(500_000.0),
        }
    }
}

/// Writes one emitted total into `row`'s varying cells.
fn fill(
    row: &mut [Cell; 19],
    level: Level,
    totals: &Totals,
    symbols: &[[Cell; 3]],
    venues: &[[Cell; 3]],
    codes: &[Cell; 4],
) {
    let none = [Cell::Null; 3];
    let (symbol, venue, product, code) = match level {
        Level::SymbolFirm { sym, venue } => (symbols[sym], venues[venue], Cell::Null, codes[0]),
        Level::Symbol { sym } => (symbols[sym], none, symbols[sym][2], codes[1]),
        Level::Firm { venue } => (none, venues[venue], Cell::Null, codes[2]),
        Level::Total => (none, none, Cell::Null, codes[3]),
    };
    row[2] = symbol[0];
    row[3] = symbol[1];
    row[4..7].copy_from_slice(&venue);
    row[9] = Cell::Int(totals.trades);
    row[10] = Cell::Int(totals.shares);
    row[11] = product;
    row[12] = code;
    row[15] = Cell::Date(totals.last_reported);
    row[16] = Cell::Int(totals.notional);
}

/// The publication dates of one (week, tier) partition.
struct PartitionDates {
    friday: Date,
    initial_published: Date,
    last_update: Date,
    /// Business days after the week on which a late correction may have been reported.
    late: Vec<Date>,
}

impl PartitionDates {
    fn new(seed: u64, tier: Tier, week: Date) -> Self {
        let friday = add_days(week, 4);
        let initial_published = add_days(week, 7 * (tier.publication_lag_weeks() + 1));
        let republished = add_days(initial_published, 7);
        let revised = unit(hash(&[
            seed,
            SHAPE_SALT,
            tier as u64,
            week.to_julian_day() as u64,
        ])) < 0.12;
        let last_update = if revised && republished <= ANCHOR {
            republished
        } else {
            initial_published
        };
        let late = (7..7 * tier.publication_lag_weeks() + 5)
            .map(|d| add_days(week, d))
            .filter(|d| is_weekday(*d) && *d < initial_published)
            .collect();
        Self {
            friday,
            initial_published,
            last_update,
            late,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn small(seed: u64, historic: bool) -> Table {
        let universe = Universe::new(seed, Scale::Small);
        generate(seed, Scale::Small, &universe, historic)
    }

    fn int(cell: Cell) -> i64 {
        match cell {
            Cell::Int(v) => v,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    fn text(table: &Table, cell: Cell) -> Option<&str> {
        match cell {
            Cell::Str(id) => Some(table.str(id)),
            Cell::Null => None,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    #[test]
    fn same_seed_same_rows_and_different_seed_different_rows() {
        let a = small(11, false);
        let b = small(11, false);
        let c = small(12, false);
        assert_eq!(a.len(), b.len());
        assert!((0..a.len()).all(|i| a.row(i) == b.row(i)));
        let differs = a.len() != c.len() || (0..a.len()).any(|i| a.row(i) != c.row(i));
        assert!(differs);
    }

    #[test]
    fn small_row_counts_match_the_plan() {
        for historic in [false, true] {
            let table = small(5, historic);
            let mut per_tier: HashMap<String, usize> = HashMap::new();
            for p in table.partitions() {
                let tier = text(&table, p.values[1]).expect("tier").to_owned();
                *per_tier.entry(tier).or_default() += p.rows.len();
            }
            for (tier, total, _) in planned_rows(5, Scale::Small, historic) {
                assert_eq!(per_tier.get(tier.id()).copied(), Some(total), "{tier:?}");
            }
            assert!(table.len() < 8000, "{} rows", table.len());
        }
    }

    #[test]
    fn partitions_are_newest_first_with_tiers_in_order() {
        let table = small(3, false);
        let keys: Vec<(Date, String)> = table
            .partitions()
            .iter()
            .map(|p| {
                let Cell::Date(week) = p.values[0] else {
                    panic!("date")
                };
                (week, text(&table, p.values[1]).expect("tier").to_owned())
            })
            .collect();
        assert!(keys.windows(2).all(|w| w[0].0 >= w[1].0));
        assert_eq!(keys[0], (add_days(ANCHOR, -21), "T1".to_owned()));
        assert!(
            keys.iter()
                .all(|(w, _)| w.weekday() == time::Weekday::Monday)
        );
        assert_eq!(keys.iter().filter(|k| k.1 == "OTCE").count(), 8);
    }

    #[test]
    fn roll_ups_equal_the_sums_of_their_details() {
        let table = small(9, false);
        let idx = |name: &str| table.field_idx(name).expect("field");
        let (sym, mpid, name, code) = (
            idx("issueSymbolIdentifier"),
            idx("MPID"),
            idx("marketParticipantName"),
            idx("summaryTypeCode"),
        );
        let (trades, shares, notional) = (
            idx("totalWeeklyTradeCount"),
            idx("totalWeeklyShareQuantity"),
            idx("totalNotionalSum"),
        );
        for p in table.partitions() {
            // (side, kind, symbol or venue) -> (trades, shares, notional)
            let mut sums: HashMap<(String, String), [i64; 3]> = HashMap::new();
            let mut aggregates = Vec::new();
            for i in p.rows.clone() {
                let row = table.row(i);
                let c = text(&table, row[code]).expect("code");
                let (side, kind) = c.split_at(6);
                let values = [int(row[trades]), int(row[shares]), int(row[notional])];
                assert!(values[1] >= values[0] && values[0] >= 1, "{c}: {values:?}");
                let symbol = text(&table, row[sym]).map(str::to_owned);
                let venue = text(&table, row[name]).map(str::to_owned);
                match kind {
                    "SMBL_FIRM" => {
                        assert!(symbol.is_some() && venue.is_some());
                        for key in [
                            (format!("{side}SMBL"), symbol.clone().expect("symbol")),
                            (format!("{side}FIRM"), venue.clone().expect("venue")),
                            (format!("{side}VOL_STATS"), String::new()),
                        ] {
                            let e = sums.entry(key).or_default();
                            for k in 0..3 {
                                e[k] += values[k];
                            }
                        }
                    }
                    "SMBL" => {
                        assert!(row[mpid] == Cell::Null && row[name] == Cell::Null);
                        aggregates.push(((c.to_owned(), symbol.expect("symbol")), values));
                    }
                    "FIRM" => {
                        assert!(symbol.is_none());
                        aggregates.push(((c.to_owned(), venue.expect("venue")), values));
                    }
                    "VOL_STATS" => {
                        assert!(symbol.is_none() && venue.is_none() && row[mpid] == Cell::Null);
                        aggregates.push(((c.to_owned(), String::new()), values));
                    }
                    other => panic!("unexpected summary type {other}"),
                }
            }
            assert_eq!(aggregates.len(), sums.len());
            for (key, values) in aggregates {
                assert_eq!(sums.get(&key), Some(&values), "{key:?}");
            }
        }
    }

    #[test]
    fn de_minimis_rows_have_no_mpid_or_crd() {
        let table = small(2, false);
        let name = table.field_idx("marketParticipantName").expect("field");
        let mpid = table.field_idx("MPID").expect("field");
        let crd = table.field_idx("firmCRDNumber").expect("field");
        let mut seen = 0;
        for i in 0..table.len() {
            let row = table.row(i);
            if text(&table, row[name]) == Some(DE_MINIMIS_NAME) {
                assert_eq!((row[mpid], row[crd]), (Cell::Null, Cell::Null));
                seen += 1;
            } else if row[mpid] != Cell::Null {
                assert!(matches!(row[crd], Cell::Int(_)));
            }
        }
        assert!(seen > 0);
    }

    #[test]
    fn dates_follow_the_publication_lag() {
        let table = small(4, true);
        let f = |n: &str| table.field_idx(n).expect("field");
        let (week, tier, published, updated, reported) = (
            f("weekStartDate"),
            f("tierIdentifier"),
            f("initialPublishedDate"),
            f("lastUpdateDate"),
            f("lastReportedDate"),
        );
        let (hweek, hmonth) = (f("historicalWeek"), f("historicalMonth"));
        for i in 0..table.len() {
            let row = table.row(i);
            let (Cell::Date(w), Cell::Date(p), Cell::Date(u), Cell::Date(r)) =
                (row[week], row[published], row[updated], row[reported])
            else {
                panic!("dates expected")
            };
            let lag = if text(&table, row[tier]) == Some("T1") {
                21
            } else {
                35
            };
            assert_eq!(p, add_days(w, lag));
            assert!(u >= p && u <= ANCHOR);
            assert!(r >= add_days(w, 4) && r < p);
            assert_eq!(row[hweek], Cell::Date(w));
            assert_eq!(text(&table, row[hmonth]), Some(year_month(w).as_str()));
        }
    }

    #[test]
    fn historic_weeks_precede_weekly_weeks() {
        for tier in Tier::ALL {
            let weekly = plan(tier, Scale::Full, false);
            let historic = plan(tier, Scale::Full, true);
            assert_eq!(weekly.weeks.len(), 52);
            assert_eq!(historic.weeks.len(), 208);
            assert_eq!(historic.weeks[0], add_days(weekly.weeks[51], -7));
        }
    }

    #[test]
    fn full_scale_sizes_meet_the_targets_without_materialising() {
        let weekly = planned_rows(42, Scale::Full, false);

        let total: usize = weekly.iter().map(|t| t.1).sum();
        assert!(total >= 1_000_000, "{weekly:?}");
        for (tier, rows, largest) in &weekly {
            assert!(*rows <= 500_000, "{tier:?}: {rows}");
            assert!(*largest <= 5_000 * 100, "{tier:?}: {largest}");
        }
        let historic: usize = planned_rows(42, Scale::Full, true)
            .iter()
            .map(|t| t.1)
            .sum();
        assert!(historic <= 400_000, "{historic}");
    }
}
