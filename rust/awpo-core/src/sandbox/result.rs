//! The structured outcome of a sandboxed call or run. A failed tool call is a result, not an
//! error: `Err` is kept for a sandbox that cannot run anything.
use serde::Serialize;

/// Why a call failed (a closed set; `as_str` gives the stable name used in Python).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallErrorKind {
    /// The tool name is not served by this sandbox.
    UnknownTool,
    /// The arguments do not fit the tool's signature or schema.
    InvalidArguments,
    /// The tool raised an exception.
    ToolError,
    /// The call ran past its wall-clock limit; the worker was killed.
    Timeout,
    /// The call ran out of address space (RLIMIT_AS).
    Memory,
    /// The call used up its CPU-time limit (RLIMIT_CPU).
    Cpu,
    /// The worker (or the call's process) died without answering.
    Crash,
    /// The returned value is not JSON or larger than `value_bytes`.
    BadValue,
    /// The episode state is not JSON or larger than `state_bytes`.
    BadState,
    /// The worker broke the frame protocol.
    Protocol,
}

impl CallErrorKind {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownTool => "unknown_tool",
            Self::InvalidArguments => "invalid_arguments",
            Self::ToolError => "tool_error",
            Self::Timeout => "timeout",
            Self::Memory => "memory",
            Self::Cpu => "cpu",
            Self::Crash => "crash",
            Self::BadValue => "bad_value",
            Self::BadState => "bad_state",
            Self::Protocol => "protocol",
        }
    }

    /// Parses the name the worker reports; unknown names count as a tool error.
    pub fn from_worker(name: &str) -> Self {
        match name {
            "unknown_tool" => Self::UnknownTool,
            "invalid_arguments" => Self::InvalidArguments,
            "timeout" => Self::Timeout,
            "memory" => Self::Memory,
            "cpu" => Self::Cpu,
            "crash" => Self::Crash,
            "bad_value" => Self::BadValue,
            "bad_state" => Self::BadState,
            "protocol" => Self::Protocol,
            _ => Self::ToolError,
        }
    }
}

/// Outcome of one tool call in the warm pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CallResult {
    /// The tool returned a value.
    pub ok: bool,
    /// The returned value (JSON), when `ok`.
    pub value: Option<serde_json::Value>,
    /// What went wrong, for the model's observation, when not `ok`.
    pub error: Option<String>,
    /// Why it went wrong, when not `ok`.
    pub error_kind: Option<CallErrorKind>,
    /// Captured stdout of the call (capped).
    pub stdout: String,
    /// Captured stderr of the call (capped; a tool's traceback lands here).
    pub stderr: String,
    /// Exit status of the process that ended the call (a dead worker or a fresh call process).
    pub exit_status: Option<i32>,
    /// Signal that killed that process.
    pub signal: Option<i32>,
    /// The wall-clock limit was hit.
    pub timed_out: bool,
    /// An allocation failed against the address-space limit.
    pub memory_exceeded: bool,
    /// stdout or stderr was cut at its cap.
    pub output_truncated: bool,
    /// Wall-clock time of the call, milliseconds.
    pub wall_ms: f64,
    /// CPU time of the call's processes, milliseconds.
    pub cpu_ms: f64,
    /// Processes the call left behind, killed after it.
    pub strays_killed: u32,
    /// Forks refused because the sandbox hit its process limit during the call.
    pub fork_failures: u64,
    /// The worker that served the call was replaced afterwards.
    pub worker_replaced: bool,
}

impl CallResult {
    /// A failed result with no process involved (e.g. an unknown tool).
    pub fn failed(kind: CallErrorKind, error: impl Into<String>) -> Self {
        Self {
            ok: false,
            error: Some(error.into()),
            error_kind: Some(kind),
            ..Self::default()
        }
    }
}

/// Outcome of a one-shot sandboxed run of a command.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunResult {
    /// Exited with status 0 within the limits.
    pub ok: bool,
    /// Exit status, when it exited.
    pub exit_status: Option<i32>,
    /// Signal that killed it.
    pub signal: Option<i32>,
    /// Captured stdout (capped).
    pub stdout: String,
    /// Captured stderr (capped).
    pub stderr: String,
    /// The wall-clock limit was hit and the sandbox killed.
    pub timed_out: bool,
    /// The CPU-time limit killed it (SIGXCPU, or SIGKILL past the limit).
    pub cpu_exceeded: bool,
    /// stdout or stderr was cut at its cap.
    pub output_truncated: bool,
    /// Wall-clock time, milliseconds.
    pub wall_ms: f64,
    /// CPU time of the process and the children it reaped, milliseconds.
    pub cpu_ms: f64,
    /// Forks refused because the sandbox hit its process limit.
    pub fork_failures: u64,
}

/// Name of a signal for messages (`SIGKILL`), or its number.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}
