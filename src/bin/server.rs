//! `server`: the PA3 server. See `pa3_mininet::pa3::server` for what it does and
//! why it needs one thread per client, and `pa3_mininet::pa3::cli::server` for
//! its command line.
//!
//! Exit codes: 0 every round finished with an acknowledgement sent to both
//! clients; 1 a round failed (a client disconnected, sent garbage or stayed
//! silent) or the port could not be bound; 2 bad usage.

fn main() -> std::process::ExitCode {
    pa3_mininet::pa3::cli::server::main()
}
