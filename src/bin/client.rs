//! `client`: the PA3 client. See `pa3_mininet::pa3::client`, and
//! `pa3_mininet::pa3::cli::client` for its command line.
//!
//! Exit codes: 0 a reply arrived and was printed (an acknowledgement, or
//! anything else, noted on stderr); 1 no connection, no first message from
//! the server, no reply, or stdin closed before a name; 2 bad usage.

fn main() -> std::process::ExitCode {
    pa3_mininet::pa3::cli::client::main()
}
