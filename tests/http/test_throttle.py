"""Failed logins are slowed per client address, then locked out with 429 (issue 16, Brute force).

Driven in memory on a Clock: a delayed refusal is answered only once the
clock reaches its delay. The end-to-end run with 1,000 wrong passwords is
``tests/hardening/test_bruteforce.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.address import IPv4Address

from kismet_tx.http.throttle import BASE_DELAY, FREE_FAILURES, MAX_DELAY, LoginThrottle
from tests.hardening.rig import LogCapture

from .conftest import PASSWORD, Server, basic, fired
from .test_auth import AdminArea, cookie


@pytest.fixture
def server(make_server: Any) -> Server:
    built = make_server(extra_areas=[AdminArea])
    built.auth.throttle = LoginThrottle(built.clock, lockout_after=10, lockout=300)
    return built


def attempt(server: Server, password: str, address: str = "198.51.100.7") -> tuple[Any, float]:
    """A wrong or right Basic login from ``address``; ``(reply, seconds it waited)``."""
    answers: list[Any] = []
    with _from(address):
        pending = server.send("GET", "/probe/config.json", headers=basic(password=password))
        pending.addBoth(answers.append)
        server.pump()
    waited = 0.0
    while not answers:
        server.clock.advance(0.125)
        waited += 0.125
        server.pump()
        assert waited < 60, "never answered"
    response = answers[0]
    body = response.content()
    server.pump()
    return (response, fired(body)), waited


class _from:
    """Make StubTreq's requests come from ``address``."""

    def __init__(self, address: str) -> None:
        self.address = address

    def __enter__(self) -> None:
        from twisted.web import server as web_server

        self.original = web_server.Request.getClientAddress
        address = self.address
        web_server.Request.getClientAddress = lambda self: IPv4Address("TCP", address, 4242)

    def __exit__(self, *exc: object) -> None:
        from twisted.web import server as web_server

        web_server.Request.getClientAddress = self.original


def test_refusals_slow_down_exponentially_then_lock_out(server: Server) -> None:
    waits = []
    for index in range(10):
        (response, _), waited = attempt(server, f"guess-{index}")
        assert response.code == 401
        waits.append(waited)
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    expected = [min(MAX_DELAY, BASE_DELAY * 2 ** n) for n in range(10 - FREE_FAILURES - 1)]
    assert waits[FREE_FAILURES:-1] == pytest.approx(expected, abs=0.125)
    # The tenth failure locked the address: it is refused at once, unchecked,
    # even with the right password.
    (locked, body), waited = attempt(server, PASSWORD)
    assert locked.code == 429 and waited == 0.0
    assert int(locked.headers.getRawHeaders(b"Retry-After")[0]) == 300
    assert b"Too many failed logins" in body
    # Another address is untouched, and so is a client already logged in.
    (other, _), waited = attempt(server, PASSWORD, address="198.51.100.8")
    assert other.code == 200 and waited == 0.0
    token = other.cookies()["KISMET"]
    with _from("198.51.100.7"):
        assert server.get("/probe/config.json", headers=cookie(token)).code == 200
    server.clock.advance(300)
    (again, _), _ = attempt(server, PASSWORD)
    assert again.code == 200


def test_a_good_login_clears_the_count(server: Server) -> None:
    for index in range(FREE_FAILURES + 2):
        attempt(server, f"guess-{index}")
    (good, _), _ = attempt(server, PASSWORD)
    assert good.code == 200
    (wrong, _), waited = attempt(server, "guess-again")
    assert wrong.code == 401 and waited == 0.0


def test_each_failure_is_logged_once_without_the_password(server: Server) -> None:
    with LogCapture() as logs:
        for index in range(12):
            attempt(server, f"secret-guess-{index}")
        with _from("198.51.100.7"):
            server.get("/session/check_login", headers=basic(password="secret-guess-x"))
    text = "\n".join(logs.lines)
    assert text.count("failed login for user 'admin' from 198.51.100.7") == 10
    assert text.count("login locked for 198.51.100.7") == 1
    assert "secret-guess" not in text
    assert server.auth.throttle.refused == 3


def test_a_check_login_failure_counts_once(server: Server) -> None:
    with _from("198.51.100.9"):
        reply = server.get("/session/check_login", headers=basic(password="nope"))
    assert reply.code == 403
    assert server.auth.throttle.failures == 1
