//! Bindings of `awpo_core::sandbox`: the warm pool, the one-shot supervisor and their results.
//!
//! Configs and JSON values cross the boundary as JSON text (the Python wrapper owns the pydantic
//! models and `json`); every call runs with the GIL released. A failed tool call is a
//! `CallResult` with `ok == False`; exceptions are for a sandbox that cannot run anything.
use crate::errors;
use awpo_core::sandbox::{
    CallRequest, CallResult, IsolationConfig, IsolationReport, Limits, Pool, PoolConfig, RunResult,
    Supervisor,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Deserialize;
use std::sync::Arc;

fn bad_json(what: &str, e: serde_json::Error) -> PyErr {
    PyValueError::new_err(format!("{what}: {e}"))
}

fn report_dict<'py>(py: Python<'py>, report: &IsolationReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in report.entries() {
        d.set_item(k, v)?;
    }
    Ok(d)
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn py_opt(v: Option<i32>) -> String {
    v.map_or("None".to_string(), |x| x.to_string())
}

/// Outcome of one sandboxed tool call.
#[pyclass(name = "CallResult", frozen, module = "awpo._native")]
pub struct PyCallResult(CallResult);

#[pymethods]
impl PyCallResult {
    /// The tool returned a value.
    #[getter]
    fn ok(&self) -> bool {
        self.0.ok
    }
    /// The returned value as JSON text, when `ok`.
    #[getter]
    fn value_json(&self) -> Option<String> {
        self.0.value.as_ref().map(|v| v.to_string())
    }
    /// What went wrong, when not `ok`.
    #[getter]
    fn error(&self) -> Option<String> {
        self.0.error.clone()
    }
    /// Why it went wrong: unknown_tool, invalid_arguments, tool_error, timeout, memory, cpu,
    /// crash, bad_value, bad_state or protocol.
    #[getter]
    fn error_kind(&self) -> Option<&'static str> {
        self.0.error_kind.map(|k| k.as_str())
    }
    /// Captured stdout (capped).
    #[getter]
    fn stdout(&self) -> String {
        self.0.stdout.clone()
    }
    /// Captured stderr (capped).
    #[getter]
    fn stderr(&self) -> String {
        self.0.stderr.clone()
    }
    /// Exit status of the process that ended the call, if one did.
    #[getter]
    fn exit_status(&self) -> Option<i32> {
        self.0.exit_status
    }
    /// Signal that killed that process, if one did.
    #[getter]
    fn signal(&self) -> Option<i32> {
        self.0.signal
    }
    /// The wall-clock limit was hit.
    #[getter]
    fn timed_out(&self) -> bool {
        self.0.timed_out
    }
    /// An allocation failed against the address-space limit.
    #[getter]
    fn memory_exceeded(&self) -> bool {
        self.0.memory_exceeded
    }
    /// stdout or stderr was cut at its cap.
    #[getter]
    fn output_truncated(&self) -> bool {
        self.0.output_truncated
    }
    /// Wall-clock time, milliseconds.
    #[getter]
    fn wall_ms(&self) -> f64 {
        self.0.wall_ms
    }
    /// CPU time, milliseconds.
    #[getter]
    fn cpu_ms(&self) -> f64 {
        self.0.cpu_ms
    }
    /// Processes the call left behind, killed after it.
    #[getter]
    fn strays_killed(&self) -> u32 {
        self.0.strays_killed
    }
    /// Forks refused at the process limit during the call.
    #[getter]
    fn fork_failures(&self) -> u64 {
        self.0.fork_failures
    }
    /// The worker was replaced after this call.
    #[getter]
    fn worker_replaced(&self) -> bool {
        self.0.worker_replaced
    }

    fn __repr__(&self) -> String {
        format!(
            "CallResult(ok={}, error_kind={}, wall_ms={:.3})",
            py_bool(self.0.ok),
            self.0
                .error_kind
                .map_or("None".to_string(), |k| format!("'{}'", k.as_str())),
            self.0.wall_ms
        )
    }
}

/// A pool of warm, isolated Python workers serving tool calls.
#[pyclass(name = "SandboxPool", frozen, module = "awpo._native")]
pub struct PySandboxPool(Arc<Pool>);

#[pymethods]
impl PySandboxPool {
    /// Starts the workers described by `config_json` (a `PoolConfig` as JSON) and waits until
    /// they have imported their tools.
    #[new]
    fn new(py: Python<'_>, config_json: &str) -> PyResult<Self> {
        let cfg = PoolConfig::from_json(config_json).map_err(errors::to_py)?;
        let pool = py.detach(|| Pool::new(cfg)).map_err(errors::to_py)?;
        Ok(Self(Arc::new(pool)))
    }

    /// What isolates the workers, one line per concern.
    #[getter]
    fn isolation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        report_dict(py, self.0.isolation())
    }

    /// Runs one call; `args_json` is a JSON object.
    #[pyo3(signature = (tool, args_json, session=None))]
    fn call(
        &self,
        py: Python<'_>,
        tool: String,
        args_json: &str,
        session: Option<String>,
    ) -> PyResult<PyCallResult> {
        let args = serde_json::from_str(args_json).map_err(|e| bad_json("tool arguments", e))?;
        let req = CallRequest {
            tool,
            args,
            session,
        };
        let pool = Arc::clone(&self.0);
        let r = py.detach(move || pool.call(&req)).map_err(errors::to_py)?;
        Ok(PyCallResult(r))
    }

    /// Runs `(tool, args_json, session)` calls concurrently; results in the same order.
    fn call_batch(
        &self,
        py: Python<'_>,
        calls: Vec<(String, String, Option<String>)>,
    ) -> PyResult<Vec<PyCallResult>> {
        let reqs = calls
            .into_iter()
            .map(|(tool, args_json, session)| {
                let args =
                    serde_json::from_str(&args_json).map_err(|e| bad_json("tool arguments", e))?;
                Ok(CallRequest {
                    tool,
                    args,
                    session,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let pool = Arc::clone(&self.0);
        let out = py
            .detach(move || pool.call_batch(&reqs))
            .map_err(errors::to_py)?;
        Ok(out.into_iter().map(PyCallResult).collect())
    }

    /// Forgets a session's episode state; returns whether it existed.
    fn end_session(&self, session: &str) -> bool {
        self.0.end_session(session)
    }

    /// A session's episode state as JSON text, or None.
    fn session_state_json(&self, session: &str) -> Option<String> {
        self.0.session_state(session).map(|v| v.to_string())
    }

    /// Number of sessions holding state.
    fn session_count(&self) -> usize {
        self.0.session_count()
    }

    /// Workers started so far (initial ones and replacements).
    fn workers_started(&self) -> u64 {
        self.0.workers_started()
    }

    /// Process ids of the idle workers.
    fn worker_pids(&self) -> Vec<i32> {
        self.0.idle_worker_pids()
    }

    /// Kills every worker; later calls raise `SandboxError`.
    fn close(&self, py: Python<'_>) {
        let pool = Arc::clone(&self.0);
        py.detach(move || pool.close());
    }
}

/// Outcome of a one-shot sandboxed command.
#[pyclass(name = "RunResult", frozen, module = "awpo._native")]
pub struct PyRunResult(RunResult);

#[pymethods]
impl PyRunResult {
    /// Exited with status 0 within the limits.
    #[getter]
    fn ok(&self) -> bool {
        self.0.ok
    }
    /// Exit status, when it exited.
    #[getter]
    fn exit_status(&self) -> Option<i32> {
        self.0.exit_status
    }
    /// Signal that killed it.
    #[getter]
    fn signal(&self) -> Option<i32> {
        self.0.signal
    }
    /// Captured stdout (capped).
    #[getter]
    fn stdout(&self) -> String {
        self.0.stdout.clone()
    }
    /// Captured stderr (capped).
    #[getter]
    fn stderr(&self) -> String {
        self.0.stderr.clone()
    }
    /// The wall-clock limit was hit.
    #[getter]
    fn timed_out(&self) -> bool {
        self.0.timed_out
    }
    /// The CPU-time limit killed it.
    #[getter]
    fn cpu_exceeded(&self) -> bool {
        self.0.cpu_exceeded
    }
    /// stdout or stderr was cut at its cap.
    #[getter]
    fn output_truncated(&self) -> bool {
        self.0.output_truncated
    }
    /// Wall-clock time, milliseconds.
    #[getter]
    fn wall_ms(&self) -> f64 {
        self.0.wall_ms
    }
    /// CPU time of the process and the children it reaped, milliseconds.
    #[getter]
    fn cpu_ms(&self) -> f64 {
        self.0.cpu_ms
    }
    /// Forks refused at the process limit.
    #[getter]
    fn fork_failures(&self) -> u64 {
        self.0.fork_failures
    }

    fn __repr__(&self) -> String {
        format!(
            "RunResult(ok={}, exit_status={}, signal={}, timed_out={})",
            py_bool(self.0.ok),
            py_opt(self.0.exit_status),
            py_opt(self.0.signal),
            py_bool(self.0.timed_out)
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SupervisorConfig {
    #[serde(default)]
    isolation: IsolationConfig,
    #[serde(default)]
    limits: Limits,
}

/// Runs commands one at a time, each in a fresh sandbox.
#[pyclass(name = "SandboxSupervisor", frozen, module = "awpo._native")]
pub struct PySandboxSupervisor(Arc<Supervisor>);

#[pymethods]
impl PySandboxSupervisor {
    /// Probes isolation for `config_json` (`{"isolation": ..., "limits": ...}`); raises
    /// `SandboxError` when it cannot be had.
    #[new]
    fn new(py: Python<'_>, config_json: &str) -> PyResult<Self> {
        let cfg: SupervisorConfig = serde_json::from_str(config_json)
            .map_err(|e| bad_json("sandbox supervisor config", e))?;
        let sup = py
            .detach(move || Supervisor::new(cfg.isolation, cfg.limits))
            .map_err(errors::to_py)?;
        Ok(Self(Arc::new(sup)))
    }

    /// What isolates the runs, one line per concern.
    #[getter]
    fn isolation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        report_dict(py, self.0.isolation())
    }

    /// Runs `argv` (absolute program path first) with `stdin` in a fresh sandbox.
    #[pyo3(signature = (argv, stdin=None))]
    fn run(
        &self,
        py: Python<'_>,
        argv: Vec<String>,
        stdin: Option<Vec<u8>>,
    ) -> PyResult<PyRunResult> {
        let stdin = stdin.unwrap_or_default();
        let sup = Arc::clone(&self.0);
        let r = py
            .detach(move || sup.run(&argv, &stdin))
            .map_err(errors::to_py)?;
        Ok(PyRunResult(r))
    }
}
