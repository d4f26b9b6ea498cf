"""A real SMS gateway for the tests: a local HTTP server in a thread.

It checks the bearer token, records every request, keeps one message per ``Idempotency-Key``
(what the person's phone shows) and can be told to fail: ``"error"`` answers 500 without
taking the message, ``"drop"`` takes the message and then closes the connection without an
answer (the sender sees a failure after the gateway processed it), ``slow`` delays each answer.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-sms-token"


@dataclass
class Request:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Gateway:
    url: str = ""
    mode: str = "ok"  # ok | error | drop
    delay: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0  # requests being handled at one moment, at most
    requests: list[Request] = field(default_factory=list)
    # What reached the phones: one message per idempotency key.
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.mode, self.delay = "ok", 0.0
            self.in_flight = self.most_in_flight = 0
            self.requests.clear()
            self.delivered.clear()

    def requests_for(self, key_part: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if key_part in r.headers.get("idempotency-key", "")]

    def delivered_for(self, key_part: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for key, body in self.delivered.items() if key_part in key]

    def request_counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r.headers.get("idempotency-key", "") for r in self.requests)


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            with gateway.lock:
                gateway.in_flight += 1
                gateway.most_in_flight = max(gateway.most_in_flight, gateway.in_flight)
            try:
                self._handle()
            finally:
                with gateway.lock:
                    gateway.in_flight -= 1

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {name.lower(): value for name, value in self.headers.items()}
            with gateway.lock:
                gateway.requests.append(Request(headers, body))
                mode, delay = gateway.mode, gateway.delay
            if headers.get("authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"error": "bad token"})
                return
            if mode == "error":
                self._answer(500, {"error": "gateway down"})
                return
            key = headers.get("idempotency-key", "")
            with gateway.lock:
                duplicate = key in gateway.delivered
                gateway.delivered.setdefault(key, body)
            if delay:
                time.sleep(delay)
            if mode == "drop":  # processed, but the sender never hears so
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self._answer(200, {"ok": True, "duplicate": duplicate})

    return Handler


def start() -> tuple[Gateway, ThreadingHTTPServer]:
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return gateway, server
