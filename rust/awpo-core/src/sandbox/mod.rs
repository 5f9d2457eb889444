//! Isolated, bounded execution of tool code: a supervisor and a warm worker pool (Linux).
//!
//! Every sandboxed process gets, before it runs a single instruction of its own:
//! - its own session and process group, and a pids cgroup (`pids.max`) that bounds and lists
//!   every process it starts, so a fork bomb stops at the limit and nothing outlives a call;
//! - rlimits: address space, CPU seconds (re-armed per call), file size, open files, no core;
//! - a fresh network namespace (refuses to start without one unless `network: allow`);
//! - Landlock (allow-listed paths read-only, a private working directory writable, no signals
//!   or abstract sockets outside the sandbox, TCP denied) or, without Landlock, a mount
//!   namespace whose root holds only the allow-listed paths, as an unprivileged uid;
//! - no capabilities, `no_new_privs`, a seccomp deny-list, a scrubbed environment, and only
//!   the descriptors it is meant to have.
//!
//! [`Supervisor`] runs a command once; [`Pool`] keeps warm Python workers that serve tool calls
//! over a length-prefixed JSON channel. [`IsolationReport`] says which mechanisms are active.
mod cgroup;
mod child;
mod config;
mod gate;
mod io;
mod isolation;
mod pool;
mod result;
mod run;
mod seccomp;
mod spawn;
mod sys;

pub use config::{
    FilesystemPolicy, IsolationConfig, Limits, NetworkPolicy, PoolConfig, SYSTEM_READ_ONLY,
    SYSTEM_READ_WRITE, ToolPolicy,
};
pub use gate::{CallGate, Rejection};
pub use isolation::IsolationReport;
pub use pool::{CallRequest, Pool};
pub use result::{CallErrorKind, CallResult, RunResult, signal_name};
pub use run::Supervisor;
