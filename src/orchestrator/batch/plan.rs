//! What a batch runs: items (a scenario and a repeat index), in a stable
//! order, filtered by name, and cut into shards.
//!
//! A shard is chosen like cargo-nextest's `--partition hash:K/N`: an item
//! belongs to shard `K` of `N` when the FNV-1a hash of its key, modulo `N`,
//! is `K - 1`. The key names the item (its scenario file and repeat index),
//! so adding a scenario or a repeat never moves the others between shards,
//! every item is in exactly one shard, and every machine that runs the same
//! plan picks the same items.

use std::fmt;
use std::hash::Hasher;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use crate::orchestrator::scenario::ValidScenario;

/// One run of a batch.
#[derive(Clone, Debug)]
pub struct Item {
    /// Position in the whole plan (before filtering and sharding): results
    /// are reported in this order whatever order they finish in.
    pub index: usize,
    pub scenario: Arc<ValidScenario>,
    /// 1-based, of `repeats`.
    pub repeat: u32,
    pub repeats: u32,
    /// Stable across machines and runs: picks the item's shard.
    pub key: String,
    /// What a person reads: `case2`, `case2 #3`.
    pub label: String,
    /// The name of its run directory inside the batch: `case2`, `case2-r3`.
    pub dir_name: String,
    /// The folder of the submission whose programs (the scenario's `cmd`s)
    /// run in the sandbox, a private copy of it as their directory.
    pub submission: Option<PathBuf>,
}

impl Item {
    /// The item for repeat `repeat` of `repeats` of a scenario.
    pub fn of(index: usize, scenario: Arc<ValidScenario>, repeat: u32, repeats: u32) -> Item {
        let file = scenario.file().display().to_string();
        let (key, label, dir_name) = if repeats > 1 {
            (
                format!("{file}#{repeat}"),
                format!("{} #{repeat}", scenario.name()),
                format!("{}-r{repeat}", scenario.slug()),
            )
        } else {
            (
                file,
                scenario.name().to_string(),
                scenario.slug().to_string(),
            )
        };
        Item {
            index,
            scenario,
            repeat,
            repeats,
            key,
            label,
            dir_name,
            submission: None,
        }
    }
}

/// Every scenario `repeats` times: all repeats of the first scenario, then
/// of the second, and so on.
pub fn items(scenarios: Vec<ValidScenario>, repeats: u32) -> Vec<Item> {
    let mut items = Vec::new();
    for s in scenarios {
        let s = Arc::new(s);
        for r in 1..=repeats {
            items.push(Item::of(items.len(), Arc::clone(&s), r, repeats));
        }
    }
    items
}

/// Keeps the items whose scenario name contains one of `patterns` (all of
/// them when there is none).
pub fn filter(items: Vec<Item>, patterns: &[String]) -> Vec<Item> {
    if patterns.is_empty() {
        return items;
    }
    items
        .into_iter()
        .filter(|i| {
            patterns
                .iter()
                .any(|p| i.scenario.name().contains(p.as_str()))
        })
        .collect()
}

/// Shard `index` of `count` (1-based): `--shard 2/3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the item with this key belongs to this shard.
    pub fn holds(&self, key: &str) -> bool {
        let mut hasher = fnv::FnvHasher::default();
        hasher.write(key.as_bytes());
        (hasher.finish() % u64::from(self.count)) as u32 == self.index - 1
    }

    /// The items of this shard, in plan order.
    pub fn select(&self, items: Vec<Item>) -> Vec<Item> {
        items.into_iter().filter(|i| self.holds(&i.key)).collect()
    }
}

/// Why a `--shard` value is not one: the text as given, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("{text:?} is not a shard: write K/N, e.g. 2/3 (the 2nd of 3 shards)")]
    NotKOfN { text: String },
    #[error("{text:?} is not a shard: K must be between 1 and N (here N = {count})")]
    OutOfRange { text: String, count: u32 },
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::NotKOfN { text: s.into() };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(ShardError::OutOfRange {
                text: s.into(),
                count,
            });
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_disjoint_and_cover_the_plan() {
        let keys: Vec<String> = (1..=500)
            .map(|i| format!("experiments/s{}.yaml#{i}", i % 7))
            .collect();
        for count in [1, 2, 3, 7] {
            let mut seen = vec![0; keys.len()];
            for index in 1..=count {
                let shard = Shard { index, count };
                for (i, k) in keys.iter().enumerate() {
                    if shard.holds(k) {
                        seen[i] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{count} shards");
        }
    }

    #[test]
    fn a_key_keeps_its_shard_whatever_else_is_added() {
        // The hash depends on the key alone: FNV-1a of its bytes.
        let shard = |key: &str| (1..=4).find(|&i| Shard { index: i, count: 4 }.holds(key));
        assert_eq!(
            shard("experiments/case2.yaml"),
            shard("experiments/case2.yaml")
        );
        let mut hasher = fnv::FnvHasher::default();
        hasher.write(b"experiments/case2.yaml");
        let expected = (hasher.finish() % 4) as u32 + 1;
        assert_eq!(shard("experiments/case2.yaml"), Some(expected));
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(Shard { index: 2, count: 3 }.to_string(), "2/3");
        for bad in ["0/3", "4/3", "1/0", "2", "a/b", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            "4/3".parse::<Shard>().unwrap_err().to_string(),
            "\"4/3\" is not a shard: K must be between 1 and N (here N = 3)"
        );
        assert_eq!(
            "2".parse::<Shard>().unwrap_err().to_string(),
            "\"2\" is not a shard: write K/N, e.g. 2/3 (the 2nd of 3 shards)"
        );
    }
}
