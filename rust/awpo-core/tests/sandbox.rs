//! Supervisor and warm-pool tests that really run isolated processes (Linux).
//!
//! Full isolation needs root (a network namespace, a pids cgroup, the mount-namespace mode);
//! CI runs as root. Without root, tests that need it check the refusal message instead.
use awpo_core::sandbox::{
    CallErrorKind, CallRequest, FilesystemPolicy, IsolationConfig, Limits, NetworkPolicy, Pool,
    PoolConfig, Supervisor, ToolPolicy,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn shell_isolation(fs: FilesystemPolicy) -> IsolationConfig {
    IsolationConfig {
        filesystem: fs,
        read_only: vec!["/bin".into(), "/usr/bin".into()],
        ..IsolationConfig::default()
    }
}

fn limits(timeout_ms: u64) -> Limits {
    Limits {
        timeout_ms,
        cpu_seconds: 5,
        max_processes: 16,
        stdout_bytes: 4096,
        ..Limits::default()
    }
}

fn sh(script: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), script.into()]
}

fn supervisor(fs: FilesystemPolicy, timeout_ms: u64) -> Option<Supervisor> {
    match Supervisor::new(shell_isolation(fs), limits(timeout_ms)) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(!is_root(), "as root the sandbox must start: {e}");
            // Without root: the refusal must say how to proceed.
            assert!(
                e.to_string().contains("network: allow") || e.to_string().contains("root"),
                "{e}"
            );
            None
        }
    }
}

fn pids_with(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

#[test]
fn runs_a_command_and_captures_output() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 5000) else {
        return;
    };
    let r = s
        .run(&sh("echo hello; echo oops >&2; exit 3"), b"")
        .unwrap();
    assert_eq!(r.stdout, "hello\n");
    assert_eq!(r.stderr, "oops\n");
    assert_eq!(r.exit_status, Some(3));
    assert!(!r.ok && !r.timed_out && !r.output_truncated);
    let r = s.run(&sh("cat"), b"from stdin").unwrap();
    assert_eq!(r.stdout, "from stdin");
    assert!(r.ok);
    // The environment is scrubbed: nothing of the test's own environment leaks in.
    let r = s.run(&sh("env"), b"").unwrap();
    assert!(!r.stdout.contains("CARGO"), "{}", r.stdout);
    assert!(r.stdout.contains("HOME=/"), "{}", r.stdout);
}

#[test]
fn report_names_the_active_mechanisms() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 5000) else {
        return;
    };
    let rep = s.isolation();
    assert!(rep.network.contains("namespace"), "{rep:?}");
    assert!(
        rep.filesystem.contains("landlock") || rep.filesystem.contains("mount namespace"),
        "{rep:?}"
    );
    if is_root() {
        assert!(rep.capabilities.contains("dropped"), "{rep:?}");
    }
}

#[test]
fn timeout_kills_the_whole_group() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 600) else {
        return;
    };
    let r = s
        .run(&sh("sleep 876543 & sleep 876543; echo never"), b"")
        .unwrap();
    assert!(r.timed_out);
    assert!(r.wall_ms >= 600.0);
    assert!(!r.stdout.contains("never"));
    assert!(
        pids_with("876543").is_empty(),
        "a sleeper survived the timeout"
    );
}

#[test]
fn orphans_that_leave_the_session_do_not_survive_the_run() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 5000) else {
        return;
    };
    if !s.isolation().processes.contains("pids cgroup") {
        return; // without a cgroup a setsid'd orphan is not tracked (documented)
    }
    let r = s
        .run(
            &sh("(setsid sleep 765432 >/dev/null 2>&1 &); echo started"),
            b"",
        )
        .unwrap();
    assert_eq!(r.stdout, "started\n");
    assert!(!r.timed_out);
    assert!(pids_with("765432").is_empty(), "a setsid'd orphan survived");
}

#[test]
fn fork_bomb_hits_the_process_limit_and_dies() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 1500) else {
        return;
    };
    if !s.isolation().processes.contains("pids cgroup") {
        return;
    }
    let r = s.run(&sh("b() { b | b & }; b; sleep 654321"), b"").unwrap();
    assert!(r.timed_out || r.exit_status.is_some());
    assert!(r.fork_failures > 0, "pids.max never refused a fork: {r:?}");
    assert!(pids_with("654321").is_empty());
}

#[test]
fn endless_output_is_capped() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 800) else {
        return;
    };
    let r = s
        .run(
            &sh("while :; do echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done"),
            b"",
        )
        .unwrap();
    assert!(r.output_truncated);
    assert_eq!(r.stdout.len(), 4096);
}

fn filesystem_escapes(fs: FilesystemPolicy) {
    let Some(s) = supervisor(fs, 5000) else {
        return;
    };
    let secret = std::env::temp_dir().join(format!("awpo-secret-{}", std::process::id()));
    std::fs::write(&secret, "s3cret").unwrap();
    let outside = std::env::temp_dir().join(format!("awpo-escape-{}", std::process::id()));
    let repo_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("escape-{}", std::process::id()));
    let script = format!(
        "echo ok > inside && cat inside; cat {} ; echo x > {} ; echo y > {} ; cat /etc/hostname; ls /root",
        secret.display(),
        outside.display(),
        repo_file.display()
    );
    let r = s.run(&sh(&script), b"").unwrap();
    std::fs::remove_file(&secret).unwrap();
    assert!(
        r.stdout.starts_with("ok\n"),
        "the workdir is writable: {r:?}"
    );
    assert!(
        !r.stdout.contains("s3cret"),
        "read a file outside the allow-list: {r:?}"
    );
    assert!(!outside.exists(), "wrote into /tmp");
    assert!(!repo_file.exists(), "wrote into the repository");
    assert_eq!(
        r.stdout, "ok\n",
        "read something outside the allow-list: {r:?}"
    );
}

#[test]
fn landlock_denies_reads_and_writes_outside_the_allow_list() {
    filesystem_escapes(FilesystemPolicy::Landlock);
}

#[test]
fn mount_namespace_denies_reads_and_writes_outside_the_allow_list() {
    if !is_root() {
        let err = Supervisor::new(
            shell_isolation(FilesystemPolicy::MountNamespace),
            limits(1000),
        )
        .unwrap_err();
        assert!(err.to_string().contains("root"), "{err}");
        return;
    }
    filesystem_escapes(FilesystemPolicy::MountNamespace);
    let s = supervisor(FilesystemPolicy::MountNamespace, 5000).unwrap();
    assert!(
        s.isolation().signals.contains("65534"),
        "{:?}",
        s.isolation()
    );
    let r = s.run(&sh("id -u"), b"").unwrap();
    assert_eq!(r.stdout.trim(), "65534");
}

#[test]
fn network_namespace_has_only_a_dead_loopback() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 5000) else {
        return;
    };
    let r = s
        .run(&sh("cat /proc/net/dev 2>&1; ls /sys/class/net 2>&1"), b"")
        .unwrap();
    // /proc and /sys are outside the allow-list: nothing about host interfaces is visible.
    assert!(!r.stdout.contains("eth"), "{r:?}");
}

#[test]
fn refuses_unknown_or_relative_programs() {
    let Some(s) = supervisor(FilesystemPolicy::Auto, 1000) else {
        return;
    };
    assert!(s.run(&["sh".to_string()], b"").is_err());
    assert!(s.run(&[], b"").is_err());
    let err = s.run(&["/nonexistent/awpo".to_string()], b"").unwrap_err();
    assert!(err.to_string().contains("exec"), "{err}");
}

// ---------------------------------------------------------------- warm pool

const TOOLS: &str = r#"
import os, subprocess, sys, threading, time

def add(a, b):
    return a + b

def echo(text):
    print(text)
    sys.stderr.write("err:" + text + "\n")
    return {"text": text}

def boom():
    raise ValueError("boom")

def nap(seconds):
    time.sleep(seconds)
    return "slept"

def crash():
    os.kill(os.getpid(), 9)

def spin():
    while True:
        pass

def hog(n):
    return len(bytearray(n))

def pid():
    return os.getpid()

def stray(marker):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100)", marker], start_new_session=True)
    return "left one behind"

def linger():
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    return "thread"

def count():
    from awpo.tools.context import episode_state
    st = episode_state("counter")
    st["n"] = st.get("n", 0) + 1
    return st["n"]

def count_then_fail():
    from awpo.tools.context import episode_state
    episode_state("counter")["n"] = 1000
    raise RuntimeError("after mutating the state")

def nan():
    return float("nan")
"#;

struct PyEnv {
    python: PathBuf,
    sys_path: Vec<String>,
    read_only: Vec<PathBuf>,
    _dir: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn python_env() -> Option<PyEnv> {
    let python = std::env::var_os("AWPO_TEST_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join("python3"))
                    .find(|p| p.is_file())
            })
        })?;
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys, json; print(json.dumps([sys.executable, sys.path, sys.prefix, sys.base_prefix]))",
        ])
        .output()
        .ok()?;
    // The real interpreter, not a launcher script (pyenv shims are shell scripts).
    let (python, sys_path, prefix, base): (PathBuf, Vec<String>, String, String) =
        serde_json::from_slice(&out.stdout).ok()?;
    let dir = std::env::temp_dir().join(format!(
        "awpo-pool-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("awpo_rust_test_tools.py"), TOOLS).ok()?;
    let repo_python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python");
    let repo_python = repo_python.canonicalize().ok()?;
    let mut path: Vec<String> = vec![dir.display().to_string(), repo_python.display().to_string()];
    path.extend(
        sys_path
            .into_iter()
            .filter(|p| !p.is_empty() && Path::new(p).is_absolute()),
    );
    let mut read_only: Vec<PathBuf> = path.iter().map(PathBuf::from).collect();
    read_only.push(prefix.into());
    read_only.push(base.into());
    Some(PyEnv {
        python,
        sys_path: path,
        read_only,
        _dir: tempdir::Dir(dir),
    })
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn pool_config(env: &PyEnv, size: usize) -> PoolConfig {
    let names = [
        "add",
        "echo",
        "boom",
        "nap",
        "crash",
        "spin",
        "hog",
        "pid",
        "stray",
        "linger",
        "count",
        "count_then_fail",
        "nan",
    ];
    let tools: BTreeMap<String, String> = names
        .iter()
        .map(|n| (n.to_string(), format!("awpo_rust_test_tools:{n}")))
        .collect();
    let worker = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/awpo/tools/_worker.py");
    let mut policies = BTreeMap::new();
    policies.insert(
        "spin".to_string(),
        ToolPolicy {
            cpu_seconds: Some(1),
            timeout_ms: Some(20_000),
            ..ToolPolicy::default()
        },
    );
    PoolConfig {
        python: env.python.clone(),
        worker_script: worker.canonicalize().unwrap_or(worker),
        sys_path: env.sys_path.clone(),
        tools,
        // Only `echo` declares its arguments; the other tools take any object.
        schemas: vec![json!({"name": "echo", "parameters": {"type": "object",
            "properties": {"text": {"type": "string"}}, "required": ["text"]}})],
        policies,
        size,
        recycle_after: 1000,
        startup_timeout_ms: 60_000,
        isolation: IsolationConfig {
            read_only: env.read_only.clone(),
            ..IsolationConfig::default()
        },
        limits: Limits {
            timeout_ms: 3000,
            cpu_seconds: 10,
            memory_bytes: 1 << 30,
            max_processes: 16,
            stdout_bytes: 1000,
            ..Limits::default()
        },
    }
}

fn call(pool: &Pool, tool: &str, args: serde_json::Value) -> awpo_core::sandbox::CallResult {
    pool.call(&CallRequest {
        tool: tool.into(),
        args,
        session: None,
    })
    .unwrap()
}

fn start_pool(size: usize) -> Option<(Pool, PyEnv)> {
    let env = python_env()?;
    match Pool::new(pool_config(&env, size)) {
        Ok(p) => Some((p, env)),
        Err(e) => {
            assert!(!is_root(), "as root the pool must start: {e}");
            None
        }
    }
}

#[test]
fn pool_serves_calls_and_reports_failures_as_results() {
    let Some((pool, _env)) = start_pool(1) else {
        return;
    };
    let r = call(&pool, "add", json!({"a": 2, "b": 3}));
    assert!(r.ok, "{r:?}");
    assert_eq!(r.value, Some(json!(5)));
    let r = call(&pool, "echo", json!({"text": "hi"}));
    assert_eq!(r.value, Some(json!({"text": "hi"})));
    assert_eq!(r.stdout, "hi\n");
    assert_eq!(r.stderr, "err:hi\n");
    let r = call(&pool, "boom", json!({}));
    assert!(!r.ok);
    assert_eq!(r.error_kind, Some(CallErrorKind::ToolError));
    assert_eq!(r.error.as_deref(), Some("ValueError: boom"));
    assert!(r.stderr.contains("Traceback"), "{r:?}");
    assert!(!r.worker_replaced);
    let r = call(&pool, "add", json!({"a": 1}));
    assert_eq!(r.error_kind, Some(CallErrorKind::InvalidArguments), "{r:?}");
    let r = call(&pool, "nope", json!({}));
    assert_eq!(r.error_kind, Some(CallErrorKind::UnknownTool));
    // The gate (the reward's schema validator) stops these before a worker sees them.
    let r = call(&pool, "echo", json!({"text": 3}));
    assert_eq!(r.error_kind, Some(CallErrorKind::InvalidArguments), "{r:?}");
    assert_eq!(
        r.error.as_deref(),
        Some(
            "arguments do not match the schema of echo: arguments.text: expected string, got integer"
        )
    );
    assert_eq!(r.stdout, "");
    let r = call(&pool, "add", json!([1, 2]));
    assert_eq!(
        r.error.as_deref(),
        Some("arguments must be a JSON object, got array")
    );
    let r = call(&pool, "nan", json!({}));
    assert_eq!(r.error_kind, Some(CallErrorKind::BadValue), "{r:?}");
    // One worker served all of that.
    assert_eq!(pool.workers_started(), 1);
}

#[test]
fn pool_replaces_a_worker_that_times_out_crashes_or_runs_out_of_memory() {
    let Some((pool, _env)) = start_pool(1) else {
        return;
    };
    let first = call(&pool, "pid", json!({})).value;
    let r = call(&pool, "nap", json!({"seconds": 30}));
    assert!(r.timed_out && !r.ok && r.worker_replaced, "{r:?}");
    assert_eq!(r.error_kind, Some(CallErrorKind::Timeout));
    assert!(r.wall_ms >= 3000.0 && r.wall_ms < 10_000.0, "{r:?}");
    let second = call(&pool, "pid", json!({})).value;
    assert_ne!(first, second, "the timed-out worker was reused");
    let r = call(&pool, "crash", json!({}));
    assert_eq!(r.error_kind, Some(CallErrorKind::Crash), "{r:?}");
    assert_eq!(r.signal, Some(libc_sigkill()));
    let r = call(&pool, "hog", json!({"n": 4u64 << 30}));
    assert!(r.memory_exceeded && r.worker_replaced, "{r:?}");
    assert_eq!(r.error_kind, Some(CallErrorKind::Memory));
    let r = call(&pool, "add", json!({"a": 1, "b": 1}));
    assert_eq!(r.value, Some(json!(2)), "{r:?}");
    assert_eq!(pool.workers_started(), 4);
}

fn libc_sigkill() -> i32 {
    9
}

#[test]
fn pool_cpu_limit_is_per_call() {
    let Some((pool, _env)) = start_pool(1) else {
        return;
    };
    let r = call(&pool, "spin", json!({}));
    assert_eq!(r.error_kind, Some(CallErrorKind::Cpu), "{r:?}");
    assert!(r.cpu_ms >= 900.0, "{r:?}");
    assert!(!r.timed_out);
    assert_eq!(
        call(&pool, "add", json!({"a": 1, "b": 2})).value,
        Some(json!(3))
    );
}

#[test]
fn pool_kills_strays_and_recycles_workers_left_with_threads() {
    let Some((pool, _env)) = start_pool(1) else {
        return;
    };
    let marker = format!("awpo-stray-{}", rand_suffix());
    let r = call(&pool, "stray", json!({"marker": marker}));
    assert!(r.ok, "{r:?}");
    if pool.isolation().processes.contains("pids cgroup") {
        assert_eq!(r.strays_killed, 1, "{r:?}");
        assert!(pids_with(&marker).is_empty(), "a stray survived the call");
    }
    assert!(!r.worker_replaced);
    let r = call(&pool, "linger", json!({}));
    assert!(r.ok && r.worker_replaced, "{r:?}");
}

#[test]
fn sessions_thread_state_and_failed_calls_do_not_commit_it() {
    let Some((pool, _env)) = start_pool(2) else {
        return;
    };
    let in_session = |s: &str, tool: &str| CallRequest {
        tool: tool.into(),
        args: json!({}),
        session: Some(s.into()),
    };
    let batch: Vec<CallRequest> = (0..6)
        .map(|i| in_session(if i % 2 == 0 { "a" } else { "b" }, "count"))
        .collect();
    let results = pool.call_batch(&batch).unwrap();
    let values: Vec<_> = results.iter().map(|r| r.value.clone()).collect();
    assert_eq!(
        values,
        vec![
            Some(json!(1)),
            Some(json!(1)),
            Some(json!(2)),
            Some(json!(2)),
            Some(json!(3)),
            Some(json!(3))
        ]
    );
    let r = pool.call(&in_session("a", "count_then_fail")).unwrap();
    assert!(!r.ok);
    assert_eq!(pool.session_state("a"), Some(json!({"counter": {"n": 3}})));
    assert!(pool.end_session("a"));
    assert_eq!(
        pool.call(&in_session("a", "count")).unwrap().value,
        Some(json!(1))
    );
    // Without a session the stateful tool fails clearly.
    let r = call(&pool, "count", json!({}));
    assert!(
        r.error.as_deref().unwrap_or("").contains("session"),
        "{r:?}"
    );
}

#[test]
fn batches_run_concurrently_and_keep_order() {
    let Some((pool, _env)) = start_pool(2) else {
        return;
    };
    let reqs: Vec<CallRequest> = (0..40)
        .map(|i| CallRequest {
            tool: "add".into(),
            args: json!({"a": i, "b": 1000}),
            session: None,
        })
        .collect();
    let results = pool.call_batch(&reqs).unwrap();
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.value, Some(json!(i + 1000)));
    }
    // Two workers served them (both pids appear among concurrent naps).
    let naps: Vec<CallRequest> = (0..4)
        .map(|_| CallRequest {
            tool: "pid".into(),
            args: json!({}),
            session: None,
        })
        .collect();
    let pids: std::collections::BTreeSet<i64> = pool
        .call_batch(&naps)
        .unwrap()
        .into_iter()
        .filter_map(|r| r.value.and_then(|v| v.as_i64()))
        .collect();
    assert!(!pids.is_empty());
}

#[test]
fn pool_refuses_a_tool_module_that_does_not_import() {
    let Some(env) = python_env() else { return };
    let mut cfg = pool_config(&env, 1);
    cfg.tools
        .insert("ghost".into(), "awpo_no_such_module:f".into());
    match Pool::new(cfg) {
        Ok(_) => panic!("a pool with a missing tool module started"),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("awpo_no_such_module") || (!is_root() && msg.contains("network")),
                "{msg}"
            );
        }
    }
}

#[test]
fn pool_recycles_after_n_calls() {
    let Some(env) = python_env() else { return };
    let mut cfg = pool_config(&env, 1);
    cfg.recycle_after = 3;
    let Ok(pool) = Pool::new(cfg) else {
        assert!(!is_root());
        return;
    };
    let pids: Vec<_> = (0..6)
        .map(|_| call(&pool, "pid", json!({})).value)
        .collect();
    assert_eq!(pids[0], pids[2]);
    assert_ne!(pids[2], pids[3]);
    assert_eq!(pids[3], pids[5]);
}

#[test]
fn network_policy_allow_is_reported() {
    let iso = IsolationConfig {
        network: NetworkPolicy::Allow,
        ..shell_isolation(FilesystemPolicy::Auto)
    };
    if let Ok(s) = Supervisor::new(iso, limits(1000)) {
        assert!(s.isolation().network.contains("network: allow"));
    }
}
