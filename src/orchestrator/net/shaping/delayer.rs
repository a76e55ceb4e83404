//! A delayer: the thread of `orchestrate` that holds one host's packets.
//! It binds the NFQUEUE of the host's namespace ([`super::nfqueue`]),
//! admits each packet the rules send it into a [`Schedule`] (drop, or hold
//! until `delay ± jitter`), and lets each go at its release time; it
//! sleeps in `ppoll` until the next release or the next packet, with a
//! timer slack of a microsecond.
//!
//! It lives as long as the network (a thread dies with its process, so a
//! killed `orchestrate` leaves no delayer; its queue and rules go with the
//! host's namespace). A run sets its conditions ([`Delayer::begin_run`],
//! [`Delayer::set`] for a `link:` step) and reads what the packets
//! experienced ([`Delayer::measured`]). A delayer that fails says why
//! ([`Delayer::failure`]): the runner fails the run with it.

use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::time::TimeSpec;
use os_pipe::{PipeReader, PipeWriter};

use super::nfqueue::{Packet, Queue, Verdict};
use super::rules;
use super::schedule::{Admitted, Nanos, Schedule};
use crate::orchestrator::link::measure::{Measured, Tally};
use crate::orchestrator::link::Conditions;
use crate::orchestrator::sys::Netns;

/// The queue number in every host's namespace (queues are per namespace).
pub const QUEUE: u16 = 0;
/// Packets the kernel keeps for the delayer, held ones included: 10 000
/// packets of a 10 ms link at line rate would not fill it.
const MAX_QUEUED: u32 = 65_536;
/// How long the delayer sleeps with nothing held (it wakes for packets
/// and for its stop at once; this only bounds a missed wake-up).
const IDLE: Duration = Duration::from_millis(500);
/// The real-time priority (SCHED_FIFO) of a delayer thread: above every
/// ordinary thread, so that a loaded machine does not make its releases
/// late; it sleeps in `ppoll` between packets and does microseconds of
/// work for each.
const RT_PRIORITY: &str = "10";
/// Fault injection for the tests: the delayer fails after this many packets.
/// Read only in builds with the `fault-injection` feature (what `cargo
/// test` builds); the product never reads it.
pub const INJECT_DEATH_VAR: &str = "PA3_INJECT_DELAYER_DEATH_AFTER";

/// After how many packets the delayer is to fail ([`INJECT_DEATH_VAR`]).
#[cfg(feature = "fault-injection")]
fn injected_death() -> Option<u64> {
    std::env::var(INJECT_DEATH_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
}

#[cfg(not(feature = "fault-injection"))]
fn injected_death() -> Option<u64> {
    None
}

/// Why a delayer's thread stopped serving its queue (the source: the
/// kernel's error).
#[derive(Debug, thiserror::Error)]
pub enum DelayerError {
    #[error("waiting for packets")]
    Wait(#[source] nix::errno::Errno),
    #[error("reading the queue")]
    Read(#[source] io::Error),
    #[error("releasing a packet")]
    Release(#[source] io::Error),
    #[error("dropping a packet")]
    Drop(#[source] io::Error),
    /// [`INJECT_DEATH_VAR`] said so (the tests' fault injection).
    #[error("{INJECT_DEATH_VAR} stopped it after {packets} packets")]
    Injected { packets: u64 },
}

/// Why an impaired link is no longer the one the scenario asked for: its
/// delayer stopped. The run fails with it. Cloned for every look at the
/// network's health, so the cause is shared.
#[derive(Clone, Debug, thiserror::Error)]
pub enum LinkFailure {
    #[error("the link delayer of {host} failed")]
    Failed {
        host: String,
        #[source]
        source: Arc<DelayerError>,
    },
    /// The thread ended without saying why (it panicked).
    #[error("the link delayer of {host} ended")]
    Ended { host: String },
}

/// A packet held: its queue id, which stretch of which run it counts in,
/// and when it arrived.
struct Held {
    id: u32,
    run: u64,
    stretch: usize,
}

/// What a run has measured so far, by stretch.
#[derive(Default)]
struct Tallies {
    /// Which run these are (packets held across runs count in none).
    run: u64,
    /// When the run started: a stretch's `since_ms` counts from here.
    t0: Option<Instant>,
    stretches: Vec<Tally>,
}

struct Shared {
    /// New conditions, taken by the thread before its next packet.
    pending: Mutex<Option<Conditions>>,
    changed: AtomicBool,
    tallies: Mutex<Tallies>,
    failure: Mutex<Option<Arc<DelayerError>>>,
}

/// One host's delayer.
pub struct Delayer {
    pub host: String,
    /// Whether the thread runs at real-time priority (else at normal
    /// priority: `chrt` missing or refused).
    pub realtime: bool,
    /// The thread's id, for its CPU time.
    tid: Option<i32>,
    shared: Arc<Shared>,
    stop: Option<PipeWriter>,
    thread: Option<JoinHandle<()>>,
}

impl Delayer {
    /// Binds the queue of namespace `netns`, installs the rules for its
    /// link `intf`, and starts the thread under `conditions`.
    pub fn start(
        host: &str,
        netns: &Netns,
        intf: &str,
        conditions: Conditions,
        seed: u64,
    ) -> Result<Delayer> {
        let queue = netns
            .enter(|| Queue::open(QUEUE, MAX_QUEUED))
            .context("cannot enter the host's network namespace")?
            .with_context(|| format!("cannot bind the NFQUEUE of {host}'s namespace"))?;
        rules::install(netns, intf, QUEUE)?;
        let shared = Arc::new(Shared {
            pending: Mutex::new(None),
            changed: AtomicBool::new(false),
            tallies: Mutex::new(Tallies {
                stretches: vec![Tally::new(0.0, conditions)],
                ..Tallies::default()
            }),
            failure: Mutex::new(None),
        });
        let (stop_r, stop_w) = os_pipe::pipe()?;
        let die_after = injected_death();
        let thread_shared = Arc::clone(&shared);
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("delayer-{host}"))
            .spawn(move || {
                let _ = nix::sys::prctl::set_timerslack(1_000);
                let _ = tid_tx.send(nix::unistd::gettid().as_raw());
                let mut serving = Serving {
                    queue,
                    schedule: Schedule::new(conditions, seed),
                    shared: Arc::clone(&thread_shared),
                    clock: Instant::now(),
                    admitted: 0,
                    die_after,
                };
                if let Err(e) = serving.serve(&stop_r) {
                    *thread_shared.failure.lock().expect("failure") = Some(Arc::new(e));
                }
            })?;
        let tid = tid_rx.recv_timeout(Duration::from_secs(1)).ok();
        let realtime = tid.is_some_and(realtime_priority);
        Ok(Delayer {
            host: host.to_string(),
            realtime,
            tid,
            shared,
            stop: Some(stop_w),
            thread: Some(thread),
        })
    }

    /// A run starts at `t0` under `conditions`: what was measured before
    /// is forgotten.
    pub fn begin_run(&self, conditions: Conditions, t0: Instant) {
        let mut tallies = self.shared.tallies.lock().expect("tallies");
        tallies.run += 1;
        tallies.t0 = Some(t0);
        tallies.stretches = vec![Tally::new(0.0, conditions)];
        drop(tallies);
        self.apply(conditions);
    }

    /// New conditions from now on (a `link:` step).
    pub fn set(&self, conditions: Conditions) {
        let mut tallies = self.shared.tallies.lock().expect("tallies");
        let since = tallies
            .t0
            .map_or(0.0, |t0| t0.elapsed().as_secs_f64() * 1e3);
        tallies.stretches.push(Tally::new(since, conditions));
        drop(tallies);
        self.apply(conditions);
    }

    fn apply(&self, conditions: Conditions) {
        *self.shared.pending.lock().expect("pending") = Some(conditions);
        self.shared.changed.store(true, Ordering::SeqCst);
    }

    /// What the run's packets experienced, stretch by stretch.
    pub fn measured(&self) -> Vec<Measured> {
        let tallies = self.shared.tallies.lock().expect("tallies");
        tallies.stretches.iter().map(Tally::measured).collect()
    }

    /// The CPU time the thread has used so far, in ns (its schedstat).
    pub fn cpu_ns(&self) -> Option<u64> {
        let tid = self.tid?;
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    /// Why the delayer stopped, if it stopped on its own.
    pub fn failure(&self) -> Option<LinkFailure> {
        let host = self.host.clone();
        if let Some(source) = self.shared.failure.lock().expect("failure").clone() {
            return Some(LinkFailure::Failed { host, source });
        }
        match &self.thread {
            Some(t) if t.is_finished() => Some(LinkFailure::Ended { host }),
            _ => None,
        }
    }

    /// Stops the thread (it lets what it holds go first).
    pub fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Delayer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Puts thread `tid` of this process at real-time priority, with the
/// standard tool (no unsafe call of ours): true when it could.
fn realtime_priority(tid: i32) -> bool {
    let Some(chrt) = crate::orchestrator::sys::find_program("chrt") else {
        return false;
    };
    std::process::Command::new(chrt)
        .args(["--fifo", "-p", RT_PRIORITY, &tid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The thread's side.
struct Serving {
    queue: Queue,
    schedule: Schedule<Held>,
    shared: Arc<Shared>,
    /// The schedule's clock: nanoseconds since the thread started.
    clock: Instant,
    admitted: u64,
    die_after: Option<u64>,
}

impl Serving {
    fn now(&self) -> Nanos {
        self.clock.elapsed().as_nanos() as Nanos
    }

    /// Releases and admits until `stop` closes; then lets every held
    /// packet go.
    fn serve(&mut self, stop: &PipeReader) -> Result<(), DelayerError> {
        let mut arrivals = Vec::new();
        let result = 'serving: loop {
            if let Err(e) = self.release_due() {
                break Err(e);
            }
            let wait = match self.schedule.next_release() {
                Some(at) => Duration::from_nanos(at.saturating_sub(self.now())),
                None => IDLE,
            };
            let mut fds = [
                PollFd::new(self.queue.as_fd(), PollFlags::POLLIN),
                PollFd::new(stop.as_fd(), PollFlags::POLLIN),
            ];
            match ppoll(&mut fds, Some(TimeSpec::from_duration(wait)), None) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => break Err(DelayerError::Wait(e)),
            }
            if fds[1].any().unwrap_or(true) {
                break Ok(());
            }
            if !fds[0].any().unwrap_or(false) {
                continue;
            }
            arrivals.clear();
            if let Err(e) = self.queue.take(&mut arrivals) {
                break Err(DelayerError::Read(e));
            }
            for packet in &arrivals {
                if let Err(e) = self.admit(packet) {
                    break 'serving Err(e);
                }
            }
        };
        for held in self.schedule.drain() {
            let _ = self.queue.verdict(held.id, Verdict::Accept);
        }
        result
    }

    /// Lets every packet whose time has come go.
    fn release_due(&mut self) -> Result<(), DelayerError> {
        while let Some(due) = self.schedule.pop_due(self.now()) {
            let out = self.now();
            match self.queue.verdict(due.packet.id, Verdict::Accept) {
                Ok(()) => {}
                // The kernel let it go already (its interface went away).
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
                Err(e) => return Err(DelayerError::Release(e)),
            }
            let mut tallies = self.shared.tallies.lock().expect("tallies");
            if tallies.run == due.packet.run {
                if let Some(t) = tallies.stretches.get_mut(due.packet.stretch) {
                    let ms = |n: Nanos| n as f64 / 1e6;
                    t.released(ms(out - due.arrived), ms(out.saturating_sub(due.release)));
                }
            }
        }
        Ok(())
    }

    /// A packet arrives: dropped at once, or held.
    fn admit(&mut self, packet: &Packet) -> Result<(), DelayerError> {
        if self.shared.changed.swap(false, Ordering::SeqCst) {
            if let Some(c) = self.shared.pending.lock().expect("pending").take() {
                self.schedule.set(c);
            }
        }
        self.admitted += 1;
        if self.die_after.is_some_and(|n| self.admitted > n) {
            return Err(DelayerError::Injected {
                packets: self.admitted - 1,
            });
        }
        let arrived = self.arrival(packet);
        let (run, stretch) = {
            let tallies = self.shared.tallies.lock().expect("tallies");
            (tallies.run, tallies.stretches.len().saturating_sub(1))
        };
        let held = Held {
            id: packet.id,
            run,
            stretch,
        };
        if let Admitted::Dropped(held) = self.schedule.admit(arrived, held) {
            self.queue
                .verdict(held.id, Verdict::Drop)
                .map_err(DelayerError::Drop)?;
            let mut tallies = self.shared.tallies.lock().expect("tallies");
            if let Some(t) = tallies.stretches.get_mut(stretch) {
                t.dropped();
            }
        }
        Ok(())
    }

    /// When the packet reached the queue: now, less how long ago the
    /// kernel stamped it when it did (an incoming packet, while some
    /// socket asks for receive stamps), so that the time it waited to be
    /// read counts in its hold.
    fn arrival(&self, packet: &Packet) -> Nanos {
        let now = self.now();
        let age = packet
            .stamp
            .and_then(|s| SystemTime::now().duration_since(s).ok())
            .filter(|age| *age < Duration::from_millis(100));
        now.saturating_sub(age.map_or(0, |a| a.as_nanos() as Nanos))
    }
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::process::Command;

    use super::*;

    /// Two network namespaces joined by a veth (10.99.0.1 ↔ 10.99.0.2),
    /// named after this process; removed however the test ends.
    struct Pair {
        names: [String; 2],
        /// A process in each, whose namespace a thread can join.
        holders: Vec<std::process::Child>,
    }

    impl Pair {
        /// `tag`: one letter per test, so that tests run at once differ.
        fn new(tag: char) -> Pair {
            let id = format!("{}{tag}", std::process::id());
            let names = [format!("pa3lk{id}a"), format!("pa3lk{id}b")];
            let mut pair = Pair {
                names: names.clone(),
                holders: Vec::new(),
            };
            let ip = |args: &str| {
                let ok = Command::new("ip")
                    .args(args.split_whitespace())
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "ip {args}");
            };
            let [a, b] = &names;
            ip(&format!("netns add {a}"));
            ip(&format!("netns add {b}"));
            ip(&format!(
                "link add lka{id} netns {a} type veth peer lkb{id} netns {b}"
            ));
            ip(&format!("-n {a} addr add 10.99.0.1/24 dev lka{id}"));
            ip(&format!("-n {b} addr add 10.99.0.2/24 dev lkb{id}"));
            ip(&format!("-n {a} link set lka{id} up"));
            ip(&format!("-n {b} link set lkb{id} up"));
            for n in &names {
                let holder = Command::new("ip")
                    .args(["netns", "exec", n, "sleep", "600"])
                    .spawn()
                    .unwrap();
                pair.holders.push(holder);
            }
            std::thread::sleep(Duration::from_millis(100));
            pair
        }

        fn netns(&self, i: usize) -> Netns {
            Netns::of(self.holders[i].id()).unwrap()
        }
    }

    impl Drop for Pair {
        fn drop(&mut self) {
            for h in &mut self.holders {
                let _ = h.kill();
                let _ = h.wait();
            }
            for n in &self.names {
                let _ = Command::new("ip").args(["netns", "del", n]).status();
            }
        }
    }

    /// Waits for this test's turn to run alone, and holds it until
    /// dropped: the lock (flock) of `TIMING_LOCK` in tests/e2e/support.rs,
    /// the same file, which the end-to-end tests that rest on timing take
    /// (nextest's group `timing` lists this test too). A hold measured to
    /// the millisecond is what a loaded machine upsets.
    fn timing_bound() -> std::fs::File {
        let path = std::env::temp_dir().join("pa3-mininet-timing.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .or_else(|_| std::fs::File::open(&path))
            .unwrap();
        file.lock().unwrap();
        file
    }

    /// Sends `n` datagrams from b to a, `gap` apart, each stamped with its
    /// departure; returns each received one's one-way delay (ms).
    fn one_way(pair: &Pair, n: usize, gap: Duration) -> Vec<f64> {
        let rx = pair
            .netns(0)
            .enter(|| UdpSocket::bind("10.99.0.1:9999"))
            .unwrap()
            .unwrap();
        let tx = pair
            .netns(1)
            .enter(|| UdpSocket::bind("10.99.0.2:0"))
            .unwrap()
            .unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let epoch = Instant::now();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 16];
            while let Ok(len) = rx.recv(&mut buf) {
                let sent = u64::from_ne_bytes(buf[..8].try_into().unwrap());
                let now = epoch.elapsed().as_nanos() as u64;
                assert_eq!(len, 8);
                got.push((now - sent) as f64 / 1e6);
            }
            got
        });
        for _ in 0..n {
            let sent = epoch.elapsed().as_nanos() as u64;
            tx.send_to(&sent.to_ne_bytes(), "10.99.0.1:9999").unwrap();
            std::thread::sleep(gap);
        }
        reader.join().unwrap()
    }

    #[test]
    fn a_failed_delayer_is_said_with_its_host_and_cause() {
        let failed = LinkFailure::Failed {
            host: "h2".into(),
            source: Arc::new(DelayerError::Injected { packets: 3 }),
        };
        // The text docs/links.md and the e2e test quote.
        assert_eq!(
            format!("{:#}", anyhow::Error::new(failed.clone())),
            format!("the link delayer of h2 failed: {INJECT_DEATH_VAR} stopped it after 3 packets")
        );
        let lost = std::io::Error::from_raw_os_error(libc::ENOBUFS);
        let read = LinkFailure::Failed {
            host: "h3".into(),
            source: Arc::new(DelayerError::Read(lost)),
        };
        let chain: Vec<String> = anyhow::Chain::new(&read).map(|e| e.to_string()).collect();
        assert_eq!(
            chain[..2],
            ["the link delayer of h3 failed", "reading the queue"]
        );
        assert!(chain[2].contains("No buffer space"), "{chain:?}");
        let ended = LinkFailure::Ended { host: "h2".into() };
        assert_eq!(ended.to_string(), "the link delayer of h2 ended");
        assert!(std::error::Error::source(&ended).is_none());
    }

    #[test]
    #[ignore = "needs root (network namespaces, iptables)"]
    fn a_delayed_link_holds_every_packet_its_delay_and_measures_it() {
        let _timing = timing_bound();
        let pair = Pair::new('d');
        let id = format!("{}d", std::process::id());
        let c = Conditions {
            delay_ms: 20.0,
            jitter_ms: 0.0,
            loss_pct: 0.0,
        };
        let mut d = Delayer::start("a", &pair.netns(0), &format!("lka{id}"), c, 1).unwrap();
        d.begin_run(c, Instant::now());
        let delays = one_way(&pair, 50, Duration::from_millis(2));
        assert_eq!(delays.len(), 50);
        let spread = crate::orchestrator::link::measure::Spread::of(&delays).unwrap();
        assert!(spread.p50 >= 20.0 && spread.p50 < 21.0, "{spread:?}");
        let m = d.measured();
        assert_eq!(m[0].packets, 50, "{m:?}");
        assert!(m[0].hold_ms.unwrap().p50 >= 20.0);
        assert!(d.failure().is_none());
        assert_eq!(rules::count(&pair.netns(0)).unwrap(), 2);
        d.stop();
        assert!(d.failure().is_none());
        // Fail-closed: with no delayer bound, nothing gets through.
        assert!(one_way(&pair, 5, Duration::from_millis(1)).is_empty());
    }

    #[test]
    #[ignore = "needs root (network namespaces, iptables)"]
    fn loss_drops_its_share_and_a_step_changes_later_packets() {
        let pair = Pair::new('l');
        let id = format!("{}l", std::process::id());
        let lossy = Conditions {
            delay_ms: 0.0,
            jitter_ms: 0.0,
            loss_pct: 10.0,
        };
        let d = Delayer::start("a", &pair.netns(0), &format!("lka{id}"), lossy, 5).unwrap();
        d.begin_run(lossy, Instant::now());
        let got = one_way(&pair, 2000, Duration::from_micros(50));
        let m = d.measured();
        assert_eq!(m[0].packets, 2000);
        assert_eq!(m[0].dropped as usize, 2000 - got.len());
        assert!((140..260).contains(&m[0].dropped), "{m:?}");
        d.set(Conditions {
            delay_ms: 5.0,
            ..Conditions::default()
        });
        let got = one_way(&pair, 20, Duration::from_millis(1));
        assert_eq!(got.len(), 20);
        assert!(got.iter().all(|ms| *ms >= 5.0), "{got:?}");
        assert_eq!(d.measured().len(), 2);
    }
}
