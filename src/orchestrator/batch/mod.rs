//! Batches: many runs — scenarios × repeats (and, for grading, ×
//! submissions) — on networks reused from run to run, in parallel jobs,
//! cut into shards that other machines run, merged back into one.
//!
//! - [`plan`]: the items, their stable order, `--filter`, `--shard K/N`;
//! - [`session`]: a job's network, reused when the next run fits it;
//! - [`execute`]: one item on a session, from run directory to record;
//! - [`pool`]: `--jobs N` workers, results back in the order runs end;
//! - [`writer`]: a job's run directories written behind its runs;
//! - [`summary`]: the batch as data (`summary.json`), statistics of
//!   repeats, and the merge of shards.

pub mod execute;
pub mod plan;
pub mod pool;
pub mod session;
pub mod summary;
pub mod writer;
