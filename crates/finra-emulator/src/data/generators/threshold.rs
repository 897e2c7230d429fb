//! otcMarket/thresholdList: the daily list of OTC securities with persistent fails to deliver
//! (Reg SHO threshold securities and FINRA Rule 4320 securities). Securities join and leave the
//! list over time, so consecutive days mostly share their members.

use rand::Rng;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{ANCHOR, prev_weekday, weekdays_back};
use super::random::{chance, rng_for};
use super::universe::{Tier, Universe};
use super::{date, text};

static FIELDS: &[FieldDef] = &[
    date("tradeDate", "Trade date."),
    text("issueSymbolIdentifier", "Security symbol."),
    text("issueName", "Name of the issue."),
    text("marketClassCode", "Market class of the issue."),
    text(
        "thresholdListFlag",
        "R for a Reg SHO threshold security, NR for FINRA Rule 4320.",
    ),
    text("marketCategoryDescription", "Market category of the issue."),
    text(
        "regShoThresholdFlag",
        "Y when subject to Regulation SHO Rule 203 close-out requirements.",
    ),
    text(
        "rule4320Flag",
        "Y when subject to FINRA Rule 4320 close-out requirements.",
    ),
];

/// otcMarket/thresholdList.
pub(super) static DEF: DatasetDef = DatasetDef {
    group: "otcMarket",
    name: "thresholdList",
    description: "Daily Reg SHO and FINRA Rule 4320 threshold list of OTC securities",
    entitlement: Entitlement::Public,
    fields: FIELDS,
    partition_fields: &["tradeDate"],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: true,
};

const SALT: u64 = 0x0EE1_0040;

/// Mean number of business days a security stays on the list.
const MEAN_STAY: f64 = 18.0;

/// Business days simulated before the first published day, so the list starts at its steady size.
const WARM_UP: usize = 60;

/// otcMarket/thresholdList rows.
pub(super) fn generate(seed: u64, scale: Scale, universe: &Universe) -> Table {
    let mut rng = rng_for(seed, SALT);
    let (days, target) = match scale {
        Scale::Small => (15, 5.0),
        Scale::Full => (250, 70.0),
    };
    let pool = universe.tier(Tier::Otce);
    let arrivals = target / MEAN_STAY;
    // Newest first; simulate oldest first.
    let dates = weekdays_back(prev_weekday(ANCHOR), days);
    let mut on_list = vec![false; pool.len()];
    let mut daily: Vec<Vec<usize>> = Vec::with_capacity(days);
    for step in 0..WARM_UP + days {
        for listed in &mut on_list {
            if *listed && chance(&mut rng, 1.0 / MEAN_STAY) {
                *listed = false;
            }
        }
        let joining = (0..(2.0 * arrivals).ceil() as usize)
            .filter(|_| chance(&mut rng, 0.5))
            .count();
        for _ in 0..joining {
            // Thinly traded names fail more often: favour the tail of the pool.
            let idx = pool.len()
                - 1
                - rng
                    .random_range(0..pool.len())
                    .min(rng.random_range(0..pool.len()));
            on_list[idx] = true;
        }
        if step >= WARM_UP {
            daily.push((0..pool.len()).filter(|&i| on_list[i]).collect());
        }
    }
    let mut builder = TableBuilder::new(DEF.fields, DEF.partition_fields);
    builder.reserve_rows(daily.iter().map(Vec::len).sum());
    let market_class = builder.str("OTC");
    let category = builder.str("Other OTC");
    let (reg_sho, rule_4320) = (builder.str("R"), builder.str("NR"));
    let (yes, no) = (builder.str("Y"), builder.str("N"));
    let mut names = Vec::with_capacity(pool.len());
    for s in pool {
        names.push([builder.str(&s.symbol), builder.str(&s.name)]);
    }
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.sort_by(|&a, &b| pool[a].symbol.cmp(&pool[b].symbol));
    let mut rank = vec![0; pool.len()];
    for (position, &i) in order.iter().enumerate() {
        rank[i] = position;
    }
    for (date, members) in dates.iter().zip(daily.iter().rev()) {
        let mut members = members.clone();
        members.sort_by_key(|&i| rank[i]);
        for i in members {
            let reporting = pool[i].sec_reporting;
            builder.push_row(&[
                Cell::Date(*date),
                names[i][0],
                names[i][1],
                market_class,
                if reporting { reg_sho } else { rule_4320 },
                category,
                if reporting { yes } else { no },
                if reporting { no } else { yes },
            ]);
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::super::calendar::is_weekday;
    use super::*;

    #[test]
    fn daily_lists_are_weekdays_newest_first_and_flags_agree() {
        let universe = Universe::new(17, Scale::Small);
        let table = generate(17, Scale::Small, &universe);
        assert_eq!(table.partitions().len(), 15);
        let mut previous = None;
        for p in table.partitions() {
            let Cell::Date(day) = p.values[0] else {
                panic!("date")
            };
            assert!(is_weekday(day));
            assert!(previous.is_none_or(|prev| prev > day));
            previous = Some(day);
        }
        assert!(table.len() > 15, "{}", table.len());
        for i in 0..table.len() {
            let row = table.row(i);
            let text = |c: Cell| match c {
                Cell::Str(id) => table.str(id).to_owned(),
                other => panic!("{other:?}"),
            };
            match text(row[4]).as_str() {
                "R" => assert_eq!((text(row[6]), text(row[7])), ("Y".into(), "N".into())),
                "NR" => assert_eq!((text(row[6]), text(row[7])), ("N".into(), "Y".into())),
                other => panic!("flag {other}"),
            }
        }
    }
}
