"""Loopback HTTP server base shared by the Lockme and Google fakes, which consults their
fault plan (``faults``) before every request.

The fakes run as real HTTP servers (not mocks) so that the code under test, including
worker processes started by the tests, goes through its real HTTP stack: timeouts,
connection errors and retries behave as they would against the real services.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote_to_bytes

from werkzeug.wrappers import Request, Response

from worker.sandbox.faults import FaultRule, Faults

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Serialise ``payload`` the way both real APIs do: UTF-8 JSON with an explicit charset."""
    return Response(
        json.dumps(payload), status=status, headers=headers, content_type=JSON_CONTENT_TYPE
    )


class _DropConnection(ConnectionAbortedError):
    """Raised after the socket was shut down: the handler then writes nothing back."""


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """Serves a WSGI app over HTTP/1.1 with keep-alive, one thread per connection.

    Lockme's and Google's servers keep connections open, so clients must be able to reuse
    them here as they would there. Werkzeug's development server closes every connection
    (it drains whatever follows a request, which would swallow the next one), so every
    call paid for a new TCP connection and a new server thread, and the worker looked
    slower than it is. Request bodies are read in full by their ``Content-Length`` (or
    chunks) before the app runs, so the connection is always ready for the next request.
    """

    protocol_version = "HTTP/1.1"
    # Buffered, so that status, headers and body leave in one write as a real server's do:
    # two small writes on a kept-alive connection meet the client's delayed ACK (Nagle's
    # algorithm), which stalled each call by 40 ms.
    wbufsize = -1
    server: _FakeHTTPServer

    def handle(self) -> None:
        self.server.live_connections.add(self.connection)
        try:
            super().handle()
        except OSError:  # the client went away mid-request (its timeout, or a drop fault)
            pass
        finally:
            self.server.live_connections.discard(self.connection)

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        arrived = time.monotonic()
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            self.wfile.flush()  # the error page send_error wrote
            return
        response: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            response.update(status=status, headers=headers)

        environ = self._environ(arrived)
        try:
            body = b"".join(self.server.app(environ, start_response))
        except _DropConnection:
            self.close_connection = True
            return
        # The whole answer is rendered first and leaves at ``answer_at``: the latency is
        # the server's time to answer, not that plus this fake's own rendering.
        wire, self.wfile = self.wfile, io.BytesIO()
        try:
            code, _, reason = response["status"].partition(" ")
            self.send_response(int(code), reason)
            for name, value in response["headers"]:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            if int(code) not in (204, 304):  # these carry no body, nor its length (RFC 9110)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            rendered = self.wfile.getvalue()
        finally:
            self.wfile = wire
        self.server.stopping.wait(max(0.0, environ["fakes.answer_at"] - time.monotonic()))
        self.wfile.write(rendered)
        self.wfile.flush()

    def _environ(self, arrived: float) -> dict[str, Any]:
        """The WSGI environ, plus the socket (for drop faults), the monotonic time the
        request line arrived (latency counts from there, as a real server's would) and the
        time to send the answer at, which the app moves on by the latency."""
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(self._body()),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fakes.socket": self.connection,
            "fakes.arrived": arrived,
            "fakes.answer_at": arrived,
        }
        environ["CONTENT_LENGTH"] = str(len(environ["wsgi.input"].getvalue()))
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Only errors are printed (``log_error``); a line per request is noise in tests."""


class _FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: Any, stopping: threading.Event) -> None:
        super().__init__(("127.0.0.1", 0), _KeepAliveHandler)
        self.app = app
        self.stopping = stopping
        self.live_connections: set[socket.socket] = set()


class FakeServer:
    """A WSGI fake served on 127.0.0.1 in a daemon thread, with faults and a request log.

    Subclasses implement :meth:`dispatch` and :meth:`default_error_body`.
    """

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults if faults is not None else Faults()
        self._log_lock = threading.Lock()
        self._requests: list[tuple[str, str, int]] = []
        self._server: _FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> Self:
        """Bind an ephemeral loopback port and serve until :meth:`stop`."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _FakeHTTPServer(self._wsgi, self._stopping)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by ``timeout`` faults are released."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        # Kept-alive connections outlive the listener; end them as a stopped server would.
        for conn in list(self._server.live_connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def latency(self) -> float:
        """Shortcut for ``faults.latency``."""
        return self.faults.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.faults.latency = value

    # -- request log ---------------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """Snapshot of ``(method, path, status)`` for every request served so far.

        ``path`` is percent-decoded and has no query string. A request dropped by
        ``drop_after_apply`` is logged with the status it would have had; one applied and
        then answered with an error status is logged with that status.
        """
        with self._log_lock:
            return list(self._requests)

    def count(self, method: str | None, path_regex: str) -> int:
        """Number of logged requests with this method (``None`` = any) and a matching path."""
        pattern = re.compile(path_regex)
        return sum(
            1
            for m, p, _ in self.requests
            if (method is None or m == method.upper()) and pattern.search(p)
        )

    def status_counts(self) -> Counter[int]:
        """How many responses of each status were produced, for quick chaos summaries."""
        return Counter(status for _, _, status in self.requests)

    def clear_requests(self) -> None:
        """Forget the request log, e.g. between the phases of one test."""
        with self._log_lock:
            self._requests.clear()

    def _record(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self._requests.append((method, path, status))

    # -- subclass hooks ------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Handle one request against the fake's state."""
        raise NotImplementedError

    def default_error_body(self, status: int, path: str) -> Any:
        """Error body in the real service's format, used when a fault gives no body."""
        return {"message": f"HTTP {status}"}

    # -- WSGI plumbing -------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        """Sleep that ends early when the server stops, so ``stop()`` never hangs."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        answer_at = environ["fakes.arrived"] + self.faults.latency
        request = Request(environ)
        method = request.method.upper()
        path = request.path
        rule = self.faults.pick(method, path)
        if rule is not None:
            self._sleep(rule.delay)
            if rule.timeout and not rule.drop_after_apply:
                self._sleep(self.faults.timeout_seconds)
                if rule.status is None:
                    self._record(method, path, 0)
                    self._drop(environ)
            if rule.status is not None and not rule.drop_after_apply:
                return self._fault_answer(rule, request, start_response, answer_at)
        response = self._safe_dispatch(request)
        if rule is not None and rule.drop_after_apply and rule.status is not None:
            return self._fault_answer(rule, request, start_response, answer_at)
        self._record(method, path, response.status_code)
        if rule is not None and rule.drop_after_apply:
            self._sleep(answer_at - time.monotonic())
            if rule.timeout:
                self._sleep(self.faults.timeout_seconds)
            self._drop(environ)
        environ["fakes.answer_at"] = answer_at
        return response(environ, start_response)

    def _fault_answer(
        self, rule: FaultRule, request: Request, start_response: Any, answer_at: float
    ) -> Any:
        """Answer with the rule's error status, body (or the service's default) and headers."""
        assert rule.status is not None
        environ, path = request.environ, request.path
        body = rule.body if rule.body is not None else self.default_error_body(rule.status, path)
        response = json_response(body, rule.status, headers=rule.headers)
        self._record(request.method.upper(), path, rule.status)
        environ["fakes.answer_at"] = answer_at
        return response(environ, start_response)

    def _safe_dispatch(self, request: Request) -> Response:
        try:
            return self.dispatch(request)
        except Exception as exc:  # a bug in a fake must show up as a 500, not a hang
            traceback.print_exc()
            body = self.default_error_body(500, request.path)
            if isinstance(body, dict) and "message" in body:
                body = {**body, "message": f"{body['message']} ({exc!r})"}
            return json_response(body, 500)

    @staticmethod
    def _drop(environ: dict[str, Any]) -> None:
        """Close the client's connection without sending a status line.

        The client reads EOF where it expects a response (``RemoteDisconnected``), which
        ``requests`` reports as ``ConnectionError`` and httplib2 as an ``HTTPException`` /
        ``OSError``. The exception raised here is a ``ConnectionError`` subclass, which
        the handler takes as a dropped connection, so it writes nothing back.
        """
        sock: socket.socket = environ["fakes.socket"]
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
            sock.shutdown(socket.SHUT_RDWR)
        raise _DropConnection("fault injection: connection dropped")


def utc_now_rfc3339() -> str:
    """Current time in Google's timestamp format (UTC, milliseconds, ``Z``)."""
    now = time.time()
    millis = int((now - int(now)) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{millis:03d}Z"
