"""A real moto HTTP server on 127.0.0.1 with a fault-injecting WSGI middleware in front.

Faults are queued per API action (matched on the ``X-Amz-Target`` header, as AWS's JSON
protocols name the action there) and consumed one per request: a 400 ``ThrottlingException``
or ``TooManyUpdates`` shaped like AWS's, a 500, or a dropped connection.  Every request is
counted per action, so tests can assert how many calls a command made.
"""

from __future__ import annotations

import collections
import io
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests
from moto.server import (  # type: ignore[attr-defined]
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

THROTTLE = "throttle"


def error(code: str, message: str | None = None) -> str:
    """A fault answering 400 with the AWS error ``code`` (and AWS's ``message``, if given)."""
    return f"error:{code}" if message is None else f"error:{code}\n{message}"


TOO_MANY_UPDATES = "too_many_updates"
SERVER_ERROR = "500"
DROP = "drop"
DROP_AFTER = "drop_after"  # moto handles the request, then the answer is lost


class FaultInjector:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.faults: dict[str, collections.deque[str]] = collections.defaultdict(collections.deque)
        self.calls: collections.Counter[str] = collections.Counter()
        self.hooks: dict[str, Callable[[], None]] = {}
        self.watchers: dict[str, Callable[[int, bytes], str | dict[str, Any] | None]] = {}
        self.watched_from: dict[str, int] = {}
        self.answers: dict[str, collections.deque[dict[str, Any]]] = collections.defaultdict(
            collections.deque
        )
        # The access key id each request was signed with (from its Authorization header).
        self.access_keys: list[str] = []

    def inject(self, action: str, *faults: str) -> None:
        with self.lock:
            self.faults[action].extend(faults)

    def before(self, action: str, hook: Callable[[], None]) -> None:
        """Run ``hook`` once, just before the next ``action`` request reaches moto."""
        self.hooks[action] = hook

    def answer(self, action: str, document: dict[str, Any]) -> None:
        """Answer the next ``action`` request with ``document`` (200, JSON), as AWS would where
        moto cannot (a recorded response)."""
        with self.lock:
            self.answers[action].append(document)

    def watch(self, action: str, hook: Callable[[int, bytes], str | dict[str, Any] | None]) -> None:
        """Run ``hook(n, body)`` before every ``action`` request reaches moto (n counts from 1).

        The hook runs in the server's thread for that request, so it can hold the request
        open (block on an event) to make a race or an interrupt happen at an exact point; if it
        returns a fault (``error(...)``, ``DROP_AFTER``, ...), that request gets it; if it
        returns a document, that is the answer (200) and moto never sees the request.
        """
        with self.lock:
            self.watchers[action] = hook
            self.watched_from[action] = self.calls[action]

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.calls.clear()
            self.hooks.clear()
            self.watchers.clear()
            self.watched_from.clear()
            self.answers.clear()
            self.access_keys.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        action = target.rsplit(".", 1)[-1] if target else ""
        with self.lock:
            self.calls[action] += 1
            count = self.calls[action]
            queue = self.faults.get(action)
            fault = queue.popleft() if queue else None
            hook = self.hooks.pop(action, None)
            watcher = self.watchers.get(action)
            count -= self.watched_from.get(action, 0)
            answers = self.answers.get(action)
            answer = answers.popleft() if answers else None
            credential = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
            if credential:
                self.access_keys.append(credential.group(1))
        if hook is not None:
            hook()
        if watcher is not None:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            said = watcher(count, body)
            if isinstance(said, dict):
                answer = said  # a whole answer for this request, as AWS would give it
            elif said:
                fault = said
        if answer is not None:
            body = json.dumps(answer).encode()
            start_response(
                "200 OK",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if fault == DROP_AFTER:
            # moto does the work; then the connection closes before the answer goes out.
            list(self.app(environ, lambda status, headers, exc_info=None: None))
            sock_after: socket.socket | None = environ.get("werkzeug.socket")
            if sock_after is not None:
                sock_after.shutdown(socket.SHUT_RDWR)
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        if fault == DROP:
            # Read the request, then close the socket without answering.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            environ["wsgi.input"].read(length)
            sock: socket.socket | None = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        if fault is not None and fault.startswith("error:"):
            # "error:CODE[\nMESSAGE]": a 400 answer with that AWS error code and message.
            code, _, message = fault[6:].partition("\n")
            body = json.dumps({"__type": code, "message": message or f"injected {code}"}).encode()
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if fault in (THROTTLE, TOO_MANY_UPDATES):
            code = "ThrottlingException" if fault == THROTTLE else "TooManyUpdates"
            body = json.dumps({"__type": code, "message": "Rate exceeded"}).encode()
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if fault == SERVER_ERROR:
            body = json.dumps({"__type": "InternalServerError", "message": "injected"}).encode()
            start_response(
                "500 Internal Server Error",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        return self.app(environ, start_response)


class MotoServer:
    """moto behind a :class:`FaultInjector`, served on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        self.injector = FaultInjector(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self.injector, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Clear every moto backend and every queued fault and counter."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        self.injector.reset()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server
