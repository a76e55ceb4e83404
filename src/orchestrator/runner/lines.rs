//! One output stream of a program turned into lines, as its bytes are read
//! (by the [`super::poller`]): each line at most [`MAX_LINE_BYTES`] (`\r`
//! stripped, invalid UTF-8 replaced), dated by the moment its first byte
//! was read, at most [`MAX_LINES`] and [`MAX_KEPT_BYTES`] kept per stream
//! and the rest counted. Memory stays bounded however much a program
//! prints, and the program is never slowed: everything is read. Pure but
//! for the clock readings it is handed and the run's channel it sends to.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use super::process::{IoCounts, Msg, ProcIdx};
use super::{CUT_MARK, MAX_KEPT_BYTES, MAX_LINES, MAX_LINE_BYTES};
use crate::orchestrator::event::Stream;

/// Keeps the beginning of a program's output within [`MAX_LINES`] and
/// [`MAX_KEPT_BYTES`], and counts the rest.
struct Keeper {
    proc: ProcIdx,
    stream: Stream,
    tx: Sender<Msg>,
    kept: usize,
    kept_bytes: usize,
    /// Once either cap is reached every later line is dropped, so what is
    /// kept is always the beginning of the output.
    full: bool,
    dropped: u64,
    /// A send failed: the run's receiver is gone, so is the run.
    gone: bool,
}

impl Keeper {
    fn emit(&mut self, line: &mut Vec<u8>, cut: bool, at: Instant) {
        while line.last() == Some(&b'\r') {
            line.pop();
        }
        self.full =
            self.full || self.kept >= MAX_LINES || self.kept_bytes + line.len() > MAX_KEPT_BYTES;
        if self.full {
            self.dropped += 1;
        } else {
            self.kept += 1;
            self.kept_bytes += line.len();
            let mut text = String::from_utf8_lossy(line).into_owned();
            if cut {
                text.push_str(CUT_MARK);
            }
            let msg = Msg::Line {
                proc: self.proc,
                stream: self.stream,
                at,
                text,
            };
            self.gone |= self.tx.send(msg).is_err();
        }
        line.clear();
    }
}

/// Splits a program's output into lines as it is read, and hands each to
/// its [`Keeper`].
struct Splitter {
    keeper: Keeper,
    /// The line being read, at most [`MAX_LINE_BYTES`] of it.
    line: Vec<u8>,
    /// When its first byte was read.
    started: Option<Instant>,
    /// Whether it lost bytes past [`MAX_LINE_BYTES`].
    cut: bool,
}

impl Splitter {
    /// Takes bytes read at `now`: each `\n` ends a line.
    fn push(&mut self, mut rest: &[u8], now: Instant) {
        while !rest.is_empty() {
            let at = *self.started.get_or_insert(now);
            let end = rest.iter().position(|&b| b == b'\n');
            let part = &rest[..end.unwrap_or(rest.len())];
            let room = MAX_LINE_BYTES.saturating_sub(self.line.len());
            self.cut |= part.len() > room;
            self.line.extend_from_slice(&part[..part.len().min(room)]);
            match end {
                Some(i) => {
                    self.end_line(at);
                    rest = &rest[i + 1..];
                }
                None => rest = &[],
            }
        }
    }

    /// Ends the line being read, dated `at`.
    fn end_line(&mut self, at: Instant) {
        self.keeper.emit(&mut self.line, self.cut, at);
        self.cut = false;
        self.started = None;
    }
}

/// One output stream (stdout or stderr) of a program, from its first byte
/// to its end: what it sends goes to the run's channel as [`Msg::Line`]s,
/// then [`Msg::Dropped`] (if any line was) and [`Msg::Eof`].
pub(super) struct Lines {
    lines: Splitter,
    io: Arc<IoCounts>,
    /// How many lines had been typed into the program when its last bytes
    /// were read.
    typed_seen: usize,
}

impl Lines {
    pub(super) fn new(proc: ProcIdx, stream: Stream, io: Arc<IoCounts>, tx: Sender<Msg>) -> Lines {
        let typed_seen = io.typed.load(Ordering::SeqCst);
        let keeper = Keeper {
            proc,
            stream,
            tx,
            kept: 0,
            kept_bytes: 0,
            full: false,
            dropped: 0,
            gone: false,
        };
        Lines {
            lines: Splitter {
                keeper,
                line: Vec::with_capacity(256),
                started: None,
                cut: false,
            },
            io,
            typed_seen,
        }
    }

    /// Takes `bytes` read at `now`. False once the run is gone (its
    /// channel closed): nothing more needs reading for it.
    pub(super) fn take(&mut self, bytes: &[u8], now: Instant) -> bool {
        let typed_now = self.io.typed.load(Ordering::SeqCst);
        if typed_now != self.typed_seen && !self.lines.line.is_empty() {
            // A prompt printed without a newline (`Enter your name: `) ends
            // where the program was typed into: what it prints after the
            // answer is another line, at its own time.
            self.lines.end_line(self.lines.started.unwrap_or(now));
        }
        self.typed_seen = typed_now;
        self.lines.push(bytes, now);
        self.io
            .read
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        !self.lines.keeper.gone
    }

    /// The stream ended (EOF, or a read error, which ends it the same):
    /// its last line without a newline, how many were dropped, and EOF.
    pub(super) fn finish(mut self) {
        if !self.lines.line.is_empty() {
            let at = self.lines.started.unwrap_or_else(Instant::now);
            self.lines.end_line(at);
        }
        let keeper = &self.lines.keeper;
        if keeper.dropped > 0 {
            let _ = keeper.tx.send(Msg::Dropped {
                proc: keeper.proc,
                lines: keeper.dropped,
            });
        }
        let _ = keeper.tx.send(Msg::Eof { proc: keeper.proc });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// The messages `input` gives, read in chunks of `chunk` bytes.
    fn messages(input: &[u8], chunk: usize) -> Vec<Msg> {
        let (tx, rx) = mpsc::channel();
        let mut lines = Lines::new(ProcIdx(0), Stream::Stdout, Arc::default(), tx);
        for part in input.chunks(chunk) {
            assert!(lines.take(part, Instant::now()));
        }
        lines.finish();
        rx.into_iter().collect()
    }

    /// What is reported for `input`: (lines kept, bytes kept, dropped).
    fn read_all(input: Vec<u8>) -> (usize, usize, u64) {
        let (mut lines, mut bytes, mut dropped) = (0, 0, 0);
        let msgs = messages(&input, 64 * 1024);
        assert!(matches!(msgs.last(), Some(Msg::Eof { .. })));
        for m in msgs {
            match m {
                Msg::Line { text, .. } => {
                    // A cut line says so; what it kept is within the cap.
                    let kept = text.strip_suffix(CUT_MARK).unwrap_or(&text);
                    assert!(kept.len() <= MAX_LINE_BYTES);
                    if text.ends_with(CUT_MARK) {
                        assert_eq!(kept.len(), MAX_LINE_BYTES);
                    }
                    lines += 1;
                    bytes += kept.len();
                }
                Msg::Dropped { lines, .. } => dropped += lines,
                _ => {}
            }
        }
        (lines, bytes, dropped)
    }

    fn texts(input: &[u8], chunk: usize) -> Vec<String> {
        messages(input, chunk)
            .into_iter()
            .filter_map(|m| match m {
                Msg::Line { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn short_lines_stop_at_the_line_cap() {
        let input = b"y\n".repeat(MAX_LINES + 500);
        assert_eq!(read_all(input), (MAX_LINES, MAX_LINES, 500));
    }

    #[test]
    fn wide_lines_are_cut_and_stop_at_the_byte_cap() {
        let mut line = vec![b'w'; 3 * MAX_LINE_BYTES];
        line.push(b'\n');
        let input = line.repeat(1000);
        let (lines, bytes, dropped) = read_all(input);
        assert_eq!(lines, MAX_KEPT_BYTES / MAX_LINE_BYTES);
        assert_eq!(bytes, lines * MAX_LINE_BYTES);
        assert_eq!(lines as u64 + dropped, 1000);
    }

    #[test]
    fn a_cut_line_says_so_and_a_line_at_the_limit_does_not() {
        let mut at_limit = vec![b'a'; MAX_LINE_BYTES];
        at_limit.push(b'\n');
        let mut over = vec![b'b'; MAX_LINE_BYTES + 1];
        over.extend_from_slice(b"\nshort\n");
        assert!(!texts(&at_limit, 1000)[0].ends_with(CUT_MARK));
        let got = texts(&over, 1000);
        assert!(got[0].ends_with(CUT_MARK));
        assert_eq!(got[1], "short");
    }

    #[test]
    fn carriage_returns_and_invalid_utf8() {
        let got = texts(b"dos line\r\n\xffbad\nlast without newline", 3);
        assert_eq!(got, ["dos line", "\u{fffd}bad", "last without newline"]);
    }

    #[test]
    fn what_is_kept_is_the_beginning() {
        // A short line after the byte cap is hit is dropped too.
        let mut input = Vec::new();
        for _ in 0..(MAX_KEPT_BYTES / MAX_LINE_BYTES + 1) {
            input.extend(vec![b'w'; MAX_LINE_BYTES]);
            input.push(b'\n');
        }
        input.extend(b"Sent acknowledgment to both X and Y\n");
        let (lines, _, dropped) = read_all(input);
        assert_eq!((lines, dropped), (MAX_KEPT_BYTES / MAX_LINE_BYTES, 2));
    }

    #[test]
    fn a_closed_channel_says_the_run_is_gone() {
        let (tx, rx) = mpsc::channel();
        let mut lines = Lines::new(ProcIdx(0), Stream::Stdout, Arc::default(), tx);
        assert!(lines.take(b"one\n", Instant::now()));
        drop(rx);
        assert!(!lines.take(b"two\n", Instant::now()));
    }
}
