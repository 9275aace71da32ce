"""A loopback HTTP proxy in front of a moto server, standing in for AWS's latency and limits.

It adds a fixed latency per request, throttles chosen API actions with a token bucket
(answering 400 ``ThrottlingException`` as AWS does, matched on ``X-Amz-Target``), fails a
given fraction of requests with a 500 or a dropped connection, and counts calls per action.
Faults are drawn from a seeded random generator; the proxy stops by itself after
``lifetime`` seconds.  Used by the fault-injection tests and by ``benchmarks/``.

    with AwsProxy(latency=0.02, throttle={"PutParameter": 40}) as proxy:
        env["AWS_ENDPOINT_URL"] = proxy.url
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import logging
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.server import ThreadedMotoServer

# The API actions that change a remote, for tests and benchmarks that count writes.
WRITE_ACTIONS = frozenset(
    {
        "PutSecretValue",
        "CreateSecret",
        "UpdateSecretVersionStage",
        "PutParameter",
        "DeleteParameters",
        "AddTagsToResource",
    }
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; thread-safe."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class AwsProxy:
    """moto on 127.0.0.1 behind a latency, throttling and fault-injecting proxy."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        throttle: Mapping[str, float] | None = None,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[str] = ("500", "drop"),
        fault_actions: Iterable[str] | None = None,
        seed: int = 0,
        lifetime: float = 600.0,
        separate_moto: bool = False,
    ) -> None:
        self.latency = latency
        self.buckets = {action: TokenBucket(rate) for action, rate in (throttle or {}).items()}
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.fault_actions = set(fault_actions) if fault_actions is not None else None
        self.random = random.Random(seed)
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.throttled: collections.Counter[str] = collections.Counter()
        self.faults: collections.Counter[str] = collections.Counter()
        # Benchmarks run moto in a process of its own: in this one it would hold the GIL while
        # handling a request and so delay the proxy's timing (and its throttling) of the next.
        self.separate_moto = separate_moto
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto_process: subprocess.Popen[bytes] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> AwsProxy:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.separate_moto:
            host, port = "127.0.0.1", _free_port()
            self._moto_process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait_for(host, port, timeout=30)
        else:
            self._moto.start()
            host, port = self._moto.get_host_and_port()
        self.upstream = (host, port)
        self.moto_url = f"http://{host}:{port}"
        # moto's backends are process-wide: start from an empty account.
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request("POST", "/moto-api/reset")
        connection.getresponse().read()
        connection.close()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self._timer = threading.Timer(self.lifetime, self.stop)  # bounded in time
        self._timer.daemon = True
        self._timer.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        with self.lock:
            server, self._server = self._server, None
        if self._timer is not None:
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()
            if self._moto_process is not None:
                self._moto_process.terminate()
                self._moto_process.wait(timeout=10)
            else:
                self._moto.stop()

    def __enter__(self) -> AwsProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_counts(self) -> None:
        with self.lock:
            self.calls.clear()
            self.throttled.clear()
            self.faults.clear()

    # -- decisions -----------------------------------------------------------------------------
    def decide(self, action: str) -> str | None:
        """None to forward, else "throttle", "500" or "drop"."""
        with self.lock:
            self.calls[action] += 1
            bucket = self.buckets.get(action)
            if bucket is not None and not bucket.take():
                self.throttled[action] += 1
                return "throttle"
            eligible = self.fault_actions is None or action in self.fault_actions
            if eligible and self.fault_rate and self.random.random() < self.fault_rate:
                kind = self.random.choice(self.fault_kinds)
                self.faults[kind] += 1
                return kind
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto server on {host}:{port} did not start in {timeout} s")


class _Handler(BaseHTTPRequestHandler):
    owner: AwsProxy
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK would add about 40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def _relay(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        action = target.rsplit(".", 1)[-1] if target else self.command
        if owner.latency:
            time.sleep(owner.latency)
        decision = owner.decide(action)
        if decision == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if decision == "throttle":
            self._answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
            return
        if decision == "500":
            self._answer(500, {"__type": "InternalServerError", "message": "injected"})
            return
        connection = http.client.HTTPConnection(*owner.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            connection.close()

    def _answer(self, status: int, document: dict[str, str]) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _relay
