//! Configuration of the sandbox: isolation policy, resource limits, per-tool policies.
//!
//! Every struct deserializes from JSON (the Python wrapper sends `model_dump_json()` of its
//! pydantic models) and rejects unknown fields, so a typo in a config is an error, not a default.
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Whether sandboxed code may use the host network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkPolicy {
    /// A fresh network namespace (only a loopback device, down). Refuse to start without one.
    #[default]
    Isolate,
    /// The host network, on purpose (config says `network: allow`).
    Allow,
}

/// How the filesystem view of sandboxed code is restricted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilesystemPolicy {
    /// Landlock where the kernel has it, else a mount namespace; refuse if neither works.
    #[default]
    Auto,
    /// Landlock only (error if the kernel lacks it).
    Landlock,
    /// A mount namespace with a private root holding only the allow-listed paths (needs root).
    MountNamespace,
    /// No filesystem restriction beyond the private working directory as `cwd` (on purpose).
    Allow,
}

/// How sandboxed processes are isolated and where they may read and write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IsolationConfig {
    /// Network policy (`isolate` by default).
    pub network: NetworkPolicy,
    /// Filesystem policy (`auto` by default).
    pub filesystem: FilesystemPolicy,
    /// Paths readable (and executable) by sandboxed code, besides the system library dirs.
    pub read_only: Vec<PathBuf>,
    /// Paths writable by sandboxed code besides its private working directory.
    pub read_write: Vec<PathBuf>,
    /// The whole environment of sandboxed processes (the host environment is never inherited).
    pub env: BTreeMap<String, String>,
    /// Where private working directories are created (default: the system temp dir).
    pub workdir_root: Option<PathBuf>,
    /// Install the seccomp deny-list (x86_64 and aarch64 only).
    pub seccomp: bool,
    /// Add the system library dirs (`/usr`, `/lib`, `/lib64`, `/etc/ld.so.cache`, ...) read-only.
    pub system_paths: bool,
}

impl Default for IsolationConfig {
    fn default() -> Self {
        Self {
            network: NetworkPolicy::Isolate,
            filesystem: FilesystemPolicy::Auto,
            read_only: Vec::new(),
            read_write: Vec::new(),
            env: BTreeMap::new(),
            workdir_root: None,
            seccomp: true,
            system_paths: true,
        }
    }
}

/// System paths every sandboxed process may read: the dynamic loader, shared libraries, time
/// zones and a few device files.
pub const SYSTEM_READ_ONLY: &[&str] = &[
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib32",
    "/lib",
    "/lib64",
    "/lib32",
    "/usr/share/zoneinfo",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
];

/// System paths every sandboxed process may write.
pub const SYSTEM_READ_WRITE: &[&str] = &["/dev/null"];

/// Resource limits of one sandboxed process (a one-shot run or a pool worker).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Wall-clock limit of one call (or one run), milliseconds; the whole process group dies.
    pub timeout_ms: u64,
    /// CPU-time limit of one call (RLIMIT_CPU, re-armed before each pool call), seconds.
    pub cpu_seconds: u64,
    /// Address-space limit of each sandboxed process (RLIMIT_AS), bytes.
    pub memory_bytes: u64,
    /// Largest file a sandboxed process may write (RLIMIT_FSIZE), bytes.
    pub file_size_bytes: u64,
    /// Open file descriptors per process (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Processes (and threads) alive at once in one sandbox (pids cgroup `pids.max`).
    pub max_processes: u64,
    /// Bytes of stdout kept per call; the rest is counted and dropped.
    pub stdout_bytes: usize,
    /// Bytes of stderr kept per call; the rest is counted and dropped.
    pub stderr_bytes: usize,
    /// Largest JSON value a tool may return, bytes.
    pub value_bytes: usize,
    /// Largest JSON episode state a session may hold, bytes.
    pub state_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            cpu_seconds: 10,
            memory_bytes: 1 << 30,
            file_size_bytes: 16 << 20,
            open_files: 256,
            max_processes: 32,
            stdout_bytes: 64 << 10,
            stderr_bytes: 64 << 10,
            value_bytes: 1 << 20,
            state_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// Checks that every limit is usable; names the field and the fix.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("timeout_ms", self.timeout_ms),
            ("cpu_seconds", self.cpu_seconds),
            ("memory_bytes", self.memory_bytes),
            ("file_size_bytes", self.file_size_bytes),
            ("open_files", self.open_files),
            ("max_processes", self.max_processes),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(Error::InvalidInput(format!(
                    "sandbox limit {name} must be > 0"
                )));
            }
        }
        if self.open_files < 16 {
            return Err(Error::InvalidInput(format!(
                "sandbox limit open_files={} is too small for a Python worker (use >= 16)",
                self.open_files
            )));
        }
        if self.memory_bytes < (32 << 20) {
            return Err(Error::InvalidInput(format!(
                "sandbox limit memory_bytes={} is below 32 MiB; no interpreter starts in that",
                self.memory_bytes
            )));
        }
        if self.max_processes < 2 {
            return Err(Error::InvalidInput(
                "sandbox limit max_processes must be >= 2 (the worker and one child)".into(),
            ));
        }
        Ok(())
    }
}

/// Per-tool overrides applied on top of the pool limits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ToolPolicy {
    /// Wall-clock limit of one call of this tool, milliseconds (default: the pool's).
    pub timeout_ms: Option<u64>,
    /// CPU-time limit of one call of this tool, seconds (default: the pool's).
    pub cpu_seconds: Option<u64>,
    /// Address-space limit of the forked call process, bytes (only with `fresh_process`).
    pub memory_bytes: Option<u64>,
    /// Run each call in a process forked from the warm worker, so no call can change the
    /// worker's state for later calls (the `python_exec` default).
    pub fresh_process: bool,
}

/// Everything a warm pool needs: the interpreter, the tools and the isolation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// The Python interpreter (the trainer's `sys.executable`).
    pub python: PathBuf,
    /// The worker script (`awpo/tools/_worker.py`).
    pub worker_script: PathBuf,
    /// `sys.path` of the workers.
    pub sys_path: Vec<String>,
    /// Tool name → dotted import path `module:qualname`.
    pub tools: BTreeMap<String, String>,
    /// OpenAI function schemas of (some of) the tools: a call's arguments must fit its tool's
    /// schema before it runs (see `CallGate`). A tool without one only needs an object.
    #[serde(default)]
    pub schemas: Vec<serde_json::Value>,
    /// Tool name → policy overriding the pool limits.
    #[serde(default)]
    pub policies: BTreeMap<String, ToolPolicy>,
    /// Number of warm workers.
    #[serde(default = "default_size")]
    pub size: usize,
    /// Calls a worker serves before it is replaced by a fresh one.
    #[serde(default = "default_recycle")]
    pub recycle_after: u64,
    /// How long a worker may take to start and import its tools, milliseconds.
    #[serde(default = "default_startup")]
    pub startup_timeout_ms: u64,
    /// Isolation of every worker.
    #[serde(default)]
    pub isolation: IsolationConfig,
    /// Limits of every worker and call.
    #[serde(default)]
    pub limits: Limits,
}

fn default_size() -> usize {
    2
}
fn default_recycle() -> u64 {
    1000
}
fn default_startup() -> u64 {
    60_000
}

impl PoolConfig {
    /// Parses a JSON pool config (what the Python wrapper sends).
    pub fn from_json(text: &str) -> Result<Self> {
        let cfg: Self = serde_json::from_str(text)
            .map_err(|e| Error::InvalidInput(format!("sandbox pool config: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the config; names the field and the fix.
    pub fn validate(&self) -> Result<()> {
        self.limits.validate()?;
        if self.size == 0 || self.size > 256 {
            return Err(Error::InvalidInput(format!(
                "sandbox pool size={} must be in 1..=256",
                self.size
            )));
        }
        if self.recycle_after == 0 {
            return Err(Error::InvalidInput(
                "sandbox recycle_after must be >= 1".into(),
            ));
        }
        if self.tools.is_empty() {
            return Err(Error::InvalidInput(
                "sandbox pool needs at least one tool".into(),
            ));
        }
        for name in self.policies.keys() {
            if !self.tools.contains_key(name) {
                return Err(Error::InvalidInput(format!(
                    "sandbox policy for unknown tool {name:?} (tools: {:?})",
                    self.tools.keys().collect::<Vec<_>>()
                )));
            }
        }
        for (name, p) in &self.policies {
            if p.timeout_ms == Some(0) || p.cpu_seconds == Some(0) || p.memory_bytes == Some(0) {
                return Err(Error::InvalidInput(format!(
                    "sandbox policy of {name:?}: limits must be > 0"
                )));
            }
            if p.memory_bytes.is_some() && !p.fresh_process {
                return Err(Error::InvalidInput(format!(
                    "sandbox policy of {name:?}: memory_bytes needs fresh_process=true \
                     (a warm worker's address space is bounded by the pool limit)"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_unknown_fields_are_rejected() {
        assert!(Limits::default().validate().is_ok());
        let ok = r#"{"python": "/usr/bin/python3", "worker_script": "/w.py", "sys_path": [],
                    "tools": {"add": "m:add"}}"#;
        let cfg = PoolConfig::from_json(ok).unwrap();
        assert_eq!(cfg.size, 2);
        assert_eq!(cfg.isolation.network, NetworkPolicy::Isolate);
        let typo = r#"{"python": "p", "worker_script": "w", "sys_path": [], "tools": {"a": "m:a"},
                      "limits": {"timeout": 5}}"#;
        let err = PoolConfig::from_json(typo).unwrap_err().to_string();
        assert!(err.contains("timeout"), "{err}");
        let net = r#"{"python": "p", "worker_script": "w", "sys_path": [], "tools": {"a": "m:a"},
                     "isolation": {"network": "allow", "filesystem": "mount-namespace"}}"#;
        let cfg = PoolConfig::from_json(net).unwrap();
        assert_eq!(cfg.isolation.network, NetworkPolicy::Allow);
        assert_eq!(cfg.isolation.filesystem, FilesystemPolicy::MountNamespace);
    }

    #[test]
    fn bad_limits_and_policies_name_the_field() {
        let mut l = Limits {
            max_processes: 1,
            ..Limits::default()
        };
        assert!(
            l.validate()
                .unwrap_err()
                .to_string()
                .contains("max_processes")
        );
        l.max_processes = 8;
        l.timeout_ms = 0;
        assert!(l.validate().unwrap_err().to_string().contains("timeout_ms"));
        let bad = r#"{"python": "p", "worker_script": "w", "sys_path": [], "tools": {"a": "m:a"},
                     "policies": {"a": {"memory_bytes": 1000000}}}"#;
        let err = PoolConfig::from_json(bad).unwrap_err().to_string();
        assert!(err.contains("fresh_process"), "{err}");
        let unknown = r#"{"python": "p", "worker_script": "w", "sys_path": [], "tools": {"a": "m:a"},
                         "policies": {"b": {}}}"#;
        assert!(PoolConfig::from_json(unknown).is_err());
    }
}
