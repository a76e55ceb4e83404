//! `orchestrate`: runs PA3 scenarios on Mininet (or loopback) and checks
//! what the programs print. All of it lives in `pa3_mininet::orchestrator::app`; exit
//! codes are documented there (0 pass, 1 error, 2 invalid, 3 check failed,
//! 130 interrupted).
//!
//! Started as `server` or `client` (a link of that name to it, which the
//! orchestrator makes for its runs), it is that program: so `cargo run
//! --bin orchestrate` needs no other binary built, and runs our programs
//! as fresh as itself.

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    if let Some(program) = pa3_mininet::pa3::cli::Program::named(&argv0) {
        return program.main();
    }
    // Every exit code of orchestrate (0, 1, 2, 3, 130) is a byte.
    let code = pa3_mininet::orchestrator::app::main();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
