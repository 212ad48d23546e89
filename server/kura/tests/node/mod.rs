//! The built `kura` binary, as an operator runs it: one-shot commands and a `kura serve` on
//! port 0 whose address is read from its log. Shared by several test files, each using part.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// Environment of every run: the data directory, loopback ports, and a database URL or none.
pub fn env(data: &Path, database_url: Option<&str>) -> Vec<(String, String)> {
    let mut env = vec![
        ("KURA_DATA_DIR".to_owned(), data.display().to_string()),
        ("KURA_HTTP_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("KURA_FLIGHT_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("KURA_LOG".to_owned(), "warn".to_owned()),
    ];
    if let Some(url) = database_url {
        env.push(("KURA_DATABASE_URL".to_owned(), url.to_owned()));
    }
    env
}

/// Runs `kura ARGS` to completion.
pub fn kura(env: &[(String, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("KURA_CONFIG")
        .output()
        .expect("run kura")
}

/// Runs `kura ARGS`, which must succeed; returns its stdout.
pub fn kura_ok(env: &[(String, String)], args: &[&str]) -> String {
    let out = kura(env, args);
    assert!(out.status.success(), "kura {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running `kura serve`, killed when dropped.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Every stderr line so far.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Node {
    /// Starts `kura serve` and waits until it says where it listens (it serves from then on).
    pub fn start(env: &[(String, String)]) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kura"))
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("KURA_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kura serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (address, found) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr"));
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(at) = line.find("kura listening on http://") {
                    let rest = &line[at + "kura listening on ".len()..];
                    let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
                    let _ = address.send(rest[..end].to_owned());
                }
                kept.lock().unwrap().push(line);
            }
        });
        let base = match found.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!("kura serve did not start: {:?}", stderr.lock().unwrap());
            }
        };
        Node { child, base, stderr }
    }

    /// Stops the server (as an orchestrator's last resort would) and waits for it to exit.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader thread ends with the pipe; give it a moment to take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
