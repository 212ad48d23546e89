//! The host side of inputs and outputs: the spec checked, permissions, the output measured,
//! links removed and the output handed back to the node.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use crate::{SandboxError, Spec};

pub(crate) fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

pub(crate) fn check_spec(spec: &Spec, root_mode: bool) -> Result<(), SandboxError> {
    let bad = |m: String| Err(SandboxError::InvalidSpec(m));
    let plain_absolute =
        |p: &Path| p.is_absolute() && p.components().all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
    if !plain_absolute(&spec.program) {
        return bad(format!("the program {} must be an absolute path without `..`", spec.program.display()));
    }
    if !spec.output_dir.is_dir() {
        return bad(format!("the output directory {} is not a directory", spec.output_dir.display()));
    }
    let mut names = BTreeSet::new();
    for (host, name) in &spec.inputs {
        if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
            return bad(format!("the input name {name:?} is not a plain file name"));
        }
        if !names.insert(name) {
            return bad(format!("the input name {name:?} is given twice"));
        }
        if !host.exists() {
            return bad(format!("the input {} does not exist", host.display()));
        }
        if root_mode {
            world_readable(host)?;
        }
    }
    for bind in &spec.read_only_binds {
        if !plain_absolute(bind) || bind == Path::new("/") {
            return bad(format!(
                "the read-only bind {} must be an absolute path without `..` and not /",
                bind.display()
            ));
        }
        for reserved in ["/inputs", "/outputs", "/tmp", "/proc", "/dev"] {
            if bind.starts_with(reserved) {
                return bad(format!("the read-only bind {} would hide the sandbox's {reserved}", bind.display()));
            }
        }
        if !bind.exists() {
            return bad(format!("the read-only bind {} does not exist", bind.display()));
        }
    }
    for (k, v) in &spec.env {
        if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
            return bad(format!("the environment variable {k:?} is invalid (empty, `=` in its name, or NUL)"));
        }
    }
    if spec.args.iter().any(|a| a.contains('\0')) {
        return bad("an argument contains a NUL byte".to_string());
    }
    if spec.limits.wall_seconds == 0 {
        return bad("the wall-time limit must be at least 1 s".to_string());
    }
    Ok(())
}

/// The sandbox uid reads inputs as "others": files need o+r, directories o+rx.
pub(crate) fn world_readable(path: &Path) -> Result<(), SandboxError> {
    let meta = std::fs::metadata(path)
        .map_err(|source| SandboxError::Io { context: format!("reading {}", path.display()), source })?;
    let mode = meta.permissions().mode();
    let need = if meta.is_dir() { 0o005 } else { 0o004 };
    if mode & need != need {
        return Err(SandboxError::InvalidSpec(format!(
            "the input {} (mode {:o}) is not readable by others, so not by the sandbox's uid: materialise inputs world-readable",
            path.display(),
            mode & 0o7777
        )));
    }
    if meta.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|source| SandboxError::Io { context: format!("listing {}", path.display()), source })?;
        for entry in entries.flatten() {
            // Links are not followed (they cannot reach outside the input in the sandbox anyway).
            if entry.file_type().is_ok_and(|t| !t.is_symlink()) {
                world_readable(&entry.path())?;
            }
        }
    }
    Ok(())
}

/// What each entry of the output (file, directory, link) counts towards the output limit besides
/// its length, so that millions of empty files cannot exhaust the host's inodes.
pub(crate) const ENTRY_BYTES: u64 = 256;

/// Sum of the sizes of the regular files under `dir` (links not followed): their lengths, and
/// the same counting space allocated well past a file's end and [`ENTRY_BYTES`] per entry.
pub(crate) fn dir_size(dir: &Path) -> (u64, u64) {
    let mut total = 0u64;
    let mut allocated = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else { continue };
            allocated = allocated.saturating_add(ENTRY_BYTES);
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
                // Space allocated well past the end (`fallocate` with KEEP_SIZE) counts too;
                // a small file's last block does not.
                let on_disk = meta.blocks().saturating_mul(512);
                let used = if on_disk > meta.len().saturating_add(64 << 10) { on_disk } else { meta.len() };
                allocated = allocated.saturating_add(used);
            }
        }
    }
    (total, allocated)
}

/// Removes symbolic links and special files (FIFOs, sockets) under `dir`; returns their paths.
pub(crate) fn remove_links(dir: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = path.symlink_metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if !meta.is_file() && std::fs::remove_file(&path).is_ok() {
                let shown = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
                tracing::warn!(path = %path.display(), "removed a symbolic link or special file a script left in its output");
                removed.push(shown);
            }
        }
    }
    removed
}

/// Gives the output tree back to the node's uid (links themselves, not their targets).
pub(crate) fn hand_back(dir: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(dir, Some(uid), Some(gid))?;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)?.flatten() {
            let path = entry.path();
            std::os::unix::fs::lchown(&path, Some(uid), Some(gid))?;
            if path.symlink_metadata()?.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(())
}

/// The read-only binds a Python needs in the sandbox besides `/usr`: for a venv's `bin/python`,
/// the venv and the installation its `pyvenv.cfg` names (`home`, one level up) when that is not
/// under `/usr`; nothing for a system Python.
pub fn python_binds(python: &Path) -> Vec<PathBuf> {
    let Some(venv) = python.parent().and_then(Path::parent) else { return Vec::new() };
    let Ok(cfg) = std::fs::read_to_string(venv.join("pyvenv.cfg")) else { return Vec::new() };
    let mut binds = vec![venv.to_path_buf()];
    if let Some(home) = cfg.lines().find_map(|l| l.strip_prefix("home = "))
        && let Some(prefix) = Path::new(home.trim()).parent().filter(|p| !p.starts_with("/usr"))
    {
        binds.push(prefix.to_path_buf());
    }
    binds
}
