"""BFCL v4 through its official checkers (PyPI `bfcl-eval`, installed by `scripts/install_bfcl.sh`).

awpo decodes a model's text with its own parser, then hands the calls to BFCL's own code:
`ast_checker` for the single-turn categories, BFCL's relevance/irrelevance rule, and
`multi_turn_checker` (which executes the calls on BFCL's own API classes) for multi-turn. The calls
are given in the form BFCL's `Qwen/Qwen3-0.6B-FC` handler decodes (`CHECKER_MODEL`): function
names unchanged (dots kept), arguments as JSON values. `write_result_file` writes the same calls
as an official result file, so `bfcl evaluate` can re-score any awpo run (`official_verdicts`).

`bfcl_eval` writes `result/` and `score/` folders under `BFCL_PROJECT_ROOT`, by default inside
site-packages; `import_bfcl` points it at a private temporary directory first. BFCL data is for
evaluation only and is never used for training.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from awpo.data.convert import JsonDict
from awpo.data.loaders import bfcl_category, bfcl_entry_to_task, bfcl_tools
from awpo.data.schema import FunctionCall, Task
from awpo.errors import AwpoError

BFCL_EVAL_VERSION = "2026.3.23"
CHECKER_MODEL = "Qwen/Qwen3-0.6B-FC"  # a BFCL model key whose decoder reads `<tool_call>` JSON, names as-is

AST_CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
)
RELEVANCE_CATEGORIES = ("irrelevance", "live_irrelevance", "live_relevance")
MULTI_TURN_CATEGORIES = ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context")
ALL_CATEGORIES = AST_CATEGORIES + RELEVANCE_CATEGORIES + MULTI_TURN_CATEGORIES
CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "all": ALL_CATEGORIES,
    "single_turn": AST_CATEGORIES + RELEVANCE_CATEGORIES,
    "non_live": ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"),
    "live": (
        "live_simple",
        "live_multiple",
        "live_parallel",
        "live_parallel_multiple",
        "live_irrelevance",
        "live_relevance",
    ),
    "multi_turn": MULTI_TURN_CATEGORIES,
}


class BfclNotInstalledError(AwpoError, ImportError):
    """`bfcl-eval` (or one of its checker's imports) is missing."""


@dataclass(frozen=True)
class Bfcl:
    """Handles on the parts of `bfcl_eval` awpo uses."""

    ast_checker: Any
    multi_turn_checker: Any
    multi_turn_irrelevance_checker: Any
    execute_multi_turn_func_call: Any
    is_empty_execute_response: Any
    convert_to_function_call: Any
    load_dataset_entry: Any
    load_ground_truth_entry: Any
    extract_tool_calls: Any
    max_steps: int
    additional_function_prompt: str  # BFCL's prompting-mode notice; `{functions}` lists the added functions
    multi_turn_utils: ModuleType
    project_root: Path


def import_bfcl() -> Bfcl:
    """Import bfcl_eval's checkers, with `BFCL_PROJECT_ROOT` set to a temp dir unless the user set it.

    Raises `BfclNotInstalledError` naming the install script when the package or a checker
    dependency is missing.
    """
    if "BFCL_PROJECT_ROOT" not in os.environ:
        os.environ["BFCL_PROJECT_ROOT"] = tempfile.mkdtemp(prefix="awpo-bfcl-")
    try:
        ast_mod = importlib.import_module("bfcl_eval.eval_checker.ast_eval.ast_checker")
        mt_mod = importlib.import_module("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker")
        mt_utils = importlib.import_module("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils")
        handler_utils = importlib.import_module("bfcl_eval.model_handler.utils")
        utils = importlib.import_module("bfcl_eval.utils")
        prompts = importlib.import_module("bfcl_eval.constants.default_prompts")
        qwen_fc = importlib.import_module("bfcl_eval.model_handler.local_inference.qwen_fc")
    except ImportError as e:
        raise BfclNotInstalledError(
            f"BFCL evaluation needs bfcl-eval=={BFCL_EVAL_VERSION} and its checker imports ({e}); "
            "install them with `bash scripts/install_bfcl.sh`"
        ) from e
    return Bfcl(
        ast_checker=ast_mod.ast_checker,
        multi_turn_checker=mt_mod.multi_turn_checker,
        multi_turn_irrelevance_checker=mt_mod.multi_turn_irrelevance_checker,
        execute_multi_turn_func_call=mt_utils.execute_multi_turn_func_call,
        is_empty_execute_response=mt_utils.is_empty_execute_response,
        convert_to_function_call=handler_utils.convert_to_function_call,
        load_dataset_entry=utils.load_dataset_entry,
        load_ground_truth_entry=utils.load_ground_truth_entry,
        extract_tool_calls=qwen_fc.QwenFCHandler._extract_tool_calls,
        max_steps=int(prompts.MAXIMUM_STEP_LIMIT),
        additional_function_prompt=str(prompts.DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_PROMPTING),
        multi_turn_utils=mt_utils,
        project_root=Path(os.environ["BFCL_PROJECT_ROOT"]),
    )


def expand_categories(names: Sequence[str]) -> list[str]:
    """Expand group names (`all`, `live`, `multi_turn`, ...) and check every category is supported."""
    out: list[str] = []
    for name in names:
        members = CATEGORY_GROUPS.get(name, (name,))
        for member in members:
            if member not in ALL_CATEGORIES:
                raise ValueError(
                    f"unknown BFCL category {member!r}; choose from {', '.join(ALL_CATEGORIES)} "
                    f"or a group: {', '.join(CATEGORY_GROUPS)}"
                )
            if member not in out:
                out.append(member)
    return out


def category_kind(category: str) -> str:
    """`ast`, `relevance` or `multi_turn`."""
    if category in MULTI_TURN_CATEGORIES:
        return "multi_turn"
    if category in RELEVANCE_CATEGORIES:
        return "relevance"
    if category in AST_CATEGORIES:
        return "ast"
    raise ValueError(f"unknown BFCL category {category!r}")


@dataclass(frozen=True)
class BfclEntry:
    """One BFCL test entry: the Task the model sees, and what the checker needs."""

    id: str
    category: str
    task: Task  # rendered for the model (function docs with BFCL's language hint, as BFCL prompts)
    functions: list[JsonDict]  # function docs as `bfcl evaluate` gives them to the checker (no hint)
    ground_truth: Any  # possible answer (AST), execution strings per turn (multi-turn), None (relevance)
    raw: JsonDict = field(repr=False)  # the prompt entry as `bfcl evaluate` loads it


def load_entries(bfcl: Bfcl, category: str, limit: int | None = None) -> list[BfclEntry]:
    """Load a category's entries through BFCL's own loader (same order and content as `bfcl evaluate`)."""
    prompts = bfcl.load_dataset_entry(category, include_prereq=False, include_language_specific_hint=True)
    checker_prompts = bfcl.load_dataset_entry(category, include_prereq=False, include_language_specific_hint=False)
    truths: list[Any]
    if category_kind(category) == "relevance":
        truths = [None] * len(prompts)
    else:
        truths = [t["ground_truth"] for t in bfcl.load_ground_truth_entry(category)]
        if len(truths) != len(prompts):
            raise AwpoError(f"BFCL {category}: {len(prompts)} prompts but {len(truths)} possible answers")
    n = len(prompts) if limit is None else min(limit, len(prompts))
    entries = []
    for prompt, checker_prompt, truth in zip(prompts[:n], checker_prompts[:n], truths[:n], strict=True):
        entries.append(
            BfclEntry(
                id=prompt["id"],
                category=bfcl_category(prompt["id"]),
                task=bfcl_entry_to_task(prompt, truth),
                functions=checker_prompt["function"],
                ground_truth=truth,
                raw=checker_prompt,
            )
        )
    return entries


@dataclass(frozen=True)
class Verdict:
    """A checker's answer for one entry."""

    valid: bool
    error_type: str = ""
    error: str = ""

    def to_json(self) -> JsonDict:
        """JSON form (error fields only when invalid)."""
        return (
            {"valid": self.valid}
            if self.valid
            else {"valid": False, "error_type": self.error_type, "error": self.error}
        )


def calls_to_ast(calls: Sequence[FunctionCall]) -> list[JsonDict]:
    """Calls in the decoded form BFCL's AST checker takes: `[{name: {param: value}}]`."""
    return [{call.name: dict(call.arguments)} for call in calls]


def check_ast(bfcl: Bfcl, entry: BfclEntry, calls: Sequence[FunctionCall]) -> Verdict:
    """BFCL's `ast_checker` on the decoded calls (`_evaluate_single_ast_entry`'s rule)."""
    result = bfcl.ast_checker(
        entry.functions,
        calls_to_ast(calls),
        entry.ground_truth,
        _python_language(),
        entry.category,
        CHECKER_MODEL.replace("/", "_"),
    )
    if result["valid"]:
        return Verdict(True)
    return Verdict(False, str(result.get("error_type", "")), _error_text(result.get("error")))


def check_relevance(entry: BfclEntry, calls: Sequence[FunctionCall]) -> Verdict:
    """BFCL's relevance rule: irrelevance entries pass with no call, relevance entries with one."""
    has_call = len(calls) > 0
    if "irrelevance" in entry.category:
        if has_call:
            return Verdict(False, "irrelevance_error:decoder_success", "made a call when none fits")
        return Verdict(True)
    if not has_call:
        return Verdict(False, "relevance_error:decoder_failed", "made no call when one fits")
    return Verdict(True)


def _python_language() -> Any:
    enums = importlib.import_module("bfcl_eval.constants.enums")
    return enums.Language.PYTHON


def _error_text(error: Any) -> str:
    if isinstance(error, list):
        return " ".join(str(e) for e in error)
    return str(error or "")


# ----------------------------------------------------------------------------- multi-turn

_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def safe_calls(calls: Sequence[FunctionCall]) -> list[FunctionCall]:
    """The calls whose name is a plain identifier.

    BFCL executes multi-turn calls with `eval`; a name such as `__import__('os').system` would run.
    Every BFCL multi-turn function is a plain identifier, so a dropped call could never be right.
    """
    return [c for c in calls if _SAFE_NAME.match(c.name)]


def executable_calls(bfcl: Bfcl, calls: Sequence[FunctionCall]) -> list[str]:
    """Calls as BFCL execution strings (`f(a='x',b=1)`), built by BFCL's own `convert_to_function_call`."""
    return list(bfcl.convert_to_function_call([{c.name: dict(c.arguments)} for c in calls]))


@contextmanager
def multi_turn_scope(bfcl: Bfcl, entry_id: str) -> Iterator[str]:
    """A unique model name for one entry's generation and checking; frees BFCL's instances after.

    BFCL keeps API-class instances in its module globals, keyed by model name and entry id, so a
    second run of the same entry in one process would start from the first run's state.
    """
    model_name = f"awpo_{uuid.uuid4().hex[:12]}"
    try:
        yield model_name
    finally:
        namespace = vars(bfcl.multi_turn_utils)
        for key in [k for k in namespace if k.startswith(model_name)]:
            del namespace[key]


def execute_step(bfcl: Bfcl, entry: BfclEntry, model_name: str, exec_calls: list[str]) -> list[str]:
    """Run one step's calls on the entry's BFCL API instances (state persists across steps)."""
    results, _ = bfcl.execute_multi_turn_func_call(
        exec_calls,
        entry.raw.get("initial_config", {}),
        entry.raw["involved_classes"],
        model_name,
        entry.id,
        long_context=("long_context" in entry.category),
        is_evaL_run=False,
    )
    return [str(r) for r in results]


def check_multi_turn(bfcl: Bfcl, entry: BfclEntry, model_name: str, decoded: list[list[list[str]]]) -> Verdict:
    """BFCL's multi-turn rule (`_evaluate_single_multi_turn_entry`) on per-turn, per-step calls.

    `decoded[turn][step]` is the list of execution strings of one step that made calls (steps
    without calls are left out, as BFCL's decoder leaves them out).
    """
    truth: list[list[str]] = entry.ground_truth
    if len(decoded) != len(truth):
        return Verdict(
            False,
            "multi_turn:force_terminated",
            f"{len(decoded)} turns completed of {len(truth)} (step limit {bfcl.max_steps})",
        )
    prompt = {k: v for k, v in entry.raw.items() if k != "function"}
    result = bfcl.multi_turn_checker(decoded, truth, prompt, entry.category, model_name)
    if not result["valid"]:
        return Verdict(False, str(result.get("error_type", "")), _error_text(result.get("error_message")))
    return Verdict(True)


def missed_function_tools(entry: BfclEntry, turn: int) -> list[JsonDict]:
    """OpenAI schemas of the functions BFCL adds at `turn` (miss_func category), else `[]`."""
    missed = entry.raw.get("missed_function", {}).get(str(turn), [])
    return bfcl_tools(missed) if missed else []


# ----------------------------------------------------------------------------- official result files


def result_text(calls: Sequence[FunctionCall], response: str | None = None) -> str:
    """A model result as BFCL's `Qwen/Qwen3-0.6B-FC` handler reads it: one `<tool_call>` block per call."""
    if calls:
        blocks = [
            "<tool_call>\n"
            + json.dumps({"name": c.name, "arguments": c.arguments}, ensure_ascii=False)
            + "\n</tool_call>"
            for c in calls
        ]
        return "\n".join(blocks)
    return response or ""


def group_dir(category: str) -> str:
    """The sub-folder BFCL keeps a category's result and score files in."""
    if category in MULTI_TURN_CATEGORIES:
        return "multi_turn"
    return "live" if category.startswith("live_") else "non_live"


def write_result_file(root: Path, category: str, rows: Sequence[JsonDict]) -> Path:
    """Write `{id, result}` rows as `root/result/<model>/<group>/BFCL_v4_<category>_result.json`."""
    folder = root / "result" / CHECKER_MODEL.replace("/", "_") / group_dir(category)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"BFCL_v4_{category}_result.json"
    ordered = sorted(rows, key=lambda r: _id_sort_key(str(r["id"])))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ordered), encoding="utf-8")
    return path


def _id_sort_key(entry_id: str) -> tuple[str, list[int]]:
    prefix, _, tail = entry_id.rpartition("_")
    return prefix, [int(x) for x in re.findall(r"\d+", tail)]


def official_verdicts(root: Path, categories: Sequence[str], *, timeout_s: float = 600.0) -> dict[str, bool]:
    """Run the official `bfcl evaluate` on the result files under `root`; return each id's verdict.

    Runs in a subprocess with `BFCL_PROJECT_ROOT=root` (and the dummy `OPENAI_API_KEY` its CLI
    wants at start; no request is made) and `--partial-eval`, then reads BFCL's score files: the
    header counts, the listed entries are the failures.
    """
    env = dict(os.environ, BFCL_PROJECT_ROOT=str(root), OPENAI_API_KEY=os.environ.get("OPENAI_API_KEY", "unused"))
    cmd = [sys.executable, "-m", "bfcl_eval", "evaluate", "--model", CHECKER_MODEL, "--partial-eval"]
    cmd += ["--test-category", ",".join(categories)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0:
        raise AwpoError(f"bfcl evaluate failed ({proc.returncode}): {proc.stderr[-2000:]}")
    verdicts: dict[str, bool] = {}
    model_dir = CHECKER_MODEL.replace("/", "_")
    for category in categories:
        results = root / "result" / model_dir / group_dir(category) / f"BFCL_v4_{category}_result.json"
        ids = [json.loads(line)["id"] for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
        score = root / "score" / model_dir / group_dir(category) / f"BFCL_v4_{category}_score.json"
        lines = [json.loads(line) for line in score.read_text(encoding="utf-8").splitlines() if line.strip()]
        failed = {row["id"] for row in lines[1:]}
        header = lines[0]
        if header["total_count"] != len(ids) or header["correct_count"] != len(ids) - len(failed):
            raise AwpoError(f"bfcl score file for {category} does not match its result file: {header}")
        verdicts.update({i: i not in failed for i in ids})
    return verdicts
