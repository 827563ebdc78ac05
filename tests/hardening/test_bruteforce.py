"""1,000 wrong passwords against a real ``twistd -n kismet`` while a real login stays fast.

The guesser connects from 127.0.0.2 (any 127/8 source reaches the server on
127.0.0.1), 50 requests at a time; the real user logs in from 127.0.0.1 again
and again meanwhile, and a client that logged in from 127.0.0.2 before the
guessing keeps using its cookie. Each failure is logged once, with no password.
The one timed bound, a real login answered within 1 s while the guessing goes
on, is the issue's own, and generous: unthrottled, it takes milliseconds.
"""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

from bench.server import Server

GUESSER = "127.0.0.2"
GUESSES = 1000
PARALLEL = 50


async def get(port: int, path: str, headers: dict[str, str], source: str) -> tuple[int, dict]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    fields = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(head[0].split()[1]), fields


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_thousand_wrong_passwords_while_a_real_login_stays_fast(tmp_path: Path) -> None:
    server = Server(tmp_path)
    user, password = server.auth

    async def scenario() -> tuple[list[int], list[float], list[int], str | None]:
        # Logged in from the guesser's address before the guessing starts.
        code, fields = await get(server.port, "/session/check_session",
                                 basic(user, password), GUESSER)
        assert code == 200
        token = fields["set-cookie"].split(";")[0].partition("=")[2]
        limit = asyncio.Semaphore(PARALLEL)
        codes: list[int] = []
        retry_after: list[str | None] = []

        async def guess(index: int) -> None:
            async with limit:
                code, fields = await get(server.port, "/datasource/list_interfaces.json",
                                         basic(user, f"guess-{index:04d}"), GUESSER)
                codes.append(code)
                if code == 429:
                    retry_after.append(fields.get("retry-after"))

        guessing = asyncio.gather(*(guess(i) for i in range(GUESSES)))
        latencies: list[float] = []
        cookie_codes: list[int] = []
        while not guessing.done() or len(latencies) < 5:
            started = time.perf_counter()
            code, _ = await get(server.port, "/session/check_session", basic(user, password),
                                "127.0.0.1")
            assert code == 200
            latencies.append(time.perf_counter() - started)
            code, _ = await get(server.port, "/session/check_session",
                                {"Cookie": f"KISMET={token}"}, GUESSER)
            cookie_codes.append(code)
            await asyncio.sleep(0.05)
        await guessing
        return codes, latencies, cookie_codes, retry_after[-1]

    try:
        codes, latencies, cookie_codes, retry_after = asyncio.run(scenario())
        log = "".join(server.lines)
    finally:
        server.terminate()
    print(f"\n{GUESSES} guesses: {codes.count(401)} x 401, {codes.count(429)} x 429; "
          f"real logins meanwhile: {len(latencies)}, slowest {max(latencies) * 1000:.1f} ms")
    assert codes.count(401) == 10 and codes.count(429) == GUESSES - 10
    assert retry_after is not None and int(retry_after) > 0
    assert set(cookie_codes) == {200}
    assert max(latencies) < 1.0
    assert log.count(f"failed login for user '{user}' from {GUESSER}") == 10
    assert log.count(f"login locked for {GUESSER}") == 1
    assert "guess-0" not in log and password not in log
