//! Two systems measured in turns: the rounds of a comparison, each running both back to back,
//! and how their figures are summed up (medians, quartiles, verdicts).

/// `rounds` rounds of `a` and `b`, one right after the other, `b` first in every other round;
/// each round's pair `(a, b)`. A pair is measured within one of the shared machine's faster or
/// slower spells, where the medians of each side's rounds may fall in different ones, and a
/// machine that speeds up or slows down over the run favours neither side.
pub(crate) fn alternating<T>(
    rounds: usize,
    mut a: impl FnMut() -> T,
    mut b: impl FnMut() -> T,
) -> Vec<(T, T)> {
    (0..rounds)
        .map(|round| {
            if round % 2 == 0 {
                let first = a();
                (first, b())
            } else {
                let second = b();
                (a(), second)
            }
        })
        .collect()
}

/// The order in which round `round` runs `systems` systems (indices): each rotation of them in
/// turn, forwards for `systems` rounds and then backwards for as many. Over `2 × systems` rounds
/// every system runs in every place twice and right after every other as often as right before
/// it, so neither a place nor a neighbour favours one.
pub(crate) fn order(systems: usize, round: usize) -> Vec<usize> {
    let turn = round % systems.max(1);
    let forwards = (0..systems).map(move |place| (turn + place) % systems);
    if (round / systems.max(1)).is_multiple_of(2) {
        forwards.collect()
    } else {
        forwards.rev().collect()
    }
}

/// Each round's `ours ÷ theirs`.
pub(crate) fn ratios(ours: &[f64], theirs: &[f64]) -> Vec<f64> {
    ours.iter()
        .zip(theirs)
        .map(|(ours, theirs)| ours / theirs)
        .collect()
}

/// The median and quartiles of a figure taken once per round (or pair).
pub(crate) struct Spread {
    pub(crate) low: f64,
    pub(crate) median: f64,
    pub(crate) high: f64,
}

impl Spread {
    /// The quartiles of `values`, each an element of them (for an even count, the median is
    /// the lower of the two middle ones).
    pub(crate) fn of(values: impl Iterator<Item = f64>) -> Self {
        let mut values: Vec<f64> = values.collect();
        values.sort_by(f64::total_cmp);
        let quartile = |q: usize| values[(values.len() - 1) * q / 4];
        Self {
            low: quartile(1),
            median: quartile(2),
            high: quartile(3),
        }
    }
}

/// The median of `values`: the middle one, or the mean of the two middle ones for an even
/// count (`NaN` for none).
pub(crate) fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.into_iter().collect();
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => f64::NAN,
        len if len.is_multiple_of(2) => (values[middle - 1] + values[middle]) / 2.0,
        _ => values[middle],
    }
}

/// How a target's line ends: `met`, or `MISSED`.
pub(crate) fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
