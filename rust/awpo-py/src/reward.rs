//! Bindings of `awpo_core::reward`: batch outcome rewards and each reward's range.
use crate::errors;
use awpo_core::reward::{self, RewardKind};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

fn kind_of(kind: &str) -> PyResult<RewardKind> {
    kind.parse::<RewardKind>().map_err(errors::to_py)
}

fn strs(v: &[PyBackedStr]) -> Vec<&str> {
    v.iter().map(|s| &**s).collect()
}

/// Columns of an outcome batch: `(total, components, failure classes)`.
type OutcomeColumns<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<Bound<'py, PyArray1<f64>>>,
    Vec<&'static str>,
);

/// Parses and scores a batch of rollouts in parallel, without the GIL.
#[pyfunction]
#[pyo3(signature = (kind, texts, answers, answer_index, tools, tools_index, truncated=None))]
#[allow(clippy::too_many_arguments)] // the batch's columns, as the Python wrapper builds them
pub fn outcome_batch<'py>(
    py: Python<'py>,
    kind: &str,
    texts: Vec<PyBackedStr>,
    answers: Vec<PyBackedStr>,                // distinct Task answers, JSON
    answer_index: PyReadonlyArray1<'py, i64>, // item i uses answers[answer_index[i]]
    tools: Vec<PyBackedStr>,                  // distinct tool lists, JSON
    tools_index: PyReadonlyArray1<'py, i64>,  // item i uses tools[tools_index[i]]
    truncated: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<OutcomeColumns<'py>> {
    let kind = kind_of(kind)?;
    let (texts, answers, tools) = (strs(&texts), strs(&answers), strs(&tools));
    let (answer_index, tools_index) = (answer_index.as_slice()?, tools_index.as_slice()?);
    let truncated = match &truncated {
        Some(t) => t.as_slice()?,
        None => &[],
    };
    let input = reward::batch::JsonRollouts {
        texts: &texts,
        answers: &answers,
        answer_index,
        tools: &tools,
        tools_index,
        truncated,
    };
    let out = py
        .detach(|| reward::batch::outcome_from_json(kind, &input))
        .map_err(errors::to_py)?;
    let components = out
        .components
        .into_iter()
        .map(|c| c.into_pyarray(py))
        .collect();
    let failure = out.failure.iter().map(|f| f.as_str()).collect();
    Ok((out.total.into_pyarray(py), components, failure))
}

/// `(min, max)` of a reward's total.
#[pyfunction]
pub fn reward_range(kind: &str) -> PyResult<(f64, f64)> {
    Ok(kind_of(kind)?.range())
}

/// The names of a reward's components, in the order `outcome_batch` returns them.
#[pyfunction]
pub fn reward_components(kind: &str) -> PyResult<Vec<&'static str>> {
    Ok(kind_of(kind)?.component_names().to_vec())
}
