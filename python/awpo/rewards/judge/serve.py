"""An OpenAI-compatible judge server backed by the `hf` judge: `python -m awpo.rewards.judge.serve`.

`POST /v1/chat/completions` takes a judge prompt (`messages`) and answers with the score as the reply
text (`"7"`), chosen greedily from the judge model's score distribution (see `hf.py`); it is a decoder
constrained to the score tokens, so the `logprobs` it returns (`logprobs: true`, `top_logprobs: n`) are
those of the constrained distribution: the first reply token's probabilities renormalised over the score
tokens, then (for a `10` written as `1`,`0`) the probability of `0` after `1`, then the end-of-turn token,
which vLLM lists too. `GET /v1/models` and
`GET /health` answer too. Requests that arrive together are scored in one batched forward pass.

    python -m awpo.rewards.judge.serve --model HF_DIR --port 8000
    # then: JudgeConfig(backend="openai", base_url="http://127.0.0.1:8000/v1", model=HF_DIR)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import queue
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from awpo.rewards.judge.base import ERROR, TOO_LONG, BackendResult
from awpo.rewards.judge.hf import HFJudgeBackend, ScoreDistribution
from awpo.rewards.judge.prompt import Message

logger = logging.getLogger("awpo.judge.serve")

_MAX_BODY = 16 * 1024 * 1024


class _Batcher:
    """Collects concurrent requests and scores them together, one forward pass per batch."""

    def __init__(self, backend: HFJudgeBackend, max_batch: int) -> None:
        self.backend = backend
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[list[Message], Future[ScoreDistribution | BackendResult]] | None] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="awpo-judge-batcher", daemon=True)
        self._thread.start()

    def submit(self, messages: list[Message]) -> Future[ScoreDistribution | BackendResult]:
        future: Future[ScoreDistribution | BackendResult] = Future()
        self._queue.put((messages, future))
        return future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                dists = self.backend.distributions([m for m, _ in batch])
            except Exception as e:  # rendering errors: answer every request of the batch
                logger.exception("judge server: batch of %d failed", len(batch))
                dists = [BackendResult.failure(ERROR, f"{type(e).__name__}: {e}")] * len(batch)
            for (_, future), dist in zip(batch, dists, strict=True):
                future.set_result(dist)
            if stop:
                return

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()


def _entry(token: str, p: float) -> dict[str, Any]:
    logprob = math.log(p) if p > 0.0 else -9999.0
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def _position(token: str, alternatives: dict[str, float], top: int) -> dict[str, Any]:
    """One `logprobs.content` entry: the chosen token and the `top` most likely alternatives."""
    ranked = sorted(alternatives.items(), key=lambda kv: -kv[1])[:top]
    return {**_entry(token, alternatives[token]), "top_logprobs": [_entry(t, p) for t, p in ranked]}


def completion_logprobs(dist: ScoreDistribution, score: int, top: int, end_token: str) -> list[dict[str, Any]]:
    """The `logprobs.content` of the reply `str(score)` under the constrained score distribution.

    Like vLLM, the entries end with the end-of-turn token. For a tokenizer that writes 10 as `1`,`0`, the
    position after `1` offers `0` (probability `q0`) or the end of the reply (`1 - q0`), so a client sees
    how the first token's `1` splits between the scores 1 and 10 whenever the reply starts with `1`.
    """
    text = str(score)
    if dist.q0 is None:  # one token per score
        return [_position(text, dist.first_probs, top), _position(end_token, {end_token: 1.0}, top)]
    after_one = {"0": dist.q0, end_token: 1.0 - dist.q0}
    if text == "10":
        return [
            _position("1", dist.first_probs, top),
            _position("0", after_one, top),
            _position(end_token, {end_token: 1.0}, top),
        ]
    if text == "1":
        return [_position("1", dist.first_probs, top), _position(end_token, after_one, top)]
    return [_position(text, dist.first_probs, top), _position(end_token, {end_token: 1.0}, top)]


def _messages(body: Any) -> list[Message]:
    """The request's messages as `{role, content}` strings, or `ValueError`."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
        raise ValueError("the body must be a JSON object with a non-empty 'messages' list")
    out = []
    for i, message in enumerate(body["messages"]):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ValueError(f"messages[{i}] must be an object with a string 'role'")
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
        if not isinstance(content, str):
            raise ValueError(f"messages[{i}].content must be a string or a list of text parts")
        out.append({"role": message["role"], "content": content})
    return out


class JudgeServer(ThreadingHTTPServer):
    """The HTTP server; `start()` serves on a daemon thread, `stop()` shuts down and joins.

    Counters for monitoring: `requests_seen`, `in_flight`, `max_in_flight`.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        backend: HFJudgeBackend,
        *,
        served_model_name: str | None = None,
        max_batch: int = 8,
        handler: type[BaseHTTPRequestHandler] | None = None,
    ) -> None:
        super().__init__(address, handler or JudgeRequestHandler)
        self.backend = backend
        self.served_model_name = served_model_name or backend.model_id
        self.batcher = _Batcher(backend, max_batch)
        self.end_token = str(getattr(backend.tokenizer, "eos_token", None) or "</s>")
        self._counter_lock = threading.Lock()
        self.requests_seen = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://host:port/v1`."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> JudgeServer:
        self._thread = threading.Thread(target=self.serve_forever, name="awpo-judge-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.batcher.close()
        if self._thread is not None:
            self._thread.join()

    def enter(self) -> None:
        with self._counter_lock:
            self.requests_seen += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._counter_lock:
            self.in_flight -= 1

    def chat_completion(self, body: Any) -> tuple[int, dict[str, Any]]:
        """`(HTTP status, JSON payload)` for one `/v1/chat/completions` body."""
        try:
            messages = _messages(body)
            want_logprobs = bool(body.get("logprobs", False))
            top = int(body.get("top_logprobs") or 0)
            if not 0 <= top <= 20:
                raise ValueError(f"top_logprobs must be in [0, 20], got {top}")
        except (ValueError, TypeError) as e:
            return 400, {"error": {"message": str(e), "type": "invalid_request_error"}}
        dist = self.batcher.submit(messages).result()
        if isinstance(dist, BackendResult):
            status = 400 if dist.error == TOO_LONG else 500
            return status, {"error": {"message": f"{dist.error}: {dist.detail}", "type": "judge_error"}}
        score = max(range(len(dist.probs)), key=lambda k: dist.probs[k])
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": str(score)},
            "logprobs": None,
            "finish_reason": "stop",
        }
        if want_logprobs:
            choice["logprobs"] = {"content": completion_logprobs(dist, score, top, self.end_token)}
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.served_model_name,
            "choices": [choice],
        }


class JudgeRequestHandler(BaseHTTPRequestHandler):
    """Routes `/v1/chat/completions`, `/v1/models` and `/health` (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    server: JudgeServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout): nothing to answer
            self.close_connection = True
            logger.debug("client %s left before the answer", self.address_string())

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/health", "/v1/health"):
            self.send_json(200, {"status": "ok"})
        elif self.path.rstrip("/") == "/v1/models":
            name = self.server.served_model_name
            self.send_json(200, {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "awpo"}]})
        else:
            self.send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def read_body(self) -> Any:
        """The request's JSON body (`ValueError` when missing, too large or not JSON)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= _MAX_BODY:
            self.close_connection = True  # the body's end is unknown: this connection cannot be reused
            raise ValueError(f"Content-Length must be in (0, {_MAX_BODY}], got {length}")
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"the body is not JSON: {e}") from e

    def do_POST(self) -> None:
        self.server.enter()
        try:
            try:
                body = self.read_body()  # read first, even for a wrong route: keep-alive needs the body consumed
            except ValueError as e:
                self.send_json(400, {"error": {"message": str(e), "type": "invalid_request_error"}})
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self.send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            self.send_json(*self.server.chat_completion(body))
        finally:
            self.server.leave()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m awpo.rewards.judge.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model directory of the judge")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--served-model-name", default=None, help="the `model` name clients send (default: --model)")
    parser.add_argument("--batch-size", type=int, default=8, help="most requests per forward pass")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    backend = HFJudgeBackend.from_pretrained(args.model, dtype=args.dtype, batch_size=args.batch_size)
    server = JudgeServer(
        (args.host, args.port),
        backend,
        served_model_name=args.served_model_name or args.model,
        max_batch=args.batch_size,
    )
    logger.info("serving the judge %s on %s", args.model, server.base_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.batcher.close()


if __name__ == "__main__":
    main()
