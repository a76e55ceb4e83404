//! What the benchmark reads of the machine and of the processes it
//! measures, and nothing else needs: CPU time (of a process, of the
//! children it waited for, of the calling thread), peak memory, and how
//! busy the machine is. Through `procfs`, as the orchestrator's own door
//! to the process table (`pa3_mininet::orchestrator::sys`) reads `/proc`.

use std::time::Duration;

use procfs::process::Process;
use procfs::Current;

/// `ticks` clock ticks as a duration.
fn ticks(ticks: f64) -> Duration {
    Duration::from_secs_f64(ticks / procfs::ticks_per_second() as f64)
}

fn process(pid: u32) -> Option<Process> {
    Process::new(i32::try_from(pid).ok()?).ok()
}

/// The CPU time (user + system) process `pid` has used so far, its
/// exited threads included (`/proc/PID/stat`, to the clock tick).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let s = process(pid)?.stat().ok()?;
    Some(ticks((s.utime + s.stime) as f64))
}

/// The CPU time (user + system) of this process's children that it has
/// waited for, and of theirs (`cutime + cstime` of `/proc/self/stat`): what
/// a child process and everything it ran cost, once it has been waited for.
pub fn waited_children_cpu_time() -> Option<Duration> {
    let s = Process::myself().ok()?.stat().ok()?;
    Some(ticks((s.cutime + s.cstime).max(0) as f64))
}

/// The peak resident set size of process `pid` (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    process(pid)?.status().ok()?.vmhwm
}

/// The CPU time the calling thread has used, to the nanosecond
/// (`/proc/thread-self/schedstat`): what a measuring loop costs itself.
pub fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The machine's CPU pressure: the share of the last 10 s in which some
/// runnable task waited for a CPU (`/proc/pressure/cpu`), in percent.
pub fn cpu_pressure() -> Option<f64> {
    procfs::CpuPressure::current()
        .ok()
        .map(|p| f64::from(p.some.avg10))
}

/// How many TCP sockets of this network namespace are in TIME_WAIT
/// (`tw` in `/proc/net/sockstat`).
pub fn time_wait_sockets() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    pa3_mininet::orchestrator::net::diag::sockstat_field(&text, "TCP:", "tw")
}

/// The one-minute load average.
pub fn load_average() -> Option<f64> {
    procfs::LoadAverage::current()
        .ok()
        .map(|l| f64::from(l.one))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_wait_sockets_are_counted() {
        let before = time_wait_sockets().expect("/proc/net/sockstat has a TCP line");
        // A connection closed by its client first leaves the client's end
        // in TIME_WAIT for a minute.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (served, _) = listener.accept().unwrap();
        drop(client);
        let mut byte = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut &served, &mut byte).unwrap(), 0);
        drop(served);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while time_wait_sockets().unwrap() <= before && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Other tests' connections may come and go meanwhile.
        assert!(time_wait_sockets().unwrap() > 0);
    }

    #[test]
    fn this_process_and_thread_have_used_cpu_and_memory() {
        // Some work, so that even a coarse clock has ticked (black_box:
        // the optimised build would otherwise fold the loop away, leaving
        // a process that used less than one tick).
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert_ne!(x, 1);
        let me = std::process::id();
        assert!(cpu_time(me).is_some_and(|t| t > Duration::ZERO));
        assert!(thread_cpu_time().is_some_and(|t| t > Duration::ZERO));
        assert!(peak_rss_kib(me).is_some_and(|k| k > 0));
        assert!(waited_children_cpu_time().is_some());
        assert!(load_average().is_some_and(|l| l >= 0.0));
    }
}
