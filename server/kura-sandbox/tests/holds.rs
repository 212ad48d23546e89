//! The sandbox holds: real processes in a real bubblewrap sandbox, no mocks.
//!
//! Each test uses its own small range of sandbox uids, so that "no process is left behind" can be
//! checked exactly (no process of those uids exists afterwards), and ends by checking that the node
//! keeps serving: the test process can still start processes and a normal sandboxed run succeeds.

use std::path::{Path, PathBuf};
use std::process::Command;

use kura_sandbox::{Ended, Limit, Limits, Outcome, Sandbox, Spec};

const PY: &str = "/usr/bin/python3";
/// The Python venv with pyarrow that CI installs (`.ci/run`), or `KURA_VENV`.
fn venv() -> String {
    std::env::var("KURA_VENV")
        .unwrap_or_else(|_| format!("{}/.cache/kura-venv", std::env::var("HOME").unwrap_or_default()))
}

/// Whether a missing sandbox (bubblewrap not installed, say) fails the tests instead of skipping
/// them: CI sets it, so the sandbox is always tested there.
fn required() -> bool {
    std::env::var_os("KURA_REQUIRE_SANDBOX").is_some()
}

fn limits() -> Limits {
    Limits {
        cpu_seconds: 10,
        memory_bytes: 512 << 20,
        wall_seconds: 60,
        output_bytes: 8 << 20,
        max_processes: 32,
        log_bytes: 16 << 10,
    }
}

/// A sandbox whose runs use the uids `uid_start..uid_start + 4`.
async fn sandbox(uid_start: u32) -> Option<Sandbox> {
    let sandbox = match Sandbox::detect().await {
        Ok(sandbox) => sandbox,
        Err(e) if !required() => {
            eprintln!("skipped: no sandbox on this machine ({e}); install bubblewrap (CI sets KURA_REQUIRE_SANDBOX)");
            return None;
        }
        Err(e) => panic!("the sandbox is required here: {e}"),
    };
    if !sandbox.process_limit_holds() && !required() {
        eprintln!("skipped: the process limit holds only for a node running as root (as CI does)");
        return None;
    }
    assert!(sandbox.process_limit_holds(), "these tests run as root, where the process limit holds");
    Some(sandbox.with_uid_range(uid_start, 4))
}

fn spec(out: &Path, program: &str, args: &[&str]) -> Spec {
    Spec {
        program: program.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        inputs: vec![],
        output_dir: out.to_path_buf(),
        read_only_binds: vec![],
        env: vec![],
        limits: limits(),
    }
}

fn python(out: &Path, code: &str) -> Spec {
    spec(out, PY, &["-u", "-c", code])
}

/// Processes (by /proc) whose real uid is in `uid_start..uid_start + 4`.
fn processes_of(uid_start: u32) -> Vec<String> {
    let mut found = vec![];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let uid: Option<u32> = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|u| u.parse().ok());
        if uid.is_some_and(|u| (uid_start..uid_start + 4).contains(&u)) {
            found.push(status.lines().take(1).collect());
        }
    }
    found
}

/// The node is fine: nothing of the run is left, this process can start processes, and a normal
/// sandboxed run still works.
async fn node_keeps_serving(sandbox: &Sandbox, uid_start: u32) {
    let mut left = processes_of(uid_start);
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        // The kernel reaps a dead PID namespace asynchronously; give it a moment.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = processes_of(uid_start);
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
    assert!(Command::new("/usr/bin/true").status().unwrap().success());
    let out = tempfile::tempdir().unwrap();
    let o = sandbox.run(spec(out.path(), "/usr/bin/echo", &["still serving"])).await.unwrap();
    assert_eq!(o.ended, Ended::Exited(0), "{}: {}", o.message(), o.log);
    assert_eq!(o.log.trim(), "still serving");
}

/// Runs a Python snippet with the default limits and a fresh output directory.
async fn run_python(sb: &Sandbox, code: &str) -> (tempfile::TempDir, Outcome) {
    run_limited(sb, PY, &["-u", "-c", code], |_| {}).await
}

/// Runs a program with the default limits as `adjust` changes them, and a fresh output directory.
async fn run_limited(
    sb: &Sandbox,
    program: &str,
    args: &[&str],
    adjust: impl FnOnce(&mut Limits),
) -> (tempfile::TempDir, Outcome) {
    let out = tempfile::tempdir().unwrap();
    let mut s = spec(out.path(), program, args);
    adjust(&mut s.limits);
    let o = sb.run(s).await.unwrap();
    (out, o)
}

fn show(o: &Outcome) -> String {
    format!("{:?} / {} / log: {}", o.ended, o.message(), o.log)
}

#[tokio::test]
async fn the_network_is_unreachable() {
    let Some(sb) = sandbox(59_100).await else { return };
    let (_out, o) =
        run_python(&sb, "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=5)\nprint('CONNECTED')")
            .await;
    assert_eq!(o.ended, Ended::Exited(1), "{}", show(&o));
    assert!(!o.log.contains("CONNECTED"), "{}", show(&o));
    assert!(o.log.contains("Network is unreachable"), "{}", show(&o));
    assert_eq!(o.message(), "the script failed with exit code 1");

    // No name resolution either, and only the loopback interface.
    let (_out, o) = run_python(
        &sb,
        "import socket\nprint(sorted(n for _, n in socket.if_nameindex()))\nsocket.getaddrinfo('example.com', 80)",
    )
    .await;
    assert_eq!(o.ended, Ended::Exited(1), "{}", show(&o));
    assert!(o.log.contains("['lo']"), "{}", show(&o));
    assert!(o.log.contains("gaierror"), "{}", show(&o));
    node_keeps_serving(&sb, 59_100).await;
}

#[tokio::test]
async fn host_files_are_out_of_sight() {
    let Some(sb) = sandbox(59_110).await else { return };
    let out = tempfile::tempdir().unwrap();

    let o = sb.run(spec(out.path(), "/usr/bin/cat", &["/etc/passwd"])).await.unwrap();
    assert_eq!(o.ended, Ended::Exited(1), "{}", show(&o));
    assert!(o.log.contains("No such file or directory"), "{}", show(&o));
    assert!(!o.log.contains("root:"), "{}", show(&o));

    // Two datasets side by side; only one is an input.
    let store = tempfile::tempdir().unwrap();
    let mine = store.path().join("dataset-a");
    let other = store.path().join("dataset-b");
    std::fs::create_dir(&mine).unwrap();
    std::fs::create_dir(&other).unwrap();
    std::fs::write(mine.join("data.csv"), "a\n1\n").unwrap();
    std::fs::write(other.join("secret.csv"), "TOP-SECRET\n").unwrap();
    for p in [store.path(), &mine, &other] {
        set_mode(p, 0o755);
    }
    set_mode(&mine.join("data.csv"), 0o644);
    set_mode(&other.join("secret.csv"), 0o644);
    let secret = other.join("secret.csv");
    let script = format!(
        "import os\nprint(open('/inputs/a/data.csv').read().strip())\n\
         for p in [{secret:?}, '/inputs/a/../dataset-b/secret.csv', '/inputs/../dataset-b/secret.csv']:\n\
         \x20   try:\n\
         \x20       print('READ', open(p).read())\n\
         \x20   except OSError as e:\n\
         \x20       print('DENIED', p, e.strerror)\n\
         print(sorted(os.listdir('/')))\n\
         open({secret:?}).read()\n",
    );
    let mut s = python(out.path(), &script);
    s.inputs = vec![(mine.clone(), "a".to_string())];
    let o = sb.run(s).await.unwrap();
    assert_eq!(o.ended, Ended::Exited(1), "{}", show(&o));
    assert!(o.log.starts_with("a\n1\n"), "the input is readable: {}", show(&o));
    assert!(!o.log.contains("TOP-SECRET") && !o.log.contains("READ"), "{}", show(&o));
    assert_eq!(o.log.matches("DENIED").count(), 3, "{}", show(&o));
    assert!(o.log.contains("FileNotFoundError"), "{}", show(&o));
    assert!(
        o.log.contains("['bin', 'dev', 'inputs', 'lib', 'lib64', 'outputs', 'proc', 'sbin', 'tmp', 'usr']"),
        "{}",
        show(&o)
    );
    node_keeps_serving(&sb, 59_110).await;
}

#[tokio::test]
async fn inputs_are_read_only() {
    let Some(sb) = sandbox(59_120).await else { return };
    let out = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    set_mode(input.path(), 0o755);
    let file = input.path().join("data.csv");
    std::fs::write(&file, "a\n1\n").unwrap();
    set_mode(&file, 0o666); // even writable by everyone on the host
    let script = "import os\n\
        for f in [lambda: open('/inputs/d/data.csv', 'a').write('2\\n'), lambda: open('/inputs/d/new.csv', 'w'),\n\
        \x20         lambda: os.remove('/inputs/d/data.csv'), lambda: os.mkdir('/inputs/x')]:\n\
        \x20   try:\n\
        \x20       f()\n\
        \x20       print('WROTE')\n\
        \x20   except OSError as e:\n\
        \x20       print('DENIED', e.strerror)\n\
        open('/inputs/d/data.csv', 'a').write('2\\n')\n";
    let mut s = python(out.path(), script);
    s.inputs = vec![(input.path().to_path_buf(), "d".to_string())];
    let o = sb.run(s).await.unwrap();
    assert_eq!(o.ended, Ended::Exited(1), "{}", show(&o));
    assert!(!o.log.contains("WROTE"), "{}", show(&o));
    assert_eq!(o.log.matches("DENIED Read-only file system").count(), 3, "{}", show(&o));
    assert!(o.log.contains("Read-only file system"), "{}", show(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\n1\n");
    assert_eq!(std::fs::read_dir(input.path()).unwrap().count(), 1);
    node_keeps_serving(&sb, 59_120).await;
}

#[tokio::test]
async fn a_fork_bomb_hits_the_process_limit() {
    let Some(sb) = sandbox(59_130).await else { return };
    let (_out, o) = run_python(&sb, "import os\nwhile True:\n    os.fork()\n").await;
    assert_eq!(o.ended, Ended::LimitExceeded(Limit::Processes), "{}", show(&o));
    assert_eq!(o.message(), "the script tried to run more than 32 processes or threads at once and failed");

    // A shell one whose first process waits is stopped by the wall-time limit, and reported as
    // the process limit it ran into; it leaves nothing behind either.
    let (_out, o) = run_limited(&sb, "/bin/sh", &["-c", "f() { f | f & }; f; sleep 600"], |l| l.wall_seconds = 3).await;
    assert_eq!(o.ended, Ended::LimitExceeded(Limit::Processes), "{}", show(&o));
    node_keeps_serving(&sb, 59_130).await;
}

/// Runs `program` in a sandbox of its own uids and checks it ends by `limit` with `message`,
/// and that the node keeps serving.
async fn ends_by_limit(
    uid_start: u32,
    (program, args): (&str, &[&str]),
    adjust: impl FnOnce(&mut Limits),
    limit: Limit,
    message: &str,
) {
    let Some(sb) = sandbox(uid_start).await else { return };
    let (_out, o) = run_limited(&sb, program, args, adjust).await;
    assert_eq!(o.ended, Ended::LimitExceeded(limit), "{}", show(&o));
    assert_eq!(o.message(), message);
    node_keeps_serving(&sb, uid_start).await;
}

#[tokio::test]
async fn allocating_without_bound_hits_the_memory_limit() {
    let grow = "x = []\nwhile True:\n    x.append(bytearray(16 << 20))\n";
    let message = "the script tried to use more than 512 MiB of memory and failed";
    ends_by_limit(59_140, (PY, &["-c", grow]), |_| {}, Limit::Memory, message).await;
}

#[tokio::test]
async fn memory_no_rlimit_sees_is_bounded_by_the_cgroup() {
    // memfd pages written with write(2) belong to no mapping: RLIMIT_AS does not see them.
    let Some(probe) = sandbox(59_230).await else { return };
    if !probe.memory_cgroup() {
        eprintln!("skipped: no memory cgroup can be made here, the memory limit rests on RLIMIT_AS alone");
        return;
    }
    let fill = "import os\nfds = []\nwhile True:\n    fd = os.memfd_create('x')\n    for _ in range(7):\n        os.write(fd, b'x' * (1 << 20))\n    fds.append(fd)\n";
    let message = "the script tried to use more than 512 MiB of memory and failed";
    ends_by_limit(59_230, (PY, &["-c", fill]), |_| {}, Limit::Memory, message).await;
}

#[tokio::test]
async fn a_busy_loop_hits_the_cpu_limit() {
    let spin = (PY, &["-c", "while True:\n    pass\n"][..]);
    let message = "the script used more than 1 s of CPU time and was stopped";
    ends_by_limit(59_150, spin, |l| l.cpu_seconds = 1, Limit::CpuTime, message).await;
}

#[tokio::test]
async fn a_sleep_hits_the_wall_time_limit() {
    // A child in the background too: it must not survive the run.
    let sleep = ("/bin/sh", &["-c", "sleep 600 & sleep 600"][..]);
    let message = "the script ran longer than 1 s and was stopped";
    ends_by_limit(59_160, sleep, |l| l.wall_seconds = 1, Limit::WallTime, message).await;
}

#[tokio::test]
async fn writing_past_the_output_limit_fails() {
    let Some(sb) = sandbox(59_170).await else { return };
    let limit = limits().output_bytes;

    // One big file: RLIMIT_FSIZE (Python ignores SIGXFSZ and gets EFBIG).
    let (out, o) =
        run_python(&sb, "with open('/outputs/big', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))\n")
            .await;
    assert_eq!(o.ended, Ended::LimitExceeded(Limit::OutputSize), "{}", show(&o));
    assert_eq!(o.message(), "the script wrote more than 8 MiB of output and was stopped");
    assert!(std::fs::metadata(out.path().join("big")).unwrap().len() <= limit);

    // The same with a program that does not catch SIGXFSZ.
    let out = tempfile::tempdir().unwrap();
    let o = sb.run(spec(out.path(), "/bin/sh", &["-c", "head -c 100000000 /dev/zero > /outputs/big"])).await.unwrap();
    assert_eq!(o.ended, Ended::LimitExceeded(Limit::OutputSize), "{}", show(&o));

    // Many files, each under the limit: the total is what counts.
    let (_out, o) =
        run_python(&sb, "for i in range(1000):\n    open(f'/outputs/f{i}', 'wb').write(b'x' * (1 << 20))\n").await;
    assert_eq!(o.ended, Ended::LimitExceeded(Limit::OutputSize), "{}", show(&o));
    assert!(o.output_bytes > limit);

    // Many empty files: each entry counts, the host's inodes are not the script's to exhaust.
    let (_out, o) = run_python(
        &sb,
        "import os\nfor i in range(10**6):\n    os.close(os.open(f'/outputs/e{i}', os.O_CREAT | os.O_WRONLY))\n",
    )
    .await;
    assert_eq!(o.ended, Ended::LimitExceeded(Limit::OutputSize), "{}", show(&o));
    assert_eq!(o.output_bytes, 0);

    // /tmp is small too (as large as the output limit).
    let (_out, o) =
        run_python(&sb, "for i in range(100):\n    open(f'/tmp/f{i}', 'wb').write(b'x' * (1 << 20))\n").await;
    assert_eq!(o.ended, Ended::Exited(1), "{}", show(&o));
    assert!(o.log.contains("No space left on device"), "{}", show(&o));
    node_keeps_serving(&sb, 59_170).await;
}

#[tokio::test]
async fn no_namespace_escapes_the_limits() {
    // Inside a user namespace of its own the command could mount a tmpfs that no rlimit bounds.
    let Some(sb) = sandbox(59_220).await else { return };
    let (_out, o) = run_limited(
        &sb,
        "/usr/bin/unshare",
        &["-Urm", "/bin/sh", "-c", "mount -t tmpfs none /tmp; echo MOUNTED"],
        |_| {},
    )
    .await;
    assert_ne!(o.ended, Ended::Exited(0), "{}", show(&o));
    assert!(!o.log.contains("MOUNTED"), "{}", show(&o));
    assert!(o.log.contains("unshare failed"), "{}", show(&o));
    // Nor mount without one, nor see a capability.
    let code = "mount -t tmpfs none /tmp && echo MOUNTED; grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status; id -u";
    let (_out, o) = run_limited(&sb, "/bin/sh", &["-c", code], |_| {}).await;
    assert!(!o.log.contains("MOUNTED"), "{}", show(&o));
    assert_eq!(o.log.matches("0000000000000000").count(), 4, "{}", show(&o));
    node_keeps_serving(&sb, 59_220).await;
}

#[tokio::test]
async fn a_run_the_node_drops_leaves_nothing_behind() {
    let Some(sb) = sandbox(59_240).await else { return };
    let out = tempfile::tempdir().unwrap();
    let s = spec(out.path(), "/bin/sh", &["-c", "echo started > /outputs/f; sleep 600 & sleep 600"]);
    // The node gives up on the job (e.g. it was cancelled): the run's future is dropped.
    let dropped = tokio::time::timeout(std::time::Duration::from_secs(2), sb.run(s)).await;
    assert!(dropped.is_err(), "the run did not end by itself");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(out.path()).unwrap().uid(), 0, "the output is the node's again");
    node_keeps_serving(&sb, 59_240).await;
}

#[tokio::test]
async fn a_long_log_is_truncated_with_a_marker() {
    let Some(sb) = sandbox(59_180).await else { return };
    let code = "print('FIRST')\nfor i in range(100000):\n    print('line', i)\nprint('LAST')\n";
    let (_out, o) = run_limited(&sb, PY, &["-c", code], |l| l.log_bytes = 1000).await;
    assert_eq!(o.ended, Ended::Exited(0), "{}", show(&o));
    assert!(o.log.starts_with("FIRST\n"), "{}", o.log);
    assert!(o.log.ends_with("LAST\n"), "{}", o.log);
    assert!(o.log.contains("[kura: log truncated,"), "{}", o.log);
    assert!(o.log.len() < 1200);
    node_keeps_serving(&sb, 59_180).await;
}

#[tokio::test]
async fn links_to_host_files_do_not_leave_the_sandbox() {
    let Some(sb) = sandbox(59_190).await else { return };
    let (out, o) = run_python(&sb, "import os\nos.symlink('/etc/passwd', '/outputs/passwd')\nos.mkfifo('/outputs/fifo')\nopen('/outputs/ok.csv', 'w').write('a\\n')\n").await;
    assert_eq!(o.ended, Ended::Exited(0), "{}", show(&o));
    assert!(o.log.contains("removed 2 symbolic link(s) or special file(s)"), "{}", o.log);
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("ok.csv")]);
    node_keeps_serving(&sb, 59_190).await;
}

#[tokio::test]
async fn a_spec_the_node_got_wrong_is_a_system_error() {
    let Some(sb) = sandbox(59_200).await else { return };
    let out = tempfile::tempdir().unwrap();
    let mut s = spec(out.path(), "/usr/bin/true", &[]);
    s.inputs = vec![("/nonexistent/dataset".into(), "d".to_string())];
    let e = sb.run(s).await.unwrap_err();
    assert!(matches!(e, kura_sandbox::SandboxError::InvalidSpec(_)), "{e}");
    assert!(e.to_string().contains("/nonexistent/dataset does not exist"), "{e}");

    let private = tempfile::tempdir().unwrap();
    set_mode(private.path(), 0o700);
    let mut s = spec(out.path(), "/usr/bin/true", &[]);
    s.inputs = vec![(private.path().to_path_buf(), "d".to_string())];
    let e = sb.run(s).await.unwrap_err();
    assert!(e.to_string().contains("not readable by others"), "{e}");

    // A program that is not in the sandbox (not under /usr nor in a bind) is the node's error too.
    let e = sb.run(spec(out.path(), "/opt/not-there/python", &[])).await.unwrap_err();
    assert!(matches!(e, kura_sandbox::SandboxError::Setup(_)), "{e}");
    assert!(e.to_string().contains("/opt/not-there/python"), "{e}");

    // A failing command is an outcome, not an error.
    let o = sb.run(spec(out.path(), "/usr/bin/false", &[])).await.unwrap();
    assert_eq!(o.ended, Ended::Exited(1));
    node_keeps_serving(&sb, 59_200).await;
}

/// The venv's `bin/python` links to the Python installation named by `pyvenv.cfg`'s `home`.
fn venv_binds() -> Option<Vec<PathBuf>> {
    let python = PathBuf::from(venv()).join("bin/python");
    Some(kura_sandbox::python_binds(&python)).filter(|binds| !binds.is_empty())
}

#[tokio::test]
async fn a_pyarrow_script_computes_what_pyarrow_computes() {
    let Some(binds) = venv_binds() else {
        assert!(!required(), "the pyarrow venv {} is required here", venv());
        eprintln!("skipped: no pyarrow venv at {} (set KURA_VENV)", venv());
        return;
    };
    let venv_python = format!("{}/bin/python", venv());
    let Some(sb) = sandbox(59_210).await else { return };
    let input = tempfile::tempdir().unwrap();
    set_mode(input.path(), 0o755);
    let parquet = input.path().join("measurements.parquet");
    let made = Command::new(&venv_python)
        .args([
            "-c",
            "import sys, pyarrow as pa, pyarrow.parquet as pq\n\
             n = 10000\n\
             t = pa.table({'g': [f'g{i % 7}' for i in range(n)], 'x': list(range(n)), 'y': [i * 0.25 for i in range(n)]})\n\
             pq.write_table(t, sys.argv[1])\n",
        ])
        .arg(&parquet)
        .status()
        .unwrap();
    assert!(made.success());
    set_mode(&parquet, 0o644);

    let script = "import sys, os, pyarrow.parquet as pq, pyarrow.csv as csv\n\
        t = pq.read_table(sys.argv[1])\n\
        r = t.group_by('g').aggregate([('x', 'sum'), ('y', 'mean')]).sort_by('g')\n\
        csv.write_csv(r, sys.argv[2])\n\
        print('uid', os.getuid(), 'rows', r.num_rows)\n";
    let out = tempfile::tempdir().unwrap();
    let s = Spec {
        program: venv_python.clone().into(),
        args: vec!["-c".into(), script.into(), "/inputs/m.parquet".into(), "/outputs/result.csv".into()],
        inputs: vec![(parquet.clone(), "m.parquet".to_string())],
        output_dir: out.path().to_path_buf(),
        read_only_binds: binds,
        env: vec![("OMP_NUM_THREADS".into(), "1".into())],
        limits: Limits { memory_bytes: 2 << 30, max_processes: 64, ..limits() },
    };
    let o = sb.run(s).await.unwrap();
    assert_eq!(o.ended, Ended::Exited(0), "{}", show(&o));
    assert!(o.log.contains("rows 7"), "{}", show(&o));
    let uid: u32 = o.log.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((59_210..59_214).contains(&uid), "runs as a pooled unprivileged uid: {}", o.log);

    // The same computation by pyarrow directly, outside the sandbox.
    let expected_dir = tempfile::tempdir().unwrap();
    let expected = expected_dir.path().join("expected.csv");
    let direct = Command::new(&venv_python).args(["-c", script]).arg(&parquet).arg(&expected).output().unwrap();
    assert!(direct.status.success(), "{}", String::from_utf8_lossy(&direct.stderr));
    let got = std::fs::read(out.path().join("result.csv")).unwrap();
    assert_eq!(String::from_utf8(got.clone()).unwrap(), std::fs::read_to_string(&expected).unwrap());
    assert!(String::from_utf8(got.clone()).unwrap().starts_with("\"g\",\"x_sum\",\"y_mean\"\n\"g0\","));
    assert_eq!(o.output_bytes, got.len() as u64);

    // The output is handed back to the node.
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(out.path().join("result.csv")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (0, 0));
    assert_eq!(std::fs::metadata(out.path()).unwrap().uid(), 0);
    node_keeps_serving(&sb, 59_210).await;
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}
