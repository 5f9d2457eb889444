"""The on-disk score cache: hits, persistence across processes, corrupt lines, concurrent writers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from judge_testlib import SHORT_RUBRIC

from awpo.rewards.judge import Judge, JudgeCache, JudgeConfig, JudgeItem, cache_key
from awpo.rewards.judge import metrics as m
from awpo.rewards.judge.cache import CACHE_FILE
from awpo.rewards.judge.hf import HFJudgeBackend

MSGS = [{"role": "system", "content": "r"}, {"role": "user", "content": "u"}]


def test_key_covers_backend_model_rubric_and_prompt() -> None:
    base = cache_key(backend="hf", model="a", rubric_version="v1", messages=MSGS)
    assert len(base) == 64 and base == cache_key(backend="hf", model="a", rubric_version="v1", messages=list(MSGS))
    other_prompt = [MSGS[0], {"role": "user", "content": "u2"}]
    assert (
        len(
            {
                base,
                cache_key(backend="openai", model="a", rubric_version="v1", messages=MSGS),
                cache_key(backend="hf", model="b", rubric_version="v1", messages=MSGS),
                cache_key(backend="hf", model="a", rubric_version="v2", messages=MSGS),
                cache_key(backend="hf", model="a", rubric_version="v1", messages=other_prompt),
            }
        )
        == 5
    )


def test_hit_on_second_call_and_survives_a_new_process(
    hf_backend: HFJudgeBackend, items: list[JudgeItem], tmp_path: Path
) -> None:
    config = JudgeConfig(rubric=SHORT_RUBRIC, cache_dir=str(tmp_path))
    judge = Judge(hf_backend, config)
    batch = [items[0], items[0], items[1]]  # a duplicate is judged once
    first = judge.score(batch)
    assert first.cache_hits == 0 and judge.totals["judged"] == 2
    assert first.scores[0] == first.scores[1] and not np.isnan(first.scores).any()
    second = judge.score(batch)
    assert second.cache_hits == 3 and judge.totals["judged"] == 2  # no new backend call
    assert second.metrics[m.CACHE_HIT_FRAC] == 1.0 and math.isnan(second.metrics[m.LATENCY_S_MEAN])
    np.testing.assert_array_equal(first.scores, second.scores)
    assert second.weighted == first.weighted == [True, True, True]

    # A new process with the same cache directory answers from disk. Its judge is the openai backend
    # under the hf backend's cache identity and points at a dead port: any miss would be NaN.
    script = textwrap.dedent(f"""
        import json, sys
        from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
        from awpo.rewards.judge.remote import OpenAIJudgeBackend
        backend = OpenAIJudgeBackend("http://127.0.0.1:9/v1", "x", max_retries=0, timeout_s=2)
        backend.name, backend.model_id = "hf", {hf_backend.model_id!r}
        items = [JudgeItem(**d) for d in json.loads(sys.argv[1])]
        config = JudgeConfig(rubric={SHORT_RUBRIC!r}, cache_dir={str(tmp_path)!r})
        with Judge(backend, config) as judge:
            result = judge.score(items)
        print(json.dumps({{"scores": result.scores.tolist(), "hits": result.cache_hits}}))
    """)
    payload = json.dumps(
        [
            {
                "messages": list(i.messages),
                "tools": list(i.tools),
                "reasoning": i.reasoning,
                "calls": list(i.calls),
                "answer": i.answer,
            }
            for i in batch
        ]
    )
    out = subprocess.run([sys.executable, "-c", script, payload], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["hits"] == 3 and answer["scores"] == first.scores.tolist()


def test_corrupt_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path)
    cache.put_many({"a" * 64: (0.25, True), "b" * 64: (0.5, False)})
    with open(tmp_path / CACHE_FILE, "a", encoding="utf-8") as f:
        f.write("{not json\n")
        f.write(json.dumps({"k": "c" * 64, "s": 7.0}) + "\n")  # out of [0, 1]
        f.write(json.dumps(["a list"]) + "\n")
        f.write('{"k": "d')  # a writer that crashed mid-line
    reloaded = JudgeCache(tmp_path)
    assert reloaded.get("a" * 64) == (0.25, True) and reloaded.get("b" * 64) == (0.5, False)
    assert reloaded.get("c" * 64) is None and reloaded.corrupt_lines == 3 and len(reloaded) == 2
    # The next append starts on a fresh line, so the crashed fragment costs one line, not the new entry.
    reloaded.put_many({"e" * 64: (1.0, False), "f" * 64: (float("nan"), False)})  # NaN is never stored
    third = JudgeCache(tmp_path)
    assert third.get("e" * 64) == (1.0, False) and third.get("f" * 64) is None
    assert third.corrupt_lines == 4


def test_refresh_sees_another_writer(tmp_path: Path) -> None:
    reader, writer = JudgeCache(tmp_path), JudgeCache(tmp_path)
    writer.put_many({"k" * 64: (0.75, True)})
    assert reader.get("k" * 64) is None
    reader.refresh()
    assert reader.get("k" * 64) == (0.75, True)


def test_concurrent_writer_processes(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys
        from awpo.rewards.judge.cache import JudgeCache
        cache, w = JudgeCache(sys.argv[1]), int(sys.argv[2])
        for i in range(200):
            cache.put_many({f"{w}-{i}-{j}": ((w + i + j) % 11 / 10, bool(j)) for j in range(3)})
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(w)], stderr=subprocess.PIPE)
        for w in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    cache = JudgeCache(tmp_path)
    assert cache.corrupt_lines == 0 and len(cache) == 4 * 200 * 3
    assert cache.get("3-199-2") == pytest.approx(((3 + 199 + 2) % 11 / 10, True))
