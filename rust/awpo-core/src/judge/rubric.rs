//! The `rubric` reasoning judge: a reference-free score in `[0, 1]` of a trajectory's `<think>`
//! text, computed by rules in microseconds (no model).
//!
//! It sees what the model saw and did: the user's request, the whole conversation and every tool
//! result (the *context*), the names of the tools offered, the reasoning, and the calls finally
//! made. It never sees the ground-truth answer (that would make it a second outcome reward).
//!
//! Text is compared as *tokens*: lowercase runs of letters and digits (`19.99` stays one token;
//! numbers are canonical, so `5`, `5.0` and `05` are one token). A *content token* is a token of
//! 3 or more characters, or a number, that is not a stop word.
//!
//! Five criteria, each in `[0, 1]`:
//! 1. `intent`: the reasoning names what the user asked for: `min(1, h / min(2, |U|))` with `U`
//!    the request's content tokens and `h` how many of them the reasoning contains (1 when `U` is
//!    empty).
//! 2. `tool_choice`: with calls, the share `|N ∩ C| / |N|` of the offered tools the reasoning
//!    names (`N`, whole-word matches) that were called (`C`): a tool it commits to and then does
//!    not call counts against it, a called tool it leaves unnamed does not; 1 when it names none
//!    (it committed to nothing the calls could contradict); without calls, 1 when the
//!    reasoning argues the abstention (an abstention phrase outside quotes, e.g. "will not call",
//!    "none of them", "must not guess", "I will ask"), else 0.
//! 3. `grounding`: over every string and number leaf of the calls' arguments that has content
//!    tokens, `(min grounded + mean named) / 2`, where a leaf's `grounded` is
//!    `min(1, 2 * share of its content tokens found in the context)` (a value composed from the
//!    request, such as code, keeps partial credit) and `named` the share found in the reasoning
//!    (1 without such leaves or calls). One invented value is enough to halve it.
//! 4. `consistency`: the reasoning does not contradict the calls: with calls, 0 when it argues
//!    an abstention; without calls, 0 when it names an offered tool and argues no abstention
//!    (it planned a call it did not make); else 1.
//! 5. `originality`: 0 when the same reasoning text (lowercased, spaces collapsed) appears in the
//!    batch for another request with other calls (boilerplate copied across tasks; a request
//!    worded two ways with the same calls may share its reasoning), else 1. The only criterion
//!    that looks at the batch.
//!
//! `score = (mean + min) / 2` over the five, so one failed criterion costs at least half its
//! shortfall. Blank reasoning scores 0 on every criterion.
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::{Error, Result, par};

/// Version of these rules; bumped whenever a criterion changes (cached scores are keyed by it).
pub const RUBRIC_JUDGE_VERSION: &str = "rubric-v1";

/// How many request content tokens the reasoning must contain for full `intent`.
const INTENT_HITS: usize = 2;

/// Phrases that argue an abstention (whole words, outside quotes).
const ABSTENTION_PHRASES: &[&str] = &[
    "not call",
    "no tool",
    "no call",
    "none of them",
    "none of the tools",
    "cannot",
    "can't",
    "can not",
    "must not",
    "will ask",
    "ask the user",
    "ask which",
    "ask for it",
    "did not give",
    "didn't give",
    "did not say",
    "not given",
    "unable",
    "do not have",
    "don't have",
    "not guess",
    "no tool fits",
    "not possible",
];

/// Words that carry no request-specific content.
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "yours", "with", "from", "this",
    "that", "these", "those", "what", "which", "who", "whom", "whose", "when", "where", "why",
    "how", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "have",
    "has", "had", "was", "were", "been", "being", "does", "did", "doing", "done", "into", "onto",
    "over", "under", "about", "also", "then", "than", "there", "their", "them", "they", "its",
    "it's", "our", "ours", "out", "some", "any", "all", "each", "every", "both", "just", "only",
    "very", "too", "please", "thanks", "thank", "hey", "hello", "want", "need", "like", "let",
    "get", "got", "give", "tell", "show", "find", "know", "make", "use", "using", "work", "help",
    "user", "asks", "ask", "asked", "tool", "tools", "call", "calls", "one", "two", "me", "my",
    "mine", "i'm", "i'd", "i'll", "i've", "is", "it", "of", "to", "in", "on", "at", "by", "or",
    "an", "a", "be", "do", "so", "if", "as", "up", "no", "yes", "now", "much", "many", "more",
    "most", "other", "again", "same", "here", "okay", "sure", "right", "into", "via", "per",
];

/// A tool call as the judge sees it: the tool's name and its arguments (any JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct RubricCall {
    /// The called tool's name.
    pub name: String,
    /// The arguments (an object, usually).
    pub arguments: Value,
}

impl RubricCall {
    /// Calls from a JSON array of `{"name": str, "arguments": any}` objects (`arguments` may be
    /// absent: `{}`). Anything else is `InvalidInput` naming the problem.
    pub fn list_from_json(text: &str) -> Result<Vec<RubricCall>> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::InvalidInput(format!("calls are not JSON: {e}")))?;
        let Value::Array(entries) = value else {
            return Err(Error::InvalidInput("calls must be a JSON array".into()));
        };
        entries
            .into_iter()
            .enumerate()
            .map(|(k, entry)| {
                let Value::Object(mut map) = entry else {
                    return Err(Error::InvalidInput(format!("call {k} is not an object")));
                };
                let name = match map.remove("name") {
                    Some(Value::String(s)) => s,
                    _ => return Err(Error::InvalidInput(format!("call {k} has no string name"))),
                };
                let arguments = map
                    .remove("arguments")
                    .unwrap_or(Value::Object(Default::default()));
                Ok(RubricCall { name, arguments })
            })
            .collect()
    }
}

/// One trajectory to grade.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RubricItem {
    /// The user's last turn (the request the reasoning must address).
    pub request: String,
    /// Everything the model saw besides the tool list: every message of the conversation and every
    /// tool result, as text. Argument values are grounded against it.
    pub context: String,
    /// Names of the tools offered.
    pub tools: Vec<String>,
    /// The `<think>` text of every turn, joined.
    pub reasoning: String,
    /// The calls made, over every turn.
    pub calls: Vec<RubricCall>,
}

/// The judge's score of one item and its five criteria, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RubricScore {
    /// `(mean + min) / 2` of the five criteria.
    pub score: f64,
    /// Criterion 1: the request's content named in the reasoning.
    pub intent: f64,
    /// Criterion 2: tools named = tools called, or an argued abstention.
    pub tool_choice: f64,
    /// Criterion 3: argument values grounded in the context (all) and named in the reasoning.
    pub grounding: f64,
    /// Criterion 4: no contradiction between the reasoning and the calls.
    pub consistency: f64,
    /// Criterion 5: not the same text as another request's reasoning in the batch.
    pub originality: f64,
}

impl RubricScore {
    /// Every criterion and the score 0 (blank reasoning).
    pub const ZERO: RubricScore = RubricScore {
        score: 0.0,
        intent: 0.0,
        tool_choice: 0.0,
        grounding: 0.0,
        consistency: 0.0,
        originality: 0.0,
    };

    /// The criteria in documentation order.
    pub fn criteria(&self) -> [f64; 5] {
        [
            self.intent,
            self.tool_choice,
            self.grounding,
            self.consistency,
            self.originality,
        ]
    }
}

/// Names of the five criteria, in [`RubricScore::criteria`] order.
pub const CRITERIA: [&str; 5] = [
    "intent",
    "tool_choice",
    "grounding",
    "consistency",
    "originality",
];

/// Scores a batch (in parallel for big batches). `originality` compares the items of this batch.
pub fn score_batch(items: &[RubricItem]) -> Vec<RubricScore> {
    let copied = copied_across_requests(items);
    par::map_range(items.len(), |i| score_item(&items[i], !copied[i]))
}

/// Scores one item; `original` is criterion 5 (see [`score_batch`]).
pub fn score_item(item: &RubricItem, original: bool) -> RubricScore {
    if item.reasoning.trim().is_empty() {
        return RubricScore::ZERO;
    }
    let reasoning_lc = item.reasoning.to_lowercase();
    let reasoning_tokens = tokens(&reasoning_lc);
    let named: HashSet<String> = item
        .tools
        .iter()
        .map(|t| t.to_lowercase())
        .filter(|t| !t.is_empty() && mentions(&reasoning_lc, t))
        .collect();
    let abstains = argues_abstention(&reasoning_lc);
    let intent = intent(&item.request, &reasoning_tokens);
    let (tool_choice, consistency) = if item.calls.is_empty() {
        (
            f64::from(u8::from(abstains)),
            f64::from(u8::from(abstains || named.is_empty())),
        )
    } else {
        let called: HashSet<String> = item.calls.iter().map(|c| c.name.to_lowercase()).collect();
        // |N ∩ C| / |N|, 1 when no offered tool is named
        let choice = if named.is_empty() {
            1.0
        } else {
            named.intersection(&called).count() as f64 / named.len() as f64
        };
        (choice, f64::from(u8::from(!abstains)))
    };
    let grounding = grounding(&item.calls, &item.context, &reasoning_tokens);
    let originality = f64::from(u8::from(original));
    let mut out = RubricScore {
        score: 0.0,
        intent,
        tool_choice,
        grounding,
        consistency,
        originality,
    };
    let criteria = out.criteria();
    let mean = criteria.iter().sum::<f64>() / criteria.len() as f64;
    let min = criteria.iter().copied().fold(1.0f64, f64::min);
    // score = (mean + min) / 2: a single failed criterion costs at least half its shortfall
    out.score = ((mean + min) / 2.0).clamp(0.0, 1.0);
    out
}

/// Per item: whether its normalised reasoning also appears in the batch for a different request
/// with different calls.
fn copied_across_requests(items: &[RubricItem]) -> Vec<bool> {
    let keys: Vec<(String, String, String)> = items
        .iter()
        .map(|it| {
            let calls: Vec<(&str, &Value)> = it
                .calls
                .iter()
                .map(|c| (c.name.as_str(), &c.arguments))
                .collect();
            // serde_json maps are sorted by key, so equal calls give equal text
            let calls = serde_json::to_string(&calls).unwrap_or_default();
            (normalise(&it.reasoning), normalise(&it.request), calls)
        })
        .collect();
    // reasoning -> (first request and calls seen, whether another request with other calls shares it)
    let mut seen: HashMap<&str, ((&str, &str), bool)> = HashMap::with_capacity(items.len());
    for (reasoning, request, calls) in &keys {
        if reasoning.is_empty() {
            continue;
        }
        let entry = seen
            .entry(reasoning.as_str())
            .or_insert(((request.as_str(), calls.as_str()), false));
        if entry.0.0 != request.as_str() && entry.0.1 != calls.as_str() {
            entry.1 = true;
        }
    }
    keys.iter()
        .map(|(reasoning, _, _)| seen.get(reasoning.as_str()).is_some_and(|e| e.1))
        .collect()
}

/// Lowercase with runs of whitespace collapsed to one space.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Criterion 1: `min(1, h / min(INTENT_HITS, |U|))`, 1 when the request has no content token.
fn intent(request: &str, reasoning: &Tokens<'_>) -> f64 {
    let request = request.to_lowercase();
    let wanted = tokens(&request);
    let wanted: Vec<&str> = wanted
        .iter()
        .map(|t| t.as_ref())
        .filter(|t| is_content(t))
        .collect();
    if wanted.is_empty() {
        return 1.0;
    }
    let hits = wanted.iter().filter(|t| reasoning.contains(**t)).count();
    (hits as f64 / INTENT_HITS.min(wanted.len()) as f64).min(1.0)
}

/// Criterion 3: `(min grounded + mean named) / 2` over the calls' string and number leaves.
fn grounding(calls: &[RubricCall], context: &str, reasoning: &Tokens<'_>) -> f64 {
    let mut leaves: Vec<String> = Vec::new();
    for call in calls {
        collect_leaves(&call.arguments, &mut leaves);
    }
    if leaves.is_empty() {
        return 1.0;
    }
    let context = context.to_lowercase();
    let context = tokens(&context);
    let (mut min_grounded, mut named_sum, mut n) = (1.0f64, 0.0f64, 0usize);
    for leaf in &leaves {
        let leaf = leaf.to_lowercase();
        let leaf_tokens = tokens(&leaf);
        let content: Vec<&str> = leaf_tokens
            .iter()
            .map(|t| t.as_ref())
            .filter(|t| is_content(t))
            .collect();
        if content.is_empty() {
            continue;
        }
        let m = content.len() as f64;
        let share = content.iter().filter(|t| context.contains(**t)).count() as f64 / m;
        // grounded = min(1, 2 * share): half the words from the context is a grounded composition
        min_grounded = min_grounded.min((2.0 * share).min(1.0));
        named_sum += content.iter().filter(|t| reasoning.contains(**t)).count() as f64 / m;
        n += 1;
    }
    if n == 0 {
        1.0
    } else {
        (min_grounded + named_sum / n as f64) / 2.0
    }
}

/// String and number leaves of a JSON value, as text (booleans and nulls carry no claim).
fn collect_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| collect_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_leaves(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Whether the reasoning, its quoted spans removed, contains an abstention phrase.
fn argues_abstention(reasoning_lc: &str) -> bool {
    let own = strip_quotes(reasoning_lc);
    ABSTENTION_PHRASES.iter().any(|p| mentions(&own, p))
}

/// `text` without the spans between double quotes (`"..."`, `“...”`): quoted user words are not
/// the model's own claims.
fn strip_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        match c {
            '"' => inside = !inside,
            '\u{201c}' => inside = true,
            '\u{201d}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether `needle` occurs in `haystack` as a whole word (no letter, digit or `_` on either side).
fn mentions(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(pos) = haystack.get(from..).and_then(|h| h.find(needle)) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = haystack[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word(c));
        let after_ok = haystack[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        // advance by one character past the match start
        from = start + haystack[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// A content token: not a stop word, and 3 or more characters or a number.
fn is_content(token: &str) -> bool {
    let numeric = token.chars().next().is_some_and(|c| c.is_ascii_digit());
    (numeric || token.chars().count() >= 3) && !STOP_WORDS.contains(&token)
}

/// Distinct tokens, borrowed from the lowercased text they came from (numbers owned, canonical).
type Tokens<'a> = HashSet<Cow<'a, str>>;

/// The distinct tokens of `lower`, an already lowercased text (see the module docs).
fn tokens(lower: &str) -> Tokens<'_> {
    let mut out = HashSet::new();
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut chars = lower.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // a '.' between two digits stays inside the token (19.99)
        let decimal_point = c == '.'
            && start.is_some()
            && prev.is_some_and(|p| p.is_ascii_digit())
            && chars.peek().is_some_and(|&(_, n)| n.is_ascii_digit());
        if c.is_alphanumeric() || decimal_point {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.insert(canonical(&lower[s..i]));
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        out.insert(canonical(&lower[s..]));
    }
    out
}

/// A number token in its shortest form (`05` and `5.0` become `5`); other tokens unchanged.
fn canonical(token: &str) -> Cow<'_, str> {
    if token.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && let Ok(v) = token.parse::<f64>()
        && v.is_finite()
    {
        return Cow::Owned(v.to_string());
    }
    Cow::Borrowed(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(words: &[&'static str]) -> Tokens<'static> {
        words.iter().map(|w| Cow::Borrowed(*w)).collect()
    }

    #[test]
    fn tokens_keep_decimals_and_canonicalise_numbers() {
        assert_eq!(
            tokens("pay 19.99, then 05 and 5.0 apples. end."),
            set(&["pay", "19.99", "then", "5", "and", "apples", "end"])
        );
        assert_eq!(tokens("2025-04-03"), set(&["2025", "4", "3"]));
        assert_eq!(tokens("v.5 1..2 3."), set(&["v", "5", "1", "2", "3"]));
    }

    #[test]
    fn mentions_needs_word_boundaries() {
        assert!(mentions("use kv_list now", "kv_list"));
        assert!(!mentions("use kv_listing now", "kv_list"));
        assert!(!mentions("kv_list_all", "kv_list"));
        assert!(mentions("é kv_get", "kv_get"));
        assert!(!mentions("", "x") && !mentions("x", ""));
    }

    #[test]
    fn quotes_do_not_count_as_abstention() {
        assert!(!argues_abstention(
            "the user asks \"why can't i log in?\". login fits."
        ));
        assert!(argues_abstention("no value was given, so i will ask."));
        assert!(argues_abstention("none of them does this"));
    }

    #[test]
    fn copies_count_only_across_requests() {
        let item = |req: &str, r: &str| RubricItem {
            request: req.into(),
            reasoning: r.into(),
            ..Default::default()
        };
        let mut items = vec![
            item("a", "Same  text"),
            item("a", "same text"),
            item("b", "other"),
            item("c", "x"),
            item("d", "X"),
        ];
        // "c" and "d" have the same (no) calls: a request worded two ways
        assert_eq!(copied_across_requests(&items), vec![false; 5]);
        items[4].calls = vec![RubricCall {
            name: "f".into(),
            arguments: json!({"a": 1}),
        }];
        assert_eq!(
            copied_across_requests(&items),
            vec![false, false, false, true, true]
        );
    }

    #[test]
    fn calls_from_json() {
        let calls =
            RubricCall::list_from_json(r#"[{"name": "f", "arguments": {"x": 1}}, {"name": "g"}]"#);
        assert_eq!(
            calls.ok(),
            Some(vec![
                RubricCall {
                    name: "f".into(),
                    arguments: json!({"x": 1})
                },
                RubricCall {
                    name: "g".into(),
                    arguments: json!({})
                },
            ])
        );
        for bad in ["{", "{}", "[1]", r#"[{"name": 3}]"#] {
            assert!(RubricCall::list_from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn leaves_skip_booleans() {
        let mut out = Vec::new();
        collect_leaves(
            &json!({"a": "x", "b": [1, 2.5], "c": {"d": true, "e": null}}),
            &mut out,
        );
        out.sort();
        assert_eq!(out, vec!["1", "2.5", "x"]);
    }
}
