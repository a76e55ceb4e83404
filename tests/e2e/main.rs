//! End-to-end tests: one integration binary, one behaviour per test.
//! Each module drives the real binaries with assert_cmd; `support` holds
//! what they share.
//!
//! Tests that need root, or root and Mininet, are `#[ignore = "needs …"]`:
//! `cargo test` reports them as ignored, and
//! `sudo cargo test -- --include-ignored` runs them (and fails them, with
//! the reason, where the machine cannot).

mod adapt;
mod bad_scenarios;
mod batch;
mod class;
mod class_real;
mod classpage;
mod classview;
mod cli;
mod deploy;
mod docs;
mod grade;
mod links;
mod misbehaving;
mod orchestrate;
mod pa3;
mod recipes;
mod sandbox;
mod slurm;
mod support;
mod teardown;
