//! Which submissions of a class are alike: every pair compared on
//! normalised code (see [`tokens`]: comments, whitespace and names do not
//! count), by the winnowing fingerprints of MOSS (see [`winnow`]), and
//! optionally each against known public solutions (`--reference DIR`).
//! A flag is evidence for a person to look at — the pair's matching
//! regions side by side ([`html`]) — and never changes a grade.
//!
//! How a pair is scored:
//! 1. each submission (all its Python and C/C++ files) is cut into
//!    k-grams of normalised tokens and fingerprinted by winnowing;
//! 2. code that many students wrote alike is the assignment's common
//!    ground (the socket calls of the textbook's skeleton, a skeleton
//!    handed out), and is no evidence: a k-gram held by more students
//!    than [`Params::common`] allows is left out between students (as
//!    MOSS's `-m`), and one held by more than half of them against a
//!    reference (the skeleton everyone writes is in the public solutions
//!    too, but a solution a fifth of the class copied is still evidence);
//! 3. every fingerprint two submissions share, outside the common ground,
//!    seeds a match, grown token by token both ways as far as the two
//!    agree (within a file); matches shorter than `min_run` tokens are
//!    dropped;
//! 4. a submission's coverage is the share of its own code (its tokens
//!    outside the common ground) that lies inside the matches; a pair's
//!    score is the share of the two submissions' own code, pooled, that
//!    matches (so that one with little code of its own cannot make a few
//!    lines look like a copy), flagged at `flag_at` or more.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub mod html;
mod read;
pub mod tokens;
pub mod winnow;

pub use read::{read_class, read_sources};

use tokens::Lang;

/// How submissions are compared; the defaults are documented in
/// docs/grading-class.md and were tuned on `tests/class` and
/// `tests/similarity`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Noise threshold: matches shorter than this many tokens are not seen.
    pub k: usize,
    /// Window: any match of `w + k - 1` tokens or more is found.
    pub w: usize,
    /// Code held by more than this share of the students' submissions…
    pub common_share: f64,
    /// …and by more than this many of them is common ground between
    /// students (MOSS's `-m` is 10; a share scales it to the class).
    pub common_min: usize,
    /// Code held by more than this share of the students is common ground
    /// against a reference.
    pub reference_common_share: f64,
    /// Matches shorter than this many tokens are dropped.
    pub min_run: usize,
    /// A pair scoring this much (0–1) or more is flagged.
    pub flag_at: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            k: 12,
            w: 8,
            common_share: 0.1,
            common_min: 6,
            reference_common_share: 0.5,
            min_run: 19,
            flag_at: 0.6,
        }
    }
}

impl Params {
    /// The most students that may hold a k-gram for it to be evidence
    /// between two of `students`.
    pub fn common(&self, students: usize) -> usize {
        self.common_min
            .max((self.common_share * students as f64).ceil() as usize)
    }

    /// The same against a reference.
    pub fn reference_common(&self, students: usize) -> usize {
        self.common(students)
            .max((self.reference_common_share * students as f64).ceil() as usize)
    }
}

/// One source file of a submission.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Relative to the submission's folder.
    pub path: String,
    pub text: String,
    pub lang: Lang,
}

/// A submission (or a reference solution) as compared.
#[derive(Clone, Debug)]
pub struct Doc {
    pub name: String,
    pub files: Vec<SourceFile>,
    /// Normalised tokens of every file, one after the other.
    tokens: Vec<u64>,
    /// For each token: its file and line.
    at: Vec<(u32, u32)>,
}

impl Doc {
    /// A submission of these files, tokenised.
    pub fn new(name: &str, files: Vec<SourceFile>) -> Doc {
        let mut tokens = Vec::new();
        let mut at = Vec::new();
        for (i, f) in files.iter().enumerate() {
            for t in tokens::tokens(&f.text, f.lang) {
                tokens.push(winnow::token_hash(t.text));
                at.push((i as u32, t.line));
            }
        }
        Doc {
            name: name.to_string(),
            files,
            tokens,
            at,
        }
    }

    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    /// The k-gram hashes of each file on its own (no k-gram spans two
    /// files): (index of the file's first token, its hashes).
    fn kgrams(&self, k: usize) -> Vec<(usize, Vec<u64>)> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.tokens.len() {
            let file = self.at[start].0;
            let end = start + self.at[start..].iter().take_while(|a| a.0 == file).count();
            out.push((start, winnow::kgram_hashes(&self.tokens[start..end], k)));
            start = end;
        }
        out
    }
}

/// A document's k-grams, fingerprints, and the common ground in it.
struct Prepared {
    kgrams: Vec<(usize, Vec<u64>)>,
    fingerprints: Vec<winnow::Fingerprint>,
}

impl Prepared {
    fn of(d: &Doc, p: &Params) -> Prepared {
        let kgrams = d.kgrams(p.k);
        let fingerprints = kgrams
            .iter()
            .flat_map(|(start, hashes)| {
                winnow::winnow(hashes, p.w)
                    .into_iter()
                    .map(move |f| winnow::Fingerprint {
                        hash: f.hash,
                        pos: f.pos + start,
                    })
            })
            .collect();
        Prepared {
            kgrams,
            fingerprints,
        }
    }

    /// Which of the document's `tokens` lie in a k-gram held by more than
    /// `limit` students: its common ground.
    fn common_ground(
        &self,
        tokens: usize,
        held: &HashMap<u64, usize>,
        limit: usize,
        k: usize,
    ) -> Vec<bool> {
        let mut mask = vec![false; tokens];
        for (start, hashes) in &self.kgrams {
            for (i, h) in hashes.iter().enumerate() {
                if held.get(h).is_some_and(|n| *n > limit) {
                    mask[start + i..start + i + k]
                        .iter_mut()
                        .for_each(|m| *m = true);
                }
            }
        }
        mask
    }
}

/// Where a match lies in one submission: a file and its lines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub file: String,
    pub first_line: u32,
    pub last_line: u32,
}

/// A matching region of a pair: the same normalised tokens in both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub a: Span,
    pub b: Span,
    pub tokens: usize,
}

/// Two submissions compared (or a submission and a reference, `b`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// `b` is a known public solution, not a student.
    pub reference: bool,
    /// 0–1: see the module's documentation.
    pub score: f64,
    /// Share of each one's tokens inside the matching regions.
    pub cover_a: f64,
    pub cover_b: f64,
    pub flagged: bool,
    /// Largest first.
    pub regions: Vec<Region>,
}

/// What a submission brought to the comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Compared {
    pub name: String,
    pub files: usize,
    pub tokens: usize,
    pub reference: bool,
}

/// `similarity.json`: every pair with a matching region, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub params: Params,
    /// Code held by more students than this was common ground between
    /// students; `reference_common`, against a reference.
    pub common: usize,
    pub reference_common: usize,
    pub submissions: Vec<Compared>,
    pub pairs: Vec<Pair>,
    /// How long comparing took (reading the files not counted).
    pub duration_ms: f64,
}

impl Report {
    pub fn flagged(&self) -> impl Iterator<Item = &Pair> {
        self.pairs.iter().filter(|p| p.flagged)
    }
}

/// A seed: a shared fingerprint's positions in the two documents.
type Seeds = Vec<(usize, usize)>;

/// How many positions of one hash in one document seed matches: a
/// k-gram repeated many times in one file (a table) adds nothing more.
const SEEDS_PER_HASH: usize = 4;

/// Compares every pair of `students`, and each student with each of
/// `references`.
pub fn compare(students: &[Doc], references: &[Doc], p: &Params) -> Report {
    let t0 = std::time::Instant::now();
    let all: Vec<&Doc> = students.iter().chain(references).collect();
    let n = students.len();
    let prepared: Vec<Prepared> = all.iter().map(|d| Prepared::of(d, p)).collect();
    // How many students hold each k-gram.
    let mut held: HashMap<u64, usize> = HashMap::new();
    for pr in &prepared[..n] {
        let mut mine: Vec<u64> = pr
            .kgrams
            .iter()
            .flat_map(|(_, h)| h.iter().copied())
            .collect();
        mine.sort_unstable();
        mine.dedup();
        for h in mine {
            *held.entry(h).or_default() += 1;
        }
    }
    let limits = (p.common(n), p.reference_common(n));
    let ground =
        |d: usize, limit: usize| prepared[d].common_ground(all[d].token_count(), &held, limit, p.k);
    let student_ground: Vec<Vec<bool>> = (0..all.len()).map(|d| ground(d, limits.0)).collect();
    let reference_ground: Vec<Vec<bool>> = (0..all.len()).map(|d| ground(d, limits.1)).collect();
    let mut pairs: Vec<Pair> = seeds(&prepared, n, &held, limits)
        .into_iter()
        .filter_map(|((a, b), s)| {
            let reference = b >= n;
            // A match wholly inside common ground is no evidence: the pair
            // scores 0 and is left out.
            let masks = if reference {
                &reference_ground
            } else {
                &student_ground
            };
            let docs = [(all[a], &masks[a][..]), (all[b], &masks[b][..])];
            pair(docs, reference, &s, p).filter(|pair| pair.score > 0.0)
        })
        .collect();
    pairs.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    Report {
        params: p.clone(),
        common: limits.0,
        reference_common: limits.1,
        submissions: all
            .iter()
            .enumerate()
            .map(|(i, d)| Compared {
                name: d.name.clone(),
                files: d.files.len(),
                tokens: d.token_count(),
                reference: i >= n,
            })
            .collect(),
        pairs,
        duration_ms: t0.elapsed().as_secs_f64() * 1000.0,
    }
}

/// The seeds of every pair of documents (the first `n` students, the
/// rest references) that share a fingerprint outside the common ground:
/// held by at most `limits.0` students between students, `limits.1`
/// against a reference. References are not compared with each other.
fn seeds(
    prepared: &[Prepared],
    n: usize,
    held: &HashMap<u64, usize>,
    limits: (usize, usize),
) -> BTreeMap<(usize, usize), Seeds> {
    let mut index: HashMap<u64, Vec<(usize, usize)>> = HashMap::new();
    for (d, pr) in prepared.iter().enumerate() {
        for f in &pr.fingerprints {
            let at = index.entry(f.hash).or_default();
            if at.iter().filter(|(e, _)| *e == d).count() < SEEDS_PER_HASH {
                at.push((d, f.pos));
            }
        }
    }
    let mut seeds: BTreeMap<(usize, usize), Seeds> = BTreeMap::new();
    for (hash, at) in &index {
        let holders = held.get(hash).copied().unwrap_or(0);
        for (i, &(da, pa)) in at.iter().enumerate() {
            for &(db, pb) in &at[i + 1..] {
                // Documents come in order, so da <= db.
                let limit = if db < n { limits.0 } else { limits.1 };
                if da == db || da >= n || holders > limit {
                    continue;
                }
                seeds.entry((da, db)).or_default().push((pa, pb));
            }
        }
    }
    seeds
}

/// A pair from its seeds: matches grown, short ones dropped, scored on
/// each document's own code (its tokens outside the common ground).
fn pair(
    docs: [(&Doc, &[bool]); 2],
    reference: bool,
    seeds: &[(usize, usize)],
    p: &Params,
) -> Option<Pair> {
    let [(a, ground_a), (b, ground_b)] = docs;
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for &(pa, pb) in seeds {
        // A seed inside a run already found adds nothing.
        if runs
            .iter()
            .any(|&(ra, rb, len)| pa >= ra && pa < ra + len && pb >= rb && pa - ra == pb - rb)
        {
            continue;
        }
        let run = grow(a, b, pa, pb);
        if run.2 >= p.min_run {
            runs.push(run);
        }
    }
    let runs = longest_first(runs);
    if runs.is_empty() {
        return None;
    }
    let (matched_a, own_a) = coverage(ground_a, runs.iter().map(|r| (r.0, r.2)));
    let (matched_b, own_b) = coverage(ground_b, runs.iter().map(|r| (r.1, r.2)));
    let share = |m: usize, o: usize| if o == 0 { 0.0 } else { m as f64 / o as f64 };
    let (cover_a, cover_b) = (share(matched_a, own_a), share(matched_b, own_b));
    // Pooled, not averaged: a submission that is nearly all common ground
    // has little code of its own, and a few matching lines must not make
    // the pair look copied.
    let score = share(matched_a + matched_b, own_a + own_b);
    Some(Pair {
        a: a.name.clone(),
        b: b.name.clone(),
        reference,
        score,
        cover_a,
        cover_b,
        flagged: score >= p.flag_at,
        regions: runs
            .iter()
            .map(|&(ra, rb, len)| Region {
                a: span(a, ra, len),
                b: span(b, rb, len),
                tokens: len,
            })
            .collect(),
    })
}

/// Runs (start in a, start in b, length), longest first, without those
/// inside a longer one on both sides: code that repeats itself (two alike
/// `if` blocks) also matches crosswise, which shows nothing new.
fn longest_first(mut runs: Vec<(usize, usize, usize)>) -> Vec<(usize, usize, usize)> {
    runs.sort_by_key(|r| (std::cmp::Reverse(r.2), r.0, r.1));
    let inside = |x: usize, len: usize, y: usize, ylen: usize| x >= y && x + len <= y + ylen;
    let mut kept: Vec<(usize, usize, usize)> = Vec::new();
    for r in runs {
        if !kept
            .iter()
            .any(|k| inside(r.0, r.2, k.0, k.2) && inside(r.1, r.2, k.1, k.2))
        {
            kept.push(r);
        }
    }
    kept
}

/// The run of equal tokens through `(pa, pb)`, grown both ways within
/// both files: (start in a, start in b, length).
fn grow(a: &Doc, b: &Doc, pa: usize, pb: usize) -> (usize, usize, usize) {
    let same = |i: usize, j: usize| {
        a.tokens[i] == b.tokens[j] && a.at[i].0 == a.at[pa].0 && b.at[j].0 == b.at[pb].0
    };
    let mut back = 0;
    while back < pa.min(pb) && same(pa - back - 1, pb - back - 1) {
        back += 1;
    }
    let mut len = 0;
    while pa + len < a.tokens.len() && pb + len < b.tokens.len() && same(pa + len, pb + len) {
        len += 1;
    }
    (pa - back, pb - back, back + len)
}

/// How many of a document's own tokens (those outside its common
/// `ground`) lie inside the union of `runs` (start, length), and how many
/// it has.
fn coverage(ground: &[bool], runs: impl Iterator<Item = (usize, usize)>) -> (usize, usize) {
    let own = ground.iter().filter(|g| !**g).count();
    let mut inside = vec![false; ground.len()];
    for (s, l) in runs {
        inside[s..s + l].iter_mut().for_each(|x| *x = true);
    }
    let matched = inside
        .iter()
        .zip(ground)
        .filter(|(m, g)| **m && !**g)
        .count();
    (matched, own)
}

fn span(d: &Doc, start: usize, len: usize) -> Span {
    let (file, first_line) = d.at[start];
    let (_, last_line) = d.at[start + len - 1];
    Span {
        file: d.files[file as usize].path.clone(),
        first_line,
        last_line,
    }
}

#[cfg(test)]
mod tests;
