//! Stopping a run's programs, and whatever they left behind: every program
//! still running gets SIGTERM → [`KILL_GRACE`] → SIGKILL with its whole
//! process group; a program that ended but left processes in its group, or
//! a grandchild that escaped its group yet still holds its output pipe, is
//! found, killed, and recorded against the program as
//! [`EventKind::LeftBehind`] (which fails its exit check).

use std::time::{Duration, Instant};

use super::process::ProcIdx;
use super::{Deadlocks, Look, Runner, KILL_GRACE};
use crate::orchestrator::event::{Event, EventKind};
use crate::orchestrator::sys::{self, ProcId, Signal};

impl Runner<'_> {
    /// Stops every program still running and collects the rest of their
    /// output.
    pub(super) fn stop_all(&mut self) {
        self.close_stdins();
        let stopped = self.stop_running();
        self.reap_group_leftovers(&stopped);
        let _ = self.wait_raw(
            Duration::from_secs(3),
            None,
            Deadlocks::Ignore,
            Look::OnEvents,
            &mut |r| Ok(r.all_exited()),
        );
        self.wait_groups_gone(Duration::from_secs(2));
        // The rest of the output, up to a bound.
        self.wait_output_closed(Duration::from_millis(500));
        self.reap_pipe_holders();
        self.wait_output_closed(Duration::from_millis(500));
    }

    /// Stops the programs still running, all at once (each group gets its
    /// own grace period in parallel); returns their indexes.
    fn stop_running(&mut self) -> Vec<ProcIdx> {
        let mut stopped = Vec::new();
        for (i, p) in self.procs.iter_mut().enumerate() {
            if p.running {
                // Marks the coming exit as ours (see `handle`).
                p.stopped_by_us = true;
                stopped.push(ProcIdx(i));
            }
        }
        let threads: Vec<_> = stopped
            .iter()
            .filter_map(|&i| self.procs[i].group)
            .map(|g| {
                let mark = self.mark.clone();
                std::thread::spawn(move || sys::stop_group(g, &mark, KILL_GRACE))
            })
            .collect();
        for t in threads {
            let _ = t.join();
        }
        stopped
    }

    /// A program that ended on its own but left processes running in its
    /// group (a forked grandchild): the whole group goes, and the program's
    /// record says so. (The groups just stopped went whole.)
    fn reap_group_leftovers(&mut self, stopped: &[ProcIdx]) {
        for i in 0..self.procs.len() {
            let Some(group) = self.procs[i].group else {
                continue;
            };
            if stopped.contains(&ProcIdx(i)) {
                if !sys::group_members(group, &self.mark).is_empty() {
                    sys::signal_members(group, &self.mark, Signal::SIGKILL);
                }
                continue;
            }
            let mut left = live_members(group, &self.mark);
            let settle = Instant::now() + Duration::from_millis(100);
            while !left.is_empty() && Instant::now() < settle {
                std::thread::sleep(Duration::from_millis(5));
                self.work.wakeups += 1;
                left = live_members(group, &self.mark);
            }
            if left.is_empty() {
                continue;
            }
            let who: Vec<String> = left.iter().map(|&p| describe_pid(p)).collect();
            sys::signal_members(group, &self.mark, Signal::SIGKILL);
            self.left_behind(
                ProcIdx(i),
                format!(
                    "{} still running in its process group after it ended ({}); killed with SIGKILL",
                    count(left.len(), "process", "processes"),
                    who.join(", ")
                ),
            );
        }
    }

    /// An output pipe still open now is held by a process outside the
    /// program's group (a grandchild that called setsid()): find it by the
    /// pipe it holds, kill it, and say so. A process that escaped and
    /// closed the pipes cannot be found this way.
    fn reap_pipe_holders(&mut self) {
        for i in 0..self.procs.len() {
            if self.procs[i].streams_open == 0 {
                continue;
            }
            let holders = sys::pipe_holders(&self.procs[i].pipes);
            if holders.is_empty() {
                continue;
            }
            let who: Vec<String> = holders.iter().map(|&p| describe_pid(p)).collect();
            for &pid in &holders {
                // Only its descendants can hold this program's own pipe.
                sys::kill(pid, Signal::SIGKILL);
            }
            self.left_behind(
                ProcIdx(i),
                format!(
                    "{} outside its process group (it left with setsid or the like) still holding its output after it ended ({}); killed with SIGKILL",
                    count(holders.len(), "process", "processes"),
                    who.join(", ")
                ),
            );
        }
    }

    fn wait_output_closed(&mut self, bound: Duration) {
        let _ = self.wait_raw(bound, None, Deadlocks::Ignore, Look::OnEvents, &mut |r| {
            Ok(r.procs.iter().all(|p| p.streams_open == 0))
        });
    }

    /// Waits until nothing is left of the programs' process groups, not
    /// even a zombie not yet reaped (the state file's last-resort cleanup
    /// would otherwise count it as a leftover).
    fn wait_groups_gone(&mut self, bound: Duration) {
        let groups: Vec<ProcId> = self.procs.iter().filter_map(|p| p.group).collect();
        let until = Instant::now() + bound;
        while groups
            .iter()
            .any(|g| !sys::group_members(*g, &self.mark).is_empty())
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(5));
            self.work.wakeups += 1;
        }
    }

    /// Records, against program `idx`, processes it left running.
    fn left_behind(&mut self, idx: ProcIdx, what: String) {
        let p = &self.procs[idx];
        let event = Event::new(
            self.now_ms(),
            p.info.id.clone(),
            EventKind::LeftBehind { what },
        );
        let label = p.info.label();
        self.record(label, event);
    }
}

/// Live (not zombie) processes of the group `g`.
fn live_members(g: ProcId, mark: &str) -> Vec<u32> {
    sys::group_members(g, mark)
        .into_iter()
        .filter(|&pid| ProcId::of(pid).is_some_and(|p| p.alive()))
        .collect()
}

/// `pid 123 `python3 server.py`` for a report.
fn describe_pid(pid: u32) -> String {
    let mut cmd: String = sys::command_line(pid).chars().take(120).collect();
    if cmd.is_empty() {
        cmd = "?".into();
    }
    format!("pid {pid} `{cmd}`")
}

/// `1 process`, `2 processes`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
