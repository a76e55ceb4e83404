//! `grading.yaml`: how a class's submissions are run and scored, where what
//! the grader discovers by itself (see [`super::discover`]) is not what you
//! want. Every field is optional:
//!
//! ```yaml
//! server_file: server.py            # pin the server's file (else discovered)
//! client_file: client.py            # or two, X's then Y's: [xClient.py, yClient.py]
//! server_cmd: python3 server.py     # pin how it starts, in the submission's folder
//! client_cmd: python3 client.py {letter}   # or two; {name} {letter} {server_ip} {port}
//! students:                         # the same pins for one student
//!   ben: { client_file: [ClientX.py, ClientY.py] }
//! port: 12000                       # our server's port for the students' clients
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
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Deserialize;

use super::discover::Pins;
use crate::orchestrator::sandbox::Limits;

/// `grading.yaml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(flatten)]
    pins: PinsFile,
    #[serde(default)]
    students: BTreeMap<String, PinsFile>,
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

/// What a class or one student pins (see [`Pins`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinsFile {
    server_file: Option<String>,
    client_file: Option<OneOrTwo<String>>,
    server_cmd: Option<Command>,
    client_cmd: Option<OneOrTwo<Command>>,
}

/// One value, or two (X's, then Y's). One comes first: a command written
/// as a list of words is one command; two are a list of two commands.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrTwo<T> {
    One(T),
    Two(Vec<T>),
}

impl<T> OneOrTwo<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrTwo::Two(v) => v,
            OneOrTwo::One(x) => vec![x],
        }
    }
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
    /// What the whole class pins (nothing: everything is discovered).
    pub pins: Pins,
    /// What single students pin, over the class's.
    pub students: BTreeMap<String, Pins>,
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
            pins: Pins::default(),
            students: BTreeMap::new(),
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

    /// The pins of `student`: the class's, with the student's own over them.
    pub fn pins_for(&self, student: &str) -> Pins {
        let mut pins = self.pins.clone();
        if let Some(own) = self.students.get(student) {
            if own.server_file.is_some() || own.server_cmd.is_some() {
                pins.server_file = own.server_file.clone();
                pins.server_cmd = own.server_cmd.clone();
            }
            if !own.client_files.is_empty() || !own.client_cmds.is_empty() {
                pins.client_files = own.client_files.clone();
                pins.client_cmds = own.client_cmds.clone();
            }
        }
        pins
    }

    fn from_file(file: File) -> Result<Grading> {
        let d = Grading::default();
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
        let mut students = BTreeMap::new();
        for (name, p) in file.students {
            students.insert(
                name.clone(),
                pins(p).map_err(|e| anyhow::anyhow!("students.{name}: {e}"))?,
            );
        }
        Ok(Grading {
            pins: pins(file.pins)?,
            students,
            port: file.port.unwrap_or(d.port),
            timeout_s,
            strict: file.strict.unwrap_or(d.strict),
            visibility,
            points,
            limits: limits(file.limits.unwrap_or_default(), d.limits),
        })
    }
}

/// A command as words: a list, or one string split like a shell would.
fn command(c: Command) -> Result<Vec<String>> {
    let argv = match c {
        Command::Argv(v) => v,
        Command::Line(l) => shell_words::split(&l)
            .map_err(|e| anyhow::anyhow!("cannot split {l:?} into words: {e}"))?,
    };
    if argv.is_empty() {
        bail!("a command is empty");
    }
    Ok(argv)
}

fn pins(p: PinsFile) -> Result<Pins> {
    let client_files: Vec<PathBuf> = p
        .client_file
        .map(OneOrTwo::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(PathBuf::from)
        .collect();
    let client_cmds = p
        .client_cmd
        .map(OneOrTwo::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(command)
        .collect::<Result<Vec<_>>>()?;
    if client_files.len() > 2 || client_cmds.len() > 2 {
        bail!("client_file and client_cmd take one client, or two (X's then Y's)");
    }
    Ok(Pins {
        server_file: p.server_file.map(PathBuf::from),
        client_files,
        server_cmd: p.server_cmd.map(command).transpose()?,
        client_cmds,
    })
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
    fn defaults_pin_nothing_and_keep_the_seeds_points() {
        let g = parse("{}").unwrap();
        assert_eq!(g.pins, Pins::default());
        assert_eq!(g.pins_for("ann"), Pins::default());
        assert_eq!(g.points.iter().sum::<f64>(), 100.0);
        assert_eq!((g.port, g.strict), (12000, false));
    }

    #[test]
    fn a_class_pins_and_a_student_pins_over_it() {
        let argv = parse("client_cmd: [python3, shim.py, client.py]\n").unwrap();
        assert_eq!(argv.pins.client_cmds, [["python3", "shim.py", "client.py"]]);
        let two = parse("client_cmd: [[python3, x.py], python3 y.py]\n").unwrap();
        assert_eq!(
            two.pins.client_cmds,
            [vec!["python3", "x.py"], vec!["python3", "y.py"]]
        );
        let g = parse(
            "client_cmd: python3 client.py {letter}\n\
             students:\n  ben: { client_file: [ClientX.py, ClientY.py] }\n  cy: { server_cmd: [./srv, '{port}'] }\n",
        )
        .unwrap();
        assert_eq!(
            g.pins_for("ann").client_cmds,
            [["python3", "client.py", "{letter}"]]
        );
        let ben = g.pins_for("ben");
        assert_eq!(
            ben.client_files,
            [PathBuf::from("ClientX.py"), "ClientY.py".into()]
        );
        assert!(
            ben.client_cmds.is_empty(),
            "the student's pin replaces the class's"
        );
        assert_eq!(
            g.pins_for("cy").server_cmd,
            Some(vec!["./srv".into(), "{port}".into()])
        );
        assert!(parse("client_file: [a.py, b.py, c.py]\n").is_err());
        assert!(parse("students: { ben: { server: x } }\n").is_err());
    }

    #[test]
    fn overrides_and_refusals() {
        let g =
            parse("server_cmd: java Server {port}\npoints: {11: 15}\nlimits: {memory_mib: 512}\n")
                .unwrap();
        assert_eq!(
            g.pins.server_cmd.as_deref(),
            Some(&["java".to_string(), "Server".into(), "{port}".into()][..])
        );
        assert_eq!(g.points[10], 15.0);
        assert_eq!(g.limits.address_space, 512 * 1024 * 1024);
        assert!(parse("visibility: secret\n").is_err());
        assert!(parse("points: {13: 5}\n").is_err());
        assert!(parse("server_cmd: []\n").is_err());
        assert!(parse("serve_cmd: x\n").is_err());
    }
}
