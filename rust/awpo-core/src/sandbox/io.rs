//! Moving bytes between the supervisor and a sandboxed process without ever blocking past a
//! deadline: capped output capture, the length-prefixed frame protocol, and the poll loops.
use super::spawn::Sandboxed;
use super::sys;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

/// Output kept up to a cap; everything past it is counted and dropped.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub data: Vec<u8>,
    cap: usize,
    pub total: u64,
}

impl Capture {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            data: Vec::new(),
            cap,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.cap.saturating_sub(self.data.len());
        self.data.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    pub(crate) fn truncated(&self) -> bool {
        self.total > self.data.len() as u64
    }

    /// The kept bytes as text (invalid UTF-8 replaced).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Reads all that is available now from a non-blocking reader. `Ok(true)` at end of stream.
pub(crate) fn drain(r: &mut impl Read, cap: &mut Capture) -> io::Result<bool> {
    let mut buf = [0u8; 65_536];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) => cap.push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Encodes one frame: a 4-byte big-endian length, then the payload.
pub(crate) fn frame(payload: &[u8]) -> io::Result<Vec<u8>> {
    let len = u32::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame larger than 4 GiB"))?;
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Incremental decoder of one frame.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
}

/// What the decoder has so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FrameState {
    Incomplete,
    Complete(Vec<u8>),
    TooLarge(u64),
}

impl FrameReader {
    pub(crate) fn push(&mut self, bytes: &[u8], max: usize) -> FrameState {
        self.buf.extend_from_slice(bytes);
        self.state(max)
    }

    fn state(&mut self, max: usize) -> FrameState {
        if self.buf.len() < 4 {
            return FrameState::Incomplete;
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > max {
            return FrameState::TooLarge(len as u64);
        }
        if self.buf.len() < 4 + len {
            return FrameState::Incomplete;
        }
        let payload = self.buf[4..4 + len].to_vec();
        self.buf.drain(..4 + len);
        FrameState::Complete(payload)
    }

    /// Bytes received past the last complete frame (a protocol violation between calls).
    pub(crate) fn leftover(&self) -> usize {
        self.buf.len()
    }
}

/// How an exchange with a worker ended.
#[derive(Debug)]
pub(crate) enum Exchange {
    Response(Vec<u8>),
    TimedOut,
    Exited,
    TooLarge(u64),
    Failed(io::Error),
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn pollfd(fd: i32, events: i16) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Sends `request` on the worker's channel and waits for one response frame, capturing its
/// stdout/stderr meanwhile, until `deadline`.
pub(crate) fn exchange(
    sb: &mut Sandboxed,
    request: &[u8],
    deadline: Instant,
    max_frame: usize,
    out: &mut Capture,
    err: &mut Capture,
) -> Exchange {
    let pending = match frame(request) {
        Ok(f) => f,
        Err(e) => return Exchange::Failed(e),
    };
    let mut written = 0usize;
    let mut reader = FrameReader::default();
    let mut out_open = sb.stdout.is_some();
    let mut err_open = sb.stderr.is_some();
    let Some(channel) = sb.channel.as_ref() else {
        return Exchange::Failed(io::Error::other("worker has no channel"));
    };
    let chan_fd = channel.as_raw_fd();
    let out_fd = sb.stdout.as_ref().map_or(-1, |s| s.as_fd().as_raw_fd());
    let err_fd = sb.stderr.as_ref().map_or(-1, |s| s.as_fd().as_raw_fd());
    let pid_fd = sb.pidfd.as_ref().map_or(-1, |p| p.as_raw_fd());
    let mut buf = [0u8; 65_536];
    loop {
        let mut chan_events = libc::POLLIN;
        if written < pending.len() {
            chan_events |= libc::POLLOUT;
        }
        let mut fds = [
            pollfd(chan_fd, chan_events),
            pollfd(if out_open { out_fd } else { -1 }, libc::POLLIN),
            pollfd(if err_open { err_fd } else { -1 }, libc::POLLIN),
            pollfd(pid_fd, libc::POLLIN),
        ];
        let Some(left) = remaining(deadline) else {
            return Exchange::TimedOut;
        };
        // Without a pidfd, wake up now and then to notice a dead worker.
        let wait = if pid_fd < 0 {
            left.min(Duration::from_millis(50))
        } else {
            left
        };
        if let Err(e) = sys::poll(&mut fds, Some(wait)) {
            return Exchange::Failed(e);
        }
        if out_open && fds[1].revents != 0 {
            if let Some(s) = sb.stdout.as_mut() {
                out_open = !matches!(drain(s, out), Ok(true) | Err(_));
            }
        }
        if err_open && fds[2].revents != 0 {
            if let Some(s) = sb.stderr.as_mut() {
                err_open = !matches!(drain(s, err), Ok(true) | Err(_));
            }
        }
        let Some(channel) = sb.channel.as_mut() else {
            return Exchange::Failed(io::Error::other("worker has no channel"));
        };
        if fds[0].revents & libc::POLLOUT != 0 && written < pending.len() {
            match channel.write(&pending[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Exchange::Exited,
                Err(e) => return Exchange::Failed(e),
            }
        }
        if fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            loop {
                match channel.read(&mut buf) {
                    Ok(0) => return Exchange::Exited,
                    Ok(n) => match reader.push(&buf[..n], max_frame) {
                        FrameState::Incomplete => {}
                        FrameState::TooLarge(n) => return Exchange::TooLarge(n),
                        FrameState::Complete(payload) => {
                            if written < pending.len() || reader.leftover() > 0 {
                                // A reply before the request was fully read, or extra bytes.
                                return Exchange::Failed(io::Error::other(
                                    "worker broke the frame protocol",
                                ));
                            }
                            // Output written before the reply is already in the pipes.
                            if let Some(s) = sb.stdout.as_mut() {
                                let _ = drain(s, out);
                            }
                            if let Some(s) = sb.stderr.as_mut() {
                                let _ = drain(s, err);
                            }
                            return Exchange::Response(payload);
                        }
                    },
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                        return Exchange::Exited;
                    }
                    Err(e) => return Exchange::Failed(e),
                }
            }
        }
        if pid_fd >= 0 && fds[3].revents != 0 {
            return Exchange::Exited;
        }
        if pid_fd < 0 && sb.reap(true).is_some() {
            return Exchange::Exited;
        }
    }
}

/// Drives a one-shot process: feeds `stdin`, captures output, and returns when the main process
/// has exited and its output is closed, or at `deadline` (`true` = timed out).
pub(crate) fn run_to_end(
    sb: &mut Sandboxed,
    stdin: &[u8],
    deadline: Instant,
    out: &mut Capture,
    err: &mut Capture,
) -> bool {
    let mut written = 0usize;
    let mut out_open = sb.stdout.is_some();
    let mut err_open = sb.stderr.is_some();
    let mut exited = false;
    // After the main process exits, stragglers are killed and output gets a short grace period.
    let mut grace: Option<Instant> = None;
    let mut buf_deadline = deadline;
    if stdin.is_empty() {
        sb.stdin = None;
    }
    loop {
        if exited && !out_open && !err_open {
            return false;
        }
        let Some(left) = remaining(buf_deadline) else {
            return grace.is_none();
        };
        let in_fd = sb.stdin.as_ref().map_or(-1, |s| s.as_fd().as_raw_fd());
        let out_fd = if out_open {
            sb.stdout.as_ref().map_or(-1, |s| s.as_fd().as_raw_fd())
        } else {
            -1
        };
        let err_fd = if err_open {
            sb.stderr.as_ref().map_or(-1, |s| s.as_fd().as_raw_fd())
        } else {
            -1
        };
        let pid_fd = if exited {
            -1
        } else {
            sb.pidfd.as_ref().map_or(-1, |p| p.as_raw_fd())
        };
        let mut fds = [
            pollfd(in_fd, libc::POLLOUT),
            pollfd(out_fd, libc::POLLIN),
            pollfd(err_fd, libc::POLLIN),
            pollfd(pid_fd, libc::POLLIN),
        ];
        let wait = if pid_fd < 0 && !exited {
            left.min(Duration::from_millis(20))
        } else {
            left
        };
        if sys::poll(&mut fds, Some(wait)).is_err() {
            return false;
        }
        if fds[0].revents != 0 {
            if let Some(s) = sb.stdin.as_mut() {
                match s.write(&stdin[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => written = stdin.len(),
                }
            }
            if written >= stdin.len() {
                sb.stdin = None; // close: the process sees end of input
            }
        }
        if out_open && fds[1].revents != 0 {
            if let Some(s) = sb.stdout.as_mut() {
                out_open = !matches!(drain(s, out), Ok(true) | Err(_));
            }
        }
        if err_open && fds[2].revents != 0 {
            if let Some(s) = sb.stderr.as_mut() {
                err_open = !matches!(drain(s, err), Ok(true) | Err(_));
            }
        }
        if !exited && (fds[3].revents != 0 || (pid_fd < 0 && is_zombie(sb.pid))) {
            exited = true;
            sb.stdin = None;
            // Whatever the main process left running dies with it.
            sb.kill_strays();
            let g = Instant::now() + Duration::from_millis(500);
            grace = Some(g);
            buf_deadline = g.min(deadline.max(Instant::now()));
        }
    }
}

/// Whether `pid` (our child) has exited, without reaping it.
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| rest.starts_with('Z')))
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_the_cap_and_counts_the_rest() {
        let mut c = Capture::new(4);
        c.push(b"ab");
        c.push(b"cdef");
        assert_eq!(c.data, b"abcd");
        assert_eq!(c.total, 6);
        assert!(c.truncated());
        let mut d = Capture::new(4);
        d.push(b"abcd");
        assert!(!d.truncated());
    }

    #[test]
    fn frames_round_trip_in_pieces_and_refuse_oversize() {
        let f = frame(b"hello").unwrap();
        assert_eq!(&f[..4], &[0, 0, 0, 5]);
        let mut r = FrameReader::default();
        assert_eq!(r.push(&f[..3], 100), FrameState::Incomplete);
        assert_eq!(r.push(&f[3..6], 100), FrameState::Incomplete);
        assert_eq!(
            r.push(&f[6..], 100),
            FrameState::Complete(b"hello".to_vec())
        );
        assert_eq!(r.leftover(), 0);
        let mut r = FrameReader::default();
        assert_eq!(
            r.push(&frame(&[0u8; 10]).unwrap(), 9),
            FrameState::TooLarge(10)
        );
    }
}
