//! Bindings of `awpo_core::judge::rubric`: the model-free reasoning judge, scored in one batch
//! call with the GIL released.
use awpo_core::judge::rubric::{RubricCall, RubricItem, score_batch};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Scores trajectories' reasoning with the `rubric` judge (criteria in `awpo_core::judge::rubric`).
///
/// All lists have one entry per item: the user's last turn, the context (conversation and tool
/// results as text), the offered tools' names, the `<think>` text, and the calls as a JSON array
/// of `{"name", "arguments"}`. Returns `(scores (N,), criteria (N, 5))`, all in `[0, 1]`.
#[pyfunction]
#[pyo3(signature = (requests, contexts, tools, reasoning, calls_json))]
#[allow(clippy::type_complexity)] // a pair of NumPy arrays
pub fn rubric_scores<'py>(
    py: Python<'py>,
    requests: Vec<String>,
    contexts: Vec<String>,
    tools: Vec<Vec<String>>,
    reasoning: Vec<String>,
    calls_json: Vec<String>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>)> {
    let n = requests.len();
    if [
        contexts.len(),
        tools.len(),
        reasoning.len(),
        calls_json.len(),
    ]
    .iter()
    .any(|&len| len != n)
    {
        return Err(PyValueError::new_err(format!(
            "rubric_scores: lengths differ (requests {n}, contexts {}, tools {}, reasoning {}, calls_json {})",
            contexts.len(),
            tools.len(),
            reasoning.len(),
            calls_json.len()
        )));
    }
    let result = py.detach(move || -> Result<Vec<[f64; 6]>, String> {
        let mut items = Vec::with_capacity(n);
        let parts = requests
            .into_iter()
            .zip(contexts)
            .zip(tools)
            .zip(reasoning)
            .zip(calls_json);
        for (k, ((((request, context), tools), reasoning), calls)) in parts.enumerate() {
            let calls = RubricCall::list_from_json(&calls).map_err(|e| format!("item {k}: {e}"))?;
            items.push(RubricItem {
                request,
                context,
                tools,
                reasoning,
                calls,
            });
        }
        Ok(score_batch(&items)
            .into_iter()
            .map(|s| {
                let c = s.criteria();
                [s.score, c[0], c[1], c[2], c[3], c[4]]
            })
            .collect())
    });
    let rows = result.map_err(PyValueError::new_err)?;
    let scores: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    let criteria: Vec<f64> = rows.iter().flat_map(|r| r[1..].iter().copied()).collect();
    let criteria = criteria.into_pyarray(py).reshape([n, 5])?;
    Ok((scores.into_pyarray(py), criteria))
}
