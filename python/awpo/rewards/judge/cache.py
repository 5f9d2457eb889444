"""The judge's on-disk score cache: an append-only JSONL file keyed by a content hash.

Each line is `{"k": key, "s": score, "w": weighted}`. Writers append whole lines under an exclusive
`flock` (one `write` per batch, after a newline if a crashed writer left a partial line), readers take a
shared lock, so several processes can share one file. Lines that do not parse are skipped and counted
(`corrupt_lines`). Only successful scores are stored: a failure is retried the next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

try:  # POSIX; elsewhere the cache works without inter-process locking
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("awpo.judge")

CACHE_FILE = "judge_cache.jsonl"


def cache_key(*, backend: str, model: str, rubric_version: str, messages: Sequence[Mapping[str, str]]) -> str:
    """SHA-256 (hex) of the backend, the model, the rubric version and the whole prompt."""
    payload = json.dumps(
        {"backend": backend, "model": model, "rubric": rubric_version, "messages": list(messages)},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _locked(fd: int, exclusive: bool) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


class JudgeCache:
    """Scores by content hash, persisted in `directory/judge_cache.jsonl`; thread- and process-safe.

    `refresh()` reads the lines other processes appended since the last read; `get` does not touch the
    disk, `put_many` appends.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, tuple[float, bool]] = {}
        self._offset = 0
        self._lock = threading.Lock()
        self.corrupt_lines = 0
        self.refresh()

    def __len__(self) -> int:
        return len(self._entries)

    def refresh(self) -> None:
        """Loads the complete lines appended since the last read (by any process)."""
        with self._lock:
            if not self.path.exists():
                return
            with open(self.path, "rb") as f, _locked(f.fileno(), exclusive=False):
                f.seek(self._offset)
                data = f.read()
            end = data.rfind(b"\n")
            if end < 0:
                return  # no complete new line yet
            corrupt = 0
            for line in data[:end].split(b"\n"):
                if not line.strip():
                    continue
                entry = _decode(line)
                if entry is None:
                    corrupt += 1
                else:
                    self._entries[entry[0]] = (entry[1], entry[2])
            self._offset += end + 1
            if corrupt:
                self.corrupt_lines += corrupt
                logger.warning("judge cache %s: skipped %d corrupt line(s)", self.path, corrupt)

    def get(self, key: str) -> tuple[float, bool] | None:
        """`(score in [0, 1], logprob-weighted)` for `key`, or `None`."""
        with self._lock:
            return self._entries.get(key)

    def put_many(self, entries: Mapping[str, tuple[float, bool]]) -> None:
        """Stores and appends `{key: (score, weighted)}`; non-finite scores are not stored."""
        lines = [
            json.dumps({"k": k, "s": s, "w": w}, separators=(",", ":")) + "\n"
            for k, (s, w) in entries.items()
            if math.isfinite(s)
        ]
        if not lines:
            return
        data = "".join(lines).encode("utf-8")
        with self._lock:
            for k, (s, w) in entries.items():
                if math.isfinite(s):
                    self._entries[k] = (s, w)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                with _locked(fd, exclusive=True):
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":  # a crashed writer's partial line
                        data = b"\n" + data
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)


def _decode(line: bytes) -> tuple[str, float, bool] | None:
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict):
        return None
    key, score, weighted = obj.get("k"), obj.get("s"), obj.get("w", False)
    if not isinstance(key, str) or isinstance(score, bool) or not isinstance(score, (int, float)):
        return None
    if not (math.isfinite(score) and 0.0 <= score <= 1.0) or not isinstance(weighted, bool):
        return None
    return key, float(score), weighted
