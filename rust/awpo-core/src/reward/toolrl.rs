//! `toolrl`: ToolRL's published reward (arXiv 2504.13958), REWARDS.md "`toolrl`".
//!
//! `total = format + correctness`, format in {0, 1}, correctness in [-3, 3], total in [-3, 4].
//! It reads the text itself (not the tool-call parser's result) exactly as ToolRL does:
//!
//! - The text is first stripped of leading/trailing whitespace (Python `str.strip()`), as
//!   ToolRL's `compute_score` strips the assistant turn before scoring; the anchored format
//!   patterns then apply to the stripped text.
//! - Format: see [`format_ok`]. Correctness: see [`correctness`].
//!
//! Where REWARDS.md and ToolRL's code differ, REWARDS.md is followed: `arguments` is accepted for
//! `parameters`, every line of the block must be an object with `name` and `parameters` or
//! `arguments`, and values compare with JSON equality ([`super::value::json_eq`], `true != 1`).
//! The cases where ToolRL's Python raises (and so scores -3) are kept: a `name` that is an array
//! or object (unhashable), and a call whose `name` equals a ground-truth name but whose
//! parameters are not an object.
use super::truth::GroundTruth;
use super::value::json_eq;
use crate::toolcall::{ToolCall, map_get};
use memchr::memmem::Finder;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::LazyLock;

const CALL_OPEN: &str = "<tool_call>";
const CALL_CLOSE: &str = "</tool_call>";
const RESP_OPEN: &str = "<response>";
const RESP_CLOSE: &str = "</response>";

/// SIMD substring searchers, built once (`str::find` is several times slower on these texts).
static F_CALL_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(CALL_OPEN));
static F_CALL_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(CALL_CLOSE));
static F_RESP_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(RESP_OPEN));
static F_RESP_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(RESP_CLOSE));
static F_THINK_CALL: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new("</think>\n<tool_call>\n"));
static F_THINK_RESP: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new("</think>\n<response>"));
static F_CALL_RESP: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new("\n</tool_call>\n<response>"));

fn find(s: &str, f: &Finder<'_>) -> Option<usize> {
    f.find(s.as_bytes())
}

/// Whether the tag occurs exactly once (Python `s.count(tag) == 1`; tags cannot overlap).
fn exactly_once(s: &str, f: &Finder<'_>) -> bool {
    match find(s, f) {
        Some(i) => f.find(&s.as_bytes()[i + f.needle().len()..]).is_none(),
        None => false,
    }
}

/// Lowest correctness (no block, or a malformed line).
pub const CORRECTNESS_MIN: f64 = -3.0;
/// Highest correctness (exact match).
pub const CORRECTNESS_MAX: f64 = 3.0;

/// Python's `str.isspace()` set: Unicode `White_Space` plus U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `s.strip()`.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// `s[len(pre):-len(suf)]` when `s` starts with `pre` and ends with `suf` without overlap.
fn between<'a>(s: &'a str, pre: &str, suf: &str) -> Option<&'a str> {
    if s.len() >= pre.len() + suf.len() && s.starts_with(pre) && s.ends_with(suf) {
        s.get(pre.len()..s.len() - suf.len())
    } else {
        None
    }
}

/// Format in {0, 1} (REWARDS.md), on the stripped text `s`, `.` spanning newlines, anchored:
///
/// | ground truth   | pattern                                                                  | tag counts            |
/// |----------------|--------------------------------------------------------------------------|-----------------------|
/// | calls only     | `<think>.*</think>\n<tool_call>\n.*\n</tool_call>`                       | one of each tool_call |
/// | response only  | `<think>.*</think>\n<response>.*</response>`                             | one of each response  |
/// | both           | `<think>.*</think>\n<tool_call>\n.*\n</tool_call>\n<response>.*</response>` | one of each of the four |
/// | neither        | `<think>.*</think>`                                                      | none                  |
///
/// An anchored `P.*X.*S` matches iff the text starts with `P`, ends with `S` (not overlapping)
/// and `X` occurs in between; two inner literals must occur in order without overlap.
pub fn format_ok(s: &str, has_calls: bool, has_response: bool) -> bool {
    let one_call_block = || exactly_once(s, &F_CALL_OPEN) && exactly_once(s, &F_CALL_CLOSE);
    let one_response = || exactly_once(s, &F_RESP_OPEN) && exactly_once(s, &F_RESP_CLOSE);
    match (has_calls, has_response) {
        (true, false) => {
            between(s, "<think>", "\n</tool_call>")
                .is_some_and(|mid| find(mid, &F_THINK_CALL).is_some())
                && one_call_block()
        }
        (false, true) => {
            between(s, "<think>", "</response>")
                .is_some_and(|mid| find(mid, &F_THINK_RESP).is_some())
                && one_response()
        }
        (true, true) => {
            between(s, "<think>", "</response>").is_some_and(|mid| {
                find(mid, &F_THINK_CALL).is_some_and(|i| {
                    let rest = &mid[i + F_THINK_CALL.needle().len()..];
                    find(rest, &F_CALL_RESP).is_some()
                })
            }) && one_call_block()
                && one_response()
        }
        (false, false) => between(s, "<think>", "</think>").is_some(),
    }
}

/// The text of ToolRL's call block: `s.split("<tool_call>")[1].split("</tool_call>")[0].strip()`,
/// when both tags occur somewhere in `s` (ToolRL's two asserts); `None` otherwise.
pub fn call_block(s: &str) -> Option<&str> {
    let open = find(s, &F_CALL_OPEN)?;
    let after = &s[open + CALL_OPEN.len()..];
    let close = find(after, &F_CALL_CLOSE);
    // ToolRL asserts `</tool_call>` occurs somewhere; it may only precede the first open.
    if close.is_none() && find(&s[..open], &F_CALL_CLOSE).is_none() {
        return None;
    }
    let segment = find(after, &F_CALL_OPEN).map_or(after, |i| &after[..i]);
    let block = match close {
        Some(j) if j < segment.len() => &segment[..j],
        _ => segment,
    };
    Some(py_strip(block))
}

/// One predicted call as ToolRL sees it.
struct Predicted {
    /// The name when it is a string; other scalars can never equal a ground-truth name.
    name: Option<String>,
    /// `parameters`, else `arguments`.
    params: Params,
}

/// The `parameters` (or `arguments`) of a predicted call as ToolRL's dict holds them: an
/// object's entries, or another JSON value (read, then only known not to be an object).
enum Params {
    Object(Entries),
    Other,
}

impl Params {
    fn as_object(&self) -> Option<&Entries> {
        match self {
            Params::Object(e) => Some(e),
            Params::Other => None,
        }
    }
}

/// An object's entries as a dict holds them: each key once, in first-seen order, with its last
/// value. Kept in a vector: these objects are small, and a `Map` hashes every key with SipHash.
struct Entries(Vec<(String, Value)>);

/// Objects with at most this many entries find repeated keys by comparing them in order.
const SMALL_OBJECT: usize = 16;

impl Entries {
    fn from_pairs(mut pairs: Vec<(String, Value)>) -> Entries {
        if pairs.len() > SMALL_OBJECT {
            // Large objects through a map (linear time); its insert keeps a repeated key's
            // first place and last value.
            return Entries(
                pairs
                    .into_iter()
                    .collect::<Map<String, Value>>()
                    .into_iter()
                    .collect(),
            );
        }
        let mut out: Vec<(String, Value)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs.drain(..) {
            match out.iter_mut().find(|(seen, _)| *seen == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        Entries(out)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// [`map_eq`] of these entries and `m`: the same keys, JSON-equal values.
    fn eq_map(&self, m: &Map<String, Value>) -> bool {
        self.len() == m.len()
            && self
                .0
                .iter()
                .all(|(k, v)| map_get(m, k).is_some_and(|w| json_eq(v, w)))
    }
}

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Params, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Params;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    pairs.push((k, v));
                }
                Ok(Params::Object(Entries::from_pairs(pairs)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Params, A::Error> {
                while seq.next_element::<Value>()?.is_some() {}
                Ok(Params::Other)
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Params, E> {
                Ok(Params::Other)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Params, E> {
                Ok(Params::Other)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Params, E> {
                Ok(Params::Other)
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Params, E> {
                Ok(Params::Other)
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Params, E> {
                Ok(Params::Other)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Params, E> {
                Ok(Params::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads the block's lines; `None` when a line is not an object with `name` and
/// `parameters`/`arguments`, or its `name` is an array or object (ToolRL: unhashable -> -3).
fn read_block(block: &str) -> Option<Vec<Predicted>> {
    block
        .split('\n')
        .map(|line| {
            let Line {
                name,
                parameters,
                arguments,
            } = serde_json::from_str::<Line>(line).ok()?;
            let params = parameters.or(arguments)?;
            let name = match name? {
                Value::String(s) => Some(s),
                Value::Array(_) | Value::Object(_) => return None,
                _ => None,
            };
            Some(Predicted { name, params })
        })
        .collect()
}

/// One line of the block, read like `json.loads` into a dict of which only `name`,
/// `parameters` and `arguments` are kept (a repeated key: its last value, as in a dict). Other
/// keys are read as JSON values and dropped, so a line reads exactly when it is a JSON object.
struct Line {
    name: Option<Value>,
    parameters: Option<Params>,
    arguments: Option<Params>,
}

/// A key of a [`Line`], matched without allocating.
enum LineKey {
    Name,
    Parameters,
    Arguments,
    Other,
}

impl<'de> Deserialize<'de> for LineKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LineKey, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LineKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<LineKey, E> {
                Ok(match key {
                    "name" => LineKey::Name,
                    "parameters" => LineKey::Parameters,
                    "arguments" => LineKey::Arguments,
                    _ => LineKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Line, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Line;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line, A::Error> {
                let mut line = Line {
                    name: None,
                    parameters: None,
                    arguments: None,
                };
                while let Some(key) = map.next_key::<LineKey>()? {
                    match key {
                        LineKey::Name => line.name = Some(map.next_value()?),
                        LineKey::Parameters => line.parameters = Some(map.next_value()?),
                        LineKey::Arguments => line.arguments = Some(map.next_value()?),
                        LineKey::Other => {
                            map.next_value::<Value>()?;
                        }
                    }
                }
                Ok(line)
            }
        }
        d.deserialize_map(V)
    }
}

/// ToolRL's `match_score`: the multiset Jaccard `|A ∩ B| / (|A| + |B| - |A ∩ B|)`; identical
/// (both empty) lists give 1, one empty list gives 0. `inter` is `|A ∩ B|` with multiplicities.
fn jaccard(len_a: usize, len_b: usize, inter: usize) -> f64 {
    if len_a == 0 && len_b == 0 {
        1.0
    } else if len_a == 0 || len_b == 0 {
        0.0
    } else {
        inter as f64 / (len_a + len_b - inter) as f64
    }
}

/// Multiset intersection size of the ground-truth names and the predicted (string) names.
fn name_intersection(gt: &[ToolCall], pred: &[Predicted]) -> usize {
    let mut inter = 0;
    for (i, g) in gt.iter().enumerate() {
        if gt[..i].iter().any(|h| h.name == g.name) {
            continue; // count each distinct name once
        }
        let in_gt = gt.iter().filter(|h| h.name == g.name).count();
        let in_pred = pred
            .iter()
            .filter(|p| p.name.as_deref() == Some(g.name.as_str()))
            .count();
        inter += in_gt.min(in_pred);
    }
    inter
}

/// `J(keys_gt, keys_pred) + #{k in gt : pred[k] == gt[k]}` for one same-name pair.
fn pair_score(gt: &Map<String, Value>, pred: &Entries) -> f64 {
    let shared = gt.keys().filter(|k| pred.get(k).is_some()).count();
    let equal = gt
        .iter()
        .filter(|(k, v)| pred.get(k).is_some_and(|p| json_eq(p, v)))
        .count();
    jaccard(gt.len(), pred.len(), shared) + equal as f64
}

/// Correctness in [-3, 3] (REWARDS.md steps 1–7), on the stripped text `s`:
///
/// 1. no ground-truth calls → 0;
/// 2. no block, or a line that is not a call object → -3;
/// 3. predicted list equal to the ground truth → +3;
/// 4. `score = J(names_gt, names_pred)` (multiset Jaccard);
/// 5. per ground-truth call in order, the unused same-name prediction with the highest
///    `J(keys) + #equal values` (first on ties, only > 0 counts) is used and added to `score`;
/// 6. `S_max = 1 + Σ (1 + #params)`;
/// 7. `correctness = 6 · score / S_max − 3`.
pub fn correctness(s: &str, truth: &GroundTruth) -> f64 {
    let gt = &truth.tool_calls;
    if gt.is_empty() {
        return 0.0;
    }
    let Some(pred) = call_block(s).and_then(read_block) else {
        return CORRECTNESS_MIN;
    };
    // ToolRL reads `.keys()` of every same-name prediction; a non-object there raises -> -3.
    let crashes = pred.iter().any(|p| {
        p.params.as_object().is_none()
            && p.name
                .as_deref()
                .is_some_and(|n| gt.iter().any(|g| g.name == n))
    });
    if crashes {
        return CORRECTNESS_MIN;
    }
    let exact = pred.len() == gt.len()
        && pred.iter().zip(gt).all(|(p, g)| {
            p.name.as_deref() == Some(g.name.as_str())
                && p.params.as_object().is_some_and(|e| e.eq_map(&g.arguments))
        });
    if exact {
        return CORRECTNESS_MAX;
    }
    let mut score = jaccard(gt.len(), pred.len(), name_intersection(gt, &pred));
    let mut s_max = 1.0;
    let mut used = vec![false; pred.len()];
    for g in gt {
        s_max += 1.0 + g.arguments.len() as f64;
        let mut best = 0.0;
        let mut best_index = None;
        for (i, p) in pred.iter().enumerate() {
            if used[i] || p.name.as_deref() != Some(g.name.as_str()) {
                continue;
            }
            let Some(params) = p.params.as_object() else {
                continue; // unreachable: ruled out above
            };
            let total = pair_score(&g.arguments, params);
            if total > best {
                best = total;
                best_index = Some(i);
            }
        }
        if let Some(i) = best_index {
            used[i] = true;
            score += best;
        }
    }
    (CORRECTNESS_MAX - CORRECTNESS_MIN) * score / s_max + CORRECTNESS_MIN
}

/// `(format, correctness)` of one output.
pub fn score(text: &str, truth: &GroundTruth) -> (f64, f64) {
    let s = py_strip(text);
    let format = format_ok(s, !truth.tool_calls.is_empty(), truth.response.is_some());
    (f64::from(u8::from(format)), correctness(s, truth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const THINK_CALL: &str = "</think>\n<tool_call>\n";
    const CALL_RESP: &str = "\n</tool_call>\n<response>";

    /// The format rule written with plain substring searches.
    fn format_by_search(s: &str, has_calls: bool, has_response: bool) -> bool {
        let once = |t: &str| s.matches(t).count() == 1;
        let mid = |pre: &str, suf: &str| {
            (s.len() >= pre.len() + suf.len() && s.starts_with(pre) && s.ends_with(suf))
                .then(|| &s[pre.len()..s.len() - suf.len()])
        };
        let one_block = || once(CALL_OPEN) && once(CALL_CLOSE);
        let one_resp = || once(RESP_OPEN) && once(RESP_CLOSE);
        match (has_calls, has_response) {
            (true, false) => {
                mid("<think>", "\n</tool_call>").is_some_and(|m| m.contains(THINK_CALL))
                    && one_block()
            }
            (false, true) => {
                mid("<think>", RESP_CLOSE).is_some_and(|m| m.contains("</think>\n<response>"))
                    && one_resp()
            }
            (true, true) => {
                mid("<think>", RESP_CLOSE).is_some_and(|m| {
                    m.find(THINK_CALL)
                        .is_some_and(|i| m[i + THINK_CALL.len()..].contains(CALL_RESP))
                }) && one_block()
                    && one_resp()
            }
            (false, false) => mid("<think>", "</think>").is_some(),
        }
    }

    /// ToolRL's block split written with plain substring searches.
    fn block_by_search(s: &str) -> Option<&str> {
        let open = s.find(CALL_OPEN)?;
        let after = &s[open + CALL_OPEN.len()..];
        let close = after.find(CALL_CLOSE);
        if close.is_none() && !s[..open].contains(CALL_CLOSE) {
            return None;
        }
        let segment = after.find(CALL_OPEN).map_or(after, |i| &after[..i]);
        Some(py_strip(match close {
            Some(j) if j < segment.len() => &segment[..j],
            _ => segment,
        }))
    }

    fn tag_soup() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "<think>",
            "</think>",
            "<tool_call>",
            "</tool_call>",
            "<response>",
            "</response>",
            "\n",
            "x",
            "</tool_call",
            "{}",
            "é",
        ]);
        let soup = prop::collection::vec(piece, 0..8).prop_map(|v| v.concat());
        // Mostly ToolRL's layouts around the soup, so that the format rule also holds at times.
        let layout = prop::sample::select(vec![
            ("", "", ""),
            ("<think>", "</think>\n<tool_call>\n", "\n</tool_call>"),
            ("<think>", "</think>\n<response>", "</response>"),
            (
                "<think>",
                "</think>\n<tool_call>\n",
                "\n</tool_call>\n<response>x</response>",
            ),
            ("<think>", "</think>", ""),
        ]);
        (layout, soup.clone(), soup.clone(), soup)
            .prop_map(|((a, b, c), x, y, z)| format!("{a}{x}{b}{y}{c}{z}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn shared_tag_search_agrees_with_substring_search(s in tag_soup(), calls: bool, resp: bool) {
            prop_assert_eq!(format_ok(&s, calls, resp), format_by_search(&s, calls, resp));
            prop_assert_eq!(call_block(&s), block_by_search(&s));
        }
    }

    fn truth(args: Value) -> GroundTruth {
        GroundTruth::from_value(json!({"tool_calls": [{"name": "f", "arguments": args}]}))
            .unwrap_or_default()
    }

    fn text(line: &str) -> String {
        format!("<think>r</think>\n<tool_call>\n{line}\n</tool_call>")
    }

    #[test]
    fn repeated_keys_keep_the_last_value_as_a_dict_does() {
        // json.loads('{"a": 1, "a": 2}') == {"a": 2}: equal to the ground truth -> +3.
        let t = truth(json!({"a": 2}));
        assert_eq!(
            correctness(
                &text(r#"{"name": "f", "parameters": {"a": 1, "a": 2}}"#),
                &t
            ),
            3.0
        );
        // {"a": 2, "a": 1} -> {"a": 1}: one key, J = 1, no equal value; S_max = 1 + 2 = 3,
        // score = 1 (names) + 1 = 2 -> 6*2/3 - 3 = 1.
        assert_eq!(
            correctness(
                &text(r#"{"name": "f", "parameters": {"a": 2, "a": 1}}"#),
                &t
            ),
            1.0
        );
        // The same through the large-object path (more than SMALL_OBJECT keys).
        let many: Vec<String> = (0..20).map(|i| format!("\"k{i}\": {i}")).collect();
        let big = format!(
            r#"{{"name": "f", "arguments": {{{}, "a": 1, "k3": 30, "a": 2}}}}"#,
            many.join(", ")
        );
        let mut args: Map<String, Value> = (0..20).map(|i| (format!("k{i}"), json!(i))).collect();
        args.insert("k3".into(), json!(30));
        args.insert("a".into(), json!(2));
        assert_eq!(correctness(&text(&big), &truth(Value::Object(args))), 3.0);
        // A repeated `parameters` key: the last object is the parameters.
        assert_eq!(
            correctness(
                &text(r#"{"name": "f", "parameters": 3, "parameters": {"a": 2}}"#),
                &t
            ),
            3.0
        );
    }

    #[test]
    fn parameters_that_are_not_objects_are_read_then_rejected() {
        let t = truth(json!({"a": 2}));
        for params in ["[1, {\"a\": 2}]", "\"x\"", "null", "true", "1.5"] {
            let line = format!(r#"{{"name": "f", "parameters": {params}}}"#);
            assert_eq!(correctness(&text(&line), &t), CORRECTNESS_MIN, "{line}");
        }
        // Invalid JSON anywhere in the line is a malformed line.
        let bad = r#"{"name": "f", "parameters": {"a": 2}, "x": [1,]}"#;
        assert_eq!(correctness(&text(bad), &t), CORRECTNESS_MIN);
    }
}
