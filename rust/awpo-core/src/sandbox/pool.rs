//! The warm pool: pre-started, isolated Python workers that import the tool modules once and
//! then serve calls over a length-prefixed JSON channel.
//!
//! A worker that times out, crashes, breaks a limit or misbehaves is killed and replaced in the
//! background; only that call fails. Workers are recycled after `recycle_after` calls, or at
//! once when a call leaves threads or a memory error behind. Episode state lives here, per
//! session, and is threaded through calls as JSON, so any worker can serve any session and a
//! failed call never changes a session's state.
use super::config::{Limits, PoolConfig, ToolPolicy};
use super::gate::CallGate;
use super::io::{self, Capture, Exchange};
use super::isolation::{IsolationReport, Mechanisms};
use super::result::{CallErrorKind, CallResult, signal_name};
use super::spawn::{self, Sandboxed, SpawnRequest};
use super::sys;
use crate::toolcall::parse_toolset;
use crate::{Error, Result};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// One call of a tool: its name, JSON arguments and optional episode session.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRequest {
    /// Tool name.
    pub tool: String,
    /// Arguments (a JSON object).
    pub args: Value,
    /// Episode session whose state the call reads and updates (`None`: stateless).
    pub session: Option<String>,
}

/// Consecutive failed worker starts after which calls fail instead of retrying.
const MAX_START_FAILURES: u32 = 3;
/// How long a call may wait for a free worker before the sandbox gives up.
const CHECKOUT_SLACK: Duration = Duration::from_secs(30);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug)]
struct Worker {
    sb: Sandboxed,
    calls: u64,
}

#[derive(Debug, Default)]
struct Slots {
    idle: Vec<Worker>,
    /// Workers idle, busy or starting.
    live: usize,
    start_failures: u32,
    last_error: Option<String>,
    closed: bool,
    started: u64,
}

enum KeeperMsg {
    Start(usize),
    Retire(Box<Worker>),
    Stop,
}

#[derive(Debug)]
struct Inner {
    cfg: PoolConfig,
    /// What a call must pass before it runs (tool known, arguments fit its schema).
    gate: CallGate,
    mech: Mechanisms,
    slots: Mutex<Slots>,
    freed: Condvar,
    sessions: Mutex<HashMap<String, Arc<Mutex<Value>>>>,
}

/// A pool of warm, isolated tool workers.
#[derive(Debug)]
pub struct Pool {
    inner: Arc<Inner>,
    keeper: Mutex<Option<(mpsc::Sender<KeeperMsg>, thread::JoinHandle<()>)>>,
}

impl std::fmt::Debug for KeeperMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeeperMsg::Start(_) => "Start",
            KeeperMsg::Retire(_) => "Retire",
            KeeperMsg::Stop => "Stop",
        })
    }
}

impl Pool {
    /// Probes isolation, starts `cfg.size` workers and waits until they have imported their
    /// tools. Fails with the worker's own message when a tool module cannot be imported.
    pub fn new(cfg: PoolConfig) -> Result<Self> {
        cfg.validate()?;
        let schemas = parse_toolset(&Value::Array(cfg.schemas.clone()))?;
        let gate = CallGate::new(cfg.tools.keys().cloned(), &schemas)?;
        let mech = Mechanisms::resolve(&cfg.isolation, cfg.limits.max_processes)?;
        let size = cfg.size;
        let startup = Duration::from_millis(cfg.startup_timeout_ms);
        let inner = Arc::new(Inner {
            cfg,
            gate,
            mech,
            slots: Mutex::new(Slots::default()),
            freed: Condvar::new(),
            sessions: Mutex::new(HashMap::new()),
        });
        let (tx, rx) = mpsc::channel();
        let keeper_inner = Arc::clone(&inner);
        // Workers are forked from this long-lived thread: PR_SET_PDEATHSIG fires when the
        // forking *thread* exits, so it must live as long as the pool.
        let handle = thread::Builder::new()
            .name("awpo-sandbox-keeper".into())
            .spawn(move || keeper(&keeper_inner, &rx))?;
        let pool = Self {
            inner,
            keeper: Mutex::new(Some((tx, handle))),
        };
        {
            let mut slots = lock(&pool.inner.slots);
            slots.live = size;
        }
        pool.send(KeeperMsg::Start(size));
        let deadline = Instant::now() + startup + Duration::from_secs(5);
        let mut slots = lock(&pool.inner.slots);
        while slots.idle.len() < size && slots.start_failures == 0 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            slots = pool
                .inner
                .freed
                .wait_timeout(slots, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        let failure = if slots.start_failures > 0 {
            Some(
                slots
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "worker failed to start".into()),
            )
        } else if slots.idle.len() < size {
            Some(format!(
                "workers did not start within {} ms",
                pool.inner.cfg.startup_timeout_ms
            ))
        } else {
            None
        };
        drop(slots);
        if let Some(msg) = failure {
            pool.close();
            return Err(Error::Sandbox(msg));
        }
        Ok(pool)
    }

    /// What isolates the workers.
    pub fn isolation(&self) -> &IsolationReport {
        &self.inner.mech.report
    }

    /// The pool's configuration.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.cfg
    }

    /// Workers started so far (initial ones and replacements).
    pub fn workers_started(&self) -> u64 {
        lock(&self.inner.slots).started
    }

    /// Process ids of the idle workers (for tests and diagnostics).
    pub fn idle_worker_pids(&self) -> Vec<i32> {
        lock(&self.inner.slots)
            .idle
            .iter()
            .map(|w| w.sb.pid)
            .collect()
    }

    fn send(&self, msg: KeeperMsg) {
        if let Some((tx, _)) = lock(&self.keeper).as_ref() {
            // A closed keeper drops the message: a retired worker is then killed right here.
            let _ = tx.send(msg);
        }
    }

    /// Stops the keeper and kills every idle worker. Later calls fail with a sandbox error.
    pub fn close(&self) {
        let idle = {
            let mut slots = lock(&self.inner.slots);
            slots.closed = true;
            std::mem::take(&mut slots.idle)
        };
        self.inner.freed.notify_all();
        drop(idle);
        let keeper = lock(&self.keeper).take();
        if let Some((tx, handle)) = keeper {
            let _ = tx.send(KeeperMsg::Stop);
            let _ = handle.join();
        }
    }

    /// Forgets a session's episode state. Returns whether it existed.
    pub fn end_session(&self, session: &str) -> bool {
        lock(&self.inner.sessions).remove(session).is_some()
    }

    /// A copy of a session's episode state.
    pub fn session_state(&self, session: &str) -> Option<Value> {
        let slot = lock(&self.inner.sessions).get(session).cloned()?;
        let v = lock(&slot).clone();
        Some(v)
    }

    /// Number of sessions holding state.
    pub fn session_count(&self) -> usize {
        lock(&self.inner.sessions).len()
    }

    fn checkout(&self, wait: Duration) -> Result<Worker> {
        let deadline = Instant::now() + wait;
        let mut slots = lock(&self.inner.slots);
        loop {
            if slots.closed {
                return Err(Error::Sandbox("the sandbox pool is closed".into()));
            }
            if let Some(w) = slots.idle.pop() {
                return Ok(w);
            }
            if slots.start_failures >= MAX_START_FAILURES {
                return Err(Error::Sandbox(format!(
                    "sandbox workers keep failing to start: {}",
                    slots.last_error.clone().unwrap_or_default()
                )));
            }
            if slots.live < self.inner.cfg.size {
                let missing = self.inner.cfg.size - slots.live;
                slots.live += missing;
                drop(slots);
                self.send(KeeperMsg::Start(missing));
                slots = lock(&self.inner.slots);
                continue;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Err(Error::Sandbox(
                    "no sandbox worker became free in time".into(),
                ));
            };
            slots = self
                .inner
                .freed
                .wait_timeout(slots, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    fn checkin(&self, w: Worker, keep: bool) {
        if keep {
            let mut slots = lock(&self.inner.slots);
            if !slots.closed {
                slots.idle.push(w);
                drop(slots);
                self.inner.freed.notify_one();
                return;
            }
            slots.live = slots.live.saturating_sub(1);
            drop(slots);
            drop(w);
            return;
        }
        // Killed already by the caller; reaping, cleanup and the replacement happen in the keeper.
        {
            let mut slots = lock(&self.inner.slots);
            if !slots.closed {
                // The replacement takes the retired worker's place in `live`.
                drop(slots);
                self.send(KeeperMsg::Retire(Box::new(w)));
                return;
            }
            slots.live = slots.live.saturating_sub(1);
        }
        drop(w);
    }

    /// Runs one call. `Err` only when the sandbox itself is broken (closed, workers cannot
    /// start); a failing tool is an `Ok` result with `ok == false`.
    pub fn call(&self, req: &CallRequest) -> Result<CallResult> {
        let cfg = &self.inner.cfg;
        if let Err(rejected) = self.inner.gate.check(&req.tool, &req.args) {
            return Ok(rejected.into_result());
        }
        let policy = cfg.policies.get(&req.tool).cloned().unwrap_or_default();
        let session = match &req.session {
            Some(s) => {
                let slot = Arc::clone(
                    lock(&self.inner.sessions)
                        .entry(s.clone())
                        .or_insert_with(|| Arc::new(Mutex::new(json!({})))),
                );
                Some(slot)
            }
            None => None,
        };
        // Calls of one session run one at a time, in order.
        let mut state_guard = session.as_ref().map(|s| lock(s));
        let state = state_guard.as_deref().cloned();
        let timeout = Duration::from_millis(policy.timeout_ms.unwrap_or(cfg.limits.timeout_ms));
        let mut worker = self
            .checkout(timeout + Duration::from_millis(cfg.startup_timeout_ms) + CHECKOUT_SLACK)?;
        let (mut result, new_state, keep) = run_call(
            &mut worker,
            req,
            state.as_ref(),
            &policy,
            &cfg.limits,
            cfg.recycle_after,
        );
        result.worker_replaced = !keep;
        if let (Some(guard), Some(ns), true) = (state_guard.as_mut(), new_state, result.ok) {
            **guard = ns;
        }
        drop(state_guard);
        self.checkin(worker, keep);
        Ok(result)
    }

    /// Runs a batch concurrently (up to the pool size at once); calls of one session run in
    /// their batch order. Results come back in request order.
    pub fn call_batch(&self, reqs: &[CallRequest]) -> Result<Vec<CallResult>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut by_session: HashMap<&str, usize> = HashMap::new();
        for (i, r) in reqs.iter().enumerate() {
            match &r.session {
                Some(s) => match by_session.get(s.as_str()) {
                    Some(&g) => groups[g].push(i),
                    None => {
                        by_session.insert(s.as_str(), groups.len());
                        groups.push(vec![i]);
                    }
                },
                None => groups.push(vec![i]),
            }
        }
        let threads = self.inner.cfg.size.min(groups.len());
        if threads <= 1 {
            return reqs.iter().map(|r| self.call(r)).collect();
        }
        let next = AtomicUsize::new(0);
        let mut slots: Vec<Option<Result<CallResult>>> = (0..reqs.len()).map(|_| None).collect();
        let parts: Vec<Vec<(usize, Result<CallResult>)>> = thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let g = next.fetch_add(1, Ordering::Relaxed);
                            let Some(group) = groups.get(g) else { break };
                            for &i in group {
                                done.push((i, self.call(&reqs[i])));
                            }
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (i, r) in parts.into_iter().flatten() {
            slots[i] = Some(r);
        }
        slots
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Sandbox("a batch thread died".into()))))
            .collect()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}

/// The keeper thread: starts workers (it must be the forking thread, see `Pool::new`), reaps
/// and cleans up retired ones, and starts their replacements.
fn keeper(inner: &Inner, rx: &mpsc::Receiver<KeeperMsg>) {
    while let Ok(first) = rx.recv() {
        let mut to_start = 0usize;
        let mut stop = false;
        let mut msgs = vec![first];
        while let Ok(m) = rx.try_recv() {
            msgs.push(m);
        }
        for m in msgs {
            match m {
                KeeperMsg::Start(n) => to_start += n,
                KeeperMsg::Retire(w) => {
                    drop(w);
                    to_start += 1;
                }
                KeeperMsg::Stop => stop = true,
            }
        }
        if stop || lock(&inner.slots).closed {
            break;
        }
        // Fork all, then wait for all handshakes: imports of several workers overlap.
        let mut starting = Vec::new();
        for _ in 0..to_start {
            starting.push(start_worker(inner));
        }
        let deadline = Instant::now() + Duration::from_millis(inner.cfg.startup_timeout_ms);
        for s in starting {
            let outcome = s.and_then(|sb| handshake(inner, sb, deadline));
            let mut slots = lock(&inner.slots);
            match outcome {
                Ok(w) if !slots.closed => {
                    slots.idle.push(w);
                    slots.start_failures = 0;
                    slots.started += 1;
                }
                Ok(w) => {
                    slots.live = slots.live.saturating_sub(1);
                    drop(slots);
                    drop(w);
                    continue;
                }
                Err(e) => {
                    slots.live = slots.live.saturating_sub(1);
                    slots.start_failures += 1;
                    slots.last_error = Some(match e {
                        Error::Sandbox(m) => m,
                        other => other.to_string(),
                    });
                }
            }
            drop(slots);
            inner.freed.notify_all();
        }
    }
    // Stopping: workers still starting are dropped (killed) with their Sandboxed.
}

fn start_worker(inner: &Inner) -> Result<Sandboxed> {
    let cfg = &inner.cfg;
    let mut isolation = cfg.isolation.clone();
    isolation.read_only.push(cfg.python.clone());
    isolation.read_only.push(cfg.worker_script.clone());
    isolation
        .env
        .entry("AWPO_SANDBOX_WORKER".into())
        .or_insert_with(|| "1".into());
    // Keep glibc from reserving a 64 MiB arena per thread against RLIMIT_AS.
    isolation
        .env
        .entry("MALLOC_ARENA_MAX".into())
        .or_insert_with(|| "2".into());
    isolation
        .env
        .entry("LANG".into())
        .or_insert_with(|| "C.UTF-8".into());
    isolation
        .env
        .entry("PATH".into())
        .or_insert_with(|| "/usr/bin:/bin".into());
    let startup_cpu = cfg
        .startup_timeout_ms
        .div_ceil(1000)
        .max(cfg.limits.cpu_seconds);
    spawn::spawn(SpawnRequest {
        program: &cfg.python,
        args: vec![
            "-I".into(),
            "-S".into(),
            "-B".into(),
            cfg.worker_script.to_string_lossy().into_owned(),
        ],
        isolation: &isolation,
        limits: &cfg.limits,
        mechanisms: &inner.mech,
        channel: true,
        stdin: false,
        start_cpu_seconds: startup_cpu,
        // The worker reaps orphans of its calls (see `_reap_children` in _worker.py).
        subreaper: true,
    })
}

fn handshake(inner: &Inner, mut sb: Sandboxed, deadline: Instant) -> Result<Worker> {
    let cfg = &inner.cfg;
    let init = json!({
        "op": "init",
        "sys_path": cfg.sys_path,
        "tools": cfg.tools,
        "value_bytes": cfg.limits.value_bytes,
        "state_bytes": cfg.limits.state_bytes,
    });
    let mut out = Capture::new(8 << 10);
    let mut err = Capture::new(16 << 10);
    let request = init.to_string();
    let max = 1 << 20;
    let fail = |what: String, err: &Capture| {
        let tail = err.text();
        let tail = tail.trim();
        Error::Sandbox(if tail.is_empty() {
            what
        } else {
            format!("{what}\n{tail}")
        })
    };
    match io::exchange(
        &mut sb,
        request.as_bytes(),
        deadline,
        max,
        &mut out,
        &mut err,
    ) {
        Exchange::Response(payload) => {
            let v: Value = serde_json::from_slice(&payload)
                .map_err(|e| fail(format!("worker sent an invalid handshake: {e}"), &err))?;
            if v.get("ok") != Some(&Value::Bool(true)) {
                let msg = v
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error");
                return Err(fail(
                    format!("sandbox worker could not load its tools: {msg}"),
                    &err,
                ));
            }
            Ok(Worker { sb, calls: 0 })
        }
        Exchange::TimedOut => Err(fail("sandbox worker did not start in time".into(), &err)),
        Exchange::Exited => {
            sb.kill_all();
            let status = sb.reap(false);
            let how = match status {
                Some(r) if r.signal.is_some() => {
                    format!("killed by {}", signal_name(r.signal.unwrap_or(0)))
                }
                Some(r) => format!("exit status {}", r.exit_status.unwrap_or(-1)),
                None => "unknown status".into(),
            };
            Err(fail(
                format!("sandbox worker exited during startup ({how})"),
                &err,
            ))
        }
        Exchange::TooLarge(n) => Err(fail(
            format!("sandbox worker handshake too large ({n} bytes)"),
            &err,
        )),
        Exchange::Failed(e) => Err(fail(format!("sandbox worker handshake failed: {e}"), &err)),
    }
}

/// Runs one call on a checked-out worker. Returns the result, the new session state (when the
/// call succeeded with a session) and whether the worker may serve again.
fn run_call(
    w: &mut Worker,
    req: &CallRequest,
    state: Option<&Value>,
    policy: &ToolPolicy,
    limits: &Limits,
    recycle_after: u64,
) -> (CallResult, Option<Value>, bool) {
    let start = Instant::now();
    discard_stale_output(&mut w.sb);
    let cpu_s = policy.cpu_seconds.unwrap_or(limits.cpu_seconds);
    let cpu_before = arm_cpu_limit(w.sb.pid, cpu_s);
    let fork_failures_before = fork_failures(&w.sb);
    let timeout = Duration::from_millis(policy.timeout_ms.unwrap_or(limits.timeout_ms));
    let mut out = Capture::new(limits.stdout_bytes);
    let mut err = Capture::new(limits.stderr_bytes);
    let request = call_request(req, state, policy, cpu_s);
    // Room for the value, the state and the envelope.
    let max_frame = limits.value_bytes + limits.state_bytes + (64 << 10);
    let exchange = io::exchange(
        &mut w.sb,
        request.to_string().as_bytes(),
        start + timeout,
        max_frame,
        &mut out,
        &mut err,
    );
    w.calls += 1;
    let (mut result, new_state, keep) = read_exchange(exchange, &req.tool, timeout);
    let (keep, cpu_ns) = if keep {
        clean_up_after_call(w, &mut result, cpu_before)
    } else {
        (false, kill_worker(w, &mut result, cpu_before))
    };
    if matches!(result.error_kind, Some(CallErrorKind::Crash)) {
        classify_crash(&mut result, &err, cpu_ns, cpu_s, &req.tool);
    }
    let keep = keep && w.calls < recycle_after;
    if !keep {
        w.sb.kill_all();
    }
    result.fork_failures = fork_failures(&w.sb).saturating_sub(fork_failures_before);
    result.stdout = out.text();
    result.stderr = err.text();
    result.output_truncated = out.truncated() || err.truncated();
    result.cpu_ms += cpu_ns as f64 / 1e6;
    result.wall_ms = start.elapsed().as_secs_f64() * 1000.0;
    (result, new_state, keep)
}

/// Drops output left by a killed stray of an earlier call: it does not belong to this one.
fn discard_stale_output(sb: &mut Sandboxed) {
    let mut discard = Capture::new(0);
    if let Some(s) = sb.stdout.as_mut() {
        let _ = io::drain(s, &mut discard);
    }
    if let Some(s) = sb.stderr.as_mut() {
        let _ = io::drain(s, &mut discard);
    }
}

/// Re-arms RLIMIT_CPU of worker `pid`: this call may use `cpu_s` seconds more than the worker
/// used so far. Returns the worker's CPU time before the call, nanoseconds.
fn arm_cpu_limit(pid: i32, cpu_s: u64) -> u64 {
    let cpu_before = sys::process_cpu_ns(pid).unwrap_or(0);
    let soft = cpu_before.div_ceil(1_000_000_000) + cpu_s;
    if sys::prlimit(pid, libc::RLIMIT_CPU, soft, soft + 1).is_err() {
        let _ = sys::prlimit(pid, libc::RLIMIT_CPU, soft, libc::RLIM_INFINITY);
    }
    cpu_before
}

/// Forks refused so far in the worker's cgroup (0 without one).
fn fork_failures(sb: &Sandboxed) -> u64 {
    sb.cgroup.as_ref().map_or(0, |c| c.fork_failures())
}

/// The `call` request the worker reads.
fn call_request(
    req: &CallRequest,
    state: Option<&Value>,
    policy: &ToolPolicy,
    cpu_s: u64,
) -> Value {
    json!({
        "op": "call",
        "tool": req.tool,
        "args": req.args,
        "session": state.is_some(),
        "state": state,
        "fresh": policy.fresh_process,
        "memory_bytes": policy.memory_bytes,
        "cpu_seconds": cpu_s,
    })
}

/// What the exchange with the worker says: the result so far, the new session state, and
/// whether the worker may be kept (a timeout, crash, bad answer or dirty worker: not).
fn read_exchange(
    exchange: Exchange,
    tool: &str,
    timeout: Duration,
) -> (CallResult, Option<Value>, bool) {
    let mut result = CallResult::default();
    let mut fail = |kind: CallErrorKind, error: Option<String>| {
        result.error = error;
        result.error_kind = Some(kind);
    };
    match exchange {
        Exchange::Response(payload) => match serde_json::from_slice::<Value>(&payload) {
            Ok(resp) => {
                apply_response(&mut result, &resp);
                let new_state = resp.get("state").filter(|s| s.is_object()).cloned();
                let dirty = resp.get("dirty").and_then(Value::as_bool).unwrap_or(false);
                let keep = !(dirty || result.memory_exceeded);
                return (result, new_state, keep);
            }
            Err(e) => fail(
                CallErrorKind::Protocol,
                Some(format!("worker sent invalid JSON: {e}")),
            ),
        },
        Exchange::TimedOut => {
            let secs = timeout.as_secs_f64();
            fail(
                CallErrorKind::Timeout,
                Some(format!("tool {tool:?} timed out after {secs:.1} s")),
            );
            result.timed_out = true;
        }
        Exchange::Exited => fail(CallErrorKind::Crash, None),
        Exchange::TooLarge(n) => fail(
            CallErrorKind::BadValue,
            Some(format!("tool {tool:?} answered {n} bytes, over the limit")),
        ),
        Exchange::Failed(e) => fail(
            CallErrorKind::Protocol,
            Some(format!("sandbox channel failed: {e}")),
        ),
    }
    (result, None, false)
}

/// After a call on a worker that may be kept: kills what the call left running and clears the
/// working directory. Returns whether the worker may still be kept, and the call's CPU time (ns).
fn clean_up_after_call(w: &mut Worker, result: &mut CallResult, cpu_before: u64) -> (bool, u64) {
    let pid = w.sb.pid;
    // Nothing the call started may outlive it.
    result.strays_killed = w.sb.kill_strays() as u32;
    if result.strays_killed > 0 {
        wait_until_only(&w.sb, pid);
    }
    // A thread the tool started still running in the worker, or a working directory that cannot
    // be cleared: the worker is not reused.
    let thread_left = threads_of(pid) > 1;
    let cleared = w.sb.workdir.clear().is_ok();
    let keep = !thread_left && cleared;
    let cpu_ns = sys::process_cpu_ns(pid)
        .unwrap_or(cpu_before)
        .saturating_sub(cpu_before);
    (keep, cpu_ns)
}

/// Kills and reaps a worker that is not kept; a crash's exit status and signal go into `result`.
/// Returns the call's CPU time (ns).
fn kill_worker(w: &mut Worker, result: &mut CallResult, cpu_before: u64) -> u64 {
    w.sb.kill_all();
    let mut cpu_ns = 0;
    if let Some(r) = w.sb.reap(false) {
        cpu_ns = r.cpu_ns.saturating_sub(cpu_before);
        if matches!(result.error_kind, Some(CallErrorKind::Crash)) {
            result.exit_status = r.exit_status;
            result.signal = r.signal;
        }
    }
    w.sb.wait_gone(Duration::from_secs(2));
    cpu_ns
}

fn apply_response(result: &mut CallResult, resp: &Value) {
    result.ok = resp.get("ok").and_then(Value::as_bool).unwrap_or(false);
    if result.ok {
        result.value = Some(resp.get("value").cloned().unwrap_or(Value::Null));
    } else {
        result.error = Some(
            resp.get("error")
                .and_then(Value::as_str)
                .unwrap_or("tool failed")
                .to_string(),
        );
        result.error_kind = Some(CallErrorKind::from_worker(
            resp.get("error_type")
                .and_then(Value::as_str)
                .unwrap_or("tool_error"),
        ));
    }
    result.memory_exceeded = resp
        .get("memory_exceeded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    result.exit_status = resp
        .get("exit_status")
        .and_then(Value::as_i64)
        .map(|v| v as i32);
    result.signal = resp.get("signal").and_then(Value::as_i64).map(|v| v as i32);
    // CPU time of a fresh call process, reaped by the worker.
    result.cpu_ms = resp
        .get("child_cpu_ns")
        .and_then(Value::as_u64)
        .unwrap_or(0) as f64
        / 1e6;
    if result.error_kind == Some(CallErrorKind::Cpu) && result.error.is_none() {
        result.error = Some("CPU time limit exceeded".into());
    }
}

fn classify_crash(result: &mut CallResult, err: &Capture, cpu_ns: u64, cpu_s: u64, tool: &str) {
    let stderr = err.text();
    let cpu_hit = result.signal == Some(libc::SIGXCPU)
        || (result.signal == Some(libc::SIGKILL) && cpu_ns >= cpu_s * 1_000_000_000);
    if cpu_hit {
        result.error_kind = Some(CallErrorKind::Cpu);
        result.error = Some(format!(
            "tool {tool:?} exceeded its CPU time limit of {cpu_s} s"
        ));
    } else if stderr.contains("MemoryError") {
        result.error_kind = Some(CallErrorKind::Memory);
        result.memory_exceeded = true;
        result.error = Some(format!(
            "tool {tool:?} ran out of memory (address-space limit)"
        ));
    } else if result.error.is_none() {
        let how = match (result.signal, result.exit_status) {
            (Some(s), _) => format!("killed by {}", signal_name(s)),
            (None, Some(c)) => format!("exit status {c}"),
            (None, None) => "no answer".into(),
        };
        result.error = Some(format!("tool {tool:?} crashed its worker ({how})"));
    }
}

/// Threads of process `pid` (from /proc/<pid>/stat), 0 if unknown.
fn threads_of(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let (_, rest) = s.rsplit_once(") ")?;
            // Fields after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt
            // majflt cmajflt utime stime cutime cstime priority nice num_threads(20).
            rest.split(' ').nth(17)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Waits (briefly) until the worker `pid` is the only process left in its sandbox.
fn wait_until_only(sb: &Sandboxed, pid: i32) {
    let Some(cg) = sb.cgroup.as_ref() else { return };
    for _ in 0..500 {
        if cg.pids().iter().all(|p| *p == pid) {
            return;
        }
        cg.kill_all_except(Some(pid));
        thread::sleep(Duration::from_micros(200));
    }
}
