"""``twistd kismet``: command-line options and ``makeService``; the only argv reader."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from twisted.python import usage

from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.gcsteward import CollectorSteward
from kismet_tx.messagebus import ERROR, INFO
from kismet_tx.service import KNOWN_KEYS, KismetService, build_service

#: Seconds a SIGTERM shutdown may take before the process exits regardless.
SHUTDOWN_GRACE = 4.5
#: Seconds past the grace after which a thread ends the process whatever the reactor does.
BACKSTOP_EXTRA = 0.4


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
        usage.Options.__init__(self)
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


def reload_config(service: KismetService, options: Options) -> None:
    """Re-read the config file and apply it (what SIGHUP does)."""
    where = options["config"] or "<defaults>"
    service.bus.post(f"Reloading the configuration from {where}", INFO)
    try:
        config, _ = load_config(options)
    except usage.UsageError as exc:
        service.bus.post(f"Configuration not reloaded: {exc}", ERROR)
        return
    service.reload(config)


def install_signals(service: KismetService, options: Options, reactor: Any) -> None:
    """SIGHUP reloads the config; SIGTERM shuts down cleanly and exits 0.

    Twisted's own SIGTERM handler makes twistd die by the signal once stopped
    (exit status -15); this one stops the reactor the same way, so the
    services close sources, streams and logs, and then twistd exits 0. A
    shutdown that takes more than :data:`SHUTDOWN_GRACE` seconds is cut short
    (exit status 1) so the process is gone within 5 s.
    """

    def on_hup(signum: int, frame: Any) -> None:
        reactor.callFromThread(reload_config, service, options)

    def on_term(signum: int, frame: Any) -> None:
        reactor.callFromThread(shut_down)

    def shut_down() -> None:
        if not reactor.running:
            return
        service.bus.post("Received SIGTERM: closing sources, streams and logs", INFO)
        reactor.callLater(SHUTDOWN_GRACE, overdue)
        # The backstop: even with the reactor thread stuck (say in a write to a
        # full stdout pipe nobody reads), the process is gone soon after the grace.
        backstop = threading.Timer(SHUTDOWN_GRACE + BACKSTOP_EXTRA, os._exit, (1,))
        backstop.daemon = True
        backstop.start()
        reactor.stop()

    def overdue() -> None:
        service.bus.post(f"Shutdown still not done after {SHUTDOWN_GRACE:g} s; exiting now",
                         ERROR)
        sys.stdout.flush()
        os._exit(1)

    signal.signal(signal.SIGHUP, on_hup)
    reactor.callWhenRunning(signal.signal, signal.SIGTERM, on_term)


def makeService(options: Options, reactor: Any = None) -> KismetService:
    """Build the server from parsed options.

    Run by twistd (no ``reactor`` given), it also makes SIGHUP reload the config and
    adds the process's garbage-collector steward (:mod:`kismet_tx.gcsteward`), which
    keeps collector pauses short at any number of devices.
    """
    real = reactor is None
    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    config, homedir = load_config(options)
    try:
        service = build_service(config, homedir, reactor, options["sources"])
    except ConfigError as exc:
        raise usage.UsageError(f"config: {exc}") from None
    if real:
        install_signals(service, options, reactor)
        CollectorSteward(reactor).setServiceParent(service)
    return service
