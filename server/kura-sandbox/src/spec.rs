//! What a run is given (the command, its inputs and outputs, its limits) and what it ends as.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What to run, with what, under which limits.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The command, an absolute path as seen inside the sandbox (e.g. `/usr/bin/python3`, or a
    /// venv's `bin/python` when the venv is in `read_only_binds`).
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Host file or directory, mounted read-only at `/inputs/<name>`.
    pub inputs: Vec<(PathBuf, String)>,
    /// Host directory, mounted read-write at `/outputs` (the command's working directory).
    pub output_dir: PathBuf,
    /// Extra host paths mounted read-only at the same path (e.g. a Python venv and the Python
    /// installation its `bin/python` links to).
    pub read_only_binds: Vec<PathBuf>,
    /// The command's environment besides `PATH=/usr/bin:/bin` and `HOME=/tmp` (which it may
    /// override); nothing else of the node's environment is passed.
    pub env: Vec<(String, String)>,
    pub limits: Limits,
}

/// The limits of one run. See the crate documentation for what each relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU time of each process (`RLIMIT_CPU`).
    pub cpu_seconds: u64,
    /// Address space of each process (`RLIMIT_AS`). Python with pyarrow needs about 1 GiB.
    pub memory_bytes: u64,
    /// Wall time of the whole run.
    pub wall_seconds: u64,
    /// Total size of the files in `/outputs` (and the size of each file, `RLIMIT_FSIZE`).
    pub output_bytes: u64,
    /// Processes and threads of the run (`RLIMIT_NPROC`; pyarrow starts one thread per core).
    pub max_processes: u64,
    /// The most log (stdout and stderr) kept.
    pub log_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_seconds: 600,
            memory_bytes: 4 << 30,
            wall_seconds: 900,
            output_bytes: 1 << 30,
            max_processes: 256,
            log_bytes: 64 << 10,
        }
    }
}

/// A limit the command ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    CpuTime,
    Memory,
    WallTime,
    OutputSize,
    Processes,
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signalled(i32),
    LimitExceeded(Limit),
}

/// The result of a run that started: the command's own success or failure.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ended: Ended,
    /// stdout and stderr interleaved, truncated to `log_bytes` with a marker.
    pub log: String,
    pub elapsed: Duration,
    /// Total size of the regular files left in the output directory.
    pub output_bytes: u64,
    /// The limits the run had (for [`Outcome::message`]).
    pub limits: Limits,
}

impl Outcome {
    /// Whether the command exited with code 0 within its limits.
    pub fn success(&self) -> bool {
        self.ended == Ended::Exited(0)
    }

    /// A clear sentence for the user.
    pub fn message(&self) -> String {
        let l = &self.limits;
        match self.ended {
            Ended::Exited(0) => "the script finished successfully".to_string(),
            Ended::Exited(code) => format!("the script failed with exit code {code}"),
            Ended::Signalled(sig) => match signal_name(sig) {
                Some(name) => format!("the script was killed by signal {sig} ({name})"),
                None => format!("the script was killed by signal {sig}"),
            },
            Ended::LimitExceeded(Limit::CpuTime) => {
                format!("the script used more than {} of CPU time and was stopped", seconds(l.cpu_seconds))
            }
            Ended::LimitExceeded(Limit::Memory) => {
                format!("the script tried to use more than {} of memory and failed", human_bytes(l.memory_bytes))
            }
            Ended::LimitExceeded(Limit::WallTime) => {
                format!("the script ran longer than {} and was stopped", seconds(l.wall_seconds))
            }
            Ended::LimitExceeded(Limit::OutputSize) => {
                format!("the script wrote more than {} of output and was stopped", human_bytes(l.output_bytes))
            }
            Ended::LimitExceeded(Limit::Processes) => {
                format!("the script tried to run more than {} processes or threads at once and failed", l.max_processes)
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

pub(crate) fn seconds(s: u64) -> String {
    if s == 1 { "1 s".to_string() } else { format!("{s} s") }
}

pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub(crate) const SIGKILL: i32 = 9;
pub(crate) const SIGSEGV: i32 = 11;
pub(crate) const SIGXCPU: i32 = 24;
pub(crate) const SIGXFSZ: i32 = 25;

pub(crate) fn signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        SIGKILL => "SIGKILL",
        SIGSEGV => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        SIGXCPU => "SIGXCPU",
        SIGXFSZ => "SIGXFSZ",
        31 => "SIGSYS",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_well() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }
}
