//! Bindings of `awpo_core::advantage` (ALGORITHM.md §1–§4, §6): a frozen config class and one
//! batch function. Zero-copy in (`PyReadonlyArray1::as_slice`) and out (NumPy arrays filled in
//! place), with the core running inside `py.detach`.
use awpo_core::advantage::{
    AdvantageConfig, AdvantageOutMut, Clip, Estimator, Gate, Scale, Weight, compute_into,
};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;

/// The advantage estimator's options; every unset field takes ALGORITHM.md's default.
#[pyclass(name = "AdvantageConfig", frozen, module = "awpo._native")]
pub struct PyAdvantageConfig(pub AdvantageConfig);

/// Parses an option's spelling, or takes the default; an unknown one is a `ValueError`.
fn parse_option<T>(s: Option<&str>, default: T) -> PyResult<T>
where
    T: std::str::FromStr<Err = awpo_core::Error>,
{
    s.map_or(Ok(default), |s| s.parse().map_err(errors::to_py))
}

#[pymethods]
impl PyAdvantageConfig {
    #[new]
    #[pyo3(signature = (
        *, estimator=None, gate=None, weight=None, clip=None, scale=None, tau_r=None, tau_o=None,
        lam=None, w_floor=None, kappa=None, delta0=None, eps=None, outcome_min=None, outcome_max=None,
        rho=None
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per ALGORITHM.md constant
    fn new(
        estimator: Option<&str>,
        gate: Option<&str>,
        weight: Option<&str>,
        clip: Option<&str>,
        scale: Option<&str>,
        tau_r: Option<f64>,
        tau_o: Option<f64>,
        lam: Option<f64>,
        w_floor: Option<f64>,
        kappa: Option<f64>,
        delta0: Option<f64>,
        eps: Option<f64>,
        outcome_min: Option<f64>,
        outcome_max: Option<f64>,
        rho: Option<f64>,
    ) -> PyResult<Self> {
        let d = AdvantageConfig::default();
        let cfg = AdvantageConfig {
            estimator: parse_option(estimator, d.estimator)?,
            gate: parse_option(gate, d.gate)?,
            weight: parse_option(weight, d.weight)?,
            clip: parse_option(clip, d.clip)?,
            scale: parse_option(scale, d.scale)?,
            tau_r: tau_r.unwrap_or(d.tau_r),
            tau_o: tau_o.unwrap_or(d.tau_o),
            lam: lam.unwrap_or(d.lam),
            w_floor: w_floor.unwrap_or(d.w_floor),
            kappa: kappa.unwrap_or(d.kappa),
            delta0: delta0.unwrap_or(d.delta0),
            rho: rho.unwrap_or(d.rho),
            eps: eps.unwrap_or(d.eps),
            outcome_min: outcome_min.unwrap_or(d.outcome_min),
            outcome_max: outcome_max.unwrap_or(d.outcome_max),
        };
        cfg.validate().map_err(errors::to_py)?;
        Ok(Self(cfg))
    }

    #[getter]
    fn estimator(&self) -> &'static str {
        self.0.estimator.as_str()
    }
    #[getter]
    fn gate(&self) -> &'static str {
        self.0.gate.as_str()
    }
    #[getter]
    fn weight(&self) -> &'static str {
        self.0.weight.as_str()
    }
    #[getter]
    fn clip(&self) -> &'static str {
        self.0.clip.as_str()
    }
    #[getter]
    fn scale(&self) -> &'static str {
        self.0.scale.as_str()
    }
    #[getter]
    fn tau_r(&self) -> f64 {
        self.0.tau_r
    }
    #[getter]
    fn tau_o(&self) -> f64 {
        self.0.tau_o
    }
    #[getter]
    fn lam(&self) -> f64 {
        self.0.lam
    }
    #[getter]
    fn w_floor(&self) -> f64 {
        self.0.w_floor
    }
    #[getter]
    fn kappa(&self) -> f64 {
        self.0.kappa
    }
    #[getter]
    fn delta0(&self) -> f64 {
        self.0.delta0
    }
    #[getter]
    fn rho(&self) -> f64 {
        self.0.rho
    }
    #[getter]
    fn eps(&self) -> f64 {
        self.0.eps
    }
    #[getter]
    fn outcome_min(&self) -> f64 {
        self.0.outcome_min
    }
    #[getter]
    fn outcome_max(&self) -> f64 {
        self.0.outcome_max
    }

    /// The allowed spellings of each option, e.g. `{"gate": ["soft", "hard", "ratio", "off"], ...}`.
    #[staticmethod]
    fn options(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("estimator", Estimator::ALL)?;
        d.set_item("gate", Gate::ALL)?;
        d.set_item("weight", Weight::ALL)?;
        d.set_item("clip", Clip::ALL)?;
        d.set_item("scale", Scale::ALL)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let c = &self.0;
        format!(
            "AdvantageConfig(estimator='{}', gate='{}', weight='{}', clip='{}', scale='{}', tau_r={:?}, \
             tau_o={:?}, lam={:?}, w_floor={:?}, kappa={:?}, delta0={:?}, eps={:?}, outcome_min={:?}, \
             outcome_max={:?}, rho={:?})",
            c.estimator.as_str(),
            c.gate.as_str(),
            c.weight.as_str(),
            c.clip.as_str(),
            c.scale.as_str(),
            c.tau_r,
            c.tau_o,
            c.lam,
            c.w_floor,
            c.kappa,
            c.delta0,
            c.eps,
            c.outcome_min,
            c.outcome_max,
            c.rho
        )
    }
}

/// The arrays `compute_advantages` returns: advantage, reasoning_share (per row), gate, weight,
/// tied, bound_hit (per group).
type AdvantageArrays<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<u32>>,
);

/// Advantages of a batch of groups (ALGORITHM.md §1–§4, §6); see `awpo_core::advantage::compute`.
///
/// Inputs are borrowed without copying. The outputs are NumPy arrays created here and filled in
/// place by `compute_into` (not `Vec`s moved out with `into_pyarray`): NumPy allocates large arrays
/// with huge pages, which cut the call's page faults from ~4,500 to ~60 and its CPU time by ~40%
/// for 1M rollouts. The read-write borrows are of these fresh arrays only, never of an input.
#[pyfunction]
#[pyo3(signature = (outcome, reasoning, offsets, *, config))]
pub fn compute_advantages<'py>(
    py: Python<'py>,
    outcome: PyReadonlyArray1<'py, f64>,
    reasoning: PyReadonlyArray1<'py, f64>, // NaN = missing judge score
    offsets: PyReadonlyArray1<'py, i64>,   // group k = rows offsets[k]..offsets[k+1]
    config: &PyAdvantageConfig,
) -> PyResult<AdvantageArrays<'py>> {
    let (o, r, g, cfg) = (
        outcome.as_slice()?,
        reasoning.as_slice()?,
        offsets.as_slice()?,
        &config.0,
    );
    let (n_rows, n_groups) = (o.len(), g.len().saturating_sub(1));
    let arrays: AdvantageArrays<'py> = (
        PyArray1::zeros(py, n_rows, false),
        PyArray1::zeros(py, n_rows, false),
        PyArray1::zeros(py, n_groups, false),
        PyArray1::zeros(py, n_groups, false),
        PyArray1::zeros(py, n_groups, false),
        PyArray1::zeros(py, n_groups, false),
    );
    {
        let mut adv = arrays.0.try_readwrite()?;
        let mut share = arrays.1.try_readwrite()?;
        let mut gate = arrays.2.try_readwrite()?;
        let mut weight = arrays.3.try_readwrite()?;
        let mut tied = arrays.4.try_readwrite()?;
        let mut bound_hit = arrays.5.try_readwrite()?;
        let out = AdvantageOutMut {
            advantage: adv.as_slice_mut()?,
            reasoning_share: share.as_slice_mut()?,
            gate: gate.as_slice_mut()?,
            weight: weight.as_slice_mut()?,
            tied: tied.as_slice_mut()?,
            bound_hit: bound_hit.as_slice_mut()?,
        };
        py.detach(|| compute_into(o, r, g, cfg, out))
            .map_err(errors::to_py)?;
    }
    Ok(arrays)
}
