//! Shared helpers for integration tests: finding real programs to judge prom-preflight against
//! ("oracles" such as promtool, prometheus, vmagent or kubectl), running processes with a deadline,
//! and running a batch of independent jobs on a few threads.
//!
//! An oracle is looked up by name: first in the environment variable named after it (upper case,
//! `-` replaced by `_`, e.g. `PROMTOOL` or `VMAGENT`), then on `PATH`. When it is missing, the test
//! that asked for it prints a loud `SKIPPED` line and passes, unless `PREFLIGHT_REQUIRE_ORACLES=1`
//! is set (as in CI), in which case a missing oracle fails the test.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::env;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Environment variable that turns a missing oracle into a test failure.
pub const REQUIRE_ORACLES_ENV: &str = "PREFLIGHT_REQUIRE_ORACLES";

/// Path of the prom-preflight binary built for this test run.
pub fn preflight_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_prom-preflight"))
}

/// Root of the crate, so test data is found whatever the working directory.
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Name of the environment variable that can point at the oracle `name`.
pub fn oracle_env_var(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// Looks the oracle `name` up without deciding what a missing one means.
pub fn find_oracle(name: &str) -> Option<PathBuf> {
    let var = oracle_env_var(name);
    if let Some(value) = env::var_os(&var) {
        let path = PathBuf::from(value);
        // An explicit setting that points nowhere is a mistake worth reporting, not a fallback.
        assert!(
            is_executable(&path),
            "{var}={} does not name an executable file",
            path.display()
        );
        return Some(path);
    }
    let path_var = env::var_os("PATH")?;
    env::split_paths(&path_var)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Finds the oracle `name`, or reports it missing: a loud skip message on stderr and `None`, or a
/// panic when `PREFLIGHT_REQUIRE_ORACLES=1`. `purpose` says what the oracle would have judged.
pub fn oracle(name: &str, purpose: &str) -> Option<PathBuf> {
    if let Some(path) = find_oracle(name) {
        return Some(path);
    }
    let var = oracle_env_var(name);
    let message = format!(
        "{name} not found (looked at ${var} and PATH); {purpose} is not checked against it"
    );
    if oracles_required() {
        panic!("{message}, and {REQUIRE_ORACLES_ENV}=1 requires every oracle");
    }
    eprintln!();
    eprintln!("==================================================================");
    eprintln!("SKIPPED: {message}.");
    eprintln!("Install it, or set {var}, or set {REQUIRE_ORACLES_ENV}=1 to fail instead.");
    eprintln!("==================================================================");
    None
}

/// Whether a missing oracle must fail the test.
pub fn oracles_required() -> bool {
    env::var(REQUIRE_ORACLES_ENV).is_ok_and(|v| v == "1")
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What a finished process left behind.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The exit code, or -1 when the process died from a signal.
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }
}

/// Runs `cmd` to completion, with stdin closed and both outputs captured. If it is still running
/// after `deadline` it is killed (by its own id) and reaped, and the call panics with what it
/// printed so far, so no test leaves a process behind or hangs.
pub fn run(cmd: &mut Command, deadline: Duration) -> Finished {
    let described = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {described}: {e}"));
    let stdout = drain(&mut child, true);
    let stderr = drain(&mut child, false);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "{described} still running after {deadline:?}; killed it. stderr:\n{stderr}"
                );
            }
            Err(e) => panic!("failed to wait for {described}: {e}"),
        }
    };
    Finished {
        status,
        stdout: stdout.join().expect("stdout reader panicked"),
        stderr: stderr.join().expect("stderr reader panicked"),
    }
}

fn drain(child: &mut Child, stdout: bool) -> thread::JoinHandle<String> {
    let mut pipe: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().expect("stdout is piped"))
    } else {
        Box::new(child.stderr.take().expect("stderr is piped"))
    };
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Applies `work` to every item on at most `threads` threads and returns the results in the
/// order of `items`. Used for oracles that always take a fixed time per call.
pub fn parallel_map<T, R, F>(items: Vec<T>, threads: usize, work: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> R + Send + Sync + 'static,
{
    let count = items.len();
    let queue = Arc::new(Mutex::new(
        items.into_iter().enumerate().collect::<VecDeque<_>>(),
    ));
    let results = Arc::new(Mutex::new(
        (0..count).map(|_| None).collect::<Vec<Option<R>>>(),
    ));
    let work = Arc::new(work);
    let workers: Vec<_> = (0..threads.clamp(1, count.max(1)))
        .map(|_| {
            let (queue, results, work) = (queue.clone(), results.clone(), work.clone());
            thread::spawn(move || loop {
                let next = queue.lock().expect("queue lock").pop_front();
                let Some((index, item)) = next else { break };
                let result = work(item);
                results.lock().expect("results lock")[index] = Some(result);
            })
        })
        .collect();
    // Join every worker before re-raising a panic, so no thread (and no process it started) is
    // left running behind the failing test.
    let panics: Vec<_> = workers.into_iter().filter_map(|w| w.join().err()).collect();
    if let Some(panic) = panics.into_iter().next() {
        std::panic::resume_unwind(panic);
    }
    Arc::try_unwrap(results)
        .unwrap_or_else(|_| unreachable!("all workers have finished"))
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}
