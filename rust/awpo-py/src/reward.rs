//! Bindings of `awpo_core::reward`: batch outcome rewards, each reward's range, and the exact-call
//! rule (`calls_match`).
use crate::errors;
use awpo_core::reward::{self, RewardKind};
use awpo_core::toolcall::FailureClass;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Nesting limit of a converted answer or tool list.
const MAX_DEPTH: usize = 128;

/// A failed conversion: the path segments (innermost first), the problem, and its Python type.
struct Bad {
    path: Vec<String>,
    what: String,
    type_error: bool,
}

impl Bad {
    fn new(what: String, type_error: bool) -> Bad {
        Bad {
            path: Vec::new(),
            what,
            type_error,
        }
    }

    fn at(mut self, segment: String) -> Bad {
        self.path.push(segment);
        self
    }
}

/// Schema annotations that no reward reads: dropped while converting tool lists (not inside a
/// `properties` map, whose keys are parameter names).
const ANNOTATIONS: [&str; 3] = ["description", "title", "examples"];

/// What is being converted.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Plain JSON (answers).
    Plain,
    /// A tool list: annotations are dropped.
    Schema,
    /// A `properties` map of a tool list: keys are parameter names, values schemas.
    Properties,
}

/// A Python object seen as one of the JSON-like builtins (or a subclass), in `py_value`'s order.
enum Typed<'a, 'py> {
    Str(&'a Bound<'py, PyString>),
    Dict(&'a Bound<'py, PyDict>),
    List(&'a Bound<'py, PyList>),
    Bool(bool),
    Int,
    Float(f64),
    None,
    Tuple(&'a Bound<'py, PyTuple>),
    Other,
}

/// Which JSON-like builtin `obj` is. Exact builtin types (nearly every object) are recognised by
/// comparing the type pointer, with no call into the interpreter; subclasses then go through the
/// checks in their original order (str, dict, list, bool, int, float, None, tuple), which give
/// the same answer for exact types.
fn typed<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Typed<'a, 'py> {
    if obj.is_exact_instance_of::<PyString>()
        && let Ok(s) = obj.cast_exact::<PyString>()
    {
        return Typed::Str(s);
    }
    if obj.is_exact_instance_of::<PyDict>()
        && let Ok(d) = obj.cast_exact::<PyDict>()
    {
        return Typed::Dict(d);
    }
    if obj.is_exact_instance_of::<PyList>()
        && let Ok(l) = obj.cast_exact::<PyList>()
    {
        return Typed::List(l);
    }
    if obj.is_exact_instance_of::<PyInt>() {
        return Typed::Int;
    }
    if obj.is_none() {
        return Typed::None;
    }
    if obj.is_exact_instance_of::<PyFloat>()
        && let Ok(f) = obj.cast_exact::<PyFloat>()
    {
        return Typed::Float(f.value());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Typed::Str(s);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return Typed::Dict(d);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return Typed::List(l);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Typed::Bool(b.is_true());
    }
    if obj.is_instance_of::<PyInt>() {
        return Typed::Int;
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Typed::Float(f.value());
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return Typed::Tuple(t);
    }
    Typed::Other
}

/// The key of a dict entry as `&str`, or why it is not one.
fn dict_key<'a>(k: &'a Bound<'_, PyAny>) -> Result<&'a str, Bad> {
    let s = if k.is_exact_instance_of::<PyString>() {
        k.cast_exact::<PyString>().ok()
    } else {
        k.cast::<PyString>().ok()
    };
    let Some(s) = s else {
        let t = k
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string());
        return Err(Bad::new(format!("keys must be str, not {t}"), true));
    };
    s.to_str().map_err(|e| Bad::new(e.to_string(), true))
}

/// The mode of a dict entry's value, or `None` for an entry that is dropped.
fn child_mode(mode: Mode, key: &str) -> Option<Mode> {
    match mode {
        Mode::Plain => Some(Mode::Plain),
        Mode::Properties => Some(Mode::Schema),
        Mode::Schema if ANNOTATIONS.contains(&key) => None,
        Mode::Schema if key == "properties" => Some(Mode::Properties),
        Mode::Schema => Some(Mode::Schema),
    }
}

/// Python → JSON for answers and tool lists (once per distinct task per batch). Concrete types
/// are checked first and the error path is built only on failure: this runs once per task and
/// must stay cheap next to parsing the task's rollouts. A pydantic model is dumped first; a
/// compiled `ToolSet` gives its schemas as given.
fn py_value(obj: &Bound<'_, PyAny>, depth: usize, mode: Mode) -> Result<Value, Bad> {
    if depth > MAX_DEPTH {
        return Err(Bad::new(
            format!("nested more than {MAX_DEPTH} levels"),
            false,
        ));
    }
    let py_err = |e: PyErr| Bad::new(e.to_string(), true);
    let items = |it: &mut dyn Iterator<Item = Bound<'_, PyAny>>| {
        it.enumerate()
            .map(|(i, x)| py_value(&x, depth + 1, mode).map_err(|b| b.at(format!("[{i}]"))))
            .collect::<Result<_, _>>()
            .map(Value::Array)
    };
    match typed(obj) {
        Typed::Str(s) => return Ok(Value::String(s.to_str().map_err(py_err)?.to_owned())),
        Typed::Dict(d) => {
            let mut out = Map::with_capacity(d.len());
            for (k, v) in d.iter() {
                let key = dict_key(&k)?;
                let Some(child) = child_mode(mode, key) else {
                    continue;
                };
                let value = py_value(&v, depth + 1, child).map_err(|b| b.at(format!(".{key}")))?;
                out.insert(key.to_owned(), value);
            }
            return Ok(Value::Object(out));
        }
        Typed::List(l) => return items(&mut l.iter()),
        Typed::Bool(b) => return Ok(Value::Bool(b)),
        Typed::Int => {
            if let Ok(i) = obj.extract::<i64>() {
                return Ok(Value::Number(i.into()));
            }
            if let Ok(u) = obj.extract::<u64>() {
                return Ok(Value::Number(u.into()));
            }
            return Err(Bad::new("integer out of the 64-bit range".into(), false));
        }
        Typed::Float(f) => {
            return Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| Bad::new(format!("{f} is not a finite number"), false));
        }
        Typed::None => return Ok(Value::Null),
        Typed::Tuple(t) => return items(&mut t.iter()),
        Typed::Other => {}
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        // Other mappings (rare): through a dict copy.
        let d = PyDict::new(obj.py());
        for item in m.items().map_err(py_err)?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract().map_err(py_err)?;
            d.set_item(k, v).map_err(py_err)?;
        }
        return py_value(d.as_any(), depth, mode);
    }
    let py = obj.py();
    if obj.cast::<crate::toolcall::PyToolSet>().is_ok() {
        // A compiled ToolSet: its schemas as given.
        let list = obj
            .call_method0(pyo3::intern!(py, "to_list"))
            .map_err(py_err)?;
        return py_value(&list, depth, mode);
    }
    if obj
        .hasattr(pyo3::intern!(py, "model_dump"))
        .unwrap_or(false)
    {
        // A pydantic model (awpo.data.Answer): its JSON-mode dump.
        let kwargs = PyDict::new(py);
        kwargs.set_item("mode", "json").map_err(py_err)?;
        let dumped = obj
            .call_method(pyo3::intern!(py, "model_dump"), (), Some(&kwargs))
            .map_err(py_err)?;
        return py_value(&dumped, depth + 1, mode);
    }
    let t = obj
        .get_type()
        .name()
        .map_or_else(|_| "?".into(), |n| n.to_string());
    Err(Bad::new(
        format!("{t} is not JSON-like (None, bool, int, float, str, list, tuple, dict)"),
        true,
    ))
}

fn kind_of(kind: &str) -> PyResult<RewardKind> {
    kind.parse::<RewardKind>().map_err(errors::to_py)
}

fn strs(v: &[PyBackedStr]) -> Vec<&str> {
    v.iter().map(|s| &**s).collect()
}

/// Converts the distinct per-item objects (answers or tool lists, grouped by identity) to JSON.
/// Returns the distinct values and each item's index; an error names the first item using the
/// bad one and the field (`item 3: answer.tool_calls[0].arguments: ...`).
fn distinct_json(
    objs: &[Bound<'_, PyAny>],
    what: &str,
    mode: Mode,
) -> PyResult<(Vec<Value>, Vec<usize>)> {
    let keys: Vec<usize> = objs.iter().map(|o| o.as_ptr() as usize).collect();
    let (first, index) = reward::batch::dedupe(&keys);
    let values = first
        .iter()
        .map(|&i| {
            py_value(&objs[i], 0, mode).map_err(|bad| {
                let path: String = bad.path.iter().rev().map(String::as_str).collect();
                let msg = format!("item {i}: {what}{path}: {}", bad.what);
                if bad.type_error {
                    PyTypeError::new_err(msg)
                } else {
                    PyValueError::new_err(msg)
                }
            })
        })
        .collect::<PyResult<_>>()?;
    Ok((values, index))
}

/// Appends the content key of `obj` to `key`: a prefix-free encoding of exactly the JSON value
/// `py_value(obj, depth, mode)` returns (annotations dropped in schemas, so they are never
/// read). Returns `false`, leaving `key` partly written, where `py_value` would fail or take a
/// path other than plain JSON (mappings, models, `ToolSet`s): such objects are converted on their
/// own, never shared. Equal keys thus mean equal converted values.
fn content_key(obj: &Bound<'_, PyAny>, depth: usize, mode: Mode, key: &mut Vec<u8>) -> bool {
    fn text(s: &str, key: &mut Vec<u8>) {
        key.push(b's');
        key.extend_from_slice(&(s.len() as u64).to_le_bytes());
        key.extend_from_slice(s.as_bytes());
    }
    if depth > MAX_DEPTH {
        return false;
    }
    let items = |it: &mut dyn Iterator<Item = Bound<'_, PyAny>>, key: &mut Vec<u8>| {
        key.push(b'[');
        for x in it {
            if !content_key(&x, depth + 1, mode, key) {
                return false;
            }
        }
        key.push(b']');
        true
    };
    match typed(obj) {
        Typed::Str(s) => {
            let Ok(s) = s.to_str() else { return false };
            text(s, key);
        }
        Typed::Dict(d) => {
            key.push(b'{');
            for (k, v) in d.iter() {
                let Ok(k) = dict_key(&k) else { return false };
                let Some(child) = child_mode(mode, k) else {
                    continue;
                };
                text(k, key);
                if !content_key(&v, depth + 1, child, key) {
                    return false;
                }
            }
            key.push(b'}');
        }
        Typed::List(l) => return items(&mut l.iter(), key),
        Typed::Bool(b) => key.push(if b { b't' } else { b'f' }),
        Typed::Int => {
            if let Ok(i) = obj.extract::<i64>() {
                key.push(b'i');
                key.extend_from_slice(&i.to_le_bytes());
            } else if let Ok(u) = obj.extract::<u64>() {
                key.push(b'u');
                key.extend_from_slice(&u.to_le_bytes());
            } else {
                return false;
            }
        }
        Typed::Float(f) => {
            if !f.is_finite() {
                return false;
            }
            key.push(b'd');
            key.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Typed::None => key.push(b'n'),
        Typed::Tuple(t) => return items(&mut t.iter(), key),
        Typed::Other => return false,
    }
    true
}

/// The distinct tool lists of a batch (by identity), split into a table of distinct function
/// schemas (by content, [`content_key`]): each distinct schema is converted once, however many
/// tasks list it. An error names the first item using the bad list and the field, as
/// `distinct_json` does.
fn tool_table(
    objs: &[Bound<'_, PyAny>],
) -> PyResult<(Vec<Value>, Vec<reward::batch::ToolList>, Vec<usize>)> {
    let keys: Vec<usize> = objs.iter().map(|o| o.as_ptr() as usize).collect();
    let (first, index) = reward::batch::dedupe(&keys);
    let mut schemas: Vec<Value> = Vec::new();
    let mut seen: reward::batch::FastMap<Vec<u8>, usize> = Default::default();
    let mut key = Vec::new();
    let mut lists = Vec::with_capacity(first.len());
    for &i in &first {
        let fail = |bad: Bad| {
            let path: String = bad.path.iter().rev().map(String::as_str).collect();
            let msg = format!("item {i}: tools{path}: {}", bad.what);
            if bad.type_error {
                PyTypeError::new_err(msg)
            } else {
                PyValueError::new_err(msg)
            }
        };
        let obj = &objs[i];
        let listed;
        let items: Vec<Bound<'_, PyAny>> = if let Ok(l) = obj.cast::<PyList>() {
            l.iter().collect()
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            t.iter().collect()
        } else if obj.cast::<crate::toolcall::PyToolSet>().is_ok() {
            // A compiled ToolSet: its schemas as given (as `py_value` reads it).
            listed = obj
                .call_method0(pyo3::intern!(obj.py(), "to_list"))
                .map_err(|e| fail(Bad::new(e.to_string(), true)))?;
            match listed.cast::<PyList>() {
                Ok(l) => l.iter().collect(),
                Err(_) => {
                    let v = py_value(&listed, 0, Mode::Schema).map_err(fail)?;
                    lists.push(reward::batch::ToolList::Other(v));
                    continue;
                }
            }
        } else {
            let v = py_value(obj, 0, Mode::Schema).map_err(fail)?;
            lists.push(reward::batch::ToolList::Other(v));
            continue;
        };
        let mut ks = Vec::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            key.clear();
            let shared = content_key(item, 1, Mode::Schema, &mut key);
            if shared && let Some(&k) = seen.get(key.as_slice()) {
                ks.push(k);
                continue;
            }
            let v = py_value(item, 1, Mode::Schema).map_err(|b| fail(b.at(format!("[{j}]"))))?;
            if shared {
                seen.insert(key.clone(), schemas.len());
            }
            ks.push(schemas.len());
            schemas.push(v);
        }
        lists.push(reward::batch::ToolList::Schemas(ks));
    }
    Ok((schemas, lists, index))
}

/// Columns of an outcome batch: `(total, components, failure classes)`.
type OutcomeColumns<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<Bound<'py, PyArray1<f64>>>,
    Vec<Bound<'py, PyString>>,
);

/// Parses and scores a batch of rollouts in parallel, without the GIL.
#[pyfunction]
#[pyo3(signature = (kind, texts, answers, tools, truncated=None))]
pub fn outcome_batch<'py>(
    py: Python<'py>,
    kind: &str,
    texts: Vec<PyBackedStr>,
    answers: Vec<Bound<'py, PyAny>>, // per item; rollouts of a task share one object
    tools: Vec<Bound<'py, PyAny>>,   // per item; likewise
    truncated: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<OutcomeColumns<'py>> {
    let kind = kind_of(kind)?;
    let n = texts.len();
    if answers.len() != n || tools.len() != n {
        return Err(PyValueError::new_err(format!(
            "{n} texts but {} answers and {} tool lists; pass one of each per text",
            answers.len(),
            tools.len()
        )));
    }
    let texts = strs(&texts);
    let (answers, answer_index) = distinct_json(&answers, "answer", Mode::Plain)?;
    let (schemas, tool_lists, tools_index) = tool_table(&tools)?;
    let truncated = match &truncated {
        Some(t) => t.as_slice()?,
        None => &[],
    };
    let input = reward::batch::TableRollouts {
        texts: &texts,
        answers,
        answer_index: &answer_index,
        schemas: &schemas,
        tool_lists: &tool_lists,
        tools_index: &tools_index,
        truncated,
    };
    let out = py
        .detach(|| reward::batch::outcome_from_table(kind, input))
        .map_err(errors::to_py)?;
    let components = out
        .components
        .into_iter()
        .map(|c| c.into_pyarray(py))
        .collect();
    // One Python string per failure class, shared by every item.
    let names: Vec<Bound<'py, PyString>> = FailureClass::ALL
        .iter()
        .map(|c| PyString::intern(py, c.as_str()))
        .collect();
    let failure = out
        .failure
        .iter()
        .map(|f| names[FailureClass::ALL.iter().position(|c| c == f).unwrap_or(0)].clone())
        .collect();
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

/// Converts a list of calls (`{"name", "arguments"}` dicts or pydantic `FunctionCall`s) to JSON;
/// an error names the list and the item (`made[2].arguments.x: …`).
fn calls_json(calls: &[Bound<'_, PyAny>], what: &str) -> PyResult<Vec<Value>> {
    calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            py_value(c, 0, Mode::Plain).map_err(|bad| {
                let path: String = bad.path.iter().rev().map(String::as_str).collect();
                let msg = format!("{what}[{i}]{path}: {}", bad.what);
                if bad.type_error {
                    PyTypeError::new_err(msg)
                } else {
                    PyValueError::new_err(msg)
                }
            })
        })
        .collect()
}

/// The exact-call rule (REWARDS.md "`exact`"): whether `made` and `expected` are equal as
/// multisets of `(name, arguments)`, arguments compared with JSON equality.
#[pyfunction]
pub fn calls_match(
    py: Python<'_>,
    made: Vec<Bound<'_, PyAny>>,
    expected: Vec<Bound<'_, PyAny>>,
) -> PyResult<bool> {
    let made = calls_json(&made, "made")?;
    let expected = calls_json(&expected, "expected")?;
    py.detach(|| reward::exact::calls_match_json(&made, &expected))
        .map_err(errors::to_py)
}
