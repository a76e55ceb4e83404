//! `grading.yaml`: how a class's submissions are run and scored, where the
//! defaults (the seed's classic layout) do not fit. Every field is
//! optional:
//!
//! ```yaml
//! server_file: server.py            # what each submission must hold
//! client_file: client.py
//! server_cmd: python3 server.py     # run in the submission's copy; it binds port 12000 itself
//! client_cmd: python3 client.py     # it connects to 10.0.0.1:12000 itself
//! port: 12000                       # where the student's server listens
//! timeout_s: 10                     # each run's bound
//! strict: false                     # fail the slips of the seed's strings
//! visibility: visible               # Gradescope: visible, hidden, after_due_date, after_published
//! points: { 11: 20, 12: 10 }        # per rubric item; the seed's by default
//! limits: { cpu_s: 10, memory_mib: 1024, processes: 32, file_size_mib: 16, wall_s: 60 }
//! ```
//!
//! Commands are a string split into words (no shell runs them) or a list,
//! with the placeholders scenarios know (`{server_ip}`, `{port}`, `{name}`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use serde::Deserialize;

use crate::orchestrator::sandbox::Limits;

/// `grading.yaml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    server_file: Option<String>,
    client_file: Option<String>,
    server_cmd: Option<Command>,
    client_cmd: Option<Command>,
    port: Option<u16>,
    timeout_s: Option<f64>,
    strict: Option<bool>,
    visibility: Option<String>,
    points: Option<BTreeMap<u8, f64>>,
    limits: Option<LimitsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Command {
    Line(String),
    Argv(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    cpu_s: Option<u64>,
    memory_mib: Option<u64>,
    processes: Option<u64>,
    file_size_mib: Option<u64>,
    wall_s: Option<u64>,
}

/// How a class is graded, every default filled in.
#[derive(Clone, Debug)]
pub struct Grading {
    pub server_file: String,
    pub client_file: String,
    pub server_cmd: Vec<String>,
    pub client_cmd: Vec<String>,
    pub port: u16,
    pub timeout_s: f64,
    pub strict: bool,
    pub visibility: String,
    /// Points of rubric items 1–12.
    pub points: [f64; 12],
    pub limits: Limits,
}

/// The seed's points for items 1–12.
pub const SEED_POINTS: [f64; 12] = [5., 5., 5., 5., 5., 5., 10., 10., 10., 10., 20., 10.];

/// Gradescope's visibilities.
const VISIBILITIES: [&str; 4] = ["visible", "hidden", "after_due_date", "after_published"];

impl Default for Grading {
    fn default() -> Grading {
        Grading {
            server_file: "server.py".into(),
            client_file: "client.py".into(),
            server_cmd: vec!["python3".into(), "server.py".into()],
            client_cmd: vec!["python3".into(), "client.py".into()],
            port: 12000,
            timeout_s: 10.0,
            strict: false,
            visibility: "visible".into(),
            points: SEED_POINTS,
            limits: Limits::default(),
        }
    }
}

impl Grading {
    /// `grading.yaml` at `path`, or the defaults when there is none.
    pub fn load(path: &Path) -> Result<Grading> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Grading::default()),
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        };
        let file: File = serde_yaml::from_str(&text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("{}:{}:", l.line(), l.column()))
                .unwrap_or_default();
            anyhow::anyhow!("{}:{at} {e}", path.display())
        })?;
        Grading::from_file(file).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    fn from_file(file: File) -> Result<Grading> {
        let d = Grading::default();
        let command = |c: Option<Command>, default: Vec<String>| -> Result<Vec<String>> {
            let argv = match c {
                None => return Ok(default),
                Some(Command::Argv(v)) => v,
                Some(Command::Line(l)) => shell_words::split(&l)
                    .map_err(|e| anyhow::anyhow!("cannot split {l:?} into words: {e}"))?,
            };
            if argv.is_empty() {
                bail!("a command is empty");
            }
            Ok(argv)
        };
        let visibility = file.visibility.unwrap_or(d.visibility);
        if !VISIBILITIES.contains(&visibility.as_str()) {
            bail!(
                "visibility {visibility:?} is not one of {}",
                VISIBILITIES.join(", ")
            );
        }
        let mut points = d.points;
        for (item, p) in file.points.unwrap_or_default() {
            if !(1..=12).contains(&item) || !(0.0..=1000.0).contains(&p) {
                bail!("points: item {item} ({p}) is not an item 1-12 with 0-1000 points");
            }
            points[item as usize - 1] = p;
        }
        let timeout_s = file.timeout_s.unwrap_or(d.timeout_s);
        if !(1.0..=600.0).contains(&timeout_s) {
            bail!("timeout_s {timeout_s} is not between 1 and 600");
        }
        Ok(Grading {
            server_file: file.server_file.unwrap_or(d.server_file),
            client_file: file.client_file.unwrap_or(d.client_file),
            server_cmd: command(file.server_cmd, d.server_cmd)?,
            client_cmd: command(file.client_cmd, d.client_cmd)?,
            port: file.port.unwrap_or(d.port),
            timeout_s,
            strict: file.strict.unwrap_or(d.strict),
            visibility,
            points,
            limits: limits(file.limits.unwrap_or_default(), d.limits),
        })
    }
}

fn limits(file: LimitsFile, d: Limits) -> Limits {
    const MIB: u64 = 1024 * 1024;
    Limits {
        cpu_s: file.cpu_s.unwrap_or(d.cpu_s),
        address_space: file.memory_mib.map_or(d.address_space, |m| m * MIB),
        processes: file.processes.unwrap_or(d.processes),
        file_size: file.file_size_mib.map_or(d.file_size, |m| m * MIB),
        wall_s: file.wall_s.unwrap_or(d.wall_s),
        ..d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Grading> {
        Grading::from_file(serde_yaml::from_str(text)?)
    }

    #[test]
    fn defaults_are_the_classic_layout_and_the_seeds_points() {
        let g = parse("{}").unwrap();
        assert_eq!(g.server_cmd, ["python3", "server.py"]);
        assert_eq!(g.client_cmd, ["python3", "client.py"]);
        assert_eq!(g.points.iter().sum::<f64>(), 100.0);
        assert_eq!((g.port, g.strict), (12000, false));
    }

    #[test]
    fn overrides_and_refusals() {
        let g =
            parse("server_cmd: java Server {port}\npoints: {11: 15}\nlimits: {memory_mib: 512}\n")
                .unwrap();
        assert_eq!(g.server_cmd, ["java", "Server", "{port}"]);
        assert_eq!(g.points[10], 15.0);
        assert_eq!(g.limits.address_space, 512 * 1024 * 1024);
        assert!(parse("visibility: secret\n").is_err());
        assert!(parse("points: {13: 5}\n").is_err());
        assert!(parse("server_cmd: []\n").is_err());
        assert!(parse("serve_cmd: x\n").is_err());
    }
}
