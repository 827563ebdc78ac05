"""Finding, starting, failing and stopping plugins."""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

from kismet_tx.messagebus import ERROR
from kismet_tx.plugins.manager import TEARDOWN_TIMEOUT

from .conftest import Host

GOOD_DROPIN = '''
from zope.interface import implementer
from kismet_tx.plugins.api import IKismetPlugin

@implementer(IKismetPlugin)
class Dropped:
    name = "dropped"
    description = "found by twisted.plugin"
    version = "0.1"
    author = "tests"

    def setup(self, api):
        api.add_route("ping", lambda request: {"pong": True})

dropped = Dropped()
'''


def test_twisted_plugin_discovery_reports_broken_modules(host: Host, on_path: Path) -> None:
    package = on_path / "kx_dropins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good_kismet.py").write_text(GOOD_DROPIN)
    (package / "broken_kismet.py").write_text("import no_such_module_anywhere\n")
    (package / "unrelated.py").write_text("value = 1\n")
    manager = host.manager(discover=True, package=importlib.import_module("kx_dropins"))
    manager.startService()
    assert [p.name for p in manager.active()] == ["dropped"]
    record = manager.records()[0]
    assert record["kismet.plugin.origin"] == "twisted.plugin"
    assert record["kismet.plugin.shared_object"] == "kx_dropins.good_kismet:Dropped"
    errors = [m.text for m in host.bus.messages() if m.flags & ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("Plugin twisted.plugin module could not be imported: "
                                "ModuleNotFoundError: No module named 'no_such_module_anywhere'")
    assert "broken_kismet.py" in errors[0]


def test_entry_point_discovery(host: Host, on_path: Path) -> None:
    (on_path / "kx_entry.py").write_text(textwrap.dedent('''
        class Entry:
            name = "entry"
            description = "found through an entry point"
            version = "3"
            author = "tests"

            def setup(self, api):
                return None
    '''))
    info = on_path / "kx_entry-3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kx-entry\nVersion: 3\n")
    (info / "entry_points.txt").write_text(
        "[kx.test.plugins]\nentry = kx_entry:Entry\nmissing = kx_entry:Nope\n")
    manager = host.manager(discover=True, package=_empty_package(on_path),
                           group="kx.test.plugins")
    manager.startService()
    assert [p.name for p in manager.active()] == ["entry"]
    assert manager.records()[0]["kismet.plugin.origin"] == "entry point"
    assert any("Plugin entry point kx_entry:Nope (missing) could not be loaded: "
               "AttributeError" in t for t in host.texts())


def _empty_package(root: Path):
    (root / "kx_none").mkdir()
    (root / "kx_none" / "__init__.py").write_text("")
    return importlib.import_module("kx_none")


def test_config_plugins_and_async_setup(host: Host) -> None:
    manager = host.manager("tests.plugins.samples:echo")
    manager.startService()
    assert manager.active() == []  # setup's future resolves after 1 s
    host.clock.advance(1)
    [echo] = manager.active()
    assert echo.record() == {
        "kismet.plugin.name": "echo", "kismet.plugin.description": "echoes requests",
        "kismet.plugin.author": "tests", "kismet.plugin.version": "2.0",
        "kismet.plugin.shared_object": "tests.plugins.samples:echo",
        "kismet.plugin.http_helper": "", "kismet.plugin.dirname": "echo",
        "kismet.plugin.path": "/plugin/echo/", "kismet.plugin.jsmodule": "echo_module",
        "kismet.plugin.origin": "config"}
    assert "Plugin 'echo' 2.0 loaded from config tests.plugins.samples:echo" in host.texts()
    host.packet()
    host.packet()
    assert echo.plugin.packets == 2
    assert host.fields.get("echo.count") is not None


def test_failing_plugins_are_reported_and_undone(host: Host) -> None:
    manager = host.manager(
        "tests.plugins.samples:FailsInSetup", "tests.plugins.samples:FailsLater",
        "tests.plugins.samples:Nameless", "tests.plugins.samples:not_a_plugin",
        "no_such_package.plugin", "tests.plugins.samples:echo")
    manager.startService()
    host.clock.advance(1)
    assert [p.name for p in manager.active()] == ["echo"]
    assert [s.name for s in host.chain.subscribers()] == ["plugin:echo:0"]
    errors = [m.text for m in host.bus.messages() if m.flags & ERROR]
    assert errors[0].startswith("Plugin 'fails-in-setup' (config tests.plugins.samples:"
                                "FailsInSetup) failed to start: RuntimeError: cannot find my "
                                "configuration")
    assert errors[1] == ("Plugin config tests.plugins.samples:Nameless has no valid name "
                         "(letters, digits, '-' and '_'): None")
    assert errors[2] == ("Plugin config tests.plugins.samples:not_a_plugin has no valid name "
                         "(letters, digits, '-' and '_'): None")
    assert errors[3].startswith("Plugin config no_such_package.plugin could not be loaded: "
                                "ModuleNotFoundError: No module named 'no_such_package'")
    assert errors[4].startswith("Plugin 'fails-later' (config tests.plugins.samples:FailsLater) "
                                "failed to start: ValueError: the hardware did not answer")
    assert manager.get("fails-later") is None


def test_duplicate_names(host: Host) -> None:
    manager = host.manager("tests.plugins.samples:echo", "tests.plugins.samples:Echo",
                           "tests.plugins.samples:Alerting")
    manager.startService()
    host.clock.advance(1)
    assert sorted(p.name for p in manager.active()) == ["alerting", "echo"]
    assert not [m for m in host.bus.messages() if m.flags & ERROR]


def test_failing_packet_hooks_are_counted_not_fatal(host: Host) -> None:
    manager = host.manager("tests.plugins.samples:BadHook", "tests.plugins.samples:echo")
    manager.startService()
    host.clock.advance(1)
    host.packet()
    echo = manager.get("echo")
    assert echo.plugin.packets == 1
    assert host.chain.failures["plugin:bad-hook:1"] == 1
    assert manager.get("bad-hook").api.hook_failures == 1
    assert "Plugin 'bad-hook': packet hook failed: KeyError: 'nope'" in host.texts()


def test_alerts_from_plugins(host: Host) -> None:
    manager = host.manager("tests.plugins.samples:Alerting")
    manager.startService()
    plugin = manager.get("alerting").plugin
    assert plugin.fire(None) == {"raised": True}
    [alert] = host.alerts.alerts()
    assert (alert.header, alert.klass, alert.severity) == ("ALERTING_TEST", "SYSTEM", 10)
    assert alert.source_mac == "02:00:00:00:00:01"
    fired = [plugin.fire(None)["raised"] for _ in range(20)]
    assert fired.count(False) > 0  # the default rate limit holds the rest back


def test_stopping_tears_down_and_unsubscribes(host: Host) -> None:
    manager = host.manager("tests.plugins.samples:echo")
    manager.startService()
    host.clock.advance(1)
    echo = manager.get("echo").plugin
    done = manager.stopService()
    results: list = []
    done.addBoth(results.append)
    assert results and echo.torn_down
    assert host.chain.subscribers() == []
    assert manager.records() == []


def test_a_teardown_that_never_ends_is_cut_short(host: Host) -> None:
    manager = host.manager("tests.plugins.samples:SlowTeardown")
    manager.startService()
    done = manager.stopService()
    results: list = []
    done.addBoth(results.append)
    assert results == []
    host.clock.advance(TEARDOWN_TIMEOUT)
    assert results == [None]
    assert host.texts()[-1] == "Plugins did not tear down within 2 s; stopping anyway"
