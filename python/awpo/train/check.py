"""`awpo check CONFIG`: everything a long run needs, verified in seconds before it starts.

Each check prints a line (✓/✗, seconds, detail); a failed check does not stop the others, so one
run of `awpo check` lists every problem. Returns False when any check failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from awpo.config import TrainConfig


@dataclass
class CheckResult:
    name: str
    ok: bool
    seconds: float
    detail: str


class _Checks:
    def __init__(self) -> None:
        self.results: list[CheckResult] = []
        self.context: dict[str, Any] = {}

    def run(self, name: str, fn: Callable[[], str], *, needs: tuple[str, ...] = ()) -> None:
        missing = [n for n in needs if n not in self.context]
        if missing:
            self.results.append(CheckResult(name, False, 0.0, f"skipped: needs {', '.join(missing)}"))
            return
        start = time.perf_counter()
        try:
            detail = fn()
            ok = True
        except Exception as err:  # every failure becomes a line of the report
            detail = f"{type(err).__name__}: {err}"
            ok = False
        self.results.append(CheckResult(name, ok, time.perf_counter() - start, detail))


def run_checks(
    cfg: TrainConfig,
    console: Console | None = None,
    *,
    world_size: int = 1,
    device_memory_gib: float | None = None,
) -> bool:
    """Run every check of `cfg`; print the report; True when all passed. The memory estimate is per rank
    of a `world_size`-rank job, against `device_memory_gib` (default: this GPU, else this host's RAM)."""
    console = console or Console()
    checks = _Checks()
    ctx = checks.context

    def model() -> str:
        import torch

        from awpo.model import load_model, resolve_model_dir

        path = resolve_model_dir(cfg.model.name_or_path)
        loaded, tokenizer = load_model(path, dtype=torch.float32)
        ctx["model"], ctx["tokenizer"], ctx["model_dir"] = loaded, tokenizer, path
        n = sum(p.numel() for p in loaded.parameters())
        return f"{path} ({n / 1e6:.1f} M parameters)"

    def template() -> str:
        from awpo.rollout.render import Renderer
        from awpo.train.tasks import load_train_tasks

        renderer = Renderer(ctx["tokenizer"])
        task = next(t for t in load_train_tasks(cfg.data) if t.tools)
        ids = renderer.prompt_ids(task.messages, task.tools)
        text = renderer.prompt_text(task.messages, task.tools)
        names = [t.get("function", t).get("name") for t in task.tools]
        absent = [n for n in names if n not in text]
        if absent:
            raise AssertionError(f"the rendered prompt does not mention the tools {absent}")
        ctx["renderer"], ctx["task"] = renderer, task
        return f"tools via {renderer.tool_mode}; sample prompt {len(ids)} tokens lists {len(names)} tools"

    def parser() -> str:
        from awpo.data.generator import demonstration
        from awpo.rewards import parse

        task = ctx["task"]
        first = str(demonstration(task)[0]["content"])
        parsed = parse(first, task.tools)
        expected = [c.name for c in task.answer.tool_calls][: len(parsed.calls)] if task.answer.tool_calls else []
        if parsed.failure not in ("ok", "no_call") or [c["name"] for c in parsed.calls] != expected:
            raise AssertionError(f"the sample call did not parse back: failure={parsed.failure}, calls={parsed.calls}")
        return f"sample output parses: {parsed.failure}, {len(parsed.calls)} call(s)"

    def drift() -> str:
        from awpo.rollout.render import drift_report

        report = drift_report(ctx["tokenizer"], renderer=ctx["renderer"])
        ctx["drift"] = report.format()
        drifting = [c.strategy for c in report.checks if c.drifted]
        note = f"re-rendering would drift ({', '.join(drifting)})" if drifting else "re-rendering would not drift"
        return f"{note}; awpo is token-in/token-out either way"

    def sandbox() -> str:
        from awpo.tools.builtin import all_tools
        from awpo.tools.sandbox import Sandbox

        tools = all_tools()
        with Sandbox(tools, config=cfg.tools) as box:
            result = (
                box.call("calculate", {"expression": "6*7"}) if any(t.name == "calculate" for t in tools) else None
            )
            if result is not None and not result.ok:
                raise AssertionError(f"a sample call failed: {result.observation()}")
            isolation = "; ".join(f"{k}: {v}" for k, v in box.isolation.items())
        return f"{len(tools)} tools; {isolation}"

    def judge() -> str:
        from awpo.rewards.judge import Judge, JudgeItem

        task = ctx["task"]
        item = JudgeItem(
            task.messages,
            task.tools,
            "The user asked for this; the tool fits and the values come from the request.",
            [c.model_dump() for c in task.answer.tool_calls],
        )
        with Judge.from_config(cfg.judge) as j:
            result = j.score([item])
        if result.failures:
            raise AssertionError(f"the judge could not score a sample: {result.errors[0]}")
        return f"{cfg.judge.backend} judge scored a sample: {float(result.scores[0]):.2f}"

    def calibration() -> str:
        from awpo.rewards.judge import Judge
        from awpo.rewards.judge.calibration import build_probes, calibrate
        from awpo.train.judge_cli import probe_tasks

        tasks, source = probe_tasks(cfg)
        with Judge.from_config(cfg.judge) as j:
            pairs = 8 if cfg.judge.backend == "rubric" else 4  # an LLM judge on a CPU: ~1 item/s
            report = calibrate(j, build_probes(tasks, pairs_per_kind=pairs), source=source)  # type: ignore[arg-type]
        detail = f"AUC min {report.min_auc:.2f}, all {report.auc:.2f}, rho {report.rho:.2f} (awpo judge calibrate)"
        if report.warnings:
            raise AssertionError(f"{detail}; {report.warnings[0]}")
        return detail

    def engine() -> str:
        from awpo.rollout.vllm_engine import vllm_available

        ok, why = vllm_available()
        wanted = cfg.rollout.engine
        if wanted == "vllm" and not ok:
            raise AssertionError(f"engine 'vllm' requested but unavailable: {why}")
        chosen = "vllm" if ok and wanted in ("auto", "vllm") else "hf"
        return f"rollout engine: {chosen}" + ("" if ok or wanted == "hf" else f" (vllm unavailable: {why})")

    def memory() -> str:
        from awpo.train.memory import ModelDims, estimate_memory, fit_message

        policy = ModelDims.from_hf_config(ctx["model"].config, sum(p.numel() for p in ctx["model"].parameters()))
        judge_dims = _judge_dims(cfg)
        device, capacity, where = _device_capacity(device_memory_gib)
        estimate = estimate_memory(
            cfg, policy, world_size=world_size, device=device, device_bytes=capacity, judge=judge_dims
        )
        ok, line = fit_message(estimate, capacity, where)
        if not ok:
            raise AssertionError(line)
        return line

    checks.run("config", lambda: f"valid ({len(json.dumps(cfg.model_dump(mode='json')))} bytes)")
    checks.run("model and tokenizer", model)
    checks.run("chat template renders tools", template, needs=("tokenizer",))
    checks.run("parser reads the sample call", parser, needs=("task",))
    checks.run("token drift (template)", drift, needs=("renderer",))
    checks.run("sandbox", sandbox)
    checks.run("rollout engine", engine)
    checks.run("judge", judge, needs=("task",))
    checks.run("judge calibration", calibration)
    checks.run("memory estimate", memory, needs=("model",))

    table = Table(title="awpo check")
    table.add_column("")
    table.add_column("check")
    table.add_column("s", justify="right")
    table.add_column("detail")
    for r in checks.results:
        table.add_row("[green]✓[/]" if r.ok else "[red]✗[/]", r.name, f"{r.seconds:.1f}", r.detail)
    console.print(table)
    if "drift" in ctx:
        console.print(ctx["drift"])
    return all(r.ok for r in checks.results)


def _device_capacity(device_memory_gib: float | None) -> tuple[str, float, str]:
    """(device type, capacity in bytes, its name) of what one rank trains on."""
    import os

    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device_memory_gib is not None:
        return device, device_memory_gib * 2**30, f"the given {device_memory_gib:g} GiB {device}"
    if device == "cuda":
        return device, float(torch.cuda.get_device_properties(0).total_memory), "this GPU"
    return device, float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")), "this host's RAM"


def _judge_dims(cfg: TrainConfig) -> Any:
    """The local judge's dimensions (None: remote, or the policy's own model)."""
    if cfg.judge.backend != "hf" or cfg.judge.model is None:
        return None
    from transformers import AutoConfig

    from awpo.model import resolve_model_dir
    from awpo.train.memory import ModelDims

    return ModelDims.from_hf_config(AutoConfig.from_pretrained(str(resolve_model_dir(cfg.judge.model))))
