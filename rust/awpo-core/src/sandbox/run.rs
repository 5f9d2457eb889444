//! One-shot supervision: run a command once in a fresh sandbox and collect a [`RunResult`].
use super::config::{IsolationConfig, Limits};
use super::io::{self, Capture};
use super::isolation::{IsolationReport, Mechanisms};
use super::result::RunResult;
use super::spawn::{self, SpawnRequest};
use crate::{Error, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// A prepared one-shot sandbox: mechanisms are probed once, then [`Supervisor::run`] may be
/// called any number of times (each run gets a fresh sandbox).
#[derive(Debug)]
pub struct Supervisor {
    isolation: IsolationConfig,
    limits: Limits,
    mech: Mechanisms,
}

impl Supervisor {
    /// Probes the machine for `isolation`; refuses when it cannot be had (see
    /// [`IsolationConfig`]).
    pub fn new(isolation: IsolationConfig, limits: Limits) -> Result<Self> {
        limits.validate()?;
        let mech = Mechanisms::resolve(&isolation, limits.max_processes)?;
        Ok(Self {
            isolation,
            limits,
            mech,
        })
    }

    /// What isolates the runs.
    pub fn isolation(&self) -> &IsolationReport {
        &self.mech.report
    }

    /// Runs `argv` (absolute program path first) with `stdin`, within the limits.
    pub fn run(&self, argv: &[String], stdin: &[u8]) -> Result<RunResult> {
        let Some((program, args)) = argv.split_first() else {
            return Err(Error::InvalidInput("sandbox run: empty argv".into()));
        };
        let program = Path::new(program);
        if !program.is_absolute() {
            return Err(Error::InvalidInput(format!(
                "sandbox run: program {} must be an absolute path (PATH is not searched)",
                program.display()
            )));
        }
        let start = Instant::now();
        let mut sb = spawn::spawn(SpawnRequest {
            program,
            args: args.to_vec(),
            isolation: &self.isolation,
            limits: &self.limits,
            mechanisms: &self.mech,
            channel: false,
            stdin: !stdin.is_empty(),
            start_cpu_seconds: self.limits.cpu_seconds,
            subreaper: false,
        })?;
        let deadline = start + Duration::from_millis(self.limits.timeout_ms);
        let mut out = Capture::new(self.limits.stdout_bytes);
        let mut err = Capture::new(self.limits.stderr_bytes);
        let timed_out = io::run_to_end(&mut sb, stdin, deadline, &mut out, &mut err);
        sb.kill_all();
        let reaped = sb.reap(false);
        sb.wait_gone(Duration::from_secs(2));
        let wall_ms = start.elapsed().as_secs_f64() * 1000.0;
        let fork_failures = sb.cgroup.as_ref().map_or(0, |c| c.fork_failures());
        drop(sb);
        let (exit_status, signal, cpu_ns) = match reaped {
            Some(r) => (r.exit_status, r.signal, r.cpu_ns),
            None => (None, None, 0),
        };
        let cpu_ms = cpu_ns as f64 / 1e6;
        let cpu_limit_ms = self.limits.cpu_seconds as f64 * 1000.0;
        let cpu_exceeded = !timed_out
            && (signal == Some(libc::SIGXCPU)
                || (signal == Some(libc::SIGKILL) && cpu_ms >= cpu_limit_ms));
        Ok(RunResult {
            ok: exit_status == Some(0) && !timed_out,
            exit_status,
            signal,
            stdout: out.text(),
            stderr: err.text(),
            timed_out,
            cpu_exceeded,
            output_truncated: out.truncated() || err.truncated(),
            wall_ms,
            cpu_ms,
            fork_failures,
        })
    }
}
