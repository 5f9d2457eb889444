//! Pure-Rust core of awpo. Knows nothing of Python: the `awpo-py` crate binds it.
//!
//! - [`toolcall`]: parse tool calls, reasoning and answers out of model text, with a closed
//!   failure taxonomy and schema checks.
//! - [`reward`]: outcome rewards (`toolrl`, `exact`, `bfcl`) with their components and range.
//! - [`advantage`]: group-relative AWPO advantages (ALGORITHM.md §1–§4, §6).
//! - [`judge`]: the model-free `rubric` reasoning judge.
//! - [`sandbox`]: isolated, bounded execution of tool code.
//! - [`par`]: the one module that touches rayon.
#![warn(missing_docs)]

pub mod advantage;
mod error;
pub mod judge;
pub mod par;
pub mod reward;
pub mod sandbox;
pub mod toolcall;

pub use error::{Error, Result};
