"""Reading a score out of a judge's reply: the text, and the score token's logprobs when present.

`parse_score` finds the score in free text (`7`, `Score: 7`, `**Score:** 7/10`, `{"score": 7}`, `7 out of
10`); anything else, or a value outside [0, 10], is no score (a failed item, never a guess).

`expected_from_logprobs` turns the OpenAI `logprobs.content` entries of the reply into the expected score
`E[s] = sum_k k * p_k / sum_k p_k` over the score tokens found among the `top_logprobs` of the token
where the parsed score starts. Ten needs care, because many tokenizers (Qwen, SmolLM2) write it as two
tokens `1`,`0`:
- a tokenizer with a single `10` token: `10` is one more candidate, `1` is the score 1;
- the reply's score starts with the token `1` and another token follows it: with `q0` the probability of
  `0` at that next position, `P(10) = p_1 * q0` and `P(1) = p_1 * (1 - q0)` (continuations 11..19 are not
  scores and are counted as 1);
- otherwise the split of `p_1` is unknown: it is dropped when it is at most `max_ambiguous_mass` of the
  score tokens' mass, and above that the expectation is not used (the caller falls back to the parsed
  score).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_SCORE = 10

_NUMBER = r"(\d+(?:\.\d+)?)"
# In priority order; within one pattern the last match wins (a final verdict comes last).
_PATTERNS = (
    re.compile(r"[\"']score[\"']\s*:\s*[\"']?" + _NUMBER, re.IGNORECASE),  # JSON {"score": 7}
    re.compile(r"\bscore\b(?:\s*(?:is|of|=|:|-))?[\s*:=#`\"'_-]*" + _NUMBER, re.IGNORECASE),  # Score: 7
    re.compile(_NUMBER + r"\s*/\s*10\b"),  # 7/10
    re.compile(_NUMBER + r"\s+out\s+of\s+10\b", re.IGNORECASE),  # 7 out of 10
    re.compile(r"^[\s*_`\"'#]*" + _NUMBER + r"[\s*_`\"'.]*$"),  # the reply is the number alone
)
_SCORE_TOKEN = re.compile(r"^(?:10|\d)$")


@dataclass(frozen=True)
class ParsedScore:
    """A score found in a reply: its value in [0, 10] and the character span of its number."""

    value: float
    start: int
    end: int


def parse_score(text: str | None) -> ParsedScore | None:
    """The score in a judge's reply, or `None` when there is none in [0, 10] (garbage)."""
    if not text:
        return None
    for pattern in _PATTERNS:
        matches = list(pattern.finditer(text))
        if not matches:
            continue
        match = matches[-1]
        value = float(match.group(1))
        if not 0.0 <= value <= MAX_SCORE:
            return None
        return ParsedScore(value=value, start=match.start(1), end=match.end(1))
    return None


def _score_value(token: str) -> int | None:
    """The score a token stands for (`"7"`, `" 7"`, `"10"`), or `None`."""
    stripped = token.strip()
    return int(stripped) if _SCORE_TOKEN.match(stripped) else None


def _candidates(entry: Mapping[str, Any]) -> dict[str, float]:
    """`{token: probability}` at one position: its `top_logprobs` plus the sampled token itself."""
    out: dict[str, float] = {}
    alternatives = entry.get("top_logprobs") or []
    for alt in [*alternatives, entry]:
        token, logprob = alt.get("token"), alt.get("logprob")
        if isinstance(token, str) and isinstance(logprob, (int, float)) and math.isfinite(logprob):
            out.setdefault(token, math.exp(logprob))
    return out


def expected_from_logprobs(
    content: Sequence[Mapping[str, Any]], parsed: ParsedScore, *, max_ambiguous_mass: float = 0.05
) -> float | None:
    """The expected score in [0, 10] from the reply's token logprobs, or `None` when they cannot give it.

    `content` is `choices[0].logprobs.content` (entries with `token`, `logprob`, `top_logprobs`) and must
    spell the reply that `parsed` was found in. `None` when the tokens do not line up with the parsed
    number, the number is not an integer score token, or the `1`/`10` ambiguity is too large.
    """
    if not content or parsed.value != int(parsed.value):
        return None
    # Locate the token where the number starts.
    offset, index = 0, -1
    for i, entry in enumerate(content):
        token = entry.get("token")
        if not isinstance(token, str):
            return None
        stripped_start = offset + (len(token) - len(token.lstrip()))
        if offset <= parsed.start < offset + len(token):
            if stripped_start != parsed.start:
                return None  # the number starts inside a token ("x7"), not on a score token
            index = i
            break
        offset += len(token)
    if index < 0:
        return None
    number = str(int(parsed.value))
    first = str(content[index]["token"]).strip()
    split_ten = number == "10" and first == "1"
    if split_ten:
        if index + 1 >= len(content) or str(content[index + 1].get("token", "")).strip() != "0":
            return None
    elif first != number:
        return None

    probs: dict[int, float] = {}
    for token, p in _candidates(content[index]).items():
        value = _score_value(token)
        if value is not None:
            probs[value] = probs.get(value, 0.0) + p
    total = sum(probs.values())
    if total <= 0.0:
        return None
    p_1 = probs.get(1, 0.0)
    if p_1 > 0.0 and MAX_SCORE not in probs:
        if first == "1" and index + 1 < len(content):
            # The sampled score starts with "1": the next position says how often "0" follows it.
            q0 = sum(p for t, p in _candidates(content[index + 1]).items() if t.strip() == "0" and t.lstrip() == t)
            q0 = min(q0, 1.0)
            probs[1], probs[MAX_SCORE] = p_1 * (1.0 - q0), p_1 * q0
        elif first == "1" or p_1 / total > max_ambiguous_mass:
            return None
        else:
            del probs[1]
    total = sum(probs.values())
    if total <= 0.0:
        return None
    return sum(k * p for k, p in probs.items()) / total
