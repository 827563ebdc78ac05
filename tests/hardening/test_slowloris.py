"""2,000 slowloris sockets and a 100 MB body against a real ``twistd -n kismet`` (issue 16).

The sockets come from 127.0.0.1, half of them after part of a request line;
the server keeps ``httpd_max_connections_per_address`` (128) of them and
closes the rest at once, so a client from 127.0.0.2 is answered meanwhile,
within 1 s (the issue's bound: unhindered it takes milliseconds). The test
process raises its own open-file limit for the 2,000 sockets if it must.
The 100 MB bodies (declared, then chunked) are refused with 413 long before
they are sent, and the server answers normally afterwards.
"""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path

import orjson

from bench.bench_load import request
from bench.server import Server
from tests.streams.helpers import decode_chunked

SOCKETS = 2000
CAP = 128
HUNDRED_MB = 100 * 1024 * 1024


def raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


async def answer_from(port: int, source: str, path: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                     .encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body, time.perf_counter() - started


def test_two_thousand_idle_sockets_do_not_starve_a_real_client(tmp_path: Path) -> None:
    raise_fd_limit(SOCKETS + 512)
    server = Server(tmp_path)

    async def scenario() -> tuple[int, list[float], int]:
        held = []
        for index in range(SOCKETS):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            except OSError:
                continue
            if index % 2:
                writer.write(b"GET /system/status.json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append((reader, writer))
        latencies = []
        for _ in range(10):
            code, body, seconds = await answer_from(server.port, "127.0.0.2",
                                                    "/system/status.json")
            payload, ended = decode_chunked(body)
            assert code == 200 and ended
            assert "kismet.system.timestamp.sec" in orjson.loads(payload)
            latencies.append(seconds)

        async def closed(reader: asyncio.StreamReader) -> bool:
            try:
                return await asyncio.wait_for(reader.read(1), 5) == b""
            except ConnectionError:
                return True  # closed with a reset (it had sent part of a request)
            except TimeoutError:
                return False

        results = await asyncio.gather(*(closed(reader) for reader, _ in held[CAP + 50:]))
        for _, writer in held:
            writer.close()
        return len(held), latencies, sum(results)

    try:
        opened, latencies, closed_at_once = asyncio.run(scenario())
        refused_line = server.wait_for(r"refusing connections from 127\.0\.0\.1")
    finally:
        server.terminate()
    print(f"\n{opened} slowloris sockets; a client from 127.0.0.2 answered in at most "
          f"{max(latencies) * 1000:.1f} ms; the server closed the excess at once")
    assert opened >= SOCKETS - 10
    assert closed_at_once == opened - CAP - 50, "the excess sockets were not closed"
    assert max(latencies) < 1.0
    assert "127.0.0.1" in refused_line


def test_a_100_mb_body_is_refused_before_it_is_sent(tmp_path: Path) -> None:
    server = Server(tmp_path)

    async def declared() -> tuple[bytes, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /system/status.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % HUNDRED_MB)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return answer, 0

    async def chunked() -> tuple[bytes, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /system/status.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        received = bytearray()

        async def read_all() -> None:
            try:
                while data := await reader.read(65536):
                    received.extend(data)
            except ConnectionError:
                pass

        reading = asyncio.create_task(read_all())
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        sent = 0
        try:
            while sent < HUNDRED_MB and not reading.done():
                writer.write(chunk)
                await writer.drain()
                # drain() does not yield while the socket takes everything; let
                # the reader see the 413 and the server's end of stream.
                await asyncio.sleep(0)
                sent += 65536
        except ConnectionError:
            pass
        await reading
        writer.close()
        return bytes(received), sent

    try:
        first, _ = asyncio.run(declared())
        second, sent = asyncio.run(chunked())
        after = asyncio.run(request(server.port, "GET", "/system/status.json"))
    finally:
        server.terminate()
    print(f"\nchunked 100 MB body: refused after {sent / 1e6:.1f} MB were sent")
    assert first.startswith(b"HTTP/1.1 413 ")
    assert second.startswith(b"HTTP/1.1 413 ")
    assert sent < HUNDRED_MB // 4
    assert after.status == 200
