//! The two programs' command lines, in the library so that every binary
//! that is one of them runs the same code: `server` and `client`
//! (`src/bin/`), and `orchestrate` itself when started under either name
//! (how the orchestrator runs our programs: see `orchestrator::app`'s
//! `programs`, which links both names to it).

pub mod client;
pub mod server;

/// One of our two programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    Server,
    Client,
}

impl Program {
    /// The program a binary started as `argv0` is, if it is one of ours:
    /// `server` or `client`, by the file name it was started under.
    pub fn named(argv0: &std::ffi::OsStr) -> Option<Program> {
        match std::path::Path::new(argv0).file_name()?.to_str()? {
            "server" => Some(Program::Server),
            "client" => Some(Program::Client),
            _ => None,
        }
    }

    /// Runs it, with the process's arguments; its exit code.
    pub fn main(self) -> std::process::ExitCode {
        match self {
            Program::Server => server::main(),
            Program::Client => client::main(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_is_one_of_our_programs_by_the_name_it_was_started_under() {
        let named = |argv0: &str| Program::named(argv0.as_ref());
        assert_eq!(named("/tmp/pa3-programs-x/server"), Some(Program::Server));
        assert_eq!(named("client"), Some(Program::Client));
        for other in [
            "orchestrate",
            "/usr/bin/server-x",
            "target/debug/orchestrate",
            "",
        ] {
            assert_eq!(named(other), None, "{other}");
        }
    }
}
