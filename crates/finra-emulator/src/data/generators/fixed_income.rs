//! fixedIncomeMarket: TRACE Treasury daily and monthly aggregates, and corporate bond market
//! breadth and sentiment. Breadth and sentiment come from one simulated market per day, so a
//! day's "all trades" sentiment matches its breadth row for the same category.

use rand::Rng;
use time::Date;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{
    ANCHOR, add_days, add_months, is_weekday, month_start, month_starts_back, prev_weekday,
    weekdays_back,
};
use super::number;
use super::random::{lognormal, normal, rng_for};
use super::{date, num, text};

static TREASURY_DAILY_FIELDS: &[FieldDef] = &[
    date("tradeDate", "Date on which the securities were traded."),
    text("productCategory", "Category of the Treasury product."),
    text("yearsToMaturity", "Range of years to maturity."),
    text("benchmark", "Run: On-the-run or Off-the-run."),
    num("atsInterdealerCount", "Trade count, ATS and interdealer."),
    num(
        "atsInterdealerVolume",
        "Volume in dollars, ATS and interdealer.",
    ),
    num("dealerCustomerCount", "Trade count, dealer to customer."),
    num(
        "dealerCustomerVolume",
        "Volume in dollars, dealer to customer.",
    ),
    num(
        "volumeWeightedAveragePrice",
        "The volume-weighted average price for the day.",
    ),
];

static TREASURY_MONTHLY_FIELDS: &[FieldDef] = &[
    date(
        "beginningOfTheMonthDate",
        "The first day of the month reported.",
    ),
    text("productCategory", "Category of the Treasury product."),
    text("yearsToMaturity", "Range of years to maturity."),
    text("benchmark", "Run: On-the-run or Off-the-run."),
    num("atsInterdealerCount", "Trade count, ATS and interdealer."),
    num(
        "atsInterdealerVolume",
        "Volume in dollars, ATS and interdealer.",
    ),
    num("dealerCustomerCount", "Trade count, dealer to customer."),
    num(
        "dealerCustomerVolume",
        "Volume in dollars, dealer to customer.",
    ),
];

static BREADTH_FIELDS: &[FieldDef] = &[
    date("tradeReportDate", "Trade date."),
    text("productCategory", "Category of the product."),
    num("totalTrades", "Number of issues traded."),
    num("advances", "Issues whose price rose."),
    num("declines", "Issues whose price fell."),
    num("unchanged", "Issues whose price did not change."),
    num("fiftyTwoWeekHigh", "Issues at a 52-week high."),
    num("fiftyTwoWeekLow", "Issues at a 52-week low."),
    num("totalVolume", "Total par volume in dollars."),
];

static SENTIMENT_FIELDS: &[FieldDef] = &[
    date("tradeReportDate", "Trade date."),
    text(
        "tradeType",
        "Trade type: all trades, customer buy, customer sell or dealer to dealer.",
    ),
    text("productCategory", "Category of the product."),
    num("totalTransactions", "Number of transactions."),
    num("totalTrades", "Number of issues traded."),
    num("totalVolume", "Total par volume in dollars."),
];

const fn public(
    name: &'static str,
    description: &'static str,
    fields: &'static [FieldDef],
    partition: &'static [&'static str],
) -> DatasetDef {
    DatasetDef {
        group: "fixedIncomeMarket",
        name,
        description,
        entitlement: Entitlement::Public,
        fields,
        partition_fields: partition,
        primary_id_field: None,
        rules: QueryRules::Standard,
        has_mock: false,
    }
}

/// fixedIncomeMarket/treasuryDailyAggregates.
pub(super) static TREASURY_DAILY: DatasetDef = public(
    "treasuryDailyAggregates",
    "TRACE Treasury daily aggregates by product, maturity and run",
    TREASURY_DAILY_FIELDS,
    &["tradeDate"],
);

/// fixedIncomeMarket/treasuryMonthlyAggregates.
pub(super) static TREASURY_MONTHLY: DatasetDef = public(
    "treasuryMonthlyAggregates",
    "TRACE Treasury monthly aggregates by product, maturity and run",
    TREASURY_MONTHLY_FIELDS,
    &["beginningOfTheMonthDate"],
);

/// fixedIncomeMarket/corporateMarketBreadth.
pub(super) static BREADTH: DatasetDef = public(
    "corporateMarketBreadth",
    "Corporate bond market breadth: advances, declines and 52-week highs and lows",
    BREADTH_FIELDS,
    &["tradeReportDate"],
);

/// fixedIncomeMarket/corporateMarketSentiment.
pub(super) static SENTIMENT: DatasetDef = public(
    "corporateMarketSentiment",
    "Corporate bond market sentiment by trade type",
    SENTIMENT_FIELDS,
    &["tradeReportDate"],
);

const TREASURY_SALT: u64 = 0x0F1_0001;
const CORPORATE_SALT: u64 = 0x0F1_0002;

/// Treasury buckets: category, maturity range, share of volume, typical price, price duration.
const BUCKETS: [(&str, &str, f64, f64, f64); 11] = [
    ("Bills", "< 1 year", 0.22, 99.2, 0.4),
    ("Nominal Coupons", "< 2 years", 0.16, 99.6, 1.5),
    ("Nominal Coupons", "2 - 3 years", 0.10, 99.4, 2.5),
    ("Nominal Coupons", "3 - 5 years", 0.14, 98.9, 4.0),
    ("Nominal Coupons", "5 - 7 years", 0.09, 98.1, 5.8),
    ("Nominal Coupons", "7 - 10 years", 0.12, 97.0, 7.5),
    ("Nominal Coupons", "10 - 20 years", 0.03, 93.5, 12.0),
    ("Nominal Coupons", "20+ years", 0.07, 89.0, 17.0),
    ("TIPS", "< 5 years", 0.03, 98.8, 2.8),
    ("TIPS", "5 - 10 years", 0.025, 97.2, 7.0),
    ("FRNs", "< 2 years", 0.015, 100.03, 0.1),
];

/// Volume share of the on-the-run issues within a bucket.
const ON_THE_RUN: f64 = 0.55;

/// Daily dollar volume: ATS/interdealer, dealer/customer; average trade size of each.
const DAILY_ATS: f64 = 320e9;
const DAILY_CUSTOMER: f64 = 290e9;
const ATS_TRADE: f64 = 2.5e6;
const CUSTOMER_TRADE: f64 = 6.0e6;

/// One treasury row's figures.
struct Flow {
    ats_count: i64,
    ats_volume: i64,
    customer_count: i64,
    customer_volume: i64,
}

fn flow(rng: &mut impl Rng, scale_factor: f64, share: f64, run_share: f64) -> Flow {
    let ats_volume = DAILY_ATS * scale_factor * share * run_share * lognormal(rng, 0.2);
    let customer_volume = DAILY_CUSTOMER * scale_factor * share * run_share * lognormal(rng, 0.2);
    Flow {
        ats_count: ((ats_volume / (ATS_TRADE * lognormal(rng, 0.15))).round() as i64).max(1),
        ats_volume: ats_volume.round() as i64,
        customer_count: ((customer_volume / (CUSTOMER_TRADE * lognormal(rng, 0.15))).round()
            as i64)
            .max(1),
        customer_volume: customer_volume.round() as i64,
    }
}

fn interned_buckets(builder: &mut TableBuilder) -> Vec<[Cell; 2]> {
    BUCKETS
        .iter()
        .map(|&(category, maturity, ..)| [builder.str(category), builder.str(maturity)])
        .collect()
}

/// fixedIncomeMarket/treasuryDailyAggregates rows.
pub(super) fn generate_treasury_daily(seed: u64, scale: Scale) -> Table {
    let mut rng = rng_for(seed, TREASURY_SALT);
    let days = weekdays_back(
        prev_weekday(ANCHOR),
        match scale {
            Scale::Small => 20,
            Scale::Full => 250,
        },
    );
    let mut builder = TableBuilder::new(TREASURY_DAILY.fields, TREASURY_DAILY.partition_fields);
    builder.reserve_rows(days.len() * BUCKETS.len() * 2);
    let buckets = interned_buckets(&mut builder);
    let runs = [builder.str("On-the-run"), builder.str("Off-the-run")];
    // A yield path walked from the oldest day: prices move inversely, scaled by duration.
    let mut shift = vec![0.0; days.len()];
    let mut level = 0.0;
    for s in shift.iter_mut().rev() {
        level += 0.05 * normal(&mut rng);
        *s = level;
    }
    for (day, shift) in days.iter().zip(&shift) {
        let activity = lognormal(&mut rng, 0.15);
        for (&(_, _, share, price, duration), cells) in BUCKETS.iter().zip(&buckets) {
            for (run, run_share) in runs.iter().zip([ON_THE_RUN, 1.0 - ON_THE_RUN]) {
                let f = flow(&mut rng, activity, share, run_share);
                let vwap = price * (1.0 - duration * shift / 100.0) + 0.02 * normal(&mut rng);
                builder.push_row(&[
                    Cell::Date(*day),
                    cells[0],
                    cells[1],
                    *run,
                    Cell::Int(f.ats_count),
                    Cell::Int(f.ats_volume),
                    Cell::Int(f.customer_count),
                    Cell::Int(f.customer_volume),
                    number((vwap * 1e4).round() / 1e4),
                ]);
            }
        }
    }
    builder.finish()
}

/// fixedIncomeMarket/treasuryMonthlyAggregates rows.
pub(super) fn generate_treasury_monthly(seed: u64, scale: Scale) -> Table {
    let mut rng = rng_for(seed, TREASURY_SALT ^ 0xFF);
    let months = month_starts_back(
        add_months(month_start(ANCHOR), -1),
        match scale {
            Scale::Small => 6,
            Scale::Full => 36,
        },
    );
    let mut builder = TableBuilder::new(TREASURY_MONTHLY.fields, TREASURY_MONTHLY.partition_fields);
    builder.reserve_rows(months.len() * BUCKETS.len() * 2);
    let buckets = interned_buckets(&mut builder);
    let runs = [builder.str("On-the-run"), builder.str("Off-the-run")];
    for month in months {
        let trading_days = trading_days_in(month);
        for (&(_, _, share, ..), cells) in BUCKETS.iter().zip(&buckets) {
            for (run, run_share) in runs.iter().zip([ON_THE_RUN, 1.0 - ON_THE_RUN]) {
                let activity = trading_days * lognormal(&mut rng, 0.05);
                let f = flow(&mut rng, activity, share, run_share);
                builder.push_row(&[
                    Cell::Date(month),
                    cells[0],
                    cells[1],
                    *run,
                    Cell::Int(f.ats_count),
                    Cell::Int(f.ats_volume),
                    Cell::Int(f.customer_count),
                    Cell::Int(f.customer_volume),
                ]);
            }
        }
    }
    builder.finish()
}

fn trading_days_in(month: Date) -> f64 {
    (0..i64::from(month.month().length(month.year())))
        .filter(|&d| is_weekday(add_days(month, d)))
        .count() as f64
}

/// Corporate categories: name, issues traded on a typical day, daily par volume in dollars.
const CATEGORIES: [(&str, f64, f64); 3] = [
    ("investment grade", 5200.0, 18e9),
    ("high yield", 1700.0, 6e9),
    ("convertibles", 260.0, 0.7e9),
];
const ALL_CATEGORY: &str = "all securities";

/// Sentiment trade types after "all trades": name, share of transactions, share of volume, share
/// of the day's issues that saw one.
const TRADE_TYPES: [(&str, f64, f64, f64); 3] = [
    ("customer buy", 0.38, 0.41, 0.82),
    ("customer sell", 0.35, 0.37, 0.78),
    ("dealer to dealer", 0.27, 0.22, 0.55),
];
const ALL_TRADES: &str = "all trades";

/// One category's day.
#[derive(Debug, Clone, Copy, Default)]
struct Breadth {
    issues: i64,
    advances: i64,
    declines: i64,
    unchanged: i64,
    highs: i64,
    lows: i64,
    volume: i64,
    transactions: i64,
}

impl Breadth {
    fn add(&mut self, other: &Self) {
        self.issues += other.issues;
        self.advances += other.advances;
        self.declines += other.declines;
        self.unchanged += other.unchanged;
        self.highs += other.highs;
        self.lows += other.lows;
        self.volume += other.volume;
        self.transactions += other.transactions;
    }
}

/// Per day (newest first): the three categories, then their sum.
fn corporate_days(seed: u64, scale: Scale) -> Vec<(Date, [Breadth; 4])> {
    let mut rng = rng_for(seed, CORPORATE_SALT);
    let days = weekdays_back(
        prev_weekday(ANCHOR),
        match scale {
            Scale::Small => 20,
            Scale::Full => 250,
        },
    );
    days.into_iter()
        .map(|day| {
            let mood = (0.5 * normal(&mut rng)).clamp(-1.0, 1.0);
            let activity = lognormal(&mut rng, 0.12);
            let mut all = Breadth::default();
            let mut out = [Breadth::default(); 4];
            for (slot, &(_, issues, volume)) in out.iter_mut().zip(&CATEGORIES) {
                let issues = (issues * activity * lognormal(&mut rng, 0.05)).round() as i64;
                let up = (0.46 + 0.18 * mood + 0.03 * normal(&mut rng)).clamp(0.05, 0.9);
                let down = (0.46 - 0.18 * mood + 0.03 * normal(&mut rng)).clamp(0.05, 0.95 - up);
                let advances = (issues as f64 * up).round() as i64;
                let declines = ((issues as f64 * down).round() as i64).min(issues - advances);
                let extreme = |rng: &mut rand_chacha::ChaCha8Rng, bias: f64| {
                    ((issues as f64 * (0.012 + 0.01 * bias).max(0.001) * lognormal(rng, 0.4))
                        .round() as i64)
                        .min(issues / 4)
                };
                *slot = Breadth {
                    issues,
                    advances,
                    declines,
                    unchanged: issues - advances - declines,
                    highs: extreme(&mut rng, mood),
                    lows: extreme(&mut rng, -mood),
                    volume: (volume * activity * lognormal(&mut rng, 0.15)).round() as i64,
                    transactions: (issues as f64 * rng.random_range(4.0..9.0)).round() as i64,
                };
                all.add(slot);
            }
            out[3] = all;
            (day, out)
        })
        .collect()
}

/// fixedIncomeMarket/corporateMarketBreadth rows.
pub(super) fn generate_breadth(seed: u64, scale: Scale) -> Table {
    let days = corporate_days(seed, scale);
    let mut builder = TableBuilder::new(BREADTH.fields, BREADTH.partition_fields);
    builder.reserve_rows(days.len() * 4);
    let categories = category_cells(&mut builder);
    for (day, breadth) in &days {
        for (b, category) in breadth.iter().zip(&categories) {
            builder.push_row(&[
                Cell::Date(*day),
                *category,
                Cell::Int(b.issues),
                Cell::Int(b.advances),
                Cell::Int(b.declines),
                Cell::Int(b.unchanged),
                Cell::Int(b.highs),
                Cell::Int(b.lows),
                Cell::Int(b.volume),
            ]);
        }
    }
    builder.finish()
}

fn category_cells(builder: &mut TableBuilder) -> [Cell; 4] {
    [
        builder.str(CATEGORIES[0].0),
        builder.str(CATEGORIES[1].0),
        builder.str(CATEGORIES[2].0),
        builder.str(ALL_CATEGORY),
    ]
}

/// fixedIncomeMarket/corporateMarketSentiment rows.
pub(super) fn generate_sentiment(seed: u64, scale: Scale) -> Table {
    let days = corporate_days(seed, scale);
    let mut rng = rng_for(seed, CORPORATE_SALT ^ 0xFF);
    let mut builder = TableBuilder::new(SENTIMENT.fields, SENTIMENT.partition_fields);
    builder.reserve_rows(days.len() * 16);
    let categories = category_cells(&mut builder);
    let all_trades = builder.str(ALL_TRADES);
    let types = TRADE_TYPES.map(|t| builder.str(t.0));
    for (day, breadth) in &days {
        for (b, category) in breadth.iter().zip(&categories) {
            let row = |trade_type: Cell, transactions: i64, issues: i64, volume: i64| {
                [
                    Cell::Date(*day),
                    trade_type,
                    *category,
                    Cell::Int(transactions),
                    Cell::Int(issues),
                    Cell::Int(volume),
                ]
            };
            builder.push_row(&row(all_trades, b.transactions, b.issues, b.volume));
            // The last trade type takes the remainder, so the parts sum to "all trades".
            let (mut transactions_left, mut volume_left) = (b.transactions, b.volume);
            for (i, (&(_, tx_share, vol_share, issue_share), cell)) in
                TRADE_TYPES.iter().zip(&types).enumerate()
            {
                let (transactions, volume) = if i + 1 == TRADE_TYPES.len() {
                    (transactions_left, volume_left)
                } else {
                    let tx =
                        ((b.transactions as f64 * tx_share * lognormal(&mut rng, 0.05)).round()
                            as i64)
                            .min(transactions_left);
                    let vol = ((b.volume as f64 * vol_share * lognormal(&mut rng, 0.08)).round()
                        as i64)
                        .min(volume_left);
                    (tx, vol)
                };
                transactions_left -= transactions;
                volume_left -= volume;
                let issues = ((b.issues as f64 * issue_share).round() as i64).min(transactions);
                builder.push_row(&row(*cell, transactions, issues, volume));
            }
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(cell: Cell) -> i64 {
        match cell {
            Cell::Int(v) => v,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    #[test]
    fn breadth_adds_up_and_matches_sentiment() {
        let breadth = generate_breadth(3, Scale::Small);
        let sentiment = generate_sentiment(3, Scale::Small);
        assert_eq!(breadth.partitions().len(), 20);
        assert_eq!(sentiment.partitions().len(), 20);
        for i in 0..breadth.len() {
            let r = breadth.row(i);
            assert_eq!(int(r[3]) + int(r[4]) + int(r[5]), int(r[2]));
            assert!(int(r[6]) <= int(r[2]) && int(r[7]) <= int(r[2]));
        }
        for (bp, sp) in breadth.partitions().iter().zip(sentiment.partitions()) {
            assert_eq!(bp.values, sp.values);
            let Cell::Date(day) = bp.values[0] else {
                panic!("date")
            };
            assert!(is_weekday(day));
            let b = bp.rows.clone().map(|i| breadth.row(i)).collect::<Vec<_>>();
            // Category sums equal the "all securities" row.
            let columns = |r: usize| b[r][2..9].iter().map(|c| int(*c));
            for (((ig, hy), conv), all) in
                columns(0).zip(columns(1)).zip(columns(2)).zip(columns(3))
            {
                assert_eq!(ig + hy + conv, all);
            }
            let s = sp
                .rows
                .clone()
                .map(|i| sentiment.row(i))
                .collect::<Vec<_>>();
            assert_eq!(s.len(), 16);
            for (c, group) in s.chunks(4).enumerate() {
                assert_eq!(group[0][4], b[c][2], "all-trades issues = breadth total");
                assert_eq!(group[0][5], b[c][8], "all-trades volume = breadth volume");
                assert_eq!(
                    int(group[0][3]),
                    group[1..].iter().map(|r| int(r[3])).sum::<i64>()
                );
                assert_eq!(
                    int(group[0][5]),
                    group[1..].iter().map(|r| int(r[5])).sum::<i64>()
                );
            }
        }
    }

    #[test]
    fn treasury_tables_cover_every_bucket_and_run() {
        let daily = generate_treasury_daily(5, Scale::Small);
        let monthly = generate_treasury_monthly(5, Scale::Small);
        assert_eq!(daily.len(), 20 * 22);
        assert_eq!(monthly.len(), 6 * 22);
        assert_eq!(
            monthly.partitions()[0].values[0],
            Cell::Date(time::macros::date!(2026 - 10 - 01))
        );
        for i in 0..daily.len() {
            let r = daily.row(i);
            assert!(int(r[4]) >= 1 && int(r[5]) > int(r[4]));
            let vwap = match r[8] {
                Cell::Float(v) => v,
                Cell::Int(v) => v as f64,
                other => panic!("{other:?}"),
            };
            assert!((80.0..110.0).contains(&vwap), "{vwap}");
        }
    }
}
