"""How the rollout loop runs tool calls: one episode (fresh tool state) per trajectory.

`ToolRunner.episode(task)` opens an episode; `ToolEpisode.run(calls)` executes one turn's calls in
order and returns one `awpo.tools.ToolResult` per call. A failed call is a result the model reads
(`ToolResult.observation()`), never an exception.

- `SandboxTools` (the default for training) runs calls in awpo's isolated sandbox, one sandbox
  session per trajectory, so stateful tools (`episode_state`) start fresh in every trajectory.
- `LocalTools` calls trusted Python tools in this process: no isolation and no limits, for tools you
  wrote yourself or platforms where the sandbox cannot start. It keeps per-episode state too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from awpo.data.schema import Task
from awpo.rewards import ToolSet
from awpo.tools.context import bind_episode_state
from awpo.tools.registry import Tool
from awpo.tools.sandbox import Sandbox, Session, ToolResult, arguments_json


class ToolEpisode(Protocol):
    """The tool state of one trajectory."""

    def run(self, calls: Sequence[Mapping[str, Any]]) -> list[ToolResult]:
        """Execute `[{name, arguments}]` in order; one result per call."""
        ...

    def close(self) -> None:
        """End the episode (drop its state)."""
        ...


class ToolRunner(Protocol):
    """Opens tool episodes for tasks."""

    def episode(self, task: Task) -> ToolEpisode:
        """A fresh episode for one trajectory of `task`."""
        ...


class SandboxTools:
    """Runs calls in an `awpo.tools.Sandbox`, one session per trajectory (the caller owns the sandbox)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def episode(self, task: Task) -> _SandboxEpisode:
        return _SandboxEpisode(self.sandbox.session())


class _SandboxEpisode:
    def __init__(self, session: Session) -> None:
        self.session = session

    def run(self, calls: Sequence[Mapping[str, Any]]) -> list[ToolResult]:
        # One batch per turn: a session's calls run in order; other trajectories' run alongside.
        return self.session.call_batch([dict(c) for c in calls])

    def close(self) -> None:
        self.session.close()


class LocalTools:
    """Runs `@tool` functions in this process: trusted code only, no isolation and no limits.

    A call passes the sandbox's gate first (`ToolSet.check_call`: the tool exists, the arguments
    fit its schema, as the reward checks them); exceptions become error results. Each episode has
    its own `episode_state`, as in the sandbox.
    """

    def __init__(self, tools: Sequence[Tool]) -> None:
        self.tools = {t.name: t for t in tools}
        if len(self.tools) != len(tools):
            raise ValueError("two tools share a name")
        self.gate = ToolSet([t.schema for t in tools])

    def episode(self, task: Task) -> _LocalEpisode:
        return _LocalEpisode(self.tools, self.gate)


class _LocalEpisode:
    def __init__(self, tools: Mapping[str, Tool], gate: ToolSet) -> None:
        self.tools = tools
        self.gate = gate
        self.state: dict[str, Any] = {}

    def run(self, calls: Sequence[Mapping[str, Any]]) -> list[ToolResult]:
        return [self._call(str(c.get("name", "")), c.get("arguments")) for c in calls]

    def _call(self, name: str, args: Any) -> ToolResult:
        args_json = arguments_json(name, args)
        if isinstance(args_json, ToolResult):
            return args_json
        rejected = self.gate.check_call(name, args_json)
        if rejected is not None:
            return ToolResult.failure(name, *rejected)
        tool = self.tools[name]
        trial = copy.deepcopy(self.state)  # a failed call leaves the episode state untouched
        try:
            with bind_episode_state(trial):
                value = tool(**dict(args))
        except Exception as exc:  # a tool's failure is the model's observation, not the trainer's crash
            return ToolResult.failure(name, "tool_error", f"{type(exc).__name__}: {exc}")
        try:
            value = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            return ToolResult.failure(name, "bad_value", f"the tool returned a value that is not JSON: {exc}")
        self.state = trial
        return ToolResult(name=name, ok=True, value=value)

    def close(self) -> None:
        self.state = {}
