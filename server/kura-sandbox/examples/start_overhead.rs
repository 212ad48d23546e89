//! The overhead of a script job's sandbox start (issue 21, target ≤ 100 ms): the median over
//! `RUNS` runs (default 50) of `/usr/bin/true` in the sandbox against `/usr/bin/true` started
//! directly, both through `tokio::process` and waited for.
//!
//! ```text
//! CARGO_TARGET_DIR=/root/.cache/kt-sandbox cargo run -p kura-sandbox --example start_overhead [RUNS]
//! ```

use std::time::{Duration, Instant};

use kura_sandbox::{Ended, Limits, Sandbox, Spec};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let sandbox = Sandbox::detect().await.expect("the sandbox is available");
    let out = std::env::temp_dir().join(format!("kura-sandbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();

    let mut direct = Vec::with_capacity(runs);
    let mut sandboxed = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let status = tokio::process::Command::new("/usr/bin/true").status().await.unwrap();
        direct.push(t.elapsed());
        assert!(status.success());

        let spec = Spec {
            program: "/usr/bin/true".into(),
            args: vec![],
            inputs: vec![],
            output_dir: out.clone(),
            read_only_binds: vec![],
            env: vec![],
            limits: Limits::default(),
        };
        let t = Instant::now();
        let outcome = sandbox.run(spec).await.unwrap();
        sandboxed.push(t.elapsed());
        assert_eq!(outcome.ended, Ended::Exited(0), "{}", outcome.log);
    }
    std::fs::remove_dir_all(&out).unwrap();

    let (d, s) = (median(direct), median(sandboxed));
    println!("runs: {runs}");
    println!("true directly, median: {}", ms(d));
    println!("true in the sandbox, median: {}", ms(s));
    println!("sandbox start overhead (median difference): {} (target <= 100 ms)", ms(s.saturating_sub(d)));
}
