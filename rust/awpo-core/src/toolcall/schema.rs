//! Tool schemas (OpenAI function schemas) compiled once, and the per-call checks against them.
//!
//! This is awpo's one JSON-schema validator: it decides the reward's `schema_violation` and, through
//! [`crate::sandbox::CallGate`], whether a call may run in the sandbox (or the in-process runner).
//!
//! What is checked, per call: the tool exists; every `required` parameter is present; no
//! parameter is unknown; and, recursively through `items`, `properties`, `additionalProperties`
//! and the combinators, these keywords:
//! - `type` (one name or a list), `nullable: true`, and `default: null` (both make `null` valid);
//! - `enum`, `const` (JSON equality, [`json_eq`]: `1 == 1.0`, `true != 1`);
//! - `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers);
//! - `minLength`, `maxLength` (in characters), `pattern` (unanchored search, the `regex` crate's
//!   syntax; a pattern it cannot compile constrains nothing);
//! - `minItems`, `maxItems`, `items` (one schema for every item);
//! - `properties`, `required`, `additionalProperties`;
//! - `anyOf` (at least one), `oneOf` (exactly one), `allOf` (every one); a non-object option
//!   (`true`) accepts anything.
//!
//! Other keywords (`description`, `title`, `format`, `$ref`, …) are accepted and ignored, and so is
//! a size or bound keyword whose value is not a number of the right kind.
//!
//! Type names are read case-insensitively and BFCL's / vLLM's aliases are accepted (see
//! [`TypeKind::from_name`]); an unrecognised type name constrains nothing ([`TypeKind::Any`]).
//! Integers: an integer-valued number (`1`, `1.0`) is a valid `integer`, and any number is a
//! valid `number` (JSON Schema); booleans are never numbers.
//!
//! Unknown keys: an object schema that declares `properties` rejects other keys unless
//! `additionalProperties` is `true` or a schema (then the extra values are checked against it);
//! this holds for nested objects too (stricter than JSON Schema's default: a key the schema does
//! not name is a mistake the reward counts). A tool without `parameters` takes no arguments. An
//! object schema without `properties` accepts any keys, except at the top level.
use super::json::map_has;
use super::types::{FailureClass, Issue};
use crate::{Error, Result};
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::Arc;

/// JSON equality, the one the rewards use (`1 == 1.0`, `true != 1`, key order ignored).
pub use crate::reward::value::json_eq;

/// Nesting limit of a compiled schema (deeper schemas are rejected as malformed).
const MAX_SCHEMA_DEPTH: usize = 64;

/// The JSON type a schema declares for a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// `string` (aliases: `str`, `text`, `varchar`, `char`, `enum`).
    String,
    /// `integer` (names starting `int`, `uint`, `long`, `short`, `unsigned`; `byte`, `bigint`).
    Integer,
    /// `number` (names starting `num`, `float`; `double`).
    Number,
    /// `boolean` (`bool`, `binary`).
    Boolean,
    /// `object` (names starting `dict`; `hashmap`, `hashtable`).
    Object,
    /// `array` (`arr`, names starting `list`; `tuple`, `arraylist`, `queue`, `stack`).
    Array,
    /// `null`.
    Null,
    /// Any other name (`any`, …): constrains nothing.
    Any,
}

impl TypeKind {
    /// Maps a schema type name (case-insensitive) to its kind; unknown names give `Any`.
    pub fn from_name(name: &str) -> TypeKind {
        let n = name.trim().to_ascii_lowercase();
        let n = n.as_str();
        match n {
            "string" | "str" | "text" | "varchar" | "char" | "enum" => return TypeKind::String,
            "boolean" | "bool" | "binary" => return TypeKind::Boolean,
            "null" => return TypeKind::Null,
            "object" | "hashmap" | "hashtable" => return TypeKind::Object,
            "array" | "arr" | "tuple" | "arraylist" | "queue" | "stack" => return TypeKind::Array,
            "byte" | "bigint" => return TypeKind::Integer,
            "double" => return TypeKind::Number,
            _ => {}
        }
        if ["int", "uint", "long", "short", "unsigned"]
            .iter()
            .any(|p| n.starts_with(p))
        {
            TypeKind::Integer
        } else if n.starts_with("num") || n.starts_with("float") {
            TypeKind::Number
        } else if n.starts_with("dict") {
            TypeKind::Object
        } else if n.starts_with("list") {
            TypeKind::Array
        } else {
            TypeKind::Any
        }
    }

    /// The JSON Schema name of this kind (`any` for [`TypeKind::Any`]).
    pub fn as_str(self) -> &'static str {
        match self {
            TypeKind::String => "string",
            TypeKind::Integer => "integer",
            TypeKind::Number => "number",
            TypeKind::Boolean => "boolean",
            TypeKind::Object => "object",
            TypeKind::Array => "array",
            TypeKind::Null => "null",
            TypeKind::Any => "any",
        }
    }

    /// Whether `v` is of this kind.
    pub fn matches(self, v: &Value) -> bool {
        match self {
            TypeKind::String => v.is_string(),
            TypeKind::Integer => is_integer(v),
            TypeKind::Number => v.is_number(),
            TypeKind::Boolean => v.is_boolean(),
            TypeKind::Object => v.is_object(),
            TypeKind::Array => v.is_array(),
            TypeKind::Null => v.is_null(),
            TypeKind::Any => true,
        }
    }
}

/// An integer-valued JSON number (`3`, `-3`, `3.0`).
fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

/// What a schema allows for keys it does not declare.
#[derive(Clone, Debug)]
enum Additional {
    Allow,
    Deny,
    Schema(Box<ValueSchema>),
}

/// A compiled object schema.
#[derive(Clone, Debug)]
struct ObjectSchema {
    properties: Vec<(String, ValueSchema)>,
    required: Vec<String>,
    additional: Additional,
}

impl ObjectSchema {
    fn property(&self, name: &str) -> Option<&ValueSchema> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, s)| s)
    }
}

/// A compiled value schema.
#[derive(Clone, Debug, Default)]
struct ValueSchema {
    /// Allowed kinds in declared order; empty = any.
    types: Vec<TypeKind>,
    /// `nullable: true` or `default: null`: `null` is valid whatever else the schema says.
    null_ok: bool,
    enum_values: Option<Vec<Value>>,
    items: Option<Box<ValueSchema>>,
    object: Option<Box<ObjectSchema>>,
    /// The less common keywords, boxed so that schemas without them stay small and fast.
    rules: Option<Box<Rules>>,
}

/// Bounds, sizes, `pattern`, `const` and the combinators of one value schema.
#[derive(Clone, Debug, Default)]
struct Rules {
    constant: Option<Value>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    /// The pattern as written (for messages) and compiled once.
    pattern: Option<(String, Regex)>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    any_of: Vec<ValueSchema>,
    one_of: Vec<ValueSchema>,
    all_of: Vec<ValueSchema>,
}

impl Rules {
    fn is_empty(&self) -> bool {
        self.constant.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.exclusive_minimum.is_none()
            && self.exclusive_maximum.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.all_of.is_empty()
    }
}

impl ValueSchema {
    /// The first declared non-null kind (what Qwen3-coder XML values are coerced to).
    fn primary(&self) -> Option<TypeKind> {
        self.types.iter().copied().find(|t| *t != TypeKind::Null)
    }
}

/// One tool, compiled from an OpenAI function schema. Cloning is cheap (one shared, immutable
/// allocation), so one compiled tool can sit in the tool lists of many tasks.
#[derive(Clone, Debug)]
pub struct ToolSchema(Arc<CompiledTool>);

#[derive(Debug)]
struct CompiledTool {
    name: String,
    description: Option<String>,
    params: ObjectSchema,
}

fn spec_err(path: &str, what: &str) -> Error {
    Error::InvalidSpec(format!("{path}: {what}"))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn compile_types(v: &Value, path: &str) -> Result<Vec<TypeKind>> {
    let p = join(path, "type");
    match v {
        Value::String(s) => Ok(vec![TypeKind::from_name(s)]),
        Value::Array(items) => items
            .iter()
            .map(|t| match t {
                Value::String(s) => Ok(TypeKind::from_name(s)),
                _ => Err(spec_err(&p, "expected a string or an array of strings")),
            })
            .collect(),
        _ => Err(spec_err(&p, "expected a string or an array of strings")),
    }
}

fn compile_value(v: &Value, path: &str, depth: usize) -> Result<ValueSchema> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(spec_err(path, "schema nested too deeply"));
    }
    let Value::Object(m) = v else {
        return Err(spec_err(path, "expected a schema object"));
    };
    let mut s = ValueSchema::default();
    if let Some(t) = m.get("type") {
        s.types = compile_types(t, path)?;
        if s.types.contains(&TypeKind::Any) {
            s.types.clear();
        }
    }
    let nullable = m.get("nullable") == Some(&Value::Bool(true));
    if nullable && !s.types.is_empty() {
        s.types.push(TypeKind::Null);
    }
    s.null_ok = nullable || m.get("default") == Some(&Value::Null);
    if let Some(e) = m.get("enum") {
        match e {
            Value::Array(vals) => s.enum_values = Some(vals.clone()),
            _ => return Err(spec_err(&join(path, "enum"), "expected an array")),
        }
    }
    if let Some(items) = m.get("items") {
        s.items = Some(Box::new(compile_value(
            items,
            &join(path, "items"),
            depth + 1,
        )?));
    }
    if m.contains_key("properties")
        || m.contains_key("required")
        || m.contains_key("additionalProperties")
    {
        s.object = Some(Box::new(compile_object(m, path, depth, false)?));
    }
    let rules = compile_rules(m, path, depth)?;
    if !rules.is_empty() {
        s.rules = Some(Box::new(rules));
    }
    Ok(s)
}

/// A number keyword (`minimum`, …); a value that is not a number constrains nothing.
fn number_of(m: &Map<String, Value>, key: &str) -> Option<f64> {
    m.get(key).and_then(Value::as_f64)
}

/// A size keyword (`minLength`, …); a value that is not a non-negative integer constrains nothing.
fn size_of(m: &Map<String, Value>, key: &str) -> Option<u64> {
    m.get(key).and_then(Value::as_u64)
}

/// The options of a combinator (`anyOf`, …); absent, empty or not an array: none.
fn compile_options(
    m: &Map<String, Value>,
    key: &str,
    path: &str,
    depth: usize,
) -> Result<Vec<ValueSchema>> {
    let Some(Value::Array(options)) = m.get(key) else {
        return Ok(Vec::new());
    };
    options
        .iter()
        .enumerate()
        .map(|(i, o)| match o {
            Value::Object(_) => compile_value(o, &join(path, &format!("{key}[{i}]")), depth + 1),
            _ => Ok(ValueSchema::default()), // `true` and other non-schemas accept anything
        })
        .collect()
}

fn compile_rules(m: &Map<String, Value>, path: &str, depth: usize) -> Result<Rules> {
    let pattern = match m.get("pattern") {
        Some(Value::String(p)) => Regex::new(p).ok().map(|r| (p.clone(), r)),
        _ => None,
    };
    Ok(Rules {
        constant: m.get("const").cloned(),
        minimum: number_of(m, "minimum"),
        maximum: number_of(m, "maximum"),
        exclusive_minimum: number_of(m, "exclusiveMinimum"),
        exclusive_maximum: number_of(m, "exclusiveMaximum"),
        min_length: size_of(m, "minLength"),
        max_length: size_of(m, "maxLength"),
        pattern,
        min_items: size_of(m, "minItems"),
        max_items: size_of(m, "maxItems"),
        any_of: compile_options(m, "anyOf", path, depth)?,
        one_of: compile_options(m, "oneOf", path, depth)?,
        all_of: compile_options(m, "allOf", path, depth)?,
    })
}

fn compile_object(
    m: &Map<String, Value>,
    path: &str,
    depth: usize,
    top: bool,
) -> Result<ObjectSchema> {
    let mut properties = Vec::new();
    let declared = match m.get("properties") {
        None => false,
        Some(Value::Object(props)) => {
            let ppath = join(path, "properties");
            for (k, pv) in props {
                properties.push((k.clone(), compile_value(pv, &join(&ppath, k), depth + 1)?));
            }
            true
        }
        Some(_) => return Err(spec_err(&join(path, "properties"), "expected an object")),
    };
    let required = match m.get("required") {
        None => Vec::new(),
        Some(Value::Array(r)) => r
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                _ => Err(spec_err(
                    &join(path, "required"),
                    "expected an array of strings",
                )),
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(spec_err(
                &join(path, "required"),
                "expected an array of strings",
            ));
        }
    };
    let additional = match m.get("additionalProperties") {
        Some(Value::Bool(true)) => Additional::Allow,
        Some(Value::Bool(false)) => Additional::Deny,
        Some(v @ Value::Object(_)) => Additional::Schema(Box::new(compile_value(
            v,
            &join(path, "additionalProperties"),
            depth + 1,
        )?)),
        Some(_) => {
            return Err(spec_err(
                &join(path, "additionalProperties"),
                "expected a boolean or a schema object",
            ));
        }
        None if declared || top => Additional::Deny,
        None => Additional::Allow,
    };
    Ok(ObjectSchema {
        properties,
        required,
        additional,
    })
}

impl ToolSchema {
    /// Compiles one OpenAI function schema: `{"type": "function", "function": {name, description,
    /// parameters}}` or the bare `{name, description, parameters}`.
    ///
    /// A malformed schema gives [`Error::InvalidSpec`] naming the field, e.g.
    /// `function.parameters.properties.city.type: expected a string or an array of strings`.
    pub fn from_json(v: &Value) -> Result<ToolSchema> {
        let Value::Object(outer) = v else {
            return Err(Error::InvalidSpec(
                "tool schema: expected a JSON object".into(),
            ));
        };
        let (m, base) = match outer.get("function") {
            Some(Value::Object(f)) => (f, "function"),
            Some(_) => return Err(spec_err("function", "expected an object")),
            None => (outer, ""),
        };
        if let Some(t) = outer.get("type")
            && t != "function"
            && !base.is_empty()
        {
            return Err(spec_err("type", "expected \"function\""));
        }
        let name = match m.get("name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(spec_err(&join(base, "name"), "expected a non-empty string")),
        };
        let description = match m.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(spec_err(&join(base, "description"), "expected a string")),
        };
        let with_name = |e: Error| match e {
            Error::InvalidSpec(msg) => Error::InvalidSpec(format!("tool `{name}`: {msg}")),
            other => other,
        };
        let ppath = join(base, "parameters");
        let params = (|| match m.get("parameters") {
            None | Some(Value::Null) => Ok(ObjectSchema {
                properties: Vec::new(),
                required: Vec::new(),
                additional: Additional::Deny,
            }),
            Some(Value::Object(p)) => {
                if let Some(t) = p.get("type") {
                    let ok = t
                        .as_str()
                        .is_some_and(|s| TypeKind::from_name(s) == TypeKind::Object);
                    if !ok {
                        return Err(spec_err(&join(&ppath, "type"), "expected \"object\""));
                    }
                }
                compile_object(p, &ppath, 0, true)
            }
            Some(_) => Err(spec_err(&ppath, "expected an object")),
        })()
        .map_err(with_name)?;
        Ok(ToolSchema(Arc::new(CompiledTool {
            name,
            description,
            params,
        })))
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The function description, if the schema has one.
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Declared parameter names, in schema order.
    pub fn parameter_names(&self) -> impl Iterator<Item = &str> {
        self.0.params.properties.iter().map(|(k, _)| k.as_str())
    }

    /// Names of the required parameters.
    pub fn required(&self) -> &[String] {
        &self.0.params.required
    }

    /// The first declared non-null type of parameter `name`; `None` when the parameter is not
    /// declared or declares no type.
    pub fn parameter_kind(&self, name: &str) -> Option<TypeKind> {
        self.0.params.property(name).and_then(ValueSchema::primary)
    }

    /// Checks a call's arguments against this schema; each problem is a `SchemaViolation` issue
    /// (with `call: None`).
    pub fn validate(&self, arguments: &Map<String, Value>) -> Vec<Issue> {
        let mut out = Vec::new();
        check_object(arguments, &self.0.params, &mut String::new(), &mut out);
        out
    }
}

fn violation(out: &mut Vec<Issue>, path: String, message: String) {
    out.push(Issue {
        kind: FailureClass::SchemaViolation,
        call: None,
        path,
        message,
    });
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(v) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Appends `.key` (or `key` at the top) to `path`; returns the length to truncate back to.
fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    if len > 0 {
        path.push('.');
    }
    path.push_str(key);
    len
}

/// Checks an object against its schema. `path` is a reused buffer holding the current location,
/// so a valid call allocates no path strings.
fn check_object(
    m: &Map<String, Value>,
    os: &ObjectSchema,
    path: &mut String,
    out: &mut Vec<Issue>,
) {
    for r in &os.required {
        if !map_has(m, r) {
            let len = push_key(path, r);
            violation(
                out,
                path.clone(),
                format!("missing required parameter `{r}`"),
            );
            path.truncate(len);
        }
    }
    for (k, v) in m {
        let len = push_key(path, k);
        match os.property(k) {
            Some(ps) => check_value(v, ps, path, out),
            None => match &os.additional {
                Additional::Allow => {}
                Additional::Deny => {
                    violation(out, path.clone(), format!("unknown parameter `{k}`"))
                }
                Additional::Schema(s) => check_value(v, s, path, out),
            },
        }
        path.truncate(len);
    }
}

fn check_value(v: &Value, s: &ValueSchema, path: &mut String, out: &mut Vec<Issue>) {
    if s.null_ok && v.is_null() {
        return;
    }
    if let Some(r) = &s.rules
        && !check_combinators(v, r, path, out)
    {
        return;
    }
    if !s.types.is_empty() && !s.types.iter().any(|t| t.matches(v)) {
        let want: Vec<&str> = s.types.iter().map(|t| t.as_str()).collect();
        violation(
            out,
            path.clone(),
            format!("expected {}, got {}", want.join(" or "), type_name(v)),
        );
        return;
    }
    if let Some(en) = &s.enum_values
        && !en.iter().any(|e| json_eq(e, v))
    {
        violation(
            out,
            path.clone(),
            format!("value {v} is not one of the enum values"),
        );
    }
    if let Some(r) = &s.rules {
        check_rules(v, r, path, out);
    }
    match v {
        Value::Array(items) => {
            if let Some(is) = &s.items {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                    check_value(item, is, path, out);
                    path.truncate(len);
                }
            }
        }
        Value::Object(m) => {
            if let Some(os) = &s.object {
                check_object(m, os, path, out);
            }
        }
        _ => {}
    }
}

/// Whether `v` fits `s` (no issue recorded).
fn fits(v: &Value, s: &ValueSchema) -> bool {
    let mut scratch = Vec::new();
    check_value(v, s, &mut String::new(), &mut scratch);
    scratch.is_empty()
}

/// `anyOf`, `oneOf`, `allOf`; records one issue and returns `false` on the first that fails
/// (the value's other keywords are then not checked).
fn check_combinators(v: &Value, r: &Rules, path: &str, out: &mut Vec<Issue>) -> bool {
    let n = r.any_of.len();
    if n > 0 && !r.any_of.iter().any(|o| fits(v, o)) {
        let msg = format!("matches none of the {n} allowed forms");
        violation(out, path.to_owned(), msg);
        return false;
    }
    let n = r.one_of.len();
    if n > 0 {
        let hits = r.one_of.iter().filter(|o| fits(v, o)).count();
        if hits != 1 {
            let msg = format!("must match exactly one of {n} forms, matches {hits}");
            violation(out, path.to_owned(), msg);
            return false;
        }
    }
    let n = r.all_of.len();
    if n > 0 && !r.all_of.iter().all(|o| fits(v, o)) {
        violation(out, path.to_owned(), format!("must match all of {n} forms"));
        return false;
    }
    true
}

/// `const`, the numeric bounds, string lengths and pattern, and array sizes.
fn check_rules(v: &Value, r: &Rules, path: &str, out: &mut Vec<Issue>) {
    let mut fail = |msg: String| violation(out, path.to_owned(), msg);
    if let Some(c) = &r.constant
        && !json_eq(c, v)
    {
        fail(format!("must be {c}"));
    }
    match v {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if let Some(lo) = r.minimum.filter(|lo| x < *lo) {
                fail(format!("{v} is below the minimum {lo}"));
            }
            if let Some(hi) = r.maximum.filter(|hi| x > *hi) {
                fail(format!("{v} is above the maximum {hi}"));
            }
            if let Some(lo) = r.exclusive_minimum.filter(|lo| x <= *lo) {
                fail(format!("{v} must be greater than {lo}"));
            }
            if let Some(hi) = r.exclusive_maximum.filter(|hi| x >= *hi) {
                fail(format!("{v} must be less than {hi}"));
            }
        }
        Value::String(s) => {
            let chars = s.chars().count() as u64;
            if let Some(lo) = r.min_length.filter(|lo| chars < *lo) {
                fail(format!("shorter than {lo} characters"));
            }
            if let Some(hi) = r.max_length.filter(|hi| chars > *hi) {
                fail(format!("longer than {hi} characters"));
            }
            if let Some((p, re)) = &r.pattern
                && !re.is_match(s)
            {
                fail(format!("does not match the pattern {p:?}"));
            }
        }
        Value::Array(items) => {
            let n = items.len() as u64;
            if let Some(lo) = r.min_items.filter(|lo| n < *lo) {
                fail(format!("fewer than {lo} items"));
            }
            if let Some(hi) = r.max_items.filter(|hi| n > *hi) {
                fail(format!("more than {hi} items"));
            }
        }
        _ => {}
    }
}

/// Names the item of a tool list in a compile error (`tools[2]: …`).
pub(crate) fn at_item(e: Error, i: usize) -> Error {
    match e {
        Error::InvalidSpec(msg) => Error::InvalidSpec(format!("tools[{i}]: {msg}")),
        other => other,
    }
}

/// Appends `t`, item `i` of a tool list, to the tools before it; a name already there is an error.
pub(crate) fn push_unique(out: &mut Vec<ToolSchema>, t: ToolSchema, i: usize) -> Result<()> {
    if out.iter().any(|o| o.0.name == t.0.name) {
        return Err(Error::InvalidSpec(format!(
            "tools[{i}].name: duplicate tool name `{}`",
            t.0.name
        )));
    }
    out.push(t);
    Ok(())
}

/// Compiles a JSON array of tool schemas; errors name the item (`tools[2].function.name: …`).
/// Two tools with the same name are an error.
pub fn parse_toolset(v: &Value) -> Result<Vec<ToolSchema>> {
    let Value::Array(items) = v else {
        return Err(Error::InvalidSpec(
            "tools: expected a JSON array of tool schemas".into(),
        ));
    };
    let mut out: Vec<ToolSchema> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let t = ToolSchema::from_json(item).map_err(|e| at_item(e, i))?;
        push_unique(&mut out, t, i)?;
    }
    Ok(out)
}

/// The tool called `name`, if any.
pub fn find_tool<'a>(tools: &'a [ToolSchema], name: &str) -> Option<&'a ToolSchema> {
    tools.iter().find(|t| t.0.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn weather() -> ToolSchema {
        ToolSchema::from_json(&json!({
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string"},
                        "unit": {"type": "string", "enum": ["c", "f"]},
                        "days": {"type": "integer"},
                        "ratio": {"type": "number"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "filter": {"type": "object", "properties": {"limit": {"type": "integer"}}, "required": ["limit"]}
                    },
                    "required": ["city"]
                }
            }
        }))
        .unwrap()
    }

    fn paths(t: &ToolSchema, args: Value) -> Vec<(String, String)> {
        let Value::Object(m) = args else { panic!() };
        t.validate(&m)
            .into_iter()
            .map(|i| (i.path, i.message))
            .collect()
    }

    #[test]
    fn valid_arguments_have_no_issue() {
        let t = weather();
        assert!(
            paths(
                &t,
                json!({"city": "Paris", "unit": "c", "days": 3, "ratio": 1})
            )
            .is_empty()
        );
        // 2.0 is integer-valued, so a valid `integer` (JSON Schema).
        assert!(paths(&t, json!({"city": "Paris", "days": 2.0})).is_empty());
    }

    #[test]
    fn each_violation_is_reported_with_its_path() {
        let t = weather();
        let got = paths(
            &t,
            json!({"unit": "k", "days": 2.5, "ratio": true, "x": 1, "tags": ["a", 3], "filter": {"limit": "9", "y": 0}}),
        );
        let p: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            p,
            [
                "city",
                "unit",
                "days",
                "ratio",
                "x",
                "tags[1]",
                "filter.limit",
                "filter.y"
            ]
        );
        assert!(got[0].1.contains("missing required"));
        assert!(got[1].1.contains("enum"));
        assert!(got[4].1.contains("unknown parameter"));
    }

    #[test]
    fn bare_schema_and_aliases() {
        let t = ToolSchema::from_json(&json!({
            "name": "f",
            "parameters": {"type": "dict", "properties": {"x": {"type": "float"}, "y": {"type": "tuple"}, "z": {"type": "any"}}}
        }))
        .unwrap();
        assert_eq!(t.name(), "f");
        assert_eq!(t.parameter_kind("x"), Some(TypeKind::Number));
        assert_eq!(t.parameter_kind("y"), Some(TypeKind::Array));
        assert_eq!(t.parameter_kind("z"), None);
        assert!(paths(&t, json!({"x": 1, "y": [1], "z": {"a": 1}})).is_empty());
    }

    #[test]
    fn malformed_schemas_name_the_field() {
        let bad = [
            (
                json!({"type": "function", "function": {"name": ""}}),
                "function.name",
            ),
            (json!({"name": "f", "parameters": []}), "parameters"),
            (
                json!({"name": "f", "parameters": {"type": "string"}}),
                "parameters.type",
            ),
            (
                json!({"name": "f", "parameters": {"properties": {"a": {"type": 3}}}}),
                "parameters.properties.a.type",
            ),
            (
                json!({"name": "f", "parameters": {"properties": {"a": {"enum": "x"}}}}),
                "parameters.properties.a.enum",
            ),
            (
                json!({"name": "f", "parameters": {"required": [1]}}),
                "parameters.required",
            ),
            (
                json!({"name": "f", "parameters": {"properties": []}}),
                "parameters.properties",
            ),
            (json!(3), "tool schema"),
        ];
        for (v, field) in bad {
            let Err(Error::InvalidSpec(msg)) = ToolSchema::from_json(&v) else {
                panic!("{v} accepted")
            };
            assert!(msg.contains(field), "{msg} should name {field}");
        }
        let Err(Error::InvalidSpec(msg)) = parse_toolset(&json!([{"name": "a"}, {"name": "a"}]))
        else {
            panic!()
        };
        assert!(msg.starts_with("tools[1].name"), "{msg}");
        let Err(Error::InvalidSpec(msg)) = parse_toolset(&json!([{"name": "a"}, {"name": 1}]))
        else {
            panic!()
        };
        assert!(msg.starts_with("tools[1]: name"), "{msg}");
    }

    fn keyword_paths(params: Value, args: Value) -> Vec<(String, String)> {
        paths(
            &ToolSchema::from_json(&json!({"name": "f", "parameters": params})).unwrap(),
            args,
        )
    }

    #[test]
    fn bounds_sizes_pattern_and_const() {
        let params = json!({"type": "object", "properties": {
            "n": {"type": "number", "minimum": 0, "exclusiveMaximum": 10},
            "m": {"type": "integer", "maximum": 3, "exclusiveMinimum": -1},
            "s": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[A-Z]+$"},
            "a": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}},
            "c": {"const": 1},
            "bad": {"type": "string", "pattern": "(", "minLength": "2"},
            "u": {"maxLength": 2}
        }});
        // Lengths count characters, not bytes.
        let ok =
            json!({"n": 9.5, "m": 0, "s": "AB", "a": [1, 2.0], "c": 1.0, "bad": "x", "u": "éé"});
        assert!(keyword_paths(params.clone(), ok).is_empty());
        let got = keyword_paths(
            params.clone(),
            json!({"n": 10, "m": -1, "s": "abcd", "a": [], "c": true}),
        );
        let msgs: Vec<String> = got.iter().map(|(p, m)| format!("{p}: {m}")).collect();
        assert_eq!(
            msgs,
            [
                "n: 10 must be less than 10",
                "m: -1 must be greater than -1",
                "s: longer than 3 characters",
                "s: does not match the pattern \"^[A-Z]+$\"",
                "a: fewer than 1 items",
                "c: must be 1",
            ]
        );
        let got = keyword_paths(params, json!({"n": -0.5, "m": 4, "s": "A", "a": [1, 2, 3]}));
        let msgs: Vec<&str> = got.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "-0.5 is below the minimum 0",
                "4 is above the maximum 3",
                "shorter than 2 characters",
                "more than 2 items",
            ]
        );
    }

    #[test]
    fn combinators() {
        let params = json!({"type": "object", "properties": {
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "one": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            "all": {"allOf": [{"type": "integer"}, {"minimum": 2}]},
            "any": {"anyOf": [true]}
        }});
        let ok = json!({"either": "x", "one": 1.5, "all": 3, "any": [null]});
        assert!(keyword_paths(params.clone(), ok).is_empty());
        assert!(keyword_paths(params.clone(), json!({"either": 4})).is_empty());
        let got = keyword_paths(params, json!({"either": 1.5, "one": 3, "all": 1}));
        let msgs: Vec<String> = got.iter().map(|(p, m)| format!("{p}: {m}")).collect();
        assert_eq!(
            msgs,
            [
                "either: matches none of the 2 allowed forms",
                "one: must match exactly one of 2 forms, matches 2",
                "all: must match all of 2 forms",
            ]
        );
    }

    #[test]
    fn null_is_valid_when_nullable_or_defaulting_to_null() {
        let params = json!({"type": "object", "properties": {
            "a": {"type": "integer", "nullable": true},
            "b": {"type": "integer", "default": null},
            "c": {"type": "integer", "default": 0},
            "d": {"type": "string", "enum": ["x"], "default": null}
        }});
        assert!(keyword_paths(params.clone(), json!({"a": null, "b": null, "d": null})).is_empty());
        let got = keyword_paths(params, json!({"c": null}));
        assert_eq!(
            got,
            [("c".to_owned(), "expected integer, got null".to_owned())]
        );
    }

    #[test]
    fn malformed_combinator_options_name_the_field() {
        let v = json!({"name": "f", "parameters": {"properties": {"a": {"anyOf": [{"type": 3}]}}}});
        let Err(Error::InvalidSpec(msg)) = ToolSchema::from_json(&v) else {
            panic!("accepted")
        };
        assert!(
            msg.contains("parameters.properties.a.anyOf[0].type"),
            "{msg}"
        );
    }

    #[test]
    fn json_equality_is_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(!json_eq(&json!(true), &json!(1)));
        assert!(json_eq(&json!({"a": [1, 2]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"b": 1})));
    }
}
