//! PyO3 bindings of awpo-core: the `awpo._native` extension module.
//!
//! A binding only extracts its arguments, runs the core inside `py.detach`, maps the error and
//! moves the result out (docs/DESIGN.md "Conventions"). Logic lives in awpo-core.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod advantage;
mod errors;
mod judge;
mod reward;
mod sandbox;
mod toolcall;

use pyo3::prelude::*;

/// Makes rayon batches serial in a forked child (registered by `awpo/__init__.py`).
#[pyfunction]
fn _after_fork() {
    awpo_core::par::set_parallelism(false);
}

/// Turns rayon batches on or off in this process (`AWPO_PARALLELISM` sets the default).
#[pyfunction]
fn set_parallelism(on: bool) {
    awpo_core::par::set_parallelism(on);
}

/// Whether rayon batches are on in this process.
#[pyfunction]
fn is_parallel() -> bool {
    awpo_core::par::is_parallel()
}

#[pymodule]
mod _native {
    use pyo3::prelude::*;

    // --- process-wide switches ---
    #[pymodule_export]
    use super::{_after_fork, is_parallel, set_parallelism};

    // --- tool-call parsing ---
    #[pymodule_export]
    use super::toolcall::{
        PyParseIssue, PyParseResult, PyToolSet, parse_tool_calls, parse_tool_calls_batch,
    };

    // --- outcome rewards ---
    #[pymodule_export]
    use super::reward::{calls_match, outcome_batch, reward_components, reward_range};

    // --- advantages ---
    #[pymodule_export]
    use super::advantage::{PyAdvantageConfig, compute_advantages};

    // --- the model-free reasoning judge ---
    #[pymodule_export]
    use super::judge::rubric_scores;

    // --- sandbox ---
    #[pymodule_export]
    use super::sandbox::{PyCallResult, PyRunResult, PySandboxPool, PySandboxSupervisor};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let py = m.py();
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add(
            "RUBRIC_JUDGE_VERSION",
            awpo_core::judge::rubric::RUBRIC_JUDGE_VERSION,
        )?;
        m.add(
            "RUBRIC_CRITERIA",
            awpo_core::judge::rubric::CRITERIA.to_vec(),
        )?;
        m.add("AwpoError", py.get_type::<super::errors::AwpoError>())?;
        m.add("SandboxError", py.get_type::<super::errors::SandboxError>())?;
        m.add(
            "ToolTimeoutError",
            py.get_type::<super::errors::ToolTimeoutError>(),
        )?;
        Ok(())
    }
}
