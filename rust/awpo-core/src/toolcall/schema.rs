//! Tool schemas (OpenAI function schemas) compiled once, and the per-call checks against them.
//!
//! What is checked, per call: the tool exists; every `required` parameter is present; no
//! parameter is unknown; each value has a declared JSON type; `enum` membership; and, where
//! declared, array `items` and nested object `properties` / `required` / `additionalProperties`,
//! recursively. Not checked: `anyOf`/`oneOf`/`allOf`, `const`, numeric ranges, string lengths,
//! patterns and formats (those keywords are accepted and ignored).
//!
//! Type names are read case-insensitively and BFCL's / vLLM's aliases are accepted (see
//! [`TypeKind::from_name`]); an unrecognised type name constrains nothing ([`TypeKind::Any`]).
//! Integers: an integer-valued number (`1`, `1.0`) is a valid `integer`, and any number is a
//! valid `number` (JSON Schema); booleans are never numbers.
//!
//! Unknown keys: an object schema that declares `properties` rejects other keys unless
//! `additionalProperties` is `true` or a schema (then the extra values are checked against it).
//! A tool without `parameters` takes no arguments. An object schema without `properties` accepts
//! any keys.
use super::json::{map_get, map_has};
use super::types::{FailureClass, Issue};
use crate::{Error, Result};
use serde_json::{Map, Value};
use std::sync::Arc;

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

/// JSON equality: numbers by value (`1 == 1.0`), booleans distinct from numbers, objects by key set.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| map_get(y, k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

fn as_i128(n: &serde_json::Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn num_eq(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (as_i128(x), as_i128(y)) {
        (Some(a), Some(b)) => a == b,
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
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
    enum_values: Option<Vec<Value>>,
    items: Option<Box<ValueSchema>>,
    object: Option<Box<ObjectSchema>>,
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
    if m.get("nullable") == Some(&Value::Bool(true)) && !s.types.is_empty() {
        s.types.push(TypeKind::Null);
    }
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
    Ok(s)
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

    #[test]
    fn json_equality_is_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(!json_eq(&json!(true), &json!(1)));
        assert!(json_eq(&json!({"a": [1, 2]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"b": 1})));
    }
}
