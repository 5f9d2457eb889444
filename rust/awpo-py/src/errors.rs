//! Exceptions of `awpo._native` and the one place awpo-core errors become Python errors.
use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};

create_exception!(
    awpo._native,
    AwpoError,
    PyException,
    "Base class of every awpo error."
);
create_exception!(
    awpo._native,
    SandboxError,
    AwpoError,
    "The tool sandbox could not start, isolate or reach a worker."
);
create_exception!(
    awpo._native,
    ToolTimeoutError,
    SandboxError,
    "A tool call ran past its wall-clock limit."
);

#[allow(dead_code)] // called by the binding modules as they land
/// Maps an awpo-core error to its Python exception (docs/DESIGN.md "Conventions": exhaustive, no catch-all arm).
pub fn to_py(e: awpo_core::Error) -> PyErr {
    match e {
        awpo_core::Error::InvalidInput(msg) => PyValueError::new_err(msg),
        awpo_core::Error::InvalidSpec(msg) => PyValueError::new_err(msg),
        awpo_core::Error::Sandbox(msg) => SandboxError::new_err(msg),
        awpo_core::Error::Io(err) => PyOSError::new_err(err.to_string()),
    }
}
