//! The sandbox of a script job (issue 21): a command — Python with pyarrow, or any executable the
//! operator allows — run on the node with its inputs read-only, an output directory, no network,
//! no view of the host's files, and CPU-time, memory, wall-time, output-size and process limits.
//!
//! Make one [`Sandbox`] per node ([`Sandbox::detect`] at start; a failure there is the node's
//! "script jobs unavailable") and clone it: clones share the pool of sandbox uids.
//!
//! # Why bubblewrap plus rlimits
//!
//! The workspace forbids `unsafe` code, so the crate cannot call `unshare(2)`, `setrlimit(2)` or
//! `setresuid(2)` between `fork` and `exec` itself (`pre_exec` is `unsafe`). It wraps the command in
//! small programs from Debian's packages instead, each `exec`ing the next (run as root):
//!
//! ```text
//! [sh: join the run's memory cgroup] → bwrap (privileged: namespaces, file system)
//!   → setpriv (pooled uid, no capabilities) → prlimit (rlimits)
//!   → bwrap (user namespace of that uid, --disable-userns) → the command
//! ```
//!
//! * **bubblewrap** (`bwrap`, package `bubblewrap`), outer: a new mount, network, PID, IPC, UTS
//!   (and cgroup, where possible) namespace; a root of its own holding only `/usr` (read-only, plus
//!   the `/lib`, `/bin`, … symlinks of a merged-`/usr` system), a fresh `/proc` and a minimal `/dev`,
//!   a size-limited `/tmp`, `/inputs/<name>` read-only binds, `/outputs` (the one writable host
//!   directory) and the spec's extra read-only binds at their own paths. No `/etc`, no `/home`, no
//!   other dataset. `--die-with-parent` and `--new-session`; the environment is cleared (the
//!   command gets `PATH=/usr/bin:/bin`, `HOME=/tmp` and the spec's variables, nothing else).
//! * **setpriv** (util-linux) switches to the run's unprivileged uid/gid and drops every capability,
//!   the bounding set and the supplementary groups, with `no_new_privs`.
//! * **prlimit** (util-linux) sets the rlimits.
//! * **bubblewrap**, inner (unprivileged): a user namespace that maps only the run's uid to itself,
//!   with `--disable-userns`, so the command cannot make user namespaces of its own. Without it a
//!   command could `unshare -Urm` and mount a tmpfs that no rlimit bounds (tested).
//!
//! The measured start overhead of the whole chain is about 11 ms (`examples/start_overhead.rs`,
//! `bench/README.md`); the target is ≤ 100 ms. `detect` runs `/usr/bin/true` in it once.
//!
//! # Uids: why each run gets its own
//!
//! `RLIMIT_NPROC` is counted per real uid across the whole machine, and is *not enforced for uid
//! 0*. bubblewrap's own `--unshare-user --uid N` run by root maps the sandbox uid back to root, and a
//! fork bomb then runs unbounded (tried here: 55 processes under `--nproc=20`). So when the node is
//! root (the deployment and CI case) the outer bubblewrap runs privileged and `setpriv` switches to
//! a uid from a pool (by default [`DEFAULT_UID_START`] to + [`DEFAULT_UID_COUNT`], see
//! [`Sandbox::with_uid_range`]; these uids must belong to no one else), one uid per concurrent run:
//! the count is then exactly the run's own processes and threads. The output directory is handed
//! to that uid for the run and handed back (recursively) afterwards, also when the node drops the
//! run's future.
//!
//! When the node does not run as root, bubblewrap uses one user namespace (`--unshare-user
//! --disable-userns`) and the command runs as the node's own uid: every limit below holds except
//! the process limit, which then also counts the node's own processes and threads (best effort;
//! [`Sandbox::process_limit_holds`] says which). That mode is smoke-tested only (the start-overhead
//! example run as `nobody`); the tests run as root.
//!
//! # What each limit relies on
//!
//! | limit | mechanism | how the run ends, and how it is recognised |
//! | --- | --- | --- |
//! | CPU time | `RLIMIT_CPU`, soft = limit, hard = limit + 1 s, per process | `SIGXCPU` (then `SIGKILL` at the hard limit) → [`Limit::CpuTime`] |
//! | memory | `RLIMIT_AS` per process, and where the node may make cgroups, a memory cgroup per run limited to the same number of bytes (swap too) | the allocation fails and the command's own error (`MemoryError`, `Cannot allocate memory`, `bad_alloc`, …) is recognised in the log, or the kernel's OOM killer kills in the cgroup (its `oom_kill` counter) → [`Limit::Memory`] |
//! | wall time | a tokio timer; the run's outer `bwrap` is killed (`SIGKILL`), its PID namespace dies with it | → [`Limit::WallTime`] (→ [`Limit::Processes`] when the log shows failed forks: a fork bomb whose first process waits) |
//! | output size | `RLIMIT_FSIZE` = limit (per file: `SIGXFSZ` / `EFBIG`), plus the total size of `/outputs` (lengths, space preallocated past a file's end, and 256 bytes per entry against inode exhaustion) polled every 250 ms during the run (the run is killed when over, so it can overshoot by what it writes in 250 ms) and measured after it | → [`Limit::OutputSize`] |
//! | processes | `RLIMIT_NPROC` on the run's private uid (threads count too: leave room for pyarrow's thread pools) | `fork`/`clone` fails with `EAGAIN`, recognised in the log (`Cannot fork`, `BlockingIOError: [Errno 11]`, `can't start new thread`) → [`Limit::Processes`] |
//! | `/tmp` | a tmpfs of min(output limit, memory limit) bytes | `ENOSPC` (or `EFBIG`) for the command |
//! | open files | `RLIMIT_NOFILE` = 1024 | `EMFILE` for the command |
//! | log | stdout and stderr share one pipe; the first and last halves of `log_bytes` are kept | a marker says how much was left out |
//!
//! Nothing survives a run: the command runs in its own PID namespace, whose PID 1 (bubblewrap's
//! reaper) has `PR_SET_PDEATHSIG` = `SIGKILL` towards the `bwrap` process the node started
//! (`kill_on_drop`), so when the command ends, when a limit's timer fires, or when the node drops
//! the run's future, the kernel kills every process left in the namespace. (This is why no process
//! group is signalled: the namespace is stricter, `setsid` cannot leave it.)
//!
//! The memory and process limits are mostly recognised from the command's own error message,
//! because an rlimit makes the system call fail rather than killing the process; a command that
//! swallows the error and exits otherwise is reported by its exit code. Exit codes above 128 are
//! reported as signals (bubblewrap reports a signalled command as 128 + signal).
//!
//! ## What does not hold, or holds only partly
//!
//! * Without a writable memory cgroup (see [`Sandbox::memory_cgroup`]) the memory limit rests on
//!   `RLIMIT_AS` alone, which does not see memory that belongs to no mapping: pages of a `memfd` or
//!   a tmpfs written with `write(2)`, SysV shared memory after `shmdt`, pipe buffers. A determined
//!   script can then hold up to `processes × 1024 open files × output limit` bytes in memfds. With the cgroup (the
//!   case on this machine: cgroup v1, the node's own memory cgroup is writable), the test
//!   `memory_no_rlimit_sees_is_bounded_by_the_cgroup` shows it held.
//! * No seccomp filter: the command can make any system call its uid may; the kernel's attack
//!   surface is not reduced beyond namespaces, no capabilities and `no_new_privs`.
//! * Disk I/O bandwidth and CPU share are not limited (only CPU time).
//!
//! # Errors
//!
//! A [`SandboxError`] is a failure of the node (sandbox missing, spawn failure, bad spec, a
//! program that is not in the sandbox, I/O on the host): report it as `SYSTEM_ERROR`. Anything the
//! command does — a non-zero exit, a signal, a limit — is an [`Outcome`]: report a non-successful
//! one as `EXECUTOR_ERROR` with [`Outcome::message`].
//!
//! # Inputs and outputs
//!
//! Inputs are bind-mounted, not copied; in the root mode the sandbox uid reads them as "others",
//! so materialise them world-readable (files `0644`, directories `0755`). [`Sandbox::run`] checks
//! this and answers [`SandboxError::InvalidSpec`] otherwise. A Python venv is two read-only binds:
//! the venv and the installation its `bin/python` links to (`home` in `pyvenv.cfg`, one level up).
//! Symbolic links and special files the command leaves in `/outputs` are removed after the run
//! (they could point at host files when the output is ingested); the log says so.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::Command;

mod cgroup;
mod files;
mod report;
mod spec;
mod uids;

pub use files::python_binds;
pub use spec::{Ended, Limit, Limits, Outcome, Spec};

use files::{check_spec, dir_size, hand_back, path_arg, remove_links};
use report::{classify, read_log};
use uids::UidPool;

/// First uid of the default pool of sandbox uids (root mode).
pub const DEFAULT_UID_START: u32 = 59_000;
/// Size of the default pool of sandbox uids: at most this many runs at once.
pub const DEFAULT_UID_COUNT: u32 = 1_000;

/// How often the size of `/outputs` is checked while a command runs.
const OUTPUT_POLL: Duration = Duration::from_millis(250);

/// Errors of the node, not of the command: report as `SYSTEM_ERROR`.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The sandbox cannot run here (a program is missing, or the trial run failed).
    #[error("the script sandbox is unavailable: {0}")]
    Unavailable(String),
    /// `bwrap` could not be started.
    #[error("could not start the sandbox ({program}): {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The sandbox could not be set up for this spec (bubblewrap refused it).
    #[error("could not set up the sandbox: {0}")]
    Setup(String),
    /// The spec cannot be run as given (a relative path, a missing input, an unreadable input, …).
    #[error("invalid sandbox spec: {0}")]
    InvalidSpec(String),
    /// An I/O failure on the host around the run (preparing or measuring the output directory).
    #[error("sandbox I/O failure ({context}): {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// All uids of the pool are in use (too many runs at once).
    #[error("no sandbox uid free: all {0} are in use by running scripts")]
    Busy(u32),
}

/// How the sandbox drops privileges.
#[derive(Debug, Clone)]
enum Mode {
    /// The node is root: privileged bubblewrap, then `setpriv` to a pooled uid.
    Root { setpriv: PathBuf, inner_bwrap: PathBuf, uids: UidPool },
    /// The node is not root: bubblewrap in a user namespace, the node's own uid.
    User,
}

/// The sandbox of this node: where `bwrap` and `prlimit` are and how privileges are dropped.
#[derive(Debug, Clone)]
pub struct Sandbox {
    bwrap: PathBuf,
    prlimit: PathBuf,
    mode: Mode,
    /// The node's effective uid (output files are handed back to it).
    node_uid: u32,
    node_gid: u32,
    /// A memory cgroup per run where the node may make them, and the shell that joins it.
    memory_cgroups: Option<(cgroup::MemoryCgroups, PathBuf)>,
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into(), "/bin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.metadata().map(|m| m.is_file() && m.mode() & 0o111 != 0).unwrap_or(false))
}

/// A program run inside the sandbox must be visible there, i.e. under `/usr`.
fn under_usr(name: &str, found: PathBuf) -> Result<PathBuf, SandboxError> {
    let real = std::fs::canonicalize(&found).unwrap_or(found);
    if real.starts_with("/usr/") {
        Ok(real)
    } else {
        Err(SandboxError::Unavailable(format!(
            "`{name}` (util-linux) was found at {} but must be under /usr to run inside the sandbox",
            real.display()
        )))
    }
}

impl Sandbox {
    /// Finds `bwrap`, `prlimit` (and `setpriv` when root), and checks once that a trivial
    /// sandboxed command runs; a clear error naming what is missing otherwise.
    pub async fn detect() -> Result<Sandbox, SandboxError> {
        let bwrap = find_program("bwrap").ok_or_else(|| {
            SandboxError::Unavailable(
                "`bwrap` (bubblewrap) was not found in PATH or /usr/bin: install the Debian package `bubblewrap`"
                    .to_string(),
            )
        })?;
        let prlimit = find_program("prlimit").ok_or_else(|| {
            SandboxError::Unavailable(
                "`prlimit` was not found in PATH or /usr/bin: install the Debian package `util-linux`".to_string(),
            )
        })?;
        let prlimit = under_usr("prlimit", prlimit)?;
        let me = std::fs::metadata("/proc/self")
            .map_err(|e| SandboxError::Unavailable(format!("/proc is not mounted, cannot tell the node's uid: {e}")))?;
        let mode = if me.uid() == 0 {
            let setpriv = find_program("setpriv").ok_or_else(|| {
                SandboxError::Unavailable(
                    "`setpriv` was not found in PATH or /usr/bin: install the Debian package `util-linux`".to_string(),
                )
            })?;
            Mode::Root {
                setpriv: under_usr("setpriv", setpriv)?,
                inner_bwrap: under_usr("bwrap", bwrap.clone())?,
                uids: UidPool { start: DEFAULT_UID_START, count: DEFAULT_UID_COUNT, used: Arc::default() },
            }
        } else {
            Mode::User
        };
        let memory_cgroups = cgroup::MemoryCgroups::detect().zip(find_program("sh"));
        let sandbox = Sandbox { bwrap, prlimit, mode, node_uid: me.uid(), node_gid: me.gid(), memory_cgroups };
        sandbox.trial().await?;
        Ok(sandbox)
    }

    /// Uses the uids `start..start + count` for runs (root mode only; one uid per concurrent run).
    /// They must belong to no one else on the machine.
    pub fn with_uid_range(mut self, start: u32, count: u32) -> Sandbox {
        if let Mode::Root { uids, .. } = &mut self.mode {
            *uids = UidPool { start, count, used: Arc::default() };
        }
        self
    }

    /// Whether the process limit holds (the node runs as root; see the crate documentation).
    pub fn process_limit_holds(&self) -> bool {
        matches!(self.mode, Mode::Root { .. })
    }

    /// Whether each run gets a memory cgroup, so that the memory limit also counts memory no
    /// rlimit sees (memfd, tmpfs, shared memory); otherwise it rests on `RLIMIT_AS` alone.
    pub fn memory_cgroup(&self) -> bool {
        self.memory_cgroups.is_some()
    }

    async fn trial(&self) -> Result<(), SandboxError> {
        static TRIALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = TRIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kura-sandbox-trial-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|source| SandboxError::Io { context: format!("creating {}", dir.display()), source })?;
        let spec = Spec {
            program: "/usr/bin/true".into(),
            args: vec![],
            inputs: vec![],
            output_dir: dir.clone(),
            read_only_binds: vec![],
            env: vec![],
            limits: Limits {
                cpu_seconds: 10,
                memory_bytes: 256 << 20,
                wall_seconds: 30,
                output_bytes: 1 << 20,
                max_processes: 16,
                log_bytes: 4096,
            },
        };
        let result = self.run(spec).await;
        let _ = std::fs::remove_dir_all(&dir);
        match result {
            Ok(o) if o.success() => Ok(()),
            Ok(o) => Err(SandboxError::Unavailable(format!(
                "a trial run of /usr/bin/true in the sandbox failed ({}): {}",
                o.message(),
                o.log.trim()
            ))),
            Err(e) => {
                Err(SandboxError::Unavailable(format!("a trial run of /usr/bin/true in the sandbox failed: {e}")))
            }
        }
    }

    /// Runs `spec`'s command in the sandbox. `Err` only for failures of the node; everything the
    /// command does is in the [`Outcome`].
    pub async fn run(&self, spec: Spec) -> Result<Outcome, SandboxError> {
        check_spec(&spec, matches!(self.mode, Mode::Root { .. }))?;
        let limits = spec.limits;
        let lease = match &self.mode {
            Mode::Root { uids, .. } => Some(uids.lease()?),
            Mode::User => None,
        };
        let args = self.arguments(&spec, lease.as_ref().map(|l| l.uid));
        let cgroup = match &self.memory_cgroups {
            Some((cgroups, _)) => Some(cgroups.create(limits.memory_bytes).map_err(|source| SandboxError::Io {
                context: "creating the run's memory cgroup".to_string(),
                source,
            })?),
            None => None,
        };
        let cleanup = Cleanup {
            hand_back: lease.as_ref().map(|_| (spec.output_dir.clone(), self.node_uid, self.node_gid)),
            cgroup,
        };
        if let Some(lease) = &lease {
            std::os::unix::fs::chown(&spec.output_dir, Some(lease.uid), Some(lease.uid)).map_err(|source| {
                SandboxError::Io {
                    context: format!("handing {} to the sandbox uid", spec.output_dir.display()),
                    source,
                }
            })?;
        }
        let result = self.spawn_and_wait(&spec, args, cleanup.cgroup.as_ref()).await;
        let oom_killed = cleanup.cgroup.as_ref().is_some_and(|c| c.oom_killed());
        cleanup.finish().await;
        let (status, log, elapsed, killed_for) = result?;
        drop(lease);

        let removed = remove_links(&spec.output_dir);
        let (output_bytes, allocated) = dir_size(&spec.output_dir);
        let mut log = log;
        if !removed.is_empty() {
            log.push_str(&format!(
                "\n[kura: removed {} symbolic link(s) or special file(s) from the output: {}]\n",
                removed.len(),
                removed.join(", ")
            ));
        }
        if killed_for.is_none() && setup_failed(status, &log) {
            return Err(SandboxError::Setup(log.trim().to_string()));
        }
        let ended = classify(status, killed_for, oom_killed, &log, output_bytes.max(allocated), &limits);
        tracing::debug!(?ended, ?elapsed, output_bytes, "script sandbox run ended");
        Ok(Outcome { ended, log, elapsed, output_bytes, limits })
    }

    fn arguments(&self, spec: &Spec, uid: Option<u32>) -> Vec<String> {
        let l = &spec.limits;
        let mut a: Vec<String> = Vec::new();
        let mut push = |items: &[&str]| a.extend(items.iter().map(|s| s.to_string()));
        push(&["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]);
        push(&["--hostname", "kura-sandbox", "--die-with-parent", "--new-session", "--clearenv"]);
        match &self.mode {
            Mode::Root { .. } => {
                // setpriv needs these to switch uid and drop the bounding set; it drops them all.
                push(&["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]);
            }
            Mode::User => push(&["--unshare-user", "--disable-userns"]),
        }
        push(&["--ro-bind", "/usr", "/usr"]);
        for name in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            let host = Path::new("/").join(name);
            match std::fs::symlink_metadata(&host) {
                Ok(m) if m.file_type().is_symlink() => {
                    if let Ok(target) = std::fs::read_link(&host) {
                        a.extend(["--symlink".to_string(), target.to_string_lossy().into_owned(), format!("/{name}")]);
                    }
                }
                Ok(m) if m.is_dir() => a.extend(["--ro-bind".to_string(), format!("/{name}"), format!("/{name}")]),
                _ => {}
            }
        }
        let tmp_size = l.output_bytes.min(l.memory_bytes).max(1 << 20);
        a.extend(["--proc", "/proc", "--dev", "/dev"].map(String::from));
        a.extend(["--perms", "1777", "--size"].map(String::from));
        a.push(tmp_size.to_string());
        a.extend(["--tmpfs", "/tmp", "--perms", "0755", "--dir", "/inputs"].map(String::from));
        for (host, name) in &spec.inputs {
            a.extend(["--ro-bind".to_string(), path_arg(host), format!("/inputs/{name}")]);
        }
        a.extend(["--bind".to_string(), path_arg(&spec.output_dir), "/outputs".to_string()]);
        let mut made: BTreeSet<PathBuf> =
            ["/", "/usr", "/tmp", "/inputs", "/outputs", "/proc", "/dev"].into_iter().map(PathBuf::from).collect();
        for bind in &spec.read_only_binds {
            // bubblewrap would create missing parents with the host's modes (e.g. /root is 0700);
            // create them traversable.
            let mut ancestors: Vec<&Path> = bind.ancestors().skip(1).collect();
            ancestors.reverse();
            for dir in ancestors {
                if dir.starts_with("/usr") || !made.insert(dir.to_path_buf()) {
                    continue;
                }
                a.extend(["--perms".to_string(), "0755".to_string(), "--dir".to_string(), path_arg(dir)]);
            }
            a.extend(["--ro-bind".to_string(), path_arg(bind), path_arg(bind)]);
            made.insert(bind.clone());
        }
        a.extend(["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp"].map(String::from));
        for (k, v) in &spec.env {
            a.extend(["--setenv".to_string(), k.clone(), v.clone()]);
        }
        a.extend(["--chdir", "/outputs", "--"].map(String::from));
        if let (Mode::Root { setpriv, .. }, Some(uid)) = (&self.mode, uid) {
            a.push(path_arg(setpriv));
            a.extend([
                "--reuid".to_string(),
                uid.to_string(),
                "--regid".to_string(),
                uid.to_string(),
                "--clear-groups".to_string(),
                "--inh-caps=-all".to_string(),
                "--bounding-set=-all".to_string(),
                "--no-new-privs".to_string(),
                "--".to_string(),
            ]);
        }
        a.push(path_arg(&self.prlimit));
        a.push(format!("--cpu={}:{}", l.cpu_seconds, l.cpu_seconds.saturating_add(1)));
        a.push(format!("--as={}", l.memory_bytes));
        a.push(format!("--fsize={}", l.output_bytes));
        a.push(format!("--nproc={}", l.max_processes));
        a.push("--core=0".to_string());
        a.push("--nofile=1024".to_string());
        a.push("--".to_string());
        if let (Mode::Root { inner_bwrap, .. }, Some(uid)) = (&self.mode, uid) {
            // A user namespace of the pooled uid only (kernel uid = `uid`, so RLIMIT_NPROC still
            // counts), in which no further user namespace can be made: otherwise the command could
            // `unshare -Urm` and mount a tmpfs that no rlimit bounds.
            a.push(path_arg(inner_bwrap));
            a.extend(["--unshare-user", "--disable-userns", "--die-with-parent"].map(String::from));
            a.extend(["--uid".to_string(), uid.to_string(), "--gid".to_string(), uid.to_string()]);
            a.extend(["--dev-bind", "/", "/", "--chdir", "/outputs", "--"].map(String::from));
        }
        a.push(path_arg(&spec.program));
        a.extend(spec.args.iter().cloned());
        a
    }

    async fn spawn_and_wait(
        &self,
        spec: &Spec,
        args: Vec<String>,
        cgroup: Option<&cgroup::RunCgroup>,
    ) -> Result<(ExitStatus, String, Duration, Option<Limit>), SandboxError> {
        let limits = spec.limits;
        let (reader, writer) =
            std::io::pipe().map_err(|source| SandboxError::Io { context: "creating the log pipe".into(), source })?;
        let writer2 = writer
            .try_clone()
            .map_err(|source| SandboxError::Io { context: "creating the log pipe".into(), source })?;
        let mut cmd = match (cgroup, &self.memory_cgroups) {
            (Some(cgroup), Some((_, sh))) => {
                // Join the cgroup, then become bwrap (same pid: kill_on_drop still holds).
                let mut cmd = Command::new(sh);
                let join = "{ echo $$ > \"$0\"; } 2>/dev/null || { echo \"bwrap: could not join the memory cgroup $0\" >&2; exit 1; }; exec \"$@\"";
                cmd.args(["-c", join]).arg(cgroup.procs()).arg(&self.bwrap);
                cmd
            }
            _ => Command::new(&self.bwrap),
        };
        cmd.args(&args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::from(writer2))
            .process_group(0)
            .kill_on_drop(true);
        tracing::debug!(bwrap = %self.bwrap.display(), ?args, "starting script sandbox");
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|source| SandboxError::Spawn { program: self.bwrap.clone(), source })?;
        // Our copies of the pipe's write end must go, or the reader never sees the end.
        drop(cmd);
        let log_bytes = limits.log_bytes;
        let log_task = tokio::task::spawn_blocking(move || read_log(reader, log_bytes));

        let wall = tokio::time::sleep(Duration::from_secs(limits.wall_seconds));
        tokio::pin!(wall);
        let mut poll = tokio::time::interval(OUTPUT_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut killed_for = None;
        let status = loop {
            tokio::select! {
                status = child.wait() => {
                    break status.map_err(|source| SandboxError::Io { context: "waiting for the sandbox".into(), source })?;
                }
                _ = &mut wall, if killed_for.is_none() => {
                    killed_for = Some(Limit::WallTime);
                    let _ = child.start_kill();
                }
                _ = poll.tick(), if killed_for.is_none() => {
                    let dir = spec.output_dir.clone();
                    let size = tokio::task::spawn_blocking(move || dir_size(&dir).1).await.unwrap_or(0);
                    if size > limits.output_bytes {
                        killed_for = Some(Limit::OutputSize);
                        let _ = child.start_kill();
                    }
                }
            }
        };
        let elapsed = started.elapsed();
        // Every writer was in the sandbox's PID namespace, which is gone: the log ends promptly.
        let log = match tokio::time::timeout(Duration::from_secs(5), log_task).await {
            Ok(Ok(log)) => log,
            _ => "[kura: the log could not be read to its end]".to_string(),
        };
        Ok((status, log, elapsed, killed_for))
    }
}

/// What follows every run, also when the node drops the run's future (then `kill_on_drop` has
/// killed the sandbox): the output goes back to the node, the memory cgroup goes away.
struct Cleanup {
    hand_back: Option<(PathBuf, u32, u32)>,
    cgroup: Option<cgroup::RunCgroup>,
}

impl Cleanup {
    fn hand_back(&mut self) {
        if let Some((dir, uid, gid)) = self.hand_back.take()
            && let Err(e) = hand_back(&dir, uid, gid)
        {
            tracing::warn!(dir = %dir.display(), error = %e, "could not hand the script's output back");
        }
    }

    async fn finish(mut self) {
        self.hand_back();
        if let Some(cgroup) = self.cgroup.take() {
            cgroup.remove().await;
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.hand_back();
        if let Some(cgroup) = self.cgroup.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(cgroup.remove());
        }
    }
}

/// Whether the wrappers, not the command, failed: bubblewrap refused the set-up, `setpriv` or
/// `prlimit` could not do their part, or the program is not there to run.
fn setup_failed(status: ExitStatus, log: &str) -> bool {
    matches!(status.code(), Some(1 | 126 | 127))
        && ["bwrap: ", "setpriv: ", "prlimit: "].iter().any(|p| log.starts_with(p))
}
