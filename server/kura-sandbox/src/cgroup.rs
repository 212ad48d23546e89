//! An optional memory cgroup per run, where the node may make child cgroups of its own.
//!
//! `RLIMIT_AS` bounds each process's address space, but not memory that belongs to no mapping:
//! `memfd` and tmpfs pages written with `write(2)`, SysV shared memory after `shmdt`, pipe
//! buffers. A memory cgroup counts all of those. Without one (no writable cgroup here) the
//! memory limit rests on `RLIMIT_AS` alone; see the crate documentation.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Where run cgroups are made: a child of the node's own memory cgroup.
#[derive(Debug, Clone)]
pub(crate) struct MemoryCgroups {
    parent: PathBuf,
    v2: bool,
}

/// The memory cgroup of one run.
#[derive(Debug)]
pub(crate) struct RunCgroup {
    dir: PathBuf,
    v2: bool,
}

fn limit_file(v2: bool) -> &'static str {
    if v2 { "memory.max" } else { "memory.limit_in_bytes" }
}

impl MemoryCgroups {
    /// The node's memory cgroup, if it can hold child cgroups with a memory limit.
    pub(crate) fn detect() -> Option<MemoryCgroups> {
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let mut found = None;
        for line in own.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let path = path.trim_start_matches('/');
            if controllers.split(',').any(|c| c == "memory") {
                found = Some(MemoryCgroups { parent: Path::new("/sys/fs/cgroup/memory").join(path), v2: false });
                break;
            }
            let unified_memory = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
                .is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"));
            if controllers.is_empty() && unified_memory {
                found = Some(MemoryCgroups { parent: Path::new("/sys/fs/cgroup").join(path), v2: true });
            }
        }
        let cgroups = found?;
        let probe = cgroups.create(u64::MAX / 2).ok()?;
        probe.remove_now().ok()?;
        cgroups.sweep();
        Some(cgroups)
    }

    /// Removes the (empty) run cgroups a node that is gone left behind, e.g. after a crash.
    fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.parent) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix("kura-sandbox-").and_then(|rest| rest.split('-').next()) else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() && std::fs::remove_dir(entry.path()).is_ok() {
                tracing::info!(cgroup = %entry.path().display(), "removed a script cgroup left by an earlier node process");
            }
        }
    }

    /// A new cgroup limited to `limit` bytes (swap included where the kernel counts it).
    pub(crate) fn create(&self, limit: u64) -> std::io::Result<RunCgroup> {
        let name = format!("kura-sandbox-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = self.parent.join(name);
        std::fs::create_dir(&dir)?;
        let run = RunCgroup { dir, v2: self.v2 };
        let limited = std::fs::write(run.dir.join(limit_file(self.v2)), limit.to_string());
        if let Err(e) = limited {
            let _ = run.remove_now();
            return Err(e);
        }
        // Swap: best effort (absent when the kernel does not account it).
        let _ = if self.v2 {
            std::fs::write(run.dir.join("memory.swap.max"), "0")
        } else {
            std::fs::write(run.dir.join("memory.memsw.limit_in_bytes"), limit.to_string())
        };
        Ok(run)
    }
}

impl RunCgroup {
    /// The file a process writes its pid into to join.
    pub(crate) fn procs(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// Whether the kernel killed a process of the run for want of memory.
    pub(crate) fn oom_killed(&self) -> bool {
        let file = if self.v2 { "memory.events" } else { "memory.oom_control" };
        let Ok(text) = std::fs::read_to_string(self.dir.join(file)) else { return false };
        let count =
            |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).and_then(|n| n.trim().parse::<u64>().ok());
        match count("oom_kill ") {
            Some(n) => n > 0,
            // Kernels before 4.13 have no oom_kill counter in v1: the limit was hit at least.
            None => std::fs::read_to_string(self.dir.join("memory.failcnt"))
                .ok()
                .and_then(|n| n.trim().parse::<u64>().ok())
                .is_some_and(|n| n > 0),
        }
    }

    fn remove_now(&self) -> std::io::Result<()> {
        std::fs::remove_dir(&self.dir)
    }

    /// Removes the cgroup once its last process is gone (the kernel reaps a dead PID namespace
    /// asynchronously, so this waits up to 5 s).
    pub(crate) async fn remove(self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut pause = Duration::from_millis(1);
        while std::time::Instant::now() < deadline {
            match self.remove_now() {
                Ok(()) => return,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
            }
        }
        tracing::warn!(cgroup = %self.dir.display(), "could not remove a script's memory cgroup");
    }
}
