//! A job's run directories, written behind its runs: once a run's record is
//! whole (judged, its files named), its logs and reports are written on a
//! thread of the job's own while the job goes on to its next run. Creating
//! a run's ten or so files is the largest part of what a reused network
//! costs between two runs (several milliseconds here, more on a filesystem
//! that must skip recently deleted inodes), and the programs of the next
//! run mostly wait on the network meanwhile.
//!
//! Only a batch's runs are written so: their directories live inside the
//! batch's own unfinished directory, which is put in place only after every
//! job has written everything ([`Writer::finish`]), so nobody sees a run's
//! directory before its files. A run of its own, an interrupted run and a
//! run with a packet capture are written before the run returns.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result};

/// Writing one run's directory.
pub type Job = Box<dyn FnOnce() -> Result<()> + Send>;

/// The first write that failed, kept for the job to fail with.
type Failure = Arc<Mutex<Option<anyhow::Error>>>;

/// A thread that writes run directories in the order they are given.
pub struct Writer {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    failed: Failure,
}

impl Writer {
    pub fn start() -> Result<Writer> {
        let (tx, rx) = mpsc::channel::<Job>();
        let failed: Failure = Arc::default();
        let first = Arc::clone(&failed);
        let thread = std::thread::Builder::new()
            .name("run-writer".into())
            .spawn(move || {
                // The writer uses what the run's programs leave of the
                // CPUs, rather than slowing them.
                crate::orchestrator::sys::run_when_idle();
                for job in rx {
                    if let Err(e) = job() {
                        first.lock().expect("failure lock").get_or_insert(e);
                    }
                }
            })
            .context("cannot start the thread that writes run directories")?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            failed,
        })
    }

    /// Queues `job`; an error if an earlier write failed (the job is then
    /// not queued: the batch stops with that error).
    pub fn submit(&mut self, job: Job) -> Result<()> {
        self.check()?;
        let tx = self.tx.as_ref().context("the run writer has finished")?;
        tx.send(job)
            .map_err(|_| anyhow::anyhow!("the thread that writes run directories has stopped"))
    }

    /// The first write that failed so far, if any.
    pub fn check(&self) -> Result<()> {
        match self.failed.lock().expect("failure lock").take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits until everything queued is written; the first write that
    /// failed, if one did.
    pub fn finish(&mut self) -> Result<()> {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                anyhow::bail!("the thread that writes run directories panicked");
            }
        }
        self.check()
    }
}

/// However a job ends (a panic unwinding included), what was queued is
/// written, or its unfinished directory removed, before the job is gone.
impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn jobs_run_in_order_and_finish_waits_for_them() {
        let mut w = Writer::start().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for i in 0..5 {
            let seen = Arc::clone(&seen);
            w.submit(Box::new(move || {
                std::thread::sleep(std::time::Duration::from_millis(2));
                seen.lock().unwrap().push(i);
                Ok(())
            }))
            .unwrap();
        }
        w.finish().unwrap();
        assert_eq!(*seen.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_failed_write_is_reported_and_stops_later_submissions() {
        let mut w = Writer::start().unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        w.submit(Box::new(|| anyhow::bail!("disk full"))).unwrap();
        let r = Arc::clone(&ran);
        // Queued behind the failure: it still runs (its directory must be
        // written or removed), but the failure is what the job reports.
        w.submit(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }))
        .unwrap_or(());
        let err = w.finish().unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert!(ran.load(Ordering::SeqCst) <= 1);
        assert!(w.submit(Box::new(|| Ok(()))).is_err());
    }
}
