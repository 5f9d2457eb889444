//! The one error type of awpo-core. Expected outcomes (a malformed tool call, a missing judge
//! score, a failed tool) are values, not errors: this enum is for caller mistakes and I/O.
use thiserror::Error;

/// Errors raised by awpo-core. `awpo-py` maps each variant to a Python exception.
#[derive(Debug, Error)]
pub enum Error {
    /// A caller passed inconsistent or out-of-range input (lengths, offsets, values).
    #[error("{0}")]
    InvalidInput(String),
    /// A ground truth or a tool schema is malformed; names the item and the field.
    #[error("{0}")]
    InvalidSpec(String),
    /// The sandbox could not start, isolate or talk to a worker.
    #[error("sandbox: {0}")]
    Sandbox(String),
    /// An operating-system call failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias for awpo-core.
pub type Result<T> = std::result::Result<T, Error>;
