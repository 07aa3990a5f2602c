//! A small deterministic PRNG (xoshiro256** seeded through SplitMix64) and a
//! Zipf sampler.
//!
//! Written here rather than taken from a crate so the generated data can
//! never change under us with a dependency upgrade: the same seed gives the
//! same dataset on every machine and every version of this binary (until
//! `gen::GENERATOR_VERSION` says otherwise).

/// SplitMix64: one step. Used to expand a seed into xoshiro state and to
/// derive independent streams from one seed.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**: fast, small state, good enough statistically for test data.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for x in &mut s {
            *x = splitmix64(&mut sm);
        }
        Self { s }
    }

    /// An independent stream for one purpose (`stream` names it), so adding
    /// draws to one part of the generator does not shift every other part.
    pub(crate) fn derive(seed: u64, stream: u64) -> Self {
        let mut sm = stream ^ 0x005E_ED0F_C1A1_3DB0;
        Self::new(seed ^ splitmix64(&mut sm))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (0 when `n` is 0). Lemire's multiply-shift:
    /// the bias is below 2^-32 for the sizes used here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform index into a collection of `n` elements.
    pub(crate) fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A uniform integer in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A uniform float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Ten random bytes (the random part of a UUIDv7).
    pub(crate) fn bytes10(&mut self) -> [u8; 10] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    }
}

/// Ranks `0..n` drawn with probability proportional to `1 / (rank + 1)^s`:
/// a few hot speakers, outlets and words, and a long tail, as in real news.
#[derive(Debug, Clone)]
pub(crate) struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// The distribution over `n` ranks with exponent `s` (`n` at least 1).
    pub(crate) fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n.max(1));
        let mut total = 0.0;
        for k in 0..n.max(1) {
            total += 1.0 / ((k + 1) as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Self { cdf }
    }

    /// How many ranks there are.
    pub(crate) fn len(&self) -> usize {
        self.cdf.len()
    }

    /// The probability of `rank` (tests check the shape with it).
    #[cfg(test)]
    pub(crate) fn probability(&self, rank: usize) -> f64 {
        match rank {
            0 => self.cdf.first().copied().unwrap_or(0.0),
            r if r < self.cdf.len() => self.cdf[r] - self.cdf[r - 1],
            _ => 0.0,
        }
    }

    /// One rank (binary search over the cumulative weights).
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_streams_differ() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::derive(7, 1).next_u64(), Rng::derive(7, 2).next_u64());
    }

    #[test]
    fn below_and_unit_stay_in_range() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            let x = r.range(15, 45);
            assert!((15..=45).contains(&x));
        }
    }

    #[test]
    fn zipf_favours_low_ranks_like_one_over_k() {
        let z = Zipf::new(1000, 1.0);
        let mut r = Rng::new(3);
        let mut counts = vec![0u32; 1000];
        for _ in 0..200_000 {
            counts[z.sample(&mut r)] += 1;
        }
        // Rank 0 is about twice rank 1 and ten times rank 9.
        let ratio1 = f64::from(counts[0]) / f64::from(counts[1]);
        let ratio9 = f64::from(counts[0]) / f64::from(counts[9]);
        assert!((1.7..2.3).contains(&ratio1), "{ratio1}");
        assert!((8.0..12.5).contains(&ratio9), "{ratio9}");
        assert!((z.probability(0) - 1.0 / 7.485).abs() < 0.01);
    }
}
