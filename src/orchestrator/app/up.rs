//! `orchestrate up`: a scenario's network kept up for running the programs
//! by hand, either waiting for Ctrl-C (printing the `mnexec` commands for
//! each host) or inside Mininet's own CLI with our binaries on the hosts'
//! `PATH`. The network goes when the user is done, and on every other path.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{anyhow, Context, Result};

use super::programs::Programs;
use super::{install_signal_handler, load_one, EXIT_ERROR, EXIT_INVALID, EXIT_OK};
use crate::orchestrator::link::{fmt_num, EngineChoice, LinkEngine};
use crate::orchestrator::net::mininet::{self, Mininet};
use crate::orchestrator::net::shaping::{Applied, HostPort};
use crate::orchestrator::net::Network;
use crate::orchestrator::scenario::ValidScenario;
use crate::orchestrator::state::{self, StateFile};
use crate::orchestrator::sys::Netns;
use crate::orchestrator::topology;

pub(super) fn up(path: &Path, cli: bool, engine: EngineChoice) -> Result<i32> {
    let Ok(s) = load_one(path, engine) else {
        return Ok(EXIT_INVALID);
    };
    mininet::preflight()?;
    let programs = Programs::link()?;
    let bin = programs.dir().to_path_buf();
    let stop = install_signal_handler();
    let _ = state::clean_dead_runs();
    // Removed on every path, a panic's included.
    let dir = tempfile::Builder::new().prefix("pa3-up-").tempdir()?;
    let topo_path = dir.path().join("topo.py");
    std::fs::write(&topo_path, topology::python(&s))?;
    let mut state = StateFile::create(&format!("up-{}", s.slug()))?;
    let switch = format!("s{}", std::process::id());
    let result = if cli {
        up_cli(&s, &topo_path, &switch, &bin, &mut state)
    } else {
        up_wait(&s, &topo_path, &switch, (&bin, stop), &mut state)
    };
    state.release();
    result
}

/// The network up until Ctrl-C raises `stop`.
fn up_wait(
    s: &ValidScenario,
    topo_path: &Path,
    switch: &str,
    (bin, stop): (&Path, &AtomicBool),
    state: &mut StateFile,
) -> Result<i32> {
    let mut net = Mininet::start(topo_path, switch, state, stop)?;
    net.apply_links(s.links())?;
    net.begin_links(std::time::Instant::now())?;
    let server = net
        .host(s.server().host())
        .ok_or_else(|| anyhow!("no server host"))?
        .clone();
    outln!(
        "Network up ({} hosts on Linux bridge {switch}):",
        s.hosts().len()
    );
    for h in s.hosts() {
        if let Some(host) = net.host(h) {
            outln!(
                "  {:<6} {:<12} namespace of pid {}",
                host.name,
                host.ip,
                host.ns_pid
            );
        }
    }
    print_links(s);
    outln!("\nRun the programs by hand, each in its own terminal (as root):");
    let srv = net.host(s.server().host()).expect("server host");
    outln!("  mnexec -a {} {}/server", srv.ns_pid, bin.display());
    for c in s.clients() {
        if let Some(h) = net.host(c.host()) {
            outln!(
                "  mnexec -a {} {}/client --server {}      # {} ({}), then type a name",
                h.ns_pid,
                bin.display(),
                server.ip,
                c.id(),
                c.host()
            );
        }
    }
    outln!("\nPress Ctrl-C to tear the network down.");
    let _ = std::io::stdout().flush();
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    net.teardown()?;
    outln!("network removed");
    Ok(EXIT_OK)
}

/// Under `up --cli`, nfqueue's delayers: once the driver has written its
/// hosts, a delayer per impaired host, then the CLI is let go.
fn links_for_cli(s: &ValidScenario, hold: &Path, driver: &duct::Handle) -> Result<Applied> {
    #[derive(serde::Deserialize)]
    struct Ready {
        hosts: Vec<ReadyHost>,
    }
    #[derive(serde::Deserialize)]
    struct ReadyHost {
        name: String,
        pid: u32,
        intf: String,
    }
    let ready = hold.join("ready.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready.exists() {
        if driver.try_wait()?.is_some() || std::time::Instant::now() > deadline {
            return Err(anyhow!(
                "the Mininet driver ended before the network was up"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let ready: Ready = serde_json::from_str(&std::fs::read_to_string(&ready)?)?;
    let netns = ready
        .hosts
        .iter()
        .map(|h| Netns::of(h.pid))
        .collect::<std::io::Result<Vec<_>>>()?;
    let ports: Vec<HostPort> = ready
        .hosts
        .iter()
        .zip(&netns)
        .map(|(h, netns)| HostPort {
            name: &h.name,
            netns,
            intf: &h.intf,
        })
        .collect();
    let applied = Applied::start(s.links(), &ports)?.context("links to apply")?;
    applied.begin_run(std::time::Instant::now());
    print_links(s);
    std::fs::write(hold.join("go"), "")?;
    Ok(applied)
}

/// The links as applied, and by what.
fn print_links(s: &ValidScenario) {
    let Some(engine) = s.links().engine else {
        return;
    };
    let by = match engine {
        LinkEngine::Netem => "netem (Mininet's TCLink), on both ends of each link",
        LinkEngine::Nfqueue => {
            "nfqueue: a delayer in this orchestrate per host, for as long as it runs"
        }
    };
    outln!("\nLinks ({by}):");
    for l in s.links().impaired() {
        let rate = l
            .bw_mbit
            .map(|b| format!(", {} Mbit/s", fmt_num(b)))
            .unwrap_or_default();
        outln!("  {:<6} {}{rate}", l.host, l.conditions.describe());
    }
}

fn up_cli(
    s: &ValidScenario,
    topo_path: &Path,
    switch: &str,
    bin: &Path,
    state: &mut StateFile,
) -> Result<i32> {
    let server_ip = {
        let idx = s
            .hosts()
            .iter()
            .position(|h| *h == s.server().host())
            .unwrap_or(0);
        format!("10.0.0.{}", idx + 1)
    };
    outln!("Starting Mininet's CLI; our binaries are on the hosts' PATH. Try:");
    outln!("  mininet> {} server &", s.server().host());
    for c in s.clients() {
        outln!(
            "  mininet> {} client --server {server_ip} --name {}",
            c.host(),
            shell_words::quote(c.name())
        );
    }
    outln!("Type `exit` (or Ctrl-D) to tear the network down.\n");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    state.state.switch = Some(switch.to_string());
    state.save()?;
    // The CLI reads the terminal, so the driver stays in our process group;
    // Ctrl-C reaches Mininet's CLI, which handles it, and our handler only
    // sets a flag. Links of our own (nfqueue) are applied while the driver
    // holds its CLI back (`--hold DIR`), and last as long as it.
    let hold = tempfile::Builder::new().prefix("pa3-up-hold-").tempdir()?;
    let delayed = s.links().engine == Some(LinkEngine::Nfqueue);
    let mut args = vec![
        topo_path.as_os_str(),
        "--switch".as_ref(),
        switch.as_ref(),
        "--cli".as_ref(),
    ];
    if delayed {
        args.extend(["--hold".as_ref(), hold.path().as_os_str()]);
    }
    let driver = duct::cmd(mininet::python(), args)
        .env("PATH", std::env::join_paths(paths)?)
        .unchecked()
        .start()?;
    let _links = if delayed {
        Some(links_for_cli(s, hold.path(), &driver)?)
    } else {
        print_links(s);
        None
    };
    let status = driver.wait()?.status;
    let leftovers = state::delete_links(&state::links_of_switch(switch));
    if !leftovers.is_empty() {
        eprintln!("removed leftover interfaces: {}", leftovers.join(", "));
    }
    outln!("network removed");
    Ok(if status.success() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}
