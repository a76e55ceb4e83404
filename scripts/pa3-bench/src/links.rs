//! The link engines measured: on a Mininet network of three hosts, where
//! h2's link is impaired and h3's is clear, datagrams go from h2 (and,
//! for the baseline, from h3) to h1, each stamped with its departure on
//! the monotonic clock every namespace shares; h1 notes each arrival.
//! - delay accuracy: at 1, 10 and 50 ms, how much later than the delay a
//!   datagram arrived (one-way, p50 and p99; a clear link's own transit
//!   included, which the baseline row shows);
//! - loss accuracy: 10,000 datagrams over a 1 % lossy link, the share
//!   lost against the share configured;
//! - cost per packet: at delay 0, the one-way time through the engine
//!   against the clear link's, and the delayer thread's CPU per packet.
//!
//! Each engine that can run here is measured: nfqueue always, netem where
//! the kernel has it (side by side).

use std::net::UdpSocket;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::stats::{percentile, round3};
use pa3_mininet::orchestrator::link::{Conditions, LinkEngine};
use pa3_mininet::orchestrator::net::mininet::Mininet;
use pa3_mininet::orchestrator::net::Network;
use pa3_mininet::orchestrator::scenario::{self, Capabilities};
use pa3_mininet::orchestrator::state::StateFile;
use pa3_mininet::orchestrator::topology;

/// The delays measured (ms).
pub const DELAYS_MS: [f64; 3] = [1.0, 10.0, 50.0];
/// Datagrams per delay.
const PER_DELAY: usize = 300;
/// Datagrams over the lossy link.
pub const LOSS_PACKETS: usize = 10_000;
pub const LOSS_PCT: f64 = 1.0;

/// One engine's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineFigures {
    pub engine: LinkEngine,
    /// Per delay: (delay, one-way minus delay at p50, at p99), ms.
    pub delay_error_ms: Vec<(f64, f64, f64)>,
    /// The clear link's one-way time (p50, p99), ms: what any datagram
    /// takes without an engine.
    pub clear_one_way_ms: (f64, f64),
    pub loss_sent: usize,
    pub loss_received: usize,
    /// Lost, in percent, against [`LOSS_PCT`] configured.
    pub loss_measured_pct: f64,
    /// At delay 0: the one-way time through the engine minus the clear
    /// link's (p50), ms.
    pub added_per_packet_ms: f64,
    /// The delayer thread's CPU time per packet, µs (nfqueue only).
    pub cpu_per_packet_us: Option<f64>,
}

/// The links section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkBench {
    pub engines: Vec<EngineFigures>,
}

const SCENARIO: &str = "name: bench-links\nlinks:\n  h2: { delay_ms: 1 }\nclients:\n  - { id: a, host: h2, name: A }\n  - { id: b, host: h3, name: B }\nsteps: [ {connect: a}, {connect: b}, {send: a}, {send: b} ]\n";

/// Measures every engine that can run here.
pub fn measure(interrupted: &AtomicBool, say: &dyn Fn(&str)) -> Result<LinkBench> {
    let here = pa3_mininet::orchestrator::net::shaping::capabilities();
    let mut engines = Vec::new();
    for (engine, available) in [
        (LinkEngine::Nfqueue, here.nfqueue),
        (LinkEngine::Netem, here.netem),
    ] {
        if !available {
            continue;
        }
        say(&format!("links: {} engine", engine.name()));
        engines.push(measure_engine(engine, here, interrupted)?);
    }
    Ok(LinkBench { engines })
}

fn measure_engine(
    engine: LinkEngine,
    here: Capabilities,
    interrupted: &AtomicBool,
) -> Result<EngineFigures> {
    let choice = match engine {
        LinkEngine::Netem => pa3_mininet::orchestrator::link::EngineChoice::Netem,
        LinkEngine::Nfqueue => pa3_mininet::orchestrator::link::EngineChoice::Nfqueue,
    };
    let s = scenario::parse(
        std::path::Path::new("bench-links.yaml"),
        SCENARIO.as_bytes(),
        here.with_engine(choice),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = tempfile::Builder::new()
        .prefix("pa3-bench-links-")
        .tempdir()?;
    let topo = dir.path().join("topo.py");
    std::fs::write(&topo, topology::python(&s))?;
    let mut state = StateFile::create("bench-links")?;
    let switch = format!("s{}l", std::process::id());
    let mut net = Mininet::start(&topo, &switch, &mut state, interrupted)?;
    net.apply_links(s.links())?;
    net.begin_links(Instant::now())?;
    let result = figures(engine, &net);
    net.teardown()?;
    state.release();
    result
}

fn figures(engine: LinkEngine, net: &Mininet) -> Result<EngineFigures> {
    let set = |delay_ms: f64, loss_pct: f64| {
        let c = Conditions {
            delay_ms,
            jitter_ms: 0.0,
            loss_pct,
        };
        net.set_link("h2", c, 0.0)
    };
    let mut delay_error_ms = Vec::new();
    for delay in DELAYS_MS {
        set(delay, 0.0)?;
        let one_way = datagrams(net, "h2", PER_DELAY, Duration::from_millis(2))?;
        let errors: Vec<f64> = one_way.iter().map(|ms| ms - delay).collect();
        delay_error_ms.push((
            delay,
            round3(percentile(&errors, 50.0)),
            round3(percentile(&errors, 99.0)),
        ));
    }
    let clear = datagrams(net, "h3", PER_DELAY, Duration::from_millis(1))?;
    set(0.0, 0.0)?;
    let cpu_before = net.applied().and_then(|a| a.cpu_ns("h2"));
    let through = datagrams(net, "h2", LOSS_PACKETS, Duration::from_micros(100))?;
    let cpu_after = net.applied().and_then(|a| a.cpu_ns("h2"));
    set(0.0, LOSS_PCT)?;
    let lossy = datagrams(net, "h2", LOSS_PACKETS, Duration::from_micros(100))?;
    let cpu_per_packet_us = match (cpu_before, cpu_after) {
        (Some(b), Some(a)) => Some(round3((a - b) as f64 / 1e3 / LOSS_PACKETS as f64)),
        _ => None,
    };
    Ok(EngineFigures {
        engine,
        delay_error_ms,
        clear_one_way_ms: (
            round3(percentile(&clear, 50.0)),
            round3(percentile(&clear, 99.0)),
        ),
        loss_sent: LOSS_PACKETS,
        loss_received: lossy.len(),
        loss_measured_pct: round3(
            (LOSS_PACKETS - lossy.len()) as f64 * 100.0 / LOSS_PACKETS as f64,
        ),
        added_per_packet_ms: round3(percentile(&through, 50.0) - percentile(&clear, 50.0)),
        cpu_per_packet_us,
    })
}

/// Sends `n` datagrams from `from` to h1, `gap` apart; the one-way time
/// (ms) of each that arrived.
fn datagrams(net: &Mininet, from: &str, n: usize, gap: Duration) -> Result<Vec<f64>> {
    let in_ns = |host: &str, addr: &str| -> Result<UdpSocket> {
        let ns = net
            .netns(host)
            .map_err(anyhow::Error::msg)?
            .context("a Mininet host")?;
        Ok(ns.enter(|| UdpSocket::bind(addr))??)
    };
    let h1 = net.host("h1").context("h1")?.ip;
    let rx = in_ns("h1", &format!("{h1}:0"))?;
    let to = rx.local_addr()?;
    let tx = in_ns(from, "0.0.0.0:0")?;
    rx.set_read_timeout(Some(Duration::from_millis(500)))?;
    let epoch = Instant::now();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 16];
        while let Ok(8) = rx.recv(&mut buf) {
            let sent = u64::from_ne_bytes(buf[..8].try_into().expect("8 bytes"));
            got.push((epoch.elapsed().as_nanos() as u64).saturating_sub(sent) as f64 / 1e6);
        }
        got
    });
    for _ in 0..n {
        let sent = epoch.elapsed().as_nanos() as u64;
        tx.send_to(&sent.to_ne_bytes(), to)?;
        std::thread::sleep(gap);
    }
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the receiver panicked"))
}
