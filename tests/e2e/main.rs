//! End-to-end tests: one integration binary, one behaviour per test.
//! Each module drives the real binaries with assert_cmd.

mod bad_scenarios;
mod misbehaving;
mod orchestrate;
mod pa3;
mod teardown;
