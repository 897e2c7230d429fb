//! otcMarket/blocksSummary and otcBlocksSummary: monthly block-trading statistics per ATS and per
//! OTC (non-ATS) firm, one row per participant and block definition, with shares, percentages
//! and ranks computed across all participants of the month.

use rand::Rng;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{
    ANCHOR, add_days, latest_published_month, month_end, month_starts_back, monthly_publication,
    weekday_on_or_before,
};
use super::number;
use super::random::{lognormal, rng_for, round2};
use super::universe::{Tier, ats_for, dealers_for};
use super::{date, num, text};

/// A block-summary schema; `$p` is the `ATS`/`OTC` prefix, the identity fields follow
/// `monthStartDate`.
macro_rules! block_fields {
    ($p:literal, $($identity:expr),+) => {
        &[
            date("monthStartDate", "Month start date."),
            $($identity,)+
            date("summaryStartDate", "Start date (first of the month) of the summary data."),
            num("totalTradeCount", concat!("Total of all ", $p, " trades (block and non-block).")),
            num("totalShareQuantity", concat!("Total of all ", $p, " shares traded (block and non-block).")),
            num("averageTradeSize", "Average trade size in shares."),
            num("averageTradeSizeRank", "Rank of the average trade size."),
            num(concat!($p, "TradeRank"), "Rank of the market share of trades."),
            num(concat!($p, "ShareRank"), "Rank of the market share of shares traded."),
            num(concat!($p, "TradePercent"), "Percentage of the grand total of trades."),
            num(concat!($p, "SharePercent"), "Percentage of the grand total of shares."),
            num(concat!($p, "BlockCount"), "Total block trades."),
            num(concat!($p, "BlockQuantity"), "Total block share quantity."),
            num("averageBlockSize", "Average block size in shares."),
            num("averageBlockSizeRank", "Rank of the average block size."),
            num(concat!($p, "BlockTradeRank"), "Rank of the market share of block trades."),
            num(concat!($p, "BlockShareRank"), "Rank of the market share of block shares."),
            num(concat!($p, "BlockTradePercent"), "Percentage of all block trades."),
            num(concat!($p, "BlockSharePercent"), "Percentage of all block shares."),
            num(concat!($p, "BlockBusinessTradePercent"), "Block trades as a percentage of the participant's trades."),
            num(concat!($p, "BlockBusinessSharePercent"), "Block shares as a percentage of the participant's shares."),
            num(concat!($p, "BlockBusinessTradeRank"), "Rank of the block-trade business share."),
            num(concat!($p, "BlockBusinessShareRank"), "Rank of the block-share business share."),
            text("summaryTypeCode", "Block definition: 2K, 10K, 100K, 200K, 10K-200K or 2K-100K."),
            text("summaryTypeDescription", "Description of the block definition."),
            date("lastUpdateDate", "Most recent date the totals were updated."),
            date("initialPublishedDate", "First publication: the first Monday of the second following month."),
            date("lastReportedDate", "Last time a firm sent an update to the underlying data."),
            text("atsOtc", "ATS or OTC."),
        ]
    };
}

static ATS_FIELDS: &[FieldDef] = block_fields!(
    "ATS",
    text("MPID", "ATS MPID."),
    text("marketParticipantName", "ATS name.")
);

static OTC_FIELDS: &[FieldDef] = block_fields!("OTC", text("crdFirmName", "CRD firm name."));

/// otcMarket/blocksSummary.
pub(super) static ATS_DEF: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "blocksSummary",
    description: "ATS block trading statistics by ATS, monthly",
    entitlement: Entitlement::Public,
    fields: ATS_FIELDS,
    partition_fields: &["monthStartDate"],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

/// otcMarket/otcBlocksSummary.
pub(super) static OTC_DEF: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "otcBlocksSummary",
    description: "OTC (non-ATS) block trading statistics by firm, monthly",
    entitlement: Entitlement::Public,
    fields: OTC_FIELDS,
    partition_fields: &["monthStartDate"],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

const ATS_SALT: u64 = 0x0EE1_0050;
const OTC_SALT: u64 = 0x0EE1_0051;

/// Block definitions: code and description.
const SUMMARY_TYPES: [(&str, &str); 6] = [
    ("2K", "2K to 10K Shares"),
    ("10K", "10K+ Shares"),
    ("100K", "$100K to $200K"),
    ("200K", "$200K+"),
    ("10K-200K", "10K+ Shares AND $200K+"),
    ("2K-100K", "2K to 10K Shares AND $100K to $200K"),
];

/// One participant's month: totals and block counts/quantities per block definition.
struct Month {
    trades: i64,
    shares: i64,
    blocks: [(i64, i64); 6],
}

/// otcMarket/blocksSummary rows.
pub(super) fn generate_ats(seed: u64, scale: Scale) -> Table {
    let venues = ats_for(Tier::T1, scale);
    let mut builder = TableBuilder::new(ATS_DEF.fields, ATS_DEF.partition_fields);
    let identities: Vec<Vec<Cell>> = venues
        .iter()
        .map(|v| {
            vec![
                builder.str(v.mpid),
                builder.str(&format!("{} {}", v.mpid, v.name)),
            ]
        })
        .collect();
    let participants = Participants {
        identities,
        profile: venues.iter().map(|v| (v.weight, v.size_factor)).collect(),
        market: Market {
            shares: 25e9,
            trade_size: 180.0,
        },
        ats_otc: "ATS",
    };
    generate(seed ^ ATS_SALT, scale, builder, &participants)
}

/// otcMarket/otcBlocksSummary rows.
pub(super) fn generate_otc(seed: u64, scale: Scale) -> Table {
    let dealers = dealers_for(Tier::T1, scale);
    let mut builder = TableBuilder::new(OTC_DEF.fields, OTC_DEF.partition_fields);
    let identities: Vec<Vec<Cell>> = dealers.iter().map(|d| vec![builder.str(d.name)]).collect();
    let participants = Participants {
        identities,
        profile: dealers.iter().map(|d| (d.weight, d.size_factor)).collect(),
        market: Market {
            shares: 80e9,
            trade_size: 150.0,
        },
        ats_otc: "OTC",
    };
    generate(seed ^ OTC_SALT, scale, builder, &participants)
}

/// Competition ranks (1 = largest; ties share a rank).
fn ranks(values: &[f64]) -> Vec<i64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut ranks = vec![0; values.len()];
    for (position, &i) in order.iter().enumerate() {
        ranks[i] = if position > 0 && values[order[position - 1]] == values[i] {
            ranks[order[position - 1]]
        } else {
            position as i64 + 1
        };
    }
    ranks
}

/// `part / whole` in percent, two decimals; 0 when `whole` is 0.
fn percent(part: i64, whole: i64) -> Cell {
    if whole == 0 {
        Cell::Int(0)
    } else {
        number(round2(part as f64 / whole as f64 * 100.0))
    }
}

/// How many of `trades` trades qualify, at a rate of `rate`.
fn block_count(rng: &mut impl Rng, trades: i64, rate: f64) -> i64 {
    ((trades as f64 * rate.min(0.6) * lognormal(rng, 0.2)).round() as i64).min(trades)
}

/// The shares of `count` blocks of about `size` shares.
fn block_quantity(rng: &mut impl Rng, count: i64, size: f64) -> i64 {
    (count as f64 * size * lognormal(rng, 0.08)).round() as i64
}

fn month_of(rng: &mut impl Rng, market: &Market, weight_share: f64, size_factor: f64) -> Month {
    let shares = ((market.shares * weight_share * lognormal(rng, 0.1)).round() as i64).max(1);
    let size = market.trade_size * size_factor * lognormal(rng, 0.1);
    let trades = ((shares as f64 / size).round() as i64).clamp(1, shares);
    let c10k = block_count(rng, trades, 0.0004 * size_factor.powf(1.3));
    let c2k = block_count(rng, trades, 0.004 * size_factor.powf(0.6));
    let c200k =
        ((c10k as f64 * 1.1 + trades as f64 * 0.0002 * size_factor).round() as i64).min(trades);
    let c100k = (c2k as f64 * 0.45).round() as i64;
    let c10k_200k = (c10k.min(c200k) as f64 * 0.8).round() as i64;
    let c2k_100k = (c2k.min(c100k) as f64 * 0.5).round() as i64;
    let large = 10_000.0 * (1.6 + 0.4 * size_factor.powf(0.3));
    let blocks = [
        (c2k, block_quantity(rng, c2k, 4_200.0)),
        (c10k, block_quantity(rng, c10k, large)),
        (c100k, block_quantity(rng, c100k, 2_500.0)),
        (c200k, block_quantity(rng, c200k, 12_000.0)),
        (c10k_200k, block_quantity(rng, c10k_200k, 14_000.0)),
        (c2k_100k, block_quantity(rng, c2k_100k, 3_600.0)),
    ]
    .map(|(c, q)| (c, q.min(shares)));
    Month {
        trades,
        shares,
        blocks,
    }
}

/// The participants of one block dataset.
struct Participants {
    /// Per participant, the identity cells that follow `monthStartDate`.
    identities: Vec<Vec<Cell>>,
    /// Per participant: volume weight and trade-size factor.
    profile: Vec<(f64, f64)>,
    market: Market,
    /// `atsOtc`.
    ats_otc: &'static str,
}

/// Monthly volume of all participants together.
struct Market {
    shares: f64,
    trade_size: f64,
}

fn generate(
    seed: u64,
    scale: Scale,
    mut builder: TableBuilder,
    participants: &Participants,
) -> Table {
    let mut rng = rng_for(seed, 0);
    let months = month_starts_back(
        latest_published_month(),
        match scale {
            Scale::Small => 6,
            Scale::Full => 24,
        },
    );
    let identities = &participants.identities;
    builder.reserve_rows(months.len() * identities.len() * SUMMARY_TYPES.len());
    let types =
        SUMMARY_TYPES.map(|(code, description)| (builder.str(code), builder.str(description)));
    let ats_otc = builder.str(participants.ats_otc);
    let weight_sum: f64 = participants.profile.iter().map(|p| p.0).sum();
    let mut row = Vec::with_capacity(30);
    for month in months {
        let published = monthly_publication(month);
        let republished = add_days(published, 7);
        let last_update = if republished <= ANCHOR && rng.random::<f64>() < 0.15 {
            republished
        } else {
            published
        };
        let last_reported = weekday_on_or_before(month_end(month));
        let stats: Vec<Month> = participants
            .profile
            .iter()
            .map(|&(weight, size)| {
                month_of(&mut rng, &participants.market, weight / weight_sum, size)
            })
            .collect();
        let total_trades: i64 = stats.iter().map(|m| m.trades).sum();
        let total_shares: i64 = stats.iter().map(|m| m.shares).sum();
        let avg_size: Vec<f64> = stats
            .iter()
            .map(|m| m.shares as f64 / m.trades as f64)
            .collect();
        let trade_rank = ranks(&stats.iter().map(|m| m.trades as f64).collect::<Vec<_>>());
        let share_rank = ranks(&stats.iter().map(|m| m.shares as f64).collect::<Vec<_>>());
        let size_rank = ranks(&avg_size);
        for (t, &(code, description)) in types.iter().enumerate() {
            let metric = |f: &dyn Fn(&Month) -> f64| -> Vec<f64> { stats.iter().map(f).collect() };
            let block_size = metric(&|m| {
                let (count, quantity) = m.blocks[t];
                if count == 0 {
                    0.0
                } else {
                    (quantity as f64 / count as f64).round()
                }
            });
            let count_rank = ranks(&metric(&|m| m.blocks[t].0 as f64));
            let quantity_rank = ranks(&metric(&|m| m.blocks[t].1 as f64));
            let block_size_rank = ranks(&block_size);
            let business_trade_rank = ranks(&metric(&|m| m.blocks[t].0 as f64 / m.trades as f64));
            let business_share_rank = ranks(&metric(&|m| m.blocks[t].1 as f64 / m.shares as f64));
            let total_count: i64 = stats.iter().map(|m| m.blocks[t].0).sum();
            let total_quantity: i64 = stats.iter().map(|m| m.blocks[t].1).sum();
            for (p, m) in stats.iter().enumerate() {
                let (count, quantity) = m.blocks[t];
                row.clear();
                row.push(Cell::Date(month));
                row.extend_from_slice(&identities[p]);
                row.extend_from_slice(&[
                    Cell::Date(month),
                    Cell::Int(m.trades),
                    Cell::Int(m.shares),
                    Cell::Int(avg_size[p].round() as i64),
                    Cell::Int(size_rank[p]),
                    Cell::Int(trade_rank[p]),
                    Cell::Int(share_rank[p]),
                    percent(m.trades, total_trades),
                    percent(m.shares, total_shares),
                    Cell::Int(count),
                    Cell::Int(quantity),
                    Cell::Int(block_size[p] as i64),
                    Cell::Int(block_size_rank[p]),
                    Cell::Int(count_rank[p]),
                    Cell::Int(quantity_rank[p]),
                    percent(count, total_count),
                    percent(quantity, total_quantity),
                    percent(count, m.trades),
                    percent(quantity, m.shares),
                    Cell::Int(business_trade_rank[p]),
                    Cell::Int(business_share_rank[p]),
                    code,
                    description,
                    Cell::Date(last_update),
                    Cell::Date(published),
                    Cell::Date(last_reported),
                    ats_otc,
                ]);
                builder.push_row(&row);
            }
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
    fn competition_ranks() {
        assert_eq!(ranks(&[5.0, 9.0, 5.0, 1.0]), vec![2, 1, 2, 4]);
    }

    #[test]
    fn percentages_sum_to_about_100_and_blocks_fit_in_totals() {
        for table in [generate_ats(6, Scale::Small), generate_otc(6, Scale::Small)] {
            let f = |n: &str| {
                table
                    .fields()
                    .iter()
                    .position(|x| x.name.ends_with(n))
                    .expect(n)
            };
            let (trades, shares, count, quantity, trade_pct, code) = (
                f("totalTradeCount"),
                f("totalShareQuantity"),
                f("BlockCount"),
                f("BlockQuantity"),
                f("TradePercent"),
                f("summaryTypeCode"),
            );
            assert_eq!(table.partitions().len(), 6);
            for p in table.partitions() {
                let rows: Vec<&[Cell]> = p.rows.clone().map(|i| table.row(i)).collect();
                for t in SUMMARY_TYPES {
                    let of_type: Vec<&&[Cell]> = rows
                        .iter()
                        .filter(|r| matches!(r[code], Cell::Str(id) if table.str(id) == t.0))
                        .collect();
                    assert!(!of_type.is_empty());
                    let pct: f64 = of_type.iter().map(|r| value(r[trade_pct])).sum();
                    assert!((pct - 100.0).abs() < 0.1, "{pct}");
                }
                for r in &rows {
                    assert!(value(r[count]) <= value(r[trades]));
                    assert!(value(r[quantity]) <= value(r[shares]));
                    assert!(value(r[trades]) <= value(r[shares]));
                }
            }
        }
    }
}
