//! Bindings of `awpo_core::toolcall`: `ToolSet`, `ParseResult`, `ParseIssue`, `parse_tool_calls`
//! and `parse_tool_calls_batch`. Also the Python ⇄ JSON conversions other bindings may reuse.
use crate::errors;
use awpo_core::sandbox::CallGate;
use awpo_core::toolcall::{self as tc, ParseOptions, ToolSchema};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Nesting limit of Python objects converted to JSON (deeper is a `ValueError`).
const MAX_DEPTH: usize = 128;

/// Converts a Python object (None, bool, int, float, str, list, tuple, Mapping with str keys)
/// to JSON. `path` names the object in error messages (`tools[0].function.parameters`).
pub(crate) fn py_to_json(obj: &Bound<'_, PyAny>, path: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "{path}: nested more than {MAX_DEPTH} levels"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(PyValueError::new_err(format!(
            "{path}: integer out of the 64-bit range"
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| {
                PyValueError::new_err(format!("{path}: {} is not a finite number", f.value()))
            });
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(py_to_json(&item?, &format!("{path}[{i}]"), depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        let mut out = Map::new();
        for item in m.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let Ok(key) = k.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "{path}: keys must be str, not {}",
                    k.get_type().name()?
                )));
            };
            let key = key.to_str()?.to_owned();
            let child = format!(
                "{}{key}",
                if path.is_empty() {
                    String::new()
                } else {
                    format!("{path}.")
                }
            );
            out.insert(key, py_to_json(&v, &child, depth + 1)?);
        }
        return Ok(Value::Object(out));
    }
    Err(PyTypeError::new_err(format!(
        "{path}: {} is not JSON-like (None, bool, int, float, str, list, tuple, dict)",
        obj.get_type().name()?
    )))
}

/// Converts JSON to Python objects (dicts keep key order).
pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, item) in m {
                d.set_item(k, json_to_py(py, item)?)?;
            }
            d.into_any()
        }
    })
}

/// A compiled list of OpenAI function schemas, built once and reused across parses.
#[pyclass(name = "ToolSet", frozen, module = "awpo._native")]
pub struct PyToolSet {
    tools: Vec<ToolSchema>,
    /// The gate a call of these tools passes before it runs (`check_call`).
    gate: CallGate,
    /// The schemas as given (for pickling and `to_list`).
    source: Value,
}

impl PyToolSet {
    /// The compiled schemas.
    #[allow(dead_code)] // for the rewards bindings
    pub(crate) fn tools(&self) -> &[ToolSchema] {
        &self.tools
    }
}

#[pymethods]
impl PyToolSet {
    #[new]
    fn new(tools: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !(tools.is_instance_of::<PyList>() || tools.is_instance_of::<PyTuple>()) {
            return Err(PyTypeError::new_err(format!(
                "tools must be a list or tuple of tool schemas (dicts), not {}",
                tools.get_type().name()?
            )));
        }
        let source = py_to_json(tools, "tools", 0)?;
        let tools = tc::parse_toolset(&source).map_err(errors::to_py)?;
        let gate = CallGate::from_schemas(&tools);
        Ok(PyToolSet {
            tools,
            gate,
            source,
        })
    }

    /// Whether a call may run: `None`, or `(error_kind, message)` saying why not (the tool is
    /// unknown, the arguments are not an object or do not fit the tool's schema). The sandbox
    /// pool applies the same gate; the schema check is the reward's `schema_violation` check.
    fn check_call(
        &self,
        name: &str,
        arguments_json: &str,
    ) -> PyResult<Option<(&'static str, String)>> {
        let args: Value = serde_json::from_str(arguments_json)
            .map_err(|e| PyValueError::new_err(format!("arguments_json: {e}")))?;
        Ok(self
            .gate
            .check(name, &args)
            .err()
            .map(|r| (r.kind.as_str(), r.message)))
    }

    /// Tool names, in order.
    #[getter]
    fn names(&self) -> Vec<&str> {
        self.tools.iter().map(ToolSchema::name).collect()
    }

    /// The schemas as given, as a new list of dicts.
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.source)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        Ok((slf.get_type().into_any(), (slf.get().to_list(slf.py())?,)))
    }

    fn __len__(&self) -> usize {
        self.tools.len()
    }

    fn __contains__(&self, name: &Bound<'_, PyAny>) -> bool {
        name.cast::<PyString>()
            .ok()
            .and_then(|s| {
                s.to_str()
                    .ok()
                    .map(|s| tc::find_tool(&self.tools, s).is_some())
            })
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        format!("ToolSet({:?})", self.names())
    }
}

/// One problem found while parsing or checking a call.
#[pyclass(name = "ParseIssue", frozen, eq, module = "awpo._native")]
#[derive(PartialEq)]
pub struct PyParseIssue(tc::Issue);

#[pymethods]
impl PyParseIssue {
    /// The failure class this problem belongs to.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }

    /// Index into `ParseResult.calls` for schema problems, else None.
    #[getter]
    fn call(&self) -> Option<usize> {
        self.0.call
    }

    /// Where in the call's arguments (`city`, `filter.limit`, `items[2]`); "" when not about one.
    #[getter]
    fn path(&self) -> &str {
        &self.0.path
    }

    /// What is wrong, for people.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }

    /// `{"kind", "call", "path", "message"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "kind"), self.kind())?;
        d.set_item(intern!(py, "call"), self.0.call)?;
        d.set_item(intern!(py, "path"), &self.0.path)?;
        d.set_item(intern!(py, "message"), &self.0.message)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ParseIssue(kind={}, call={}, path={}, message={})",
            repr(py, self.kind())?,
            self.0.call.map_or("None".into(), |c| c.to_string()),
            repr(py, &self.0.path)?,
            repr(py, &self.0.message)?
        ))
    }
}

/// What a parse of one model output yields (DESIGN.md "Parse result").
#[pyclass(name = "ParseResult", frozen, eq, module = "awpo._native")]
#[derive(PartialEq)]
pub struct PyParseResult(tc::ParseResult);

impl PyParseResult {
    /// The core result.
    #[allow(dead_code)] // for the rewards bindings
    pub(crate) fn inner(&self) -> &tc::ParseResult {
        &self.0
    }
}

#[pymethods]
impl PyParseResult {
    /// Every recovered call as `{"name": str, "arguments": dict}`, in order (a new list per access).
    #[getter]
    fn calls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for c in &self.0.calls {
            let d = PyDict::new(py);
            d.set_item(intern!(py, "name"), &c.name)?;
            let args = PyDict::new(py);
            for (k, v) in &c.arguments {
                args.set_item(k, json_to_py(py, v)?)?;
            }
            d.set_item(intern!(py, "arguments"), args)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// Text of the `<think>` block(s), or None.
    #[getter]
    fn reasoning(&self) -> Option<&str> {
        self.0.reasoning.as_deref()
    }

    /// The `<response>` text, else the free text outside think and calls, or None.
    #[getter]
    fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }

    /// The failure class.
    #[getter]
    fn failure(&self) -> &'static str {
        self.0.failure.as_str()
    }

    /// Every problem found, in order.
    #[getter]
    fn issues(&self) -> Vec<PyParseIssue> {
        self.0.issues.iter().cloned().map(PyParseIssue).collect()
    }

    /// Format of the first call region: "hermes", "pythonic", "json", "xml", or None.
    #[getter]
    fn format(&self) -> Option<&'static str> {
        self.0.format.map(tc::CallFormat::as_str)
    }

    /// Whether calls were found and nothing went wrong (`failure == "ok"`).
    #[getter]
    fn ok(&self) -> bool {
        self.0.is_ok()
    }

    /// Plain-Python form: `{"calls", "reasoning", "answer", "failure", "issues", "format"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "calls"), self.calls(py)?)?;
        d.set_item(intern!(py, "reasoning"), self.reasoning())?;
        d.set_item(intern!(py, "answer"), self.answer())?;
        d.set_item(intern!(py, "failure"), self.failure())?;
        let issues = PyList::empty(py);
        for i in &self.0.issues {
            issues.append(PyParseIssue(i.clone()).to_dict(py)?)?;
        }
        d.set_item(intern!(py, "issues"), issues)?;
        d.set_item(intern!(py, "format"), self.format())?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names = PyList::new(py, self.0.calls.iter().map(|c| c.name.as_str()))?;
        Ok(format!(
            "ParseResult(failure={}, calls={}, issues={}, format={})",
            repr(py, self.failure())?,
            names.repr()?,
            self.0.issues.len(),
            self.format().map_or(Ok("None".into()), |f| repr(py, f))?
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let json = serde_json::to_string(&slf.get().0)
            .map_err(|e| PyValueError::new_err(format!("cannot serialise ParseResult: {e}")))?;
        Ok((slf.get_type().getattr("_from_json")?, (json,)))
    }

    /// Rebuilds a result from its JSON form (used by pickle).
    #[staticmethod]
    fn _from_json(data: &str) -> PyResult<Self> {
        serde_json::from_str(data)
            .map(PyParseResult)
            .map_err(|e| PyValueError::new_err(format!("not a serialised ParseResult: {e}")))
    }
}

/// Python's `repr` of a string.
fn repr(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_str()?.to_owned())
}

fn schemas<'a>(tools: Option<&'a Bound<'_, PyToolSet>>) -> &'a [ToolSchema] {
    tools.map_or(&[], |t| t.get().tools.as_slice())
}

/// Parses one model output (see `awpo.rewards.parse`).
#[pyfunction]
#[pyo3(signature = (text, tools=None, *, truncated=false))]
pub fn parse_tool_calls(
    py: Python<'_>,
    text: &Bound<'_, PyString>,
    tools: Option<&Bound<'_, PyToolSet>>,
    truncated: bool,
) -> PyParseResult {
    let s = text.to_string_lossy();
    let tools = schemas(tools);
    let opts = ParseOptions { truncated };
    PyParseResult(py.detach(|| tc::parse(&s, tools, &opts)))
}

/// Parses many model outputs in parallel, without the GIL (see `awpo.rewards.parse_batch`).
#[pyfunction]
#[pyo3(signature = (texts, tools=None, *, truncated=None))]
pub fn parse_tool_calls_batch(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    tools: Option<&Bound<'_, PyToolSet>>,
    truncated: Option<Vec<bool>>,
) -> PyResult<Vec<PyParseResult>> {
    if !(texts.is_instance_of::<PyList>() || texts.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!(
            "texts must be a list or tuple of str, not {}",
            texts.get_type().name()?
        )));
    }
    let mut strs: Vec<Bound<'_, PyString>> = Vec::new();
    for (i, item) in texts.try_iter()?.enumerate() {
        let item = item?;
        match item.cast_into::<PyString>() {
            Ok(s) => strs.push(s),
            Err(e) => {
                return Err(PyTypeError::new_err(format!(
                    "texts[{i}] must be str, not {}",
                    e.into_inner().get_type().name()?
                )));
            }
        }
    }
    let cows: Vec<Cow<'_, str>> = strs.iter().map(|s| s.to_string_lossy()).collect();
    let refs: Vec<&str> = cows.iter().map(AsRef::as_ref).collect();
    let tools = schemas(tools);
    let out = match truncated {
        None => py.detach(|| tc::parse_batch(&refs, tools, &ParseOptions::default())),
        Some(flags) => py
            .detach(|| tc::parse_batch_truncated(&refs, tools, &flags))
            .map_err(errors::to_py)?,
    };
    Ok(out.into_iter().map(PyParseResult).collect())
}
