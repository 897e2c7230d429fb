//! Partition slices: pruning (deciding, from partition values as `/partitions` lists them,
//! which slices a query's own filters could match, so that a split download does not send one
//! request per partition the user already excluded; every test answers "could match" whenever
//! it is not certain, the server filters again anyway), and grouping slices for unsorted passes.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::query::CompareOp;

/// Whether a value looks like FINRA's date format `yyyy-MM-dd` (exactly).
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(idx, b)| match idx {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The order of two partition values when it is certain: both numbers, or both plain dates.
fn certain_order(value: &str, operand: &str) -> Option<Ordering> {
    if is_date(value) && is_date(operand) {
        return Some(value.cmp(operand));
    }
    let a = value.trim().parse::<f64>().ok().filter(|n| n.is_finite())?;
    let b = operand
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())?;
    a.partial_cmp(&b)
}

/// Whether `value` could equal `operand` on the server. Equal text is certain; text that
/// differs only in letter case, and numbers written differently (`2` vs `2.0`), are kept.
pub(crate) fn may_equal(value: &str, operand: &str) -> bool {
    value == operand
        || value.eq_ignore_ascii_case(operand)
        || certain_order(value, operand) == Some(Ordering::Equal)
        || (certain_order(value, operand).is_none() && looks_numeric_or_date(value, operand))
}

/// Values of mixed kinds (a date against a date-time, a number against text) are uncertain.
fn looks_numeric_or_date(value: &str, operand: &str) -> bool {
    let kind = |text: &str| {
        if is_date(text) || text.get(..10).is_some_and(is_date) {
            1
        } else if text.trim().parse::<f64>().is_ok() {
            2
        } else {
            0
        }
    };
    kind(value) != 0 || kind(operand) != 0
}

/// Whether a partition value could pass a compare filter.
pub(crate) fn compare_may_match(value: &str, op: CompareOp, operand: &str) -> bool {
    match op {
        CompareOp::Equal => may_equal(value, operand),
        // Only an exact textual match is certainly excluded by NOT_EQUAL.
        CompareOp::NotEqual => value != operand,
        CompareOp::Greater | CompareOp::Lesser | CompareOp::Gte | CompareOp::Lte => {
            match certain_order(value, operand) {
                None => true,
                Some(ordering) => match op {
                    CompareOp::Greater => ordering == Ordering::Greater,
                    CompareOp::Lesser => ordering == Ordering::Less,
                    CompareOp::Gte => ordering != Ordering::Less,
                    CompareOp::Lte | CompareOp::Equal | CompareOp::NotEqual => {
                        ordering != Ordering::Greater
                    }
                },
            }
        }
    }
}

/// Whether a partition date could lie in an inclusive date range. Date-time bounds are compared
/// by their date part, which can only keep more.
pub(crate) fn date_in_range(value: &str, start: &str, end: &str) -> bool {
    if !is_date(value) {
        return true;
    }
    let day = |bound: &str| bound.get(..10).filter(|d| is_date(d)).map(str::to_owned);
    let after_start = day(start).is_none_or(|start| value >= start.as_str());
    let before_end = day(end).is_none_or(|end| value <= end.as_str());
    after_start && before_end
}

/// Partition slices that differ only in one partition field: the field at index `field` takes
/// `values`, the others keep the values they have in every slice of `slices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SliceGroup {
    pub(crate) field: usize,
    pub(crate) values: Vec<String>,
    pub(crate) slices: Vec<Vec<String>>,
}

/// Groups slices (each one value per partition field) for unsorted passes: by the values of
/// every field but the one with the most distinct values, in chunks of at most `per_group`
/// slices. Every slice lands in exactly one group.
pub(crate) fn group_slices(slices: &[Vec<String>], per_group: usize) -> Vec<SliceGroup> {
    let n_fields = slices.first().map_or(0, Vec::len);
    let distinct = |idx: usize| {
        slices
            .iter()
            .filter_map(|slice| slice.get(idx))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let Some(field) = (0..n_fields).max_by_key(|&idx| distinct(idx)) else {
        return Vec::new();
    };
    let mut by_others: BTreeMap<Vec<&String>, Vec<&Vec<String>>> = BTreeMap::new();
    for slice in slices.iter().filter(|slice| slice.len() == n_fields) {
        let others = slice
            .iter()
            .enumerate()
            .filter(|&(idx, _)| idx != field)
            .map(|(_, value)| value)
            .collect();
        by_others.entry(others).or_default().push(slice);
    }
    by_others
        .into_values()
        .flat_map(|members| {
            members
                .chunks(per_group.max(1))
                .map(|chunk| SliceGroup {
                    field,
                    values: chunk.iter().map(|slice| slice[field].clone()).collect(),
                    slices: chunk.iter().map(|slice| (*slice).clone()).collect(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_compare_with_certainty_text_does_not() {
        assert!(compare_may_match(
            "2026-01-05",
            CompareOp::Gte,
            "2026-01-05"
        ));
        assert!(!compare_may_match(
            "2026-01-04",
            CompareOp::Gte,
            "2026-01-05"
        ));
        assert!(!compare_may_match("10", CompareOp::Lesser, "9.5"));
        assert!(
            compare_may_match("T1", CompareOp::Greater, "T2"),
            "text order is uncertain"
        );
        assert!(
            compare_may_match("2026-01-05", CompareOp::Gte, "2026-01-05 00:00:00.000"),
            "mixed date and date-time is uncertain"
        );
        assert!(!compare_may_match("T1", CompareOp::NotEqual, "T1"));
    }

    #[test]
    fn equality_keeps_case_and_number_variants() {
        assert!(may_equal("T1", "T1"));
        assert!(may_equal("t1", "T1"));
        assert!(!may_equal("T1", "T2"));
        assert!(may_equal("2", "2.0"));
        assert!(!may_equal("2026-01-05", "2026-01-12"));
    }

    #[test]
    fn date_ranges_use_the_date_part_of_bounds() {
        assert!(date_in_range(
            "2026-01-05",
            "2026-01-05 13:00:00.000",
            "2026-01-06"
        ));
        assert!(!date_in_range("2026-01-07", "2026-01-05", "2026-01-06"));
        assert!(date_in_range("not-a-date", "2026-01-05", "2026-01-06"));
    }

    #[test]
    fn slices_group_along_the_field_with_the_most_values() {
        let slice = |week: &str, tier: &str| vec![week.to_owned(), tier.to_owned()];
        let slices = vec![
            slice("2026-01-05", "T1"),
            slice("2026-01-05", "T2"),
            slice("2026-01-12", "T1"),
            slice("2026-01-12", "T2"),
            slice("2026-01-19", "T1"),
        ];
        let groups = group_slices(&slices, 2);
        assert!(groups.iter().all(|g| g.field == 0), "weeks vary most");
        let values: Vec<Vec<String>> = groups.iter().map(|g| g.values.clone()).collect();
        assert_eq!(
            values,
            [
                vec!["2026-01-05".to_owned(), "2026-01-12".to_owned()],
                vec!["2026-01-19".to_owned()],
                vec!["2026-01-05".to_owned(), "2026-01-12".to_owned()],
            ]
        );
        let mut regrouped: Vec<Vec<String>> =
            groups.iter().flat_map(|g| g.slices.clone()).collect();
        regrouped.sort();
        let mut expected = slices.clone();
        expected.sort();
        assert_eq!(regrouped, expected, "every slice exactly once");
        for group in &groups {
            let tiers: std::collections::BTreeSet<&String> =
                group.slices.iter().map(|s| &s[1]).collect();
            assert_eq!(tiers.len(), 1, "the other fields are pinned in a group");
        }
        assert!(group_slices(&[], 3).is_empty());
    }
}
