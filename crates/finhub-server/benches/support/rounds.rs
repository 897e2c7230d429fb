//! Two systems measured in turns: the rounds of a comparison, each running both back to back.

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
