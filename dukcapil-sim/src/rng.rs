//! A tiny deterministic pseudo-random generator (SplitMix64) for the synthetic population.
//!
//! The population must be the same for the same seed on every machine and with every version of
//! the `rand` crate, so it does not use `rand`'s generators (whose streams may change between
//! releases). SplitMix64 is fast, passes BigCrush, and is fully specified by a few lines.

/// SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator derived from a seed and a stream label, independent of other labels.
    pub(crate) fn derive(seed: u64, label: u64) -> Self {
        let mut base = Self::new(seed ^ label.wrapping_mul(0xA076_1D64_78BD_642F));
        let state = base.next_u64();
        Self::new(state)
    }

    /// Next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..n` (0 when `n` is 0), by multiply-shift (bias below 2^-32 for the
    /// small `n` used here).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        let r = self.next_u64() >> 32;
        ((r * u64::from(n)) >> 32) as u32
    }

    /// Uniform index into a slice of length `len`.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        let n = u32::try_from(len).unwrap_or(u32::MAX);
        self.below(n) as usize
    }

    /// Uniform integer in `lo..=hi` (`lo` when `hi < lo`).
    pub(crate) fn range(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }

    /// Uniform float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Index chosen with the given non-negative integer weights (0 when all are zero).
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        if total == 0 {
            return 0;
        }
        let mut pick = ((self.next_u64() >> 32) * total) >> 32;
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if pick < w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_labels_differ() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = SimRng::new(42);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = SimRng::new(42);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        // Reference values of SplitMix64 for seed 0 (from the published algorithm).
        let mut r = SimRng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_ne!(
            SimRng::derive(1, 1).next_u64(),
            SimRng::derive(1, 2).next_u64()
        );
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SimRng::new(7);
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            let x = r.range(5, 9);
            assert!((5..=9).contains(&x));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(3, 1), 3);
        let counts = (0..30_000).fold([0u32; 3], |mut acc, _| {
            acc[r.weighted(&[1, 0, 2])] += 1;
            acc
        });
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 3 / 2, "{counts:?}");
    }
}
