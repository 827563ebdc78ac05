"""A caller without a login learns no local path, user name or configured secret (issue 16).

Every route that answers without a login (``PUBLIC`` and ``OPEN``), with every
verb it takes, is called anonymously on a rig whose replayed capture, log
directory, state directory and log title are all known, after the server has
posted messages naming them (the replay's start and end, the log's file).
No body or header may carry any of them, the OS user name, the admin login,
or anything that looks like a local path. The same routes, logged in, still
show the paths: hiding is for strangers only.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from kismet_tx.http.auth import Access
from tests.hardening.conftest import ROUTES
from tests.hardening.rig import INDUCTION, PASSWORD, USER, basic, build_rig
from tests.hardening.routes import resolve

#: A local path: an absolute path under a usual top directory, or a home path.
LOCAL_PATH = re.compile(
    r"(?<![\w:/.])(?:~/|/(?:tmp|home|root|work|dev|proc|sys|etc|usr|var|opt|srv|mnt|run)/)")
LOG_TITLE = "xq7logtitle"


def test_anonymous_answers_reveal_nothing(tmp_path: Path) -> None:
    rig = build_rig(tmp_path / "rig", f"log_title={LOG_TITLE}\n")
    secrets = {
        "state directory": str(rig.home), "log directory": str(tmp_path / "rig" / "logs"),
        "capture": str(INDUCTION), "capture name": INDUCTION.name, "log title": LOG_TITLE,
        "password": PASSWORD, "OS user": getpass.getuser(), "admin user": f"'{USER}'",
    }
    checked = 0
    problems: list[str] = []
    try:
        messages = rig.get("/messagebus/all_messages.json", headers=basic()).text
        assert str(INDUCTION) in messages, "the logged-in view shows the paths"
        for index, info in enumerate(dict.fromkeys(info for info, _ in ROUTES)):
            if info.access is Access.LOGIN:
                continue
            for method in info.methods:
                route = resolve(tmp_path / f"resolve{index}{method}", info, method)
                reply = rig.request(method, route.url)
                checked += 1
                texts = [reply.text] + [f"{name}: {value}" for name, values in
                                        reply.headers.items() for value in values]
                for text in texts:
                    for what, secret in secrets.items():
                        if secret in text:
                            problems.append(f"{method} {route.url}: {what} in {text[:160]!r}")
                    found = LOCAL_PATH.search(text)
                    if found:
                        start = max(0, found.start() - 60)
                        problems.append(f"{method} {route.url}: local path in "
                                        f"{text[start:found.end() + 60]!r}")
    finally:
        rig.stop()
    print(f"\n{checked} anonymous route/verb answers checked")
    assert checked > 60
    assert not problems, "\n".join(problems[:40])
