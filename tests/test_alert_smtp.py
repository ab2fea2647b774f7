"""Alert e-mail never sends the SMTP login in clear text."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest

from worker.config import Settings
from worker.ops.alert import Alert
from worker.ops.alerts import InsecureSMTP, send_email


class PlainSMTP(socketserver.StreamRequestHandler):
    """A server that speaks SMTP without STARTTLS (as a downgrading middlebox would) and
    would accept any login; it records every command it is sent."""

    commands: list[str]

    def handle(self) -> None:
        self.wfile.write(b"220 plain.example ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip()
            self.server.commands.append(command)  # type: ignore[attr-defined]
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-plain.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
            elif verb == "AUTH":
                self.wfile.write(b"235 2.7.0 Authentication successful\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def plain_smtp() -> Iterator[socketserver.TCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), PlainSMTP)
    server.daemon_threads = True
    server.commands = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


ALERT = Alert("google_disconnected", "Google is disconnected")


def _settings(server: socketserver.TCPServer, credentials: str) -> Settings:
    port = server.server_address[1]
    return Settings(
        alert_smtp_url=f"smtp://{credentials}127.0.0.1:{port}", alert_email_to="staff@example.com"
    )


def test_login_is_refused_without_starttls(plain_smtp: socketserver.TCPServer) -> None:
    with pytest.raises(InsecureSMTP, match="no STARTTLS"):
        send_email(_settings(plain_smtp, "alerts%40venue.example:s3cret@"), ALERT)
    sent = " ".join(plain_smtp.commands)  # type: ignore[attr-defined]
    assert "AUTH" not in sent and "s3cret" not in sent and "DATA" not in sent


def test_an_unauthenticated_relay_still_gets_the_alert(plain_smtp: socketserver.TCPServer) -> None:
    send_email(_settings(plain_smtp, ""), ALERT)
    verbs = [c.split(" ", 1)[0].upper() for c in plain_smtp.commands]  # type: ignore[attr-defined]
    assert "DATA" in verbs and "AUTH" not in verbs
