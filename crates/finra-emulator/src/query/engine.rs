//! Running a plan over a table: partition pruning, row filtering, ordering and the page cut.

use rand::seq::SliceRandom;

use super::filter::{Predicate, order_cells};
use super::plan::Plan;
use crate::config::RowOrder;
use crate::data::Table;

/// The rows a request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    /// Every row matching the filters (`Record-Total`).
    pub(crate) total: usize,
    /// The rows of the requested page, in answer order (before the payload cap).
    pub(crate) page: Vec<usize>,
}

/// Selects the page of rows `plan` asks for.
pub(crate) fn select(table: &Table, plan: &Plan, order: RowOrder) -> Selection {
    let partition_fields = table.partition_field_idx();
    let (partition_filters, row_filters): (Vec<&Predicate>, Vec<&Predicate>) = plan
        .filters
        .iter()
        .partition(|p| partition_fields.contains(&p.field_idx));
    let candidates = table.partitions().iter().filter(|partition| {
        partition_filters.iter().all(|predicate| {
            let pos = partition_fields
                .iter()
                .position(|&idx| idx == predicate.field_idx)
                .expect("partition predicates name partition fields");
            predicate.matches(table, partition.values[pos])
        })
    });

    let offset = usize::try_from(plan.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(plan.limit).unwrap_or(usize::MAX);
    let row_matches = |row_idx: usize| {
        let row = table.row(row_idx);
        row_filters
            .iter()
            .all(|p| p.matches(table, row[p.field_idx]))
            && (plan.or_groups.is_empty()
                || plan
                    .or_groups
                    .iter()
                    .any(|group| group.iter().all(|p| p.matches(table, row[p.field_idx]))))
    };

    if plan.sort.is_empty() && order == RowOrder::Stable {
        // Stream in internal order: count everything, keep only the page.
        let mut total = 0usize;
        let mut page = Vec::new();
        for partition in candidates {
            for row_idx in partition.rows.clone() {
                if row_matches(row_idx) {
                    if total >= offset && page.len() < limit {
                        page.push(row_idx);
                    }
                    total += 1;
                }
            }
        }
        return Selection { total, page };
    }

    let mut matching: Vec<usize> = candidates
        .flat_map(|partition| partition.rows.clone())
        .filter(|&row_idx| row_matches(row_idx))
        .collect();
    if plan.sort.is_empty() {
        matching.shuffle(&mut rand::rng());
    } else {
        // A stable sort over rows in internal order: ties keep the internal order.
        matching.sort_by(|&a, &b| {
            let (row_a, row_b) = (table.row(a), table.row(b));
            plan.sort
                .iter()
                .map(|key| {
                    let ordering = order_cells(table, row_a[key.field_idx], row_b[key.field_idx]);
                    if key.descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                })
                .find(|ordering| ordering.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let total = matching.len();
    let page = matching.into_iter().skip(offset).take(limit).collect();
    Selection { total, page }
}
