//! `orchestrate`: runs PA3 scenarios on Mininet (or loopback) and checks
//! what the programs print. All of it lives in `pa3_mininet::orchestrator::app`; exit
//! codes are documented there (0 pass, 1 error, 2 invalid, 3 check failed,
//! 130 interrupted).

fn main() {
    std::process::exit(pa3_mininet::orchestrator::app::main());
}
