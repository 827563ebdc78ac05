"""Every route × every kind of caller × GET, POST, HEAD, OPTIONS (issue 16, Proof).

Callers: none, a wrong password, a forged cookie, an expired cookie, a revoked
API key, and an API key of each role (admin, readonly, datasource,
scanreport, WEBGPS, ADSB). Each route runs on a fresh rig (commands change
state), with the default configuration and with ``httpd_auth_all=true`` (then
public routes need a login too). Expected:

- HEAD, OPTIONS, and a verb the route does not take: 405 with ``Allow``, for
  every caller (the verb is checked before the login, as Kismet does);
- a route that needs a login: 401 for the first five callers; for a role key,
  through (not 401/403, never 5xx) exactly when Kismet's ``match_role`` lets
  the role in (:func:`kismet_tx.http.auth.role_allows` on the route's roles),
  else 401;
- a public or open route: never 401 for a key, and never 5xx.

The whole matrix is printed (``pytest -s``): one line per route and verb.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from kismet_tx.http.auth import Access, role_allows
from tests.hardening.conftest import ROUTES
from tests.hardening.rig import (
    PASSWORD,
    SESSION_TIMEOUT,
    Reply,
    Rig,
    basic,
    build_rig,
    cookie,
    fresh_address,
)
from tests.hardening.routes import resolve, server_error_allowed

ROLES = ("admin", "readonly", "datasource", "scanreport", "WEBGPS", "ADSB")
REFUSED = ("none", "wrong password", "forged cookie", "expired cookie", "revoked key")
METHODS = ("GET", "POST", "HEAD", "OPTIONS")


def key(rig: Rig, name: str, role: str) -> str:
    reply = rig.post("/auth/apikey/generate.cmd",
                     headers={**basic(), "Content-Type": "application/json"},
                     body=json.dumps({"name": name, "role": role}).encode())
    assert reply.code == 200, reply.text
    return reply.text


def callers(rig: Rig) -> dict[str, dict[str, str]]:
    """Every caller's headers, made on this rig."""
    stale = rig.login()
    rig.idle(SESSION_TIMEOUT + 1)
    revoked = key(rig, "revoked", "admin")
    reply = rig.post("/auth/apikey/revoke.cmd",
                     headers={**basic(), "Content-Type": "application/json"},
                     body=b'{"name": "revoked"}')
    assert reply.code == 200, reply.text
    made = {
        "none": {},
        "wrong password": basic(password=PASSWORD + "x"),
        "forged cookie": cookie(secrets.token_hex(16)),
        "expired cookie": cookie(stale),
        "revoked key": cookie(revoked),
    }
    for role in ROLES:
        made[role] = cookie(key(rig, f"key-{role}", role))
    return made


def send(rig: Rig, method: str, url: str, headers: dict[str, str]) -> Reply:
    extra = {"Content-Type": "application/json"} if method == "POST" else {}
    return rig.request(method, url, headers={**headers, **extra},
                       body=b"{}" if method == "POST" else b"", address=fresh_address())


@pytest.mark.parametrize("auth_all", [False, True], ids=["default", "auth_all"])
def test_every_route_every_caller_every_verb(tmp_path: Path, auth_all: bool) -> None:
    infos = list(dict.fromkeys(info for info, _ in ROUTES))
    lines: list[str] = []
    problems: list[str] = []
    header = "route".ljust(62) + " " + " ".join(f"{c[:9]:>9}" for c in (*REFUSED, *ROLES))
    for index, info in enumerate(infos):
        route = resolve(tmp_path / f"resolve{index}", info, info.methods[0])
        rig = build_rig(tmp_path / f"rig{index}", "httpd_auth_all=true\n" if auth_all else "")
        try:
            made = callers(rig)
            for method in METHODS:
                cells = []
                for caller, headers in made.items():
                    reply = send(rig, method, route.url, headers)
                    cells.append(f"{reply.code:>9}")
                    what = f"{method} {route.url} as {caller}: {reply.code} {reply.text[:80]}"
                    if reply.code >= 500 and not server_error_allowed(info, reply.code,
                                                                      reply.text):
                        problems.append(what)
                    elif method not in info.methods:
                        if (auth_all and info.name.startswith("plugin:") and reply.code == 401
                                and method in ("GET", "POST")
                                and not role_allows(caller, info.accepts)):
                            # Plugin routes sit under the generic /plugin/<name>/ mount,
                            # which checks the login (with auth_all) before the plugin
                            # checks the verb.
                            pass
                        elif reply.code != 405 or not reply.header("Allow"):
                            problems.append(what + " (expected 405 with Allow)")
                    elif info.access is Access.LOGIN or (auth_all
                                                         and info.access is Access.PUBLIC):
                        if caller in REFUSED:
                            if reply.code != 401:
                                problems.append(what + " (expected 401)")
                        elif role_allows(caller, info.accepts):
                            if reply.code in (401, 403):
                                problems.append(what + f" (role may use {info.accepts})")
                        elif reply.code != 401:
                            problems.append(what + f" (role may not use {info.accepts})")
                    elif caller in ROLES and reply.code == 401 and info.access is Access.PUBLIC:
                        problems.append(what + " (a public route refused a key)")
                name = f"{method} {info.path}{info.suffix} [{'/'.join(info.accepts)}]"
                lines.append(f"{name[:62]:<62} " + " ".join(cells))
        finally:
            rig.stop()
    print("\n" + header + "\n" + "\n".join(lines))
    print(f"{len(lines)} route/verb rows × {len(REFUSED) + len(ROLES)} callers")
    assert not problems, "\n".join(problems[:60])
