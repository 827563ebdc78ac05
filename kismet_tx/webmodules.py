"""The web UI's JavaScript modules, as Kismet's ``kis_httpd_registry`` keeps them.

Each module is a variable name and a path relative to the web root; Kismet's
web UI loads them all through ``/dynamic.js``'s ``load_dynamics()``. The
server registers the modules of the parts it has; plugins add their own.
"""

from __future__ import annotations

import re

#: Modules the server itself provides, as Kismet registers them for the same parts:
#: the 802.11 phy and datasources, and the radiation and ADSB panels (which answer
#: with no such hardware).
SERVER_MODULES = (
    ("kismet_ui_datasources", "js/kismet.ui.datasources.js"),
    ("kismet_ui_dot11", "js/kismet.ui.dot11.js"),
    ("kismet_ui_radiation", "js/kismet.ui.radiation.js"),
    ("kismet_ui_adsb", "js/kismet.ui.adsb.js"),
)

_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_PATH = re.compile(r"[A-Za-z0-9_./-]+\Z")


class JsModuleError(ValueError):
    """A module cannot be registered; the message says why."""


class JsModules:
    """Module name -> path, in name order (Kismet keeps a sorted map)."""

    def __init__(self, modules: tuple[tuple[str, str], ...] = SERVER_MODULES) -> None:
        self._modules: dict[str, str] = {}
        for name, path in modules:
            self.register(name, path)

    def register(self, name: str, path: str) -> None:
        """Add a module; the name must be a JavaScript identifier, the path relative."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise JsModuleError(f"module name {name!r} is not a JavaScript identifier")
        if name in self._modules:
            raise JsModuleError(f"module {name!r} is already registered")
        if not isinstance(path, str) or not path:
            raise JsModuleError(f"module {name!r} has no path")
        if path.startswith("/") or ".." in path.split("/") or not _PATH.match(path):
            raise JsModuleError(f"module {name!r}: {path!r} must be a plain relative path")
        self._modules[name] = path

    def unregister(self, name: str) -> None:
        """Drop a module (a plugin that stops); unknown names are ignored."""
        self._modules.pop(name, None)

    def modules(self) -> list[tuple[str, str]]:
        """Every module, sorted by name."""
        return sorted(self._modules.items())

    def script(self) -> str:
        """``/dynamic.js``, as ``kis_httpd_registry.cc`` writes it."""
        lines = [
            'var local_uri_prefix = "./";',
            "if (typeof(KISMET_URI_PREFIX) !== 'undefined')",
            "local_uri_prefix = KISMET_URI_PREFIX;",
        ]
        modules = self.modules()
        lines += [f"var {name};" for name, _ in modules]
        lines.append("async function load_dynamics() {")
        lines += [f"{name} = await import(`${{local_uri_prefix}}{path}`);"
                  for name, path in modules]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def record(self) -> dict[str, list[dict[str, str]]]:
        """``/dynamic.json``."""
        return {"dynamicjs": [{"module": name, "js": path} for name, path in self.modules()]}
