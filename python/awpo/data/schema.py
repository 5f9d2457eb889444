"""The Task contract (DESIGN.md "Contracts"): one JSONL line per task.

`messages` are OpenAI chat messages whose last one is the user turn; `tools` are OpenAI function
schemas; `answer` is the ground truth the outcome reward compares against.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

JsonDict = dict[str, Any]


class FunctionCall(BaseModel):
    """One ground-truth tool call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Function name, as in the task's tool schemas.")
    arguments: JsonDict = Field(default_factory=dict, description="Argument values by parameter name.")


class Answer(BaseModel):
    """Ground truth: tool calls, a final response, both, or `no_call` for irrelevance items."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool_calls: list[FunctionCall] = Field(default_factory=list, description="The right calls, in order.")
    response: str | None = Field(None, description="The right final text answer, if any.")
    no_call: bool = Field(False, description="The right answer is to call no tool (irrelevance, abstention).")
    acceptable: list[dict[str, dict[str, list[Any]]]] | None = Field(
        None,
        description=(
            'BFCL possible-answer form: per call `{name: {param: [acceptable values]}}`, where `""` in a'
            " list means the parameter may be omitted. Used by the `bfcl` reward; derived from"
            " `tool_calls` when absent."
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Answer:
        if self.no_call and (self.tool_calls or self.acceptable):
            raise ValueError("answer.no_call is true but answer.tool_calls/acceptable is not empty; keep one")
        return self


class Task(BaseModel):
    """One tool-use task (DESIGN.md "Task")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Unique task id.")
    messages: list[JsonDict] = Field(min_length=1, description="OpenAI chat messages; the last is the user turn.")
    tools: list[JsonDict] = Field(default_factory=list, description="OpenAI function schemas offered to the model.")
    answer: Answer = Field(default_factory=Answer, description="Ground truth for the outcome reward.")
    env: str | None = Field(None, description="Name of an executable tool environment (multi-turn tasks).")
    meta: JsonDict = Field(default_factory=dict, description="Free-form provenance: family, split, source, ...")

    @model_validator(mode="after")
    def _last_turn_is_user(self) -> Task:
        for i, message in enumerate(self.messages):
            if "role" not in message:
                raise ValueError(f"messages[{i}] has no 'role'")
        if self.messages[-1]["role"] != "user":
            raise ValueError(f"the last message must be the user turn, got role {self.messages[-1]['role']!r}")
        return self
