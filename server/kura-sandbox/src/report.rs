//! The run's log (head and tail kept) and how a run ended, read from its status and log.

use std::collections::VecDeque;
use std::io::Read;
use std::process::ExitStatus;

use crate::spec::{SIGKILL, SIGXCPU, SIGXFSZ};
use crate::{Ended, Limit, Limits};

/// Reads the merged log, keeping its first and last halves of `max` bytes.
pub(crate) fn read_log(mut reader: std::io::PipeReader, max: usize) -> String {
    let head_max = max / 2;
    let tail_max = max - head_max;
    let mut head = Vec::new();
    let mut tail: VecDeque<u8> = VecDeque::new();
    let mut omitted = 0u64;
    let mut buf = [0u8; 8192];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut chunk = &buf[..n];
        if head.len() < head_max {
            let take = chunk.len().min(head_max - head.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        tail.extend(chunk);
        if tail.len() > tail_max {
            let drop = tail.len() - tail_max;
            omitted += drop as u64;
            tail.drain(..drop);
        }
    }
    let mut log = String::from_utf8_lossy(&head).into_owned();
    if omitted > 0 {
        log.push_str(&format!("\n[kura: log truncated, {omitted} bytes left out]\n"));
    }
    log.push_str(&String::from_utf8_lossy(tail.make_contiguous()));
    log
}

pub(crate) const MEMORY_MARKS: [&str; 7] = [
    "MemoryError",
    "Cannot allocate memory",
    "out of memory",
    "Out of memory",
    "bad_alloc",
    "memory allocation of",
    "failed to allocate",
];
pub(crate) const PROCESS_MARKS: [&str; 5] = [
    "Cannot fork",
    "fork: Resource temporarily unavailable",
    "BlockingIOError: [Errno 11]",
    "can't start new thread",
    "fork failed",
];

pub(crate) fn classify(
    status: ExitStatus,
    killed_for: Option<Limit>,
    oom_killed: bool,
    log: &str,
    output_bytes: u64,
    limits: &Limits,
) -> Ended {
    // Look at the end of the log, where the command's last error is.
    let mut start = log.len().saturating_sub(4096);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    let end = &log[start..];
    let forks_failed = PROCESS_MARKS.iter().any(|m| end.contains(m));
    match killed_for {
        // A fork bomb whose first process waits is stopped by the timer, but the process limit
        // is what it ran into all along: say so.
        Some(Limit::WallTime) if forks_failed => return Ended::LimitExceeded(Limit::Processes),
        Some(limit) => return Ended::LimitExceeded(limit),
        None => {}
    }
    if oom_killed && !status.success() {
        return Ended::LimitExceeded(Limit::Memory);
    }
    if output_bytes > limits.output_bytes {
        return Ended::LimitExceeded(Limit::OutputSize);
    }
    use std::os::unix::process::ExitStatusExt;
    // bwrap reports a signalled command as 128 + signal; bwrap itself killed shows as a signal.
    let (code, signal) = match (status.code(), status.signal()) {
        (Some(c), _) if c > 128 && c < 128 + 65 => (None, Some(c - 128)),
        (Some(c), _) => (Some(c), None),
        (None, s) => (None, Some(s.unwrap_or(SIGKILL))),
    };
    if code == Some(0) {
        return Ended::Exited(0);
    }
    match signal {
        Some(SIGXCPU) => return Ended::LimitExceeded(Limit::CpuTime),
        Some(SIGXFSZ) => return Ended::LimitExceeded(Limit::OutputSize),
        _ => {}
    }
    if forks_failed {
        return Ended::LimitExceeded(Limit::Processes);
    }
    if MEMORY_MARKS.iter().any(|m| end.contains(m)) {
        return Ended::LimitExceeded(Limit::Memory);
    }
    if end.contains("File too large") {
        return Ended::LimitExceeded(Limit::OutputSize);
    }
    match (code, signal) {
        (Some(c), _) => Ended::Exited(c),
        (None, Some(s)) => Ended::Signalled(s),
        (None, None) => Ended::Exited(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keeps_head_and_tail() {
        let (r, mut w) = std::io::pipe().unwrap();
        use std::io::Write;
        let t = std::thread::spawn(move || read_log(r, 10));
        w.write_all(b"abcdefghijklmnopqrstuvwxyz").unwrap();
        drop(w);
        let log = t.join().unwrap();
        assert!(log.starts_with("abcde"), "{log}");
        assert!(log.ends_with("vwxyz"), "{log}");
        assert!(log.contains("16 bytes left out"), "{log}");
    }
}
