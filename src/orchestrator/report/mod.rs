//! Report writers: pure functions from a finished [`crate::orchestrator::record::RunRecord`]
//! to text. Nothing here touches the network, processes or files.
//!
//! - [`json`]: `summary.json` (the record, pretty) and `events.jsonl`;
//! - [`junit`]: `junit.xml`, one test case per verdict, for CI pages;
//! - [`markdown`]: `report.md` with a Mermaid sequence diagram of what
//!   happened, and the `index.md` of a batch;
//! - [`svg`]: `timeline.svg`, one lane per process on a real time axis;
//! - [`terminal`]: the verdict table printed at the end of a run;
//! - [`links`]: the links' configured and measured conditions, in words.
//!
//! Every writer is deterministic (no clock, no randomness, no I/O), so each
//! is tested against golden files in `src/orchestrator/report/golden/`; run the tests with
//! `UPDATE_GOLDEN=1` to rewrite them after an intended change.

pub mod batch;
pub mod json;
pub mod junit;
pub mod links;
pub mod markdown;
pub mod style;
pub mod svg;
pub mod terminal;

mod story;
mod text;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod golden;
