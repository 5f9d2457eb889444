//! The tool-table batch path (`TableRollouts`, what the Python binding uses): distinct function
//! schemas compiled once and shared between tool lists give the same results and the same errors
//! as compiling every list as a whole (`JsonRollouts`).
use awpo_core::reward::batch::{
    JsonRollouts, TableRollouts, ToolList, outcome_from_json, outcome_from_table,
    toolsets_from_table, truths_from_json, truths_from_values,
};
use awpo_core::reward::{RewardKind, Toolset};
use serde_json::{Value, json};

fn weather() -> Value {
    json!({"type": "function", "function": {"name": "w", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "enum": [1, 2]}},
        "required": ["city"]}}})
}

fn search() -> Value {
    json!({"name": "s", "parameters": {"type": "object", "properties": {"q": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}}}}})
}

/// The same list in both forms: whole lists, and a table of distinct schemas plus indices.
struct Both {
    lists: Vec<Value>,
    schemas: Vec<Value>,
    table: Vec<ToolList>,
}

/// Lists given as schema indices into `schemas` (`None` = a non-list value `json!(3)`).
fn both(schemas: Vec<Value>, lists: &[Option<&[usize]>]) -> Both {
    let whole = lists
        .iter()
        .map(|l| match l {
            Some(ks) => Value::Array(ks.iter().map(|&k| schemas[k].clone()).collect()),
            None => json!(3),
        })
        .collect();
    let table = lists
        .iter()
        .map(|l| match l {
            Some(ks) => ToolList::Schemas(ks.to_vec()),
            None => ToolList::Other(json!(3)),
        })
        .collect();
    Both {
        lists: whole,
        schemas,
        table,
    }
}

fn answers() -> Vec<Value> {
    vec![
        json!({"tool_calls": [{"name": "w", "arguments": {"city": "Paris", "days": 2}}]}),
        json!({"tool_calls": [{"name": "s", "arguments": {"q": "x"}}], "response": "ok",
               "acceptable": [{"s": {"q": ["x", "X"], "tags": ["", ["a"]]}}]}),
        json!({"no_call": true}),
    ]
}

fn texts() -> Vec<&'static str> {
    vec![
        "<think>r</think>\n<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>",
        "<think>r</think>\n<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>",
        "<think>r</think>\n<tool_call>\n{\"name\": \"s\", \"arguments\": {\"q\": \"X\"}}\n</tool_call>\n<response>ok</response>",
        "[s(q='x', tags=['a'])]",
        "<think>none fits</think>\n<response>sorry</response>",
        "<tool_call>\n{\"name\": \"w\"",
    ]
}

#[test]
fn shared_schemas_score_as_whole_lists() {
    // Lists: [w, s], [s], [s, w], [] over schemas [w, s]: each schema in several lists.
    let b = both(
        vec![weather(), search()],
        &[Some(&[0, 1]), Some(&[1]), Some(&[1, 0]), Some(&[])],
    );
    let texts = texts();
    let answer_index = [0, 0, 1, 1, 2, 0];
    let tools_index = [0, 1, 2, 0, 3, 2];
    let truncated = [false, false, false, false, false, true];
    for kind in RewardKind::ALL {
        let whole = outcome_from_json(
            kind,
            &JsonRollouts {
                texts: &texts,
                answers: &answers(),
                answer_index: &answer_index,
                tools: &b.lists,
                tools_index: &tools_index,
                truncated: &truncated,
            },
        )
        .unwrap();
        let table = outcome_from_table(
            kind,
            TableRollouts {
                texts: &texts,
                answers: answers(),
                answer_index: &answer_index,
                schemas: &b.schemas,
                tool_lists: &b.table,
                tools_index: &tools_index,
                truncated: &truncated,
            },
        )
        .unwrap();
        assert_eq!(whole, table, "{kind}");
    }
    // The compiled lists themselves: the same names, parameters and signatures, in order.
    let from_table = toolsets_from_table(&b.schemas, &b.table, &tools_index).unwrap();
    for (list, t) in b.lists.iter().zip(&from_table) {
        let w = Toolset::from_json(list).unwrap();
        let names = |s: &Toolset| -> Vec<(String, Vec<String>, Vec<String>)> {
            s.schemas
                .iter()
                .map(|x| {
                    (
                        x.name().to_owned(),
                        x.parameter_names().map(str::to_owned).collect(),
                        x.required().to_vec(),
                    )
                })
                .collect()
        };
        assert_eq!(names(&w), names(t));
        assert_eq!(w.sigs, t.sigs);
    }
}

/// `(schemas, lists, expected error prefix)`.
type ErrorCase<'a> = (Vec<Value>, Vec<Option<&'a [usize]>>, &'a str);

/// The error of both paths on the same lists (item `i` of `tools_index` uses list `i`).
fn errors(schemas: Vec<Value>, lists: &[Option<&[usize]>]) -> (String, String) {
    let b = both(schemas, lists);
    let index: Vec<usize> = (0..lists.len()).collect();
    let whole = b
        .lists
        .iter()
        .enumerate()
        .find_map(|(u, l)| {
            Toolset::from_json(l)
                .err()
                .map(|e| format!("item {u}: {e}"))
        })
        .unwrap_or_default();
    let table = toolsets_from_table(&b.schemas, &b.table, &index)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    (whole, table)
}

#[test]
fn errors_name_the_list_and_position_of_a_shared_bad_schema() {
    let bad_type = json!({"name": "b", "parameters": {"type": "object",
        "properties": {"x": {"type": 7}}}});
    let bad_props = json!({"name": "p", "parameters": {"type": "object",
        "properties": {"x": 1}}});
    let no_name = json!({"type": "function", "function": {"parameters": {}}});
    let cases: Vec<ErrorCase<'_>> = vec![
        // The bad schema at position 1 of the second list, after a list that shares the good one.
        (
            vec![weather(), bad_type.clone()],
            vec![Some(&[0]), Some(&[0, 1])],
            "item 1: tools[1]: tool `b`: parameters.properties.x.type:",
        ),
        // The same bad schema at different positions: the first list using it decides.
        (
            vec![weather(), no_name],
            vec![Some(&[0, 1]), Some(&[1])],
            "item 0: tools[1]: function.name: expected a non-empty string",
        ),
        // Two tools with one name.
        (
            vec![weather(), search()],
            vec![Some(&[1]), Some(&[0, 1, 0])],
            "item 1: tools[2].name: duplicate tool name `w`",
        ),
        // Not a list.
        (
            vec![weather()],
            vec![Some(&[0]), None],
            "item 1: tools: expected a JSON array of tool schemas",
        ),
        // A schema the parser accepts and BFCL's signature reader does not.
        (
            vec![search(), bad_props],
            vec![Some(&[0, 1])],
            "item 0: tools[1]",
        ),
    ];
    for (schemas, lists, want) in cases {
        let (whole, table) = errors(schemas, &lists);
        assert_eq!(whole, table);
        assert!(table.starts_with(want), "{table}");
    }
}

#[test]
fn schema_indices_out_of_range_are_invalid_input() {
    let err = toolsets_from_table(&[weather()], &[ToolList::Schemas(vec![0, 1])], &[0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("tool list 0 names schema 1"), "{err}");
}

#[test]
fn owned_answers_read_as_borrowed_ones() {
    let index = [0, 1, 2, 2];
    assert_eq!(
        truths_from_values(answers(), &index).unwrap(),
        truths_from_json(&answers(), &index).unwrap()
    );
    let bad = vec![
        json!({}),
        json!({"tool_calls": [{"name": "f", "arguments": [1]}]}),
    ];
    let want = truths_from_json(&bad, &[0, 0, 1]).unwrap_err().to_string();
    assert_eq!(
        truths_from_values(bad, &[0, 0, 1]).unwrap_err().to_string(),
        want
    );
    assert!(
        want.starts_with("item 2: answer.tool_calls[0].arguments:"),
        "{want}"
    );
}
