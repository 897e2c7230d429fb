//! The venue-split engine behind the weekly and monthly OTC transparency summaries: it spreads each
//! symbol's volume over a weighted sample of venues and rolls the venue rows up into symbol, firm
//! and grand totals, so every aggregate row is exactly the sum of its detail rows.

use rand::Rng;
use rand::seq::IndexedRandom;
use time::Date;

use super::random::{chance, lognormal, normal};

/// How often a symbol-venue figure is corrected after the period's last day.
const LATE_REPORT_CHANCE: f64 = 0.02;

/// Trade count, share quantity, notional and latest report date of one row.
#[derive(Debug, Clone, Copy)]
pub(super) struct Totals {
    pub(super) trades: i64,
    pub(super) shares: i64,
    pub(super) notional: i64,
    pub(super) last_reported: Date,
}

impl Totals {
    fn zero(date: Date) -> Self {
        Self {
            trades: 0,
            shares: 0,
            notional: 0,
            last_reported: date,
        }
    }

    fn add(&mut self, other: &Self) {
        self.trades += other.trades;
        self.shares += other.shares;
        self.notional += other.notional;
        self.last_reported = self.last_reported.max(other.last_reported);
    }
}

/// How a venue attracts volume.
#[derive(Debug, Clone, Copy)]
pub(super) struct VenueWeight {
    /// Relative share of volume.
    pub(super) weight: f64,
    /// Relative trade size.
    pub(super) size_factor: f64,
}

/// One symbol's volume for the period, to be split over `venues` venues.
#[derive(Debug, Clone, Copy)]
pub(super) struct SymbolDraw {
    /// The symbol's index in its tier.
    pub(super) sym: usize,
    /// How many venues report it (≥ 1; all venues when ≥ their number).
    pub(super) venues: usize,
    /// Total shares over all venues.
    pub(super) shares: f64,
    /// Price, for the notional.
    pub(super) price: f64,
    /// Typical trade size in shares.
    pub(super) trade_size: f64,
}

/// Which row an emitted total is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// One symbol at one venue (`*_SMBL_FIRM`).
    SymbolFirm { sym: usize, venue: usize },
    /// One symbol over all venues (`*_SMBL`).
    Symbol { sym: usize },
    /// One venue over all symbols (`*_FIRM`).
    Firm { venue: usize },
    /// Everything (`*_VOL_STATS`).
    Total,
}

/// Splits each symbol of `symbols` over its venues and emits, in this order: every symbol-venue
/// row (grouped by symbol, venues in list order), every symbol row, every venue row that has
/// volume (in list order), then the total when there is any volume.
///
/// A symbol-venue row is reported by `reported` unless it was corrected later, on one of `late`.
pub(super) fn split(
    rng: &mut impl Rng,
    venues: &[VenueWeight],
    symbols: &[SymbolDraw],
    reported: Date,
    late: &[Date],
    mut emit: impl FnMut(Level, &Totals),
) {
    let mut venue_totals = vec![Totals::zero(reported); venues.len()];
    let mut symbol_totals = Vec::with_capacity(symbols.len());
    let mut keys: Vec<(f64, usize)> = Vec::with_capacity(venues.len());
    let mut chosen: Vec<(usize, f64)> = Vec::with_capacity(venues.len());
    for draw in symbols {
        keys.clear();
        chosen.clear();
        if draw.venues >= venues.len() {
            chosen.extend(venues.iter().enumerate().map(|(i, _)| (i, 0.0)));
        } else {
            // Weighted sampling without replacement (Efraimidis–Spirakis).
            keys.extend(venues.iter().enumerate().map(|(i, v)| {
                let u = 1.0 - rng.random::<f64>();
                (u.ln() / v.weight, i)
            }));
            keys.select_nth_unstable_by(draw.venues - 1, |a, b| b.0.total_cmp(&a.0));
            chosen.extend(keys[..draw.venues].iter().map(|&(_, i)| (i, 0.0)));
            chosen.sort_unstable_by_key(|&(i, _)| i);
        }
        let mut weight_sum = 0.0;
        for (venue, share) in &mut chosen {
            *share = venues[*venue].weight * lognormal(rng, 0.6);
            weight_sum += *share;
        }
        let mut symbol_total = Totals::zero(reported);
        for &(venue, share) in &chosen {
            let shares = ((draw.shares * share / weight_sum).round() as i64).max(1);
            let size = draw.trade_size * venues[venue].size_factor * lognormal(rng, 0.25);
            let trades = ((shares as f64 / size).round() as i64).clamp(1, shares);
            let notional = (shares as f64 * draw.price * (1.0 + 0.004 * normal(rng)))
                .round()
                .max(0.0) as i64;
            let last_reported = match late.choose(rng) {
                Some(day) if chance(rng, LATE_REPORT_CHANCE) => *day,
                _ => reported,
            };
            let row = Totals {
                trades,
                shares,
                notional,
                last_reported,
            };
            emit(
                Level::SymbolFirm {
                    sym: draw.sym,
                    venue,
                },
                &row,
            );
            symbol_total.add(&row);
            venue_totals[venue].add(&row);
        }
        symbol_totals.push((draw.sym, symbol_total));
    }
    let mut total = Totals::zero(reported);
    for (sym, totals) in &symbol_totals {
        emit(Level::Symbol { sym: *sym }, totals);
        total.add(totals);
    }
    for (venue, totals) in venue_totals.iter().enumerate() {
        if totals.shares > 0 {
            emit(Level::Firm { venue }, totals);
        }
    }
    if total.shares > 0 {
        emit(Level::Total, &total);
    }
}

#[cfg(test)]
mod tests {
    use super::super::random::rng_for;
    use super::*;
    use time::macros::date;

    #[test]
    fn aggregates_are_sums_of_details() {
        let venues = [
            VenueWeight {
                weight: 5.0,
                size_factor: 1.0,
            },
            VenueWeight {
                weight: 2.0,
                size_factor: 3.0,
            },
            VenueWeight {
                weight: 1.0,
                size_factor: 1.0,
            },
        ];
        let symbols = [
            SymbolDraw {
                sym: 0,
                venues: 3,
                shares: 1e6,
                price: 20.0,
                trade_size: 150.0,
            },
            SymbolDraw {
                sym: 1,
                venues: 1,
                shares: 5e3,
                price: 2.0,
                trade_size: 400.0,
            },
            SymbolDraw {
                sym: 2,
                venues: 2,
                shares: 1.0,
                price: 0.01,
                trade_size: 1e5,
            },
        ];
        let reported = date!(2026 - 10 - 30);
        let late = [date!(2026 - 11 - 03)];
        let mut rows = Vec::new();
        split(
            &mut rng_for(1, 2),
            &venues,
            &symbols,
            reported,
            &late,
            |level, t| {
                rows.push((level, *t));
            },
        );
        let details: Vec<_> = rows
            .iter()
            .filter_map(|(l, t)| match l {
                Level::SymbolFirm { sym, venue } => Some((*sym, *venue, *t)),
                _ => None,
            })
            .collect();
        assert_eq!(details.len(), 3 + 1 + 2);
        for (level, totals) in &rows {
            assert!(totals.shares >= totals.trades && totals.trades >= 1);
            let parts: Vec<&Totals> = match level {
                Level::SymbolFirm { .. } => continue,
                Level::Symbol { sym } => details
                    .iter()
                    .filter(|d| d.0 == *sym)
                    .map(|d| &d.2)
                    .collect(),
                Level::Firm { venue } => details
                    .iter()
                    .filter(|d| d.1 == *venue)
                    .map(|d| &d.2)
                    .collect(),
                Level::Total => details.iter().map(|d| &d.2).collect(),
            };
            assert_eq!(totals.shares, parts.iter().map(|p| p.shares).sum::<i64>());
            assert_eq!(totals.trades, parts.iter().map(|p| p.trades).sum::<i64>());
            assert_eq!(
                totals.notional,
                parts.iter().map(|p| p.notional).sum::<i64>()
            );
            let latest = parts.iter().map(|p| p.last_reported).max();
            assert_eq!(Some(totals.last_reported), latest);
        }
        assert_eq!(rows.last().map(|r| r.0), Some(Level::Total));
    }
}
