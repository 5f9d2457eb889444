"""The generation side of evaluation, behind one small interface.

`ChatGenerator.generate(conversations)` takes conversations (chat messages + the tools offered)
and returns the model's next assistant text for each. Evaluation never renders prompts itself:
the generator does, so `awpo eval` renders exactly as the generator it is given (training's
renderer when wired to awpo's rollout engines).

`HFGenerator` is a real transformers implementation (greedy, batched, left-padded). Its default
renderer, `render_with_tool_prompt`, describes the tools and the output format in a system
message, for chat templates without tool support (SmolLM2's), and uses the template's own tool
support otherwise.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from awpo.data.convert import JsonDict
from awpo.errors import ModelLoadError


@dataclass(frozen=True)
class Conversation:
    """One prompt: chat messages (OpenAI format, last one user or tool) and the tools offered."""

    messages: list[JsonDict]
    tools: list[JsonDict] = field(default_factory=list)


class ChatGenerator(Protocol):
    """Anything that turns conversations into the model's next assistant texts."""

    def generate(self, conversations: Sequence[Conversation]) -> list[str]:
        """One assistant text per conversation, in order."""
        ...


Renderer = Callable[[Any, Conversation], list[int]]

TOOL_PROMPT = (
    "You can call tools. The tools are described by these JSON schemas:\n{tools}\n\n"
    "First think briefly inside <think></think>, quoting the user's words you rely on. Then either call tools, "
    "one JSON object per line inside one block:\n<tool_call>\n"
    '{{"name": "tool_name", "arguments": {{"arg": "value"}}}}\n</tool_call>\n'
    "or answer in <response></response> when no tool fits or a required value is missing "
    "(then ask the user for it)."
)


def render_with_tool_prompt(tokenizer: Any, conversation: Conversation) -> list[int]:
    """Token ids of the prompt: the chat template, with a tool system prompt when it lacks tool support."""
    messages = list(conversation.messages)
    template = str(getattr(tokenizer, "chat_template", "") or "")
    if conversation.tools and "tools" not in template:
        tool_text = "\n".join(json.dumps(t.get("function", t), ensure_ascii=False) for t in conversation.tools)
        system = TOOL_PROMPT.format(tools=tool_text)
        if messages and messages[0].get("role") == "system":
            system = f"{messages[0].get('content', '')}\n\n{system}"
            messages = messages[1:]
        messages = [{"role": "system", "content": system}, *messages]
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    else:
        ids = tokenizer.apply_chat_template(
            messages, tools=conversation.tools or None, add_generation_prompt=True, tokenize=True
        )
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return [int(i) for i in ids]


class HFGenerator:
    """Greedy batched generation with transformers (CPU or CUDA).

    Parameters:
        model: a Hugging Face model directory (or hub id available offline).
        max_new_tokens: generation budget per assistant turn.
        batch_size: conversations per `generate` call.
        render: prompt renderer `(tokenizer, conversation) -> token ids`.
        device: `"cpu"`, `"cuda"`, or `"auto"` (CUDA when available).
        threads: CPU threads for torch (`None`: torch's default). On a shared CPU, 1 thread can be
            much faster than several (measured on the 2-core machine: ~14x, see docs/BENCHMARKS.md).
    """

    def __init__(
        self,
        model: str | Path,
        *,
        max_new_tokens: int = 256,
        batch_size: int = 8,
        render: Renderer = render_with_tool_prompt,
        device: str = "auto",
        threads: int | None = None,
    ) -> None:
        if max_new_tokens < 1 or batch_size < 1:
            raise ValueError(f"max_new_tokens and batch_size must be >= 1, got {max_new_tokens}, {batch_size}")
        try:
            torch: Any = importlib.import_module("torch")
            transformers: Any = importlib.import_module("transformers")
        except ImportError as e:
            raise ModelLoadError(f"HFGenerator needs torch and transformers (pip install 'awpo[train]'): {e}") from e
        self._torch = torch
        if threads is not None:
            if threads < 1:
                raise ValueError(f"threads must be >= 1, got {threads}")
            torch.set_num_threads(threads)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        try:
            self.tokenizer: Any = transformers.AutoTokenizer.from_pretrained(str(model))
            self.model: Any = transformers.AutoModelForCausalLM.from_pretrained(str(model), dtype=dtype)
            self.model.to(device)
        except (OSError, ValueError) as e:
            raise ModelLoadError(f"cannot load model {model}: {e}") from e
        self.model.eval()
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.render = render
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.tokenizer.eos_token_id)
        self.generated_tokens = 0  # running count, for throughput reports
        self.overflows = 0  # prompts too long for the model's context: answered with "" (counted, not cut)
        self.max_length: int | None = getattr(self.model.config, "max_position_embeddings", None)

    def generate(self, conversations: Sequence[Conversation]) -> list[str]:
        """Greedy continuations, `batch_size` at a time, left-padded.

        A prompt that leaves no room for `max_new_tokens` in the model's context gets `""` (and is
        counted in `overflows`): cutting it would drop the tool descriptions or the question.
        """
        prompts = [self.render(self.tokenizer, c) for c in conversations]
        fits = [self.max_length is None or len(p) + self.max_new_tokens <= self.max_length for p in prompts]
        self.overflows += fits.count(False)
        todo = [p for p, ok in zip(prompts, fits, strict=True) if ok]
        texts: list[str] = []
        for start in range(0, len(todo), self.batch_size):
            texts.extend(self._generate_batch(todo[start : start + self.batch_size]))
        answers = iter(texts)
        return [next(answers) if ok else "" for ok in fits]

    def _generate_batch(self, prompts: list[list[int]]) -> list[str]:
        torch = self._torch
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)  # (B, T)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)  # (B, T)
        for row, prompt in enumerate(prompts):
            ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
            mask[row, width - len(prompt) :] = 1
        with torch.inference_mode():
            generated = self.model.generate(
                input_ids=ids.to(self.device),
                attention_mask=mask.to(self.device),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=self.pad_id,
            )
        new = generated[:, width:].cpu()  # (B, N)
        texts = []
        eos = self.tokenizer.eos_token_id
        for row in new.tolist():
            if eos in row:
                row = row[: row.index(eos)]
            self.generated_tokens += len(row)
            texts.append(str(self.tokenizer.decode(row, skip_special_tokens=True)))
        return texts
