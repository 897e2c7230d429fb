//! Seeded randomness: one ChaCha stream per dataset, normal and log-normal draws, and a stateless
//! hash for decisions that must be computable without replaying a stream.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The RNG of one dataset: the run's seed mixed with a per-dataset constant.
pub(super) fn rng_for(seed: u64, salt: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ salt)
}

/// A standard normal draw (Box–Muller).
pub(super) fn normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal multiplier with mean 1 and log-scale `sigma`.
pub(super) fn lognormal(rng: &mut impl Rng, sigma: f64) -> f64 {
    (sigma * normal(rng) - sigma * sigma / 2.0).exp()
}

/// `true` with probability `p`.
pub(super) fn chance(rng: &mut impl Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// SplitMix64's finaliser: a well-mixed hash of `x`.
pub(super) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of several values.
pub(super) fn hash(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x243F_6A88_85A3_08D3, |acc, &p| mix(acc ^ p))
}

/// A hash mapped to `[0, 1)`.
pub(super) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// `x` rounded to two decimals.
pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_has_mean_near_one() {
        let mut rng = rng_for(7, 0);
        let n = 20_000;
        let mean = (0..n).map(|_| lognormal(&mut rng, 0.5)).sum::<f64>() / f64::from(n);
        assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn unit_hashes_stay_in_range() {
        assert!(
            (0..1000)
                .map(|i| unit(hash(&[i, 3])))
                .all(|u| (0.0..1.0).contains(&u))
        );
    }
}
