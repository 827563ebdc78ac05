"""``twistd kismet``: command-line options and ``makeService``; the only argv reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.python import usage

from kismet_tx.config import Config, ConfigError
from kismet_tx.service import KNOWN_KEYS, KismetService, build_service


class Options(usage.Options):
    """Options of ``twistd -n kismet``."""

    synopsis = "[--config FILE] [-c SOURCE]... [--port N] [--bind ADDR] [--homedir DIR]"
    optParameters = [
        ["config", "f", None, "kismet.conf-format config file"],
        ["port", "p", None, "HTTP port (config httpd_port, default 2501)"],
        ["bind", "b", None, "HTTP bind address (config httpd_bind_address, default 127.0.0.1)"],
        ["homedir", None, "~/.kismet", "state directory (kismet_httpd.conf, sessions)"],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["sources"] = []

    def opt_c(self, definition: str) -> None:
        """Add a data source, in Kismet's syntax (name:opt=val,...); may repeat."""
        self["sources"].append(definition)

    opt_source = opt_c

    def postOptions(self) -> None:
        port = self["port"]
        if port is not None:
            if not port.isdigit() or not 0 <= int(port) <= 65535:
                raise usage.UsageError(f"--port must be 0..65535, got {port!r}")


def load_config(options: Options) -> tuple[Config, Path]:
    """Read the config file (if any) and apply command-line overrides."""
    homedir = Path(options["homedir"]).expanduser()
    home = str(Path.home())
    try:
        if options["config"]:
            config = Config.load(options["config"], home=home, known_keys=KNOWN_KEYS)
        else:
            config = Config.from_text("", name="<defaults>", home=home, known_keys=KNOWN_KEYS)
    except (ConfigError, OSError) as exc:
        raise usage.UsageError(f"config: {exc}") from None
    if options["port"] is not None:
        config.set("httpd_port", options["port"])
    if options["bind"] is not None:
        config.set("httpd_bind_address", options["bind"])
    return config, homedir


def makeService(options: Options, reactor: Any = None) -> KismetService:
    """Build the server from parsed options."""
    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    config, homedir = load_config(options)
    try:
        return build_service(config, homedir, reactor, options["sources"])
    except ConfigError as exc:
        raise usage.UsageError(f"config: {exc}") from None
