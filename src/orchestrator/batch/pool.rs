//! `--jobs N`: N workers take items from one queue, each on a session (a
//! network) of its own that it reuses from run to run. Results come back to
//! the calling thread as runs end, which prints them whole — a run's live
//! output is never interleaved with another's — and may stop the batch
//! (`--fail-fast`): a worker waits for that answer before it takes its next
//! item, so that no run starts after the one that stopped the batch. A
//! worker that panics stops the others from taking new items; its session
//! is torn down as the panic unwinds.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;

use anyhow::Result;

use super::execute::{run_item, Finished, RunContext};
use super::plan::Item;
use super::session::{Closed, Session};
use crate::orchestrator::console::Term;

/// How runs show their live output.
#[derive(Clone, Copy, Debug)]
pub enum Live {
    /// Printed as it comes (a run of its own).
    Print { quiet: bool, verbose: bool },
    /// Kept and handed back with the run's result (`verbose`: steps and
    /// commands too); nothing is kept when `keep` is false.
    Keep {
        keep: bool,
        verbose: bool,
        color: bool,
    },
}

/// One run, as it comes back from its worker.
pub struct Done {
    /// The item's position in the list given to [`run`].
    pub position: usize,
    pub result: Result<Finished>,
    /// Its live output, when kept.
    pub output: Vec<String>,
}

/// What the caller wants after a run came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Go,
    /// Take no new item (`--fail-fast`); runs under way finish.
    Stop,
    /// Run the same item again, on the same worker, before any other.
    Again,
}

/// Runs `items` on `jobs` workers; calls `done` for each run as it ends.
/// Returns what closing each worker's network found.
pub fn run(
    items: &[Item],
    ctx: &RunContext,
    jobs: usize,
    live: Live,
    done: &mut dyn FnMut(Done) -> Next,
) -> Result<Vec<Closed>> {
    let queue = Mutex::new(dispatch_order(items, jobs));
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(Done, mpsc::SyncSender<Next>)>();
    let jobs = jobs.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|slot| {
                let tx = tx.clone();
                let (queue, stop) = (&queue, &stop);
                scope.spawn(move || {
                    let work = || worker(slot, items, ctx, live, queue, stop, &tx);
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
                        Ok(result) => result,
                        Err(panic) => {
                            stop.store(true, Ordering::SeqCst);
                            std::panic::resume_unwind(panic)
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        for (d, answer) in rx {
            let failed = d.result.is_err();
            let next = done(d);
            if next == Next::Stop || failed {
                stop.store(true, Ordering::SeqCst);
            }
            let _ = answer.send(next);
        }
        let mut closed = Vec::new();
        for w in workers {
            match w.join() {
                Ok(c) => closed.push(c?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(closed)
    })
}

/// The order the workers take the items in. One worker takes them as
/// planned. Several take the longest first — by the scenario's scripted
/// sleeps, what a run surely lasts; ties in plan order — so that a long
/// run does not start last while the other workers idle (`experiments/`
/// × 3 on 2 workers: the shape allows 1.74× in plan order, 1.95× so).
fn dispatch_order(items: &[Item], jobs: usize) -> VecDeque<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    if jobs > 1 {
        order.sort_by_key(|&i| std::cmp::Reverse(items[i].scenario.scripted()));
    }
    order.into()
}

/// One worker: opens its session, runs items until the queue is empty or
/// the batch stops, then closes the session.
fn worker(
    slot: usize,
    items: &[Item],
    ctx: &RunContext,
    live: Live,
    queue: &Mutex<VecDeque<usize>>,
    stop: &AtomicBool,
    tx: &mpsc::Sender<(Done, mpsc::SyncSender<Next>)>,
) -> Result<Closed> {
    let tag = match (ctx.alone, items.first()) {
        (true, Some(item)) => item.scenario.slug().to_string(),
        _ => format!("job{slot}"),
    };
    let mut session = Session::open(ctx.backend, slot, &tag)?.isolating(ctx.isolate_local);
    let term = match live {
        Live::Print { quiet, verbose } => Term::new(quiet, verbose),
        Live::Keep { verbose, color, .. } => Term::keeping(verbose, color),
    };
    let mut again = None;
    loop {
        if stop.load(Ordering::SeqCst) || ctx.interrupted.load(Ordering::SeqCst) {
            break;
        }
        let next = again
            .take()
            .or_else(|| queue.lock().expect("queue").pop_front());
        let Some(position) = next else {
            break;
        };
        let result = run_item(&items[position], &mut session, ctx, &term);
        let output = match live {
            Live::Keep { keep: true, .. } => term.take(),
            _ => {
                term.take();
                Vec::new()
            }
        };
        let done = Done {
            position,
            result,
            output,
        };
        // The answer comes once the caller has taken the run in, and with
        // it whether to go on: only then is the queue looked at again.
        let (answer, answered) = mpsc::sync_channel(1);
        if tx.send((done, answer)).is_err() {
            break;
        }
        match answered.recv() {
            Ok(Next::Go) => {}
            Ok(Next::Again) => again = Some(position),
            Ok(Next::Stop) | Err(_) => break,
        }
    }
    // Every run it took in is written before the job says it is done.
    session.flush_writes()?;
    Ok(session.close())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::orchestrator::scenario::{self, Capabilities};

    /// An item of a scenario that sleeps `ms` between its two sends.
    fn item(index: usize, ms: u32) -> Item {
        let text = format!(
            "name: s{index}\n\
             topology: {{ hosts: [h1, h2, h3], switch: s1 }}\n\
             server: {{ host: h1, port: 12000 }}\n\
             clients: [{{id: a, host: h2, name: Alice}}, {{id: b, host: h3, name: Bob}}]\n\
             steps: [connect: a, connect: b, send: a, sleep_ms: {ms}, send: b]\n"
        );
        let caps = Capabilities::assume(false, true);
        let s = scenario::parse(Path::new("s.yaml"), text.as_bytes(), caps).unwrap();
        Item::of(index, Arc::new(s), 1, 1)
    }

    #[test]
    fn several_workers_take_the_longest_runs_first_ties_in_plan_order() {
        let items: Vec<Item> = [10, 4000, 10, 300, 4000]
            .iter()
            .enumerate()
            .map(|(i, &ms)| item(i, ms))
            .collect();
        assert_eq!(dispatch_order(&items, 2), [1, 4, 3, 0, 2]);
        // One worker keeps the plan's order.
        assert_eq!(dispatch_order(&items, 1), [0, 1, 2, 3, 4]);
    }
}
