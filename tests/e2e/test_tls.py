"""TLS end to end (``httpd_ssl``): curl and kismet_rest against a self-signed certificate.

The test makes its own certificate for 127.0.0.1 with ``cryptography`` and
starts ``twistd -n kismet`` with ``httpd_ssl=true``; readiness is the server's
"listening on https://..." line.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import REPO, START_TIMEOUT, TWISTD, _wait_for_line
from tests.streams.helpers import INDUCTION, parse_pcapng, read_pcap_frames

USER = "admin"
PASSWORD = "tls-Secret-42"
_LISTENING = re.compile(r"listening on (https://127\.0\.0\.1:\d+)/")


def make_certificate(where: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kismet_tx test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = where / "kismet.pem"
    key_path = where / "kismet.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def twistd(tmp_path: Path, conf: str) -> subprocess.Popen[bytes]:
    (tmp_path / "kismet.conf").write_text(conf)
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [*TWISTD, "-n", "--pidfile=", "kismet", "--port", "0", "--bind", "127.0.0.1",
         "--homedir", str(tmp_path / "home"), "--config", str(tmp_path / "kismet.conf")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)


@dataclass
class TlsServer:
    url: str
    cert: Path
    process: subprocess.Popen[bytes]
    log: list[str]


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[TlsServer]:
    cert, key = make_certificate(tmp_path)
    process = twistd(tmp_path, f"httpd_username={USER}\nhttpd_password={PASSWORD}\n"
                               f"httpd_ssl=true\nhttpd_ssl_cert={cert}\nhttpd_ssl_key={key}\n")
    log: list[str] = []
    try:
        line = _wait_for_line(process, _LISTENING, log, START_TIMEOUT)
        yield TlsServer(_LISTENING.search(line).group(1), cert,  # type: ignore[union-attr]
                        process, log)
    finally:
        process.terminate()
        process.communicate(timeout=START_TIMEOUT)


@pytest.fixture
def tls_server(tls: TlsServer) -> tuple[str, Path]:
    return tls.url, tls.cert


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True,
                          text=True, timeout=30, check=False)


def test_curl_over_tls_logs_in_and_gets_a_secure_cookie(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    answer = curl("-i", "--cacert", str(cert), "-u", f"{USER}:{PASSWORD}",
                  f"{url}/system/status.json")
    assert answer.returncode == 0, answer.stderr
    head, _, body = answer.stdout.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.1 200")
    (cookie,) = [line for line in head.split("\n") if line.lower().startswith("set-cookie:")]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert '"kismet.system.version"' in body
    # Without the certificate curl refuses the server; plain HTTP gets no answer.
    assert curl(f"{url}/system/status.json").returncode != 0
    plain = curl("-i", url.replace("https:", "http:") + "/system/status.json")
    assert "HTTP/1.1 200" not in plain.stdout


def test_kismet_rest_over_tls(tls_server: tuple[str, Path],
                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import kismet_rest

    url, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    connector = kismet_rest.KismetConnector(host_uri=url, username=USER, password=PASSWORD,
                                            sessioncache_path=str(tmp_path / "session"))
    status = connector.system_status()
    assert status["kismet.system.version"]
    assert connector.check_session() is True
    assert connector.define_alert("TLSALERT", "raised over TLS") is True
    assert connector.raise_alert("TLSALERT", "over TLS") is True


def test_a_pcapng_stream_over_tls_is_whole_and_ends_cleanly(tls: TlsServer) -> None:
    """A stream's bytes go through the TLS layer (a plain TCP stream is written
    to its socket directly; the TCP socket under TLS never is): curl gets valid
    pcapng with every frame, and a clean end."""
    auth = ["--cacert", str(tls.cert), "-u", f"{USER}:{PASSWORD}"]
    reader = subprocess.Popen(["curl", "-sS", "-N", "--fail", *auth,
                               f"{tls.url}/pcap/all_packets.pcapng"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    received = bytearray()
    first = threading.Event()

    def drain() -> None:
        assert reader.stdout is not None
        while data := reader.stdout.read1(1 << 16):
            received.extend(data)
            first.set()
        first.set()

    draining = threading.Thread(target=drain, daemon=True)
    draining.start()
    try:
        assert first.wait(START_TIMEOUT) and received, reader.stderr  # the section header
        mark = len(tls.log)
        added = curl(*auth, "--data-urlencode",
                     "json=" + json.dumps({"definition": f"{INDUCTION}:name=tls"}),
                     f"{tls.url}/datasource/add_source.cmd")
        assert added.returncode == 0, added.stderr
        _wait_for_line(tls.process, re.compile("finished replaying"), tls.log, START_TIMEOUT,
                       after=mark)
        listed = curl(*auth, f"{tls.url}/streams/all_streams.json")
        (stream_id,) = [key for key, record in json.loads(listed.stdout).items()
                        if record["kismet.stream.path"] == "httpd"]
        closed = curl(*auth, f"{tls.url}/streams/by-id/{stream_id}/close_stream.cmd")
        assert closed.stdout == "OK\n"
        assert reader.wait(timeout=30) == 0
        draining.join(timeout=30)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    stream = parse_pcapng(bytes(received))
    assert [packet.data for packet in stream.packets] == [
        data for _, _, data, _ in read_pcap_frames(INDUCTION)[1]]


def test_tls_without_a_certificate_is_a_clear_startup_error(tmp_path: Path) -> None:
    process = twistd(tmp_path, "httpd_ssl=true\n")
    out, _ = process.communicate(timeout=START_TIMEOUT)
    assert process.returncode != 0
    assert b"httpd_ssl=true needs httpd_ssl_cert" in out
