//! Synthetic rows for every dataset the emulator serves, generated deterministically from a seed.
//!
//! Each dataset family has its own file with its `DatasetDef` statics and generator; they share
//! the seeded security master ([`universe`]), the name pools ([`names`]), the calendar anchored
//! at a fixed "today" ([`calendar`]) and the venue-split engine ([`volume`]). Every generator
//! draws from its own ChaCha stream (`seed` mixed with a per-dataset constant), so the same seed
//! always yields identical tables and one dataset's draws never shift another's.

mod blocks;
mod calendar;
mod entitled;
mod fixed_income;
mod names;
mod otc_monthly;
mod otc_weekly;
mod random;
mod regsho;
mod short_interest;
mod threshold;
mod universe;
mod volume;

use super::{Cell, DatasetDef, FieldDef, FieldType, Scale, Table};
use universe::Universe;

/// Generates one dataset's rows.
type Generator = fn(u64, Scale, &Universe) -> Table;

/// Every dataset with its generator.
static DATASETS: [(&DatasetDef, Generator); 14] = [
    (&otc_weekly::WEEKLY, otc_weekly::generate_weekly),
    (&otc_weekly::HISTORIC, otc_weekly::generate_historic),
    (&otc_monthly::DEF, otc_monthly::generate),
    (&regsho::DEF, regsho::generate),
    (&short_interest::DEF, short_interest::generate),
    (&threshold::DEF, threshold::generate),
    (&blocks::ATS_DEF, |seed, scale, _| {
        blocks::generate_ats(seed, scale)
    }),
    (&blocks::OTC_DEF, |seed, scale, _| {
        blocks::generate_otc(seed, scale)
    }),
    (&fixed_income::TREASURY_DAILY, |seed, scale, _| {
        fixed_income::generate_treasury_daily(seed, scale)
    }),
    (&fixed_income::TREASURY_MONTHLY, |seed, scale, _| {
        fixed_income::generate_treasury_monthly(seed, scale)
    }),
    (&fixed_income::BREADTH, |seed, scale, _| {
        fixed_income::generate_breadth(seed, scale)
    }),
    (&fixed_income::SENTIMENT, |seed, scale, _| {
        fixed_income::generate_sentiment(seed, scale)
    }),
    (&entitled::FIRM_PROFILE, |seed, scale, _| {
        entitled::generate_profile(seed, scale)
    }),
    (&entitled::BROKER_DEALER_LIST, |seed, scale, _| {
        entitled::generate_broker_dealers(seed, scale)
    }),
];

/// Every dataset's definition with its rows for `seed` at `scale`.
pub(super) fn generate_all(seed: u64, scale: Scale) -> Vec<(&'static DatasetDef, Table)> {
    let universe = Universe::new(seed, scale);
    let run = |&(def, generate): &(&'static DatasetDef, Generator)| {
        (def, generate(seed, scale, &universe))
    };
    match scale {
        Scale::Small => DATASETS.iter().map(run).collect(),
        // At full scale the big tables take a second or so each: build them side by side.
        Scale::Full => std::thread::scope(|scope| {
            let handles: Vec<_> = DATASETS
                .iter()
                .map(|job| scope.spawn(move || run(job)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a dataset generator panicked"))
                .collect()
        }),
    }
}

/// A `Date` field (schema shorthand).
const fn date(name: &'static str, description: &'static str) -> FieldDef {
    FieldDef::new(name, FieldType::Date, description)
}

/// A `String` field (schema shorthand).
const fn text(name: &'static str, description: &'static str) -> FieldDef {
    FieldDef::new(name, FieldType::String, description)
}

/// A `Number` field (schema shorthand).
const fn num(name: &'static str, description: &'static str) -> FieldDef {
    FieldDef::new(name, FieldType::Number, description)
}

/// A numeric cell as FINRA encodes it: `Int` when the value is integral, `Float` otherwise.
fn number(value: f64) -> Cell {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        Cell::Int(value as i64)
    } else {
        Cell::Float(value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Instant;

    use super::super::{Entitlement, QueryRules};
    use super::*;

    #[test]
    fn every_definition_is_consistent_with_its_schema() {
        let all = generate_all(1, Scale::Small);
        let mut names = HashSet::new();
        for (def, table) in &all {
            assert!(
                names.insert((def.group, def.name)),
                "duplicate {}",
                def.name
            );
            assert!(std::ptr::eq(table.fields(), def.fields), "{}", def.name);
            let fields: HashSet<&str> = def.fields.iter().map(|f| f.name).collect();
            assert_eq!(
                fields.len(),
                def.fields.len(),
                "{}: duplicate field",
                def.name
            );
            for p in def.partition_fields {
                assert!(fields.contains(p), "{}: partition field {p}", def.name);
            }
            if let Some(id) = def.primary_id_field {
                assert!(fields.contains(id), "{}: id field {id}", def.name);
            }
            assert!(!table.is_empty(), "{} is empty", def.name);
            assert!(
                table.len() <= 10_000,
                "{}: {} rows at small scale",
                def.name,
                table.len()
            );
            assert_eq!(
                def.entitlement == Entitlement::Firm,
                matches!(def.group, "firm" | "registration")
            );
            assert_eq!(def.has_mock, def.group == "otcMarket", "{}", def.name);
            assert_eq!(
                def.rules == QueryRules::HistoricEqualOnly,
                def.name == "weeklySummaryHistoric"
            );
            for i in 0..table.len() {
                for (cell, field) in table.row(i).iter().zip(def.fields) {
                    let ok = match (cell, field.ty) {
                        (Cell::Null, _) => true,
                        (Cell::Int(_) | Cell::Float(_), FieldType::Number) => true,
                        (Cell::Str(_), FieldType::String) => true,
                        (Cell::Date(d), FieldType::Date) => *d <= calendar::ANCHOR,
                        _ => false,
                    };
                    assert!(ok, "{}.{}: {cell:?}", def.name, field.name);
                }
            }
        }
        assert_eq!(all.len(), 14);
    }

    #[test]
    fn partitions_are_contiguous_newest_first_and_dated_on_weekdays() {
        for (def, table) in generate_all(2, Scale::Small) {
            let Some(first) = def.partition_fields.first() else {
                continue;
            };
            let idx = table.field_idx(first).expect("partition field");
            let mut previous = None;
            for p in table.partitions() {
                let Cell::Date(date) = p.values[0] else {
                    panic!("{}: dated partitions", def.name)
                };
                assert!(
                    previous.is_none_or(|prev| prev >= date),
                    "{}: newest first",
                    def.name
                );
                previous = Some(date);
                assert!(
                    p.rows
                        .clone()
                        .all(|i| table.row(i)[idx] == Cell::Date(date))
                );
                if first.contains("Date")
                    && !first.contains("Month")
                    && !first.contains("month")
                    && !first.contains("week")
                {
                    assert!(calendar::is_weekday(date), "{}: {date}", def.name);
                }
            }
        }
    }

    #[test]
    fn same_seed_same_tables_different_seed_different_tables() {
        let a = generate_all(77, Scale::Small);
        let b = generate_all(77, Scale::Small);
        let c = generate_all(78, Scale::Small);
        for ((x, y), z) in a.iter().zip(&b).zip(&c) {
            assert_eq!(x.1.len(), y.1.len(), "{}", x.0.name);
            assert!(
                (0..x.1.len()).all(|i| x.1.row(i) == y.1.row(i)),
                "{}",
                x.0.name
            );
            let differs =
                x.1.len() != z.1.len() || (0..x.1.len()).any(|i| x.1.row(i) != z.1.row(i));
            assert!(differs, "{} ignores the seed", x.0.name);
        }
    }

    #[test]
    fn small_scale_is_quick() {
        let start = Instant::now();
        let all = generate_all(3, Scale::Small);
        let elapsed = start.elapsed();
        assert!(elapsed.as_secs_f64() < 1.0, "{elapsed:?}");
        assert!(all.iter().map(|(_, t)| t.len()).sum::<usize>() < 60_000);
    }

    #[test]
    fn weekly_rows_render_about_as_wide_as_finra_s() {
        let all = generate_all(4, Scale::Small);
        let (_, table) = all
            .iter()
            .find(|(d, _)| d.name == "weeklySummary")
            .expect("weekly");
        let sample = table
            .partitions()
            .iter()
            .flat_map(|p| p.rows.clone().take(1))
            .next()
            .expect("a row");
        let mut json = String::from("{");
        for (cell, field) in table.row(sample).iter().zip(table.fields()) {
            let value = match cell {
                Cell::Null => "null".to_owned(),
                Cell::Int(v) => v.to_string(),
                Cell::Float(v) => v.to_string(),
                Cell::Str(id) => format!("\"{}\"", table.str(*id)),
                Cell::Date(d) => format!("\"{d}\""),
            };
            json.push_str(&format!("\"{}\":{value},", field.name));
        }
        assert!(
            (430..700).contains(&json.len()),
            "{} bytes: {json}",
            json.len()
        );
    }

    #[test]
    #[ignore = "full scale takes seconds"]
    fn full_scale_generation() {
        let start = Instant::now();
        let all = generate_all(42, Scale::Full);
        let elapsed = start.elapsed();
        let mut report = String::new();
        for (def, table) in &all {
            report.push_str(&format!("{}: {} rows\n", def.name, table.len()));
        }
        let (_, weekly) = all
            .iter()
            .find(|(d, _)| d.name == "weeklySummary")
            .expect("weekly");
        let mut per_tier = std::collections::HashMap::<String, usize>::new();
        for p in weekly.partitions() {
            let Cell::Str(id) = p.values[1] else {
                panic!("tier")
            };
            *per_tier.entry(weekly.str(id).to_owned()).or_default() += p.rows.len();
            assert!(p.rows.len() <= 500_000);
        }
        assert!(weekly.len() >= 1_000_000, "{report}");
        assert!(per_tier.values().all(|&n| n <= 500_000), "{per_tier:?}");
        let planned = otc_weekly::planned_rows(42, Scale::Full, false);
        for (tier, rows, _) in planned {
            assert_eq!(per_tier.get(tier.id()), Some(&rows));
        }
        eprintln!("{report}weeklySummary per tier: {per_tier:?}\ngenerated in {elapsed:?}");
    }
}
