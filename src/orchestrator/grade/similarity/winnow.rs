//! Winnowing (Schleimer, Wilkerson, Aiken: "Winnowing: Local Algorithms
//! for Document Fingerprinting", SIGMOD 2003), the algorithm behind MOSS.
//!
//! A document's normalised tokens are cut into every run of `k`
//! consecutive tokens (a k-gram), each hashed. Of every window of `w`
//! consecutive k-gram hashes, the smallest is kept (the rightmost of
//! equals), once per position: those are the document's fingerprints,
//! about 2/(w+1) of its k-grams. The paper's two guarantees are what make
//! it fit for comparing students' code:
//!
//! - a match shorter than `k` tokens (the noise threshold) is never seen:
//!   `x = s.recv(N)` is everyone's;
//! - a match of at least `t = w + k - 1` tokens (the guarantee threshold)
//!   always shares a fingerprint, since some window lies wholly inside it
//!   and both documents select the same minimum there.
//!
//! Fingerprints are positions too, so that a shared one can be traced
//! back to the tokens (and lines) that match.

/// One fingerprint: a k-gram's hash and the index of its first token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub hash: u64,
    pub pos: usize,
}

/// A token text as a number: FNV-1a, then mixed.
pub fn token_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// splitmix64's finaliser: a rolling hash's low bits are poorly spread,
/// and the window's minimum must be a fair pick.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash of every k-gram of `tokens` (token hashes), in order: a
/// polynomial rolling hash (Karp–Rabin, as the paper uses), mixed.
pub fn kgram_hashes(tokens: &[u64], k: usize) -> Vec<u64> {
    if k == 0 || tokens.len() < k {
        return Vec::new();
    }
    const BASE: u64 = 0x100_0000_01b3;
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut h = tokens[..k]
        .iter()
        .fold(0u64, |h, t| h.wrapping_mul(BASE).wrapping_add(*t));
    let mut out = Vec::with_capacity(tokens.len() - k + 1);
    out.push(mix(h));
    for i in k..tokens.len() {
        h = h
            .wrapping_sub(tokens[i - k].wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(tokens[i]);
        out.push(mix(h));
    }
    out
}

/// The fingerprints winnowing keeps of `hashes` (k-gram hashes) with
/// windows of `w`: in each window its minimum, the rightmost of equals,
/// recorded once. A document shorter than one window keeps its minimum.
pub fn winnow(hashes: &[u64], w: usize) -> Vec<Fingerprint> {
    let mut out: Vec<Fingerprint> = Vec::new();
    if hashes.is_empty() || w == 0 {
        return out;
    }
    let w = w.min(hashes.len());
    // A deque of positions whose hashes increase: the front is the
    // window's minimum (the rightmost among equals, as each new hash
    // drops every larger-or-equal one before it).
    let mut deque: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for (i, h) in hashes.iter().enumerate() {
        while deque.back().is_some_and(|&j| hashes[j] >= *h) {
            deque.pop_back();
        }
        deque.push_back(i);
        if i + 1 < w {
            continue;
        }
        while deque.front().is_some_and(|&j| j + w <= i) {
            deque.pop_front();
        }
        let min = *deque.front().expect("the window's own hash is in it");
        if out.last().is_none_or(|f| f.pos != min) {
            out.push(Fingerprint {
                hash: hashes[min],
                pos: min,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Winnowing as the paper states it, window by window, to check the
    /// deque against.
    fn naive(hashes: &[u64], w: usize) -> Vec<Fingerprint> {
        let mut out: Vec<Fingerprint> = Vec::new();
        let w = w.min(hashes.len());
        for start in 0..=hashes.len() - w {
            let window = &hashes[start..start + w];
            let min = *window.iter().min().unwrap();
            let pos = start + window.iter().rposition(|h| *h == min).unwrap();
            if out.last().is_none_or(|f| f.pos != pos) {
                out.push(Fingerprint { hash: min, pos });
            }
        }
        out
    }

    #[test]
    fn the_papers_example_keeps_the_papers_fingerprints() {
        // Section 3 of the paper: these 5-gram hashes, windows of 4, give
        // {17, 17, 8, 39, 17} — 17 twice at different positions.
        let hashes = [
            77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98,
        ];
        let kept: Vec<u64> = winnow(&hashes, 4).iter().map(|f| f.hash).collect();
        assert_eq!(kept, [17, 17, 8, 39, 17]);
        assert_eq!(winnow(&hashes, 4), naive(&hashes, 4));
    }

    #[test]
    fn the_deque_agrees_with_the_definition_on_any_sequence() {
        let mut x: u64 = 7;
        for w in 1..9 {
            let hashes: Vec<u64> = (0..200)
                .map(|_| {
                    x = mix(x.wrapping_add(w as u64));
                    x % 13
                })
                .collect();
            assert_eq!(winnow(&hashes, w), naive(&hashes, w), "w={w}");
        }
        assert_eq!(winnow(&[5, 3], 4), [Fingerprint { hash: 3, pos: 1 }]);
        assert!(winnow(&[], 4).is_empty());
    }

    #[test]
    fn a_shared_run_of_the_guarantee_threshold_shares_a_fingerprint() {
        let (k, w) = (5, 4);
        let t = w + k - 1;
        let common: Vec<u64> = (0..t as u64).map(|i| token_hash(&i.to_string())).collect();
        let noise = |seed: u64, n: u64| -> Vec<u64> {
            (0..n).map(|i| token_hash(&format!("{seed}-{i}"))).collect()
        };
        for seed in 0..50 {
            let a = [noise(seed, 11), common.clone(), noise(seed + 100, 3)].concat();
            let b = [noise(seed + 200, 2), common.clone(), noise(seed + 300, 17)].concat();
            let fa = winnow(&kgram_hashes(&a, k), w);
            let fb = winnow(&kgram_hashes(&b, k), w);
            assert!(
                fa.iter().any(|x| fb.iter().any(|y| y.hash == x.hash)),
                "seed {seed}: no shared fingerprint"
            );
        }
        // The rolling hash is the hash of each k-gram on its own.
        let a = noise(1, 30);
        let rolled = kgram_hashes(&a, k);
        for (i, h) in rolled.iter().enumerate() {
            assert_eq!(*h, kgram_hashes(&a[i..i + k], k)[0]);
        }
    }
}
