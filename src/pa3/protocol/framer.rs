//! Framing: a byte stream split into messages.

use super::MAX_MESSAGE_BYTES;

/// Why bytes could not be framed into a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("more than {limit} bytes without a line end")]
    TooLong { limit: usize },
    #[error("the message is not valid UTF-8")]
    NotUtf8,
}

/// Splits a byte stream into messages: at `\n`, with `\r` stripped and empty
/// lines skipped. What is left without a line end stays buffered until more
/// comes or the caller decides it is complete ([`Framer::take_partial`]).
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    /// The longest line taken, in bytes, without its line end.
    limit: usize,
}

impl Default for Framer {
    fn default() -> Framer {
        Framer::with_limit(MAX_MESSAGE_BYTES)
    }
}

impl Framer {
    /// A framer of messages up to [`MAX_MESSAGE_BYTES`].
    pub fn new() -> Framer {
        Framer::default()
    }

    /// A framer of lines up to `limit` bytes.
    pub fn with_limit(limit: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            limit,
        }
    }

    /// Feeds bytes; returns the messages they completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, FrameError> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut self.buf);
                if let Some(text) = decode(line)? {
                    out.push(text);
                }
            } else {
                if self.buf.len() >= self.limit {
                    self.buf.clear();
                    return Err(FrameError::TooLong { limit: self.limit });
                }
                self.buf.push(b);
            }
        }
        Ok(out)
    }

    /// Whether bytes of an unfinished message are buffered.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// The unfinished message so far, as text (`None`: none, or not yet
    /// valid UTF-8), without the `\r` a line end would strip.
    pub fn partial_text(&self) -> Option<&str> {
        let text = std::str::from_utf8(&self.buf).ok()?;
        Some(text.trim_end_matches('\r')).filter(|t| !t.trim().is_empty())
    }

    /// Takes the unfinished message as complete (quiet period or EOF).
    pub fn take_partial(&mut self) -> Result<Option<String>, FrameError> {
        decode(std::mem::take(&mut self.buf))
    }
}

fn decode(mut line: Vec<u8>) -> Result<Option<String>, FrameError> {
    while line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8(line).map_err(|_| FrameError::NotUtf8)?;
    if text.trim().is_empty() {
        Ok(None)
    } else {
        Ok(Some(text))
    }
}
