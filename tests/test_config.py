"""Tests for kismet_tx.config: the kismet.conf reader and source definitions."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kismet_tx import configfile as config_module
from kismet_tx.config import COMMAND_LINE, Config, decimal_number
from kismet_tx.configfile import ConfigError
from kismet_tx.sourcedefinition import SourceDefinitionError, parse_source_definition


def _denied(path: str, *args: object, **kwargs: object) -> NoReturn:
    """Stand-in for ``open`` that fails as an unreadable file would."""
    raise PermissionError(errno.EACCES, "Permission denied", path)


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (creating parents) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- basic syntax -------------------------------------------------------------


def test_basic_values_and_whitespace() -> None:
    cfg = Config.from_text("  server_name = Kismet  \n\tlog_prefix=/tmp/logs\t\n")
    assert cfg.get("server_name") == "Kismet"
    assert cfg.get("log_prefix") == "/tmp/logs"
    assert cfg.keys() == ["server_name", "log_prefix"]


def test_comments_and_blank_lines() -> None:
    text = "# comment\n\n   # indented comment\n\t\nkey=value\n"
    cfg = Config.from_text(text)
    assert cfg.keys() == ["key"]
    assert cfg.origin("key") == "<string>:5"


def test_hash_inside_value_is_kept() -> None:
    cfg = Config.from_text("server_description=room #4 # not a comment\n")
    assert cfg.get("server_description") == "room #4 # not a comment"


def test_keys_are_case_insensitive() -> None:
    cfg = Config.from_text("Server_Name=A\nSERVER_NAME=B\n")
    assert cfg.keys() == ["server_name"]
    assert cfg.get_list("server_name") == ["A", "B"]
    assert cfg.get("SeRvEr_NaMe") == "A"
    assert "SERVER_NAME" in cfg
    assert "other" not in cfg
    assert 3 not in cfg


def test_value_may_contain_equals_and_quotes_are_kept() -> None:
    cfg = Config.from_text('source=wlan0:name=foo,channels="1,6,11"\n')
    assert cfg.get("source") == 'wlan0:name=foo,channels="1,6,11"'


def test_crlf_line_endings() -> None:
    cfg = Config.from_text("a=1\r\nb=2\r\n")
    assert cfg.get("a") == "1"
    assert cfg.get("b") == "2"
    assert cfg.origin("b") == "<string>:2"


def test_repeated_keys_accumulate_and_get_returns_first() -> None:
    cfg = Config.from_text("source=wlan0\nalert=A\nsource=wlan1\nsource=wlan2\n")
    assert cfg.get_list("source") == ["wlan0", "wlan1", "wlan2"]
    assert cfg.get("source") == "wlan0"
    assert cfg.origin("source") == "<string>:1"
    assert cfg.get_list("alert") == ["A"]


def test_missing_key_defaults() -> None:
    cfg = Config.from_text("")
    assert cfg.get("nope") is None
    assert cfg.get("nope", "dflt") == "dflt"
    assert cfg.get_list("nope") == []
    assert cfg.origin("nope") is None
    assert cfg.keys() == []
    assert cfg.warnings == []


def test_plus_equals_in_base_file_accumulates() -> None:
    cfg = Config.from_text("source=a\nsource+=b\nsource +=c\n")
    assert cfg.get_list("source") == ["a", "b", "c"]


def test_empty_value_is_ignored_with_warning() -> None:
    cfg = Config.from_text("a=1\na=\nb =  \n", name="kismet.conf")
    assert cfg.get_list("a") == ["1"]
    assert "b" not in cfg
    assert cfg.warnings == [
        "kismet.conf:2: empty value for 'a' ignored",
        "kismet.conf:3: empty value for 'b' ignored",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("foo", "kismet.conf:3: expected key=value, got 'foo'"),
        ("=value", "kismet.conf:3: empty key in '=value'"),
        ("  = value", "kismet.conf:3: empty key in '= value'"),
        ("+=value", "kismet.conf:3: empty key in '+=value'"),
    ],
)
def test_bad_line_names_file_and_line(line: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_text(f"# header\na=1\n{line}\n", name="kismet.conf")
    assert str(info.value) == message


def test_bad_line_in_file_names_path(tmp_path: Path) -> None:
    conf = write(tmp_path / "kismet.conf", "a=1\n\n\nbroken line\n")
    with pytest.raises(ConfigError, match=r"kismet\.conf:4: expected key=value, got 'broken line'"):
        Config.load(conf, home="/home/u")


# -- %h expansion -------------------------------------------------------------


def test_percent_h_expands_to_home() -> None:
    cfg = Config.from_text("log_prefix=%h/logs\nx=%h:%h\n", home="/home/kis")
    assert cfg.get("log_prefix") == "/home/kis/logs"
    assert cfg.get("x") == "/home/kis:/home/kis"


def test_other_percent_sequences_are_literal() -> None:
    cfg = Config.from_text("log_template=%p/%n-%D-%t-%i.%l\ny=100%\nz=%%h\n", home="/h")
    assert cfg.get("log_template") == "%p/%n-%D-%t-%i.%l"
    assert cfg.get("y") == "100%"
    assert cfg.get("z") == "%%h"


def test_set_and_add_values_are_not_expanded() -> None:
    cfg = Config(home="/h")
    cfg.set("a", "%h/x")
    assert cfg.get("a") == "%h/x"


# -- includes -----------------------------------------------------------------


def test_include_relative_to_including_file(tmp_path: Path) -> None:
    write(tmp_path / "etc" / "sub" / "inner.conf", "inner=1\nsource=wlan1\n")
    write(tmp_path / "etc" / "sub.conf", "include=sub/inner.conf\nsub=1\n")
    conf = write(tmp_path / "etc" / "kismet.conf", "source=wlan0\ninclude=sub.conf\nsource=wlan2\n")
    cfg = Config.load(conf, home="/h")
    assert cfg.get_list("source") == ["wlan0", "wlan1", "wlan2"]
    assert cfg.get("inner") == "1"
    assert cfg.get("sub") == "1"
    inner_origin = cfg.origin("inner")
    assert inner_origin is not None
    assert inner_origin.endswith("inner.conf:1")
    assert cfg.origin("sub") == str(tmp_path / "etc" / "sub.conf") + ":2"


def test_include_absolute_and_percent_h(tmp_path: Path) -> None:
    write(tmp_path / "home" / ".kismet" / "extra.conf", "extra=yes\n")
    cfg = Config.from_text(
        "include=%h/.kismet/extra.conf\n", home=str(tmp_path / "home"), base_dir="/nonexistent"
    )
    assert cfg.get("extra") == "yes"


def test_include_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path / "t.conf", "t=1\n")
    cfg = Config.from_text("opt_include=~/t.conf\n")
    assert cfg.get("t") == "1"


def test_from_text_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "a.conf", "a=1\n")
    cfg = Config.from_text("include=a.conf\n", base_dir=tmp_path)
    assert cfg.get("a") == "1"


def test_from_text_without_base_dir_uses_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.conf", "a=1\n")
    assert Config.from_text("include=a.conf\n").get("a") == "1"


def test_include_missing_is_error(tmp_path: Path) -> None:
    conf = write(tmp_path / "kismet.conf", "a=1\ninclude=missing.conf\n")
    with pytest.raises(ConfigError) as info:
        Config.load(conf, home="/h")
    message = str(info.value)
    assert message.startswith(f"{conf}:2: cannot read include file ")
    assert "missing.conf" in message
    assert "No such file" in message


def test_include_directory_is_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(ConfigError, match="not a regular file"):
        Config.from_text("include=dir\n", base_dir=tmp_path)


def test_include_self_loop(tmp_path: Path) -> None:
    conf = write(tmp_path / "kismet.conf", "a=1\ninclude=kismet.conf\n")
    with pytest.raises(ConfigError, match=r"kismet\.conf:2: include loop"):
        Config.load(conf, home="/h")


def test_include_indirect_loop(tmp_path: Path) -> None:
    write(tmp_path / "b.conf", "b=1\ninclude=c.conf\n")
    write(tmp_path / "c.conf", "c=1\nopt_include=b.conf\n")
    conf = write(tmp_path / "a.conf", "include=b.conf\n")
    with pytest.raises(ConfigError, match=r"c\.conf:2: include loop"):
        Config.load(conf, home="/h")


def test_same_file_included_twice_is_not_a_loop(tmp_path: Path) -> None:
    write(tmp_path / "common.conf", "alert=X\n")
    conf = write(tmp_path / "kismet.conf", "include=common.conf\ninclude=common.conf\n")
    assert Config.load(conf, home="/h").get_list("alert") == ["X", "X"]


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "bad.conf", "ok=1\noops\n")
    with pytest.raises(ConfigError, match=r"bad\.conf:2: expected key=value, got 'oops'"):
        Config.from_text("include=bad.conf\n", base_dir=tmp_path)


def test_opt_include_missing_is_skipped(tmp_path: Path) -> None:
    cfg = Config.from_text("a=1\nopt_include=nothere.conf\nb=2\n", base_dir=tmp_path)
    assert cfg.keys() == ["a", "b"]
    assert cfg.warnings == []


def test_opt_include_present_and_glob_sorted(tmp_path: Path) -> None:
    write(tmp_path / "conf.d" / "20-b.conf", "source=b\n")
    write(tmp_path / "conf.d" / "10-a.conf", "source=a\n")
    (tmp_path / "conf.d" / "30-dir.conf").mkdir()
    cfg = Config.from_text("opt_include=conf.d/*.conf\nsource=z\n", base_dir=tmp_path)
    assert cfg.get_list("source") == ["a", "b", "z"]


def test_opt_include_of_directory_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    assert Config.from_text("opt_include=d\n", base_dir=tmp_path).keys() == []


def test_opt_include_bad_pattern_is_error() -> None:
    with pytest.raises(ConfigError, match="bad include pattern"):
        Config.from_text("opt_include=\ud800/*.conf\n")


def test_opt_include_path_with_nul_is_skipped() -> None:
    assert Config.from_text("opt_include=/tmp/a\x00b*\n").keys() == []


def test_include_path_with_nul_is_error() -> None:
    with pytest.raises(ConfigError, match=r"<string>:1: cannot read include file"):
        Config.from_text("include=a\x00b\n")


# -- overrides ----------------------------------------------------------------


def test_opt_override_replaces_all_values(tmp_path: Path) -> None:
    write(tmp_path / "override.conf", "source=ovr\nserver_name=Override\n")
    conf = write(
        tmp_path / "kismet.conf",
        "source=a\nopt_override=override.conf\nsource=b\nserver_name=Base\nother=1\n",
    )
    cfg = Config.load(conf, home="/h")
    assert cfg.get_list("source") == ["ovr"]
    assert cfg.get("server_name") == "Override"
    assert cfg.get("other") == "1"
    assert cfg.origin("source") == str(tmp_path / "override.conf") + ":1"


def test_opt_override_plus_equals_appends(tmp_path: Path) -> None:
    write(tmp_path / "ovr.conf", "source+=c\nsource+=d\nalert+=new\n")
    cfg = Config.from_text("opt_override=ovr.conf\nsource=a\nsource=b\n", base_dir=tmp_path)
    assert cfg.get_list("source") == ["a", "b", "c", "d"]
    assert cfg.get_list("alert") == ["new"]


def test_opt_override_mixed_assignment_replaces(tmp_path: Path) -> None:
    write(tmp_path / "ovr.conf", "source=x\nsource+=y\n")
    cfg = Config.from_text("source=a\nopt_override=ovr.conf\n", base_dir=tmp_path)
    assert cfg.get_list("source") == ["x", "y"]


def test_opt_override_missing_is_skipped(tmp_path: Path) -> None:
    cfg = Config.from_text("a=1\nopt_override=none.conf\n", base_dir=tmp_path)
    assert cfg.get("a") == "1"
    assert cfg.warnings == []


def test_opt_override_from_included_file_and_its_includes(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "ovr_extra.conf", "b=from-override-include\n")
    write(tmp_path / "sub" / "ovr.conf", "a=override\ninclude=ovr_extra.conf\n")
    write(tmp_path / "sub" / "inc.conf", "opt_override=ovr.conf\n")
    cfg = Config.from_text("include=sub/inc.conf\na=base\nb=base\n", base_dir=tmp_path)
    assert cfg.get_list("a") == ["override"]
    assert cfg.get_list("b") == ["from-override-include"]


def test_override_chain_applies_in_order(tmp_path: Path) -> None:
    write(tmp_path / "o1.conf", "a=one\nopt_override=o2.conf\n")
    write(tmp_path / "o2.conf", "a=two\n")
    cfg = Config.from_text("a=base\nopt_override=o1.conf\n", base_dir=tmp_path)
    assert cfg.get_list("a") == ["two"]


def test_override_self_reference_is_applied_once(tmp_path: Path) -> None:
    write(tmp_path / "o.conf", "a+=x\nopt_override=o.conf\n")
    cfg = Config.from_text("a=base\nopt_override=o.conf\n", base_dir=tmp_path)
    assert cfg.get_list("a") == ["base", "x"]
    assert len(cfg.warnings) == 1
    assert "already applied, skipped" in cfg.warnings[0]
    assert cfg.warnings[0].startswith(str(tmp_path / "o.conf") + ":2: ")


def test_override_unreadable_names_override_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "o.conf", "a=1\n")
    monkeypatch.setattr(config_module, "open", _denied, raising=False)
    with pytest.raises(
        ConfigError, match=r"^<string>:1: cannot read override file .*o\.conf': Permission denied$"
    ):
        Config.from_text("opt_override=o.conf\n", base_dir=tmp_path)


def test_override_error_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "o.conf", "garbage\n")
    with pytest.raises(ConfigError, match=r"o\.conf:1: expected key=value"):
        Config.from_text("opt_override=o.conf\n", base_dir=tmp_path)


def test_set_after_override_still_wins(tmp_path: Path) -> None:
    write(tmp_path / "o.conf", "a=ovr\n")
    cfg = Config.from_text("opt_override=o.conf\n", base_dir=tmp_path)
    cfg.set("a", "cli")
    assert cfg.get_list("a") == ["cli"]


# -- unknown keys -------------------------------------------------------------


def test_unknown_key_warnings(tmp_path: Path) -> None:
    write(tmp_path / "inc.conf", "bogus=1\n")
    known = frozenset({"server_name", "source", "Log_Prefix"})
    text = "server_name=x\n# c\nfooo=1\ninclude=inc.conf\nSOURCE=wlan0\nlog_prefix=/l\n"
    cfg = Config.from_text(text, name="kismet.conf", base_dir=tmp_path, known_keys=known)
    assert cfg.warnings == [
        "kismet.conf:3: unknown key 'fooo'",
        f"{tmp_path / 'inc.conf'}:1: unknown key 'bogus'",
    ]
    assert cfg.get("fooo") == "1"


def test_no_known_keys_means_no_warnings() -> None:
    assert Config.from_text("whatever=1\n").warnings == []


def test_load_known_keys(tmp_path: Path) -> None:
    conf = write(tmp_path / "kismet.conf", "a=1\nb=2\n")
    cfg = Config.load(conf, home="/h", known_keys=frozenset({"a"}))
    assert cfg.warnings == [f"{conf}:2: unknown key 'b'"]


# -- typed getters ------------------------------------------------------------


def test_get_int() -> None:
    cfg = Config.from_text("a=42\nb=-7\nc=+3\nd=4x\ne=1_000\nf=0x10\n", name="k.conf")
    assert cfg.get_int("a", 0) == 42
    assert cfg.get_int("b", 0) == -7
    assert cfg.get_int("c", 0) == 3
    assert cfg.get_int("missing", 9) == 9
    for key, line in (("d", 4), ("e", 5), ("f", 6)):
        with pytest.raises(ConfigError, match=rf"^k\.conf:{line}: {key}: expected an integer"):
            cfg.get_int(key, 0)


def test_get_float() -> None:
    cfg = Config.from_text(
        "a=1.5\nb=-2\nc=.25\nd=1e3\ne=abc\nf=nan\ng=1e999\nh=5.\n", name="k.conf"
    )
    assert cfg.get_float("a", 0.0) == 1.5
    assert cfg.get_float("b", 0.0) == -2.0
    assert cfg.get_float("c", 0.0) == 0.25
    assert cfg.get_float("d", 0.0) == 1000.0
    assert cfg.get_float("h", 0.0) == 5.0
    assert cfg.get_float("missing", 2.5) == 2.5
    for key, line in (("e", 5), ("f", 6), ("g", 7)):
        with pytest.raises(ConfigError, match=rf"^k\.conf:{line}: {key}: expected a number"):
            cfg.get_float(key, 0.0)


@pytest.mark.parametrize("word", ["true", "TRUE", "yes", "Yes", "1", "on", "ON"])
def test_get_bool_true(word: str) -> None:
    assert Config.from_text(f"x={word}\n").get_bool("x", False) is True


@pytest.mark.parametrize("word", ["false", "False", "no", "NO", "0", "off", "Off"])
def test_get_bool_false(word: str) -> None:
    assert Config.from_text(f"x={word}\n").get_bool("x", True) is False


def test_get_bool_default_and_bad_value() -> None:
    cfg = Config.from_text("a=1\nflag=maybe\n", name="k.conf")
    assert cfg.get_bool("missing", True) is True
    assert cfg.get_bool("missing", False) is False
    with pytest.raises(ConfigError, match=r"^k\.conf:2: flag: expected a boolean"):
        cfg.get_bool("FLAG", False)


def test_typed_getter_uses_first_value() -> None:
    cfg = Config.from_text("n=1\nn=oops\n")
    assert cfg.get_int("n", 0) == 1


def test_typed_getter_error_names_command_line_origin() -> None:
    cfg = Config()
    cfg.set("n", "x")
    with pytest.raises(ConfigError, match=r"^<command line>: n: expected an integer"):
        cfg.get_int("n", 0)


# -- set / add / merge --------------------------------------------------------


def test_set_replaces_and_add_appends() -> None:
    cfg = Config.from_text("source=a\nsource=b\n")
    cfg.add("SOURCE", "c")
    assert cfg.get_list("source") == ["a", "b", "c"]
    cfg.set("source", "only")
    assert cfg.get_list("source") == ["only"]
    assert cfg.origin("source") == COMMAND_LINE
    cfg.add("new", "1", origin="-c")
    assert cfg.origin("new") == "-c"
    cfg.set("empty", "")
    assert cfg.get("empty", "dflt") == ""
    assert cfg.keys() == ["source", "new", "empty"]


@pytest.mark.parametrize("key", ["", "   "])
def test_set_and_add_reject_empty_key(key: str) -> None:
    cfg = Config()
    with pytest.raises(ConfigError, match="empty config key"):
        cfg.set(key, "v")
    with pytest.raises(ConfigError, match="empty config key"):
        cfg.add(key, "v")


def test_merge_file(tmp_path: Path) -> None:
    base = write(tmp_path / "kismet.conf", "httpd_port=2501\nsource=a\n")
    httpd = write(tmp_path / "kismet_httpd.conf", "httpd_port=9999\nsource=b\nhttpd_user=u\n")
    cfg = Config.load(base, home="/h")
    cfg.merge_file(httpd, optional=False)
    assert cfg.get_list("httpd_port") == ["2501", "9999"]
    assert cfg.get_list("source") == ["a", "b"]
    assert cfg.get("httpd_user") == "u"


def test_merge_file_applies_its_overrides(tmp_path: Path) -> None:
    write(tmp_path / "o.conf", "httpd_port=1\n")
    extra = write(tmp_path / "extra.conf", "opt_override=o.conf\n")
    cfg = Config.from_text("httpd_port=2501\n")
    cfg.merge_file(extra, optional=True)
    assert cfg.get_list("httpd_port") == ["1"]


def test_merge_file_failure_leaves_config_unchanged(tmp_path: Path) -> None:
    write(tmp_path / "o.conf", "a=override\n")
    bad = write(tmp_path / "bad.conf", "a=new\nb=1\nopt_override=o.conf\nbroken\n")
    cfg = Config.from_text("a=1\n", known_keys=frozenset({"a"}))
    with pytest.raises(ConfigError, match=r"bad\.conf:4: expected key=value"):
        cfg.merge_file(bad, optional=True)
    assert cfg.keys() == ["a"]
    assert cfg.get_list("a") == ["1"]
    assert cfg.warnings == []


def test_merge_file_optional_missing_is_skipped(tmp_path: Path) -> None:
    cfg = Config.from_text("a=1\n")
    cfg.merge_file(tmp_path / "missing.conf", optional=True)
    cfg.merge_file(tmp_path, optional=True)
    assert cfg.keys() == ["a"]


def test_merge_file_required_missing_is_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.conf"
    with pytest.raises(ConfigError, match=r"missing\.conf: No such file"):
        Config().merge_file(missing, optional=False)


def test_load_missing_file_is_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.conf: No such file"):
        Config.load(tmp_path / "nope.conf", home="/h")


def test_load_directory_is_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        Config.load(tmp_path, home="/h")


def test_load_unreadable_file_is_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = write(tmp_path / "secret.conf", "a=1\n")
    monkeypatch.setattr(config_module, "open", _denied, raising=False)
    with pytest.raises(ConfigError, match=r"secret\.conf: Permission denied$"):
        Config.load(conf, home="/h")


def test_load_non_utf8_bytes_are_preserved(tmp_path: Path) -> None:
    conf = tmp_path / "kismet.conf"
    conf.write_bytes(b"log_prefix=/data/\xe9t\xe9\nname=caf\xc3\xa9\n")
    cfg = Config.load(conf, home="/h")
    assert cfg.get("name") == "café"
    value = cfg.get("log_prefix")
    assert value is not None
    assert value.encode("utf-8", "surrogateescape") == b"/data/\xe9t\xe9"


# -- source definitions -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'wlan0:name=foo,channels="1,6,11",hop_rate=5/sec',
            ("wlan0", {"name": "foo", "channels": "1,6,11", "hop_rate": "5/sec"}),
        ),
        ("/path/file.pcap:realtime=true", ("/path/file.pcap", {"realtime": "true"})),
        ("wlan0", ("wlan0", {})),
        ("  wlan0  ", ("wlan0", {})),
        ("wlan0:", ("wlan0", {})),
        ("wlan0:  ", ("wlan0", {})),
        ("wlan0:Name=Foo,HOP=False", ("wlan0", {"name": "Foo", "hop": "False"})),
        ("wlan0: name=foo , x=1", ("wlan0", {"name": "foo ", "x": "1"})),
        ("wlan0:name=a,name=b", ("wlan0", {"name": "b"})),
        ("wlan0:name=", ("wlan0", {"name": ""})),
        ("wlan0:uuid=a=b", ("wlan0", {"uuid": "a=b"})),
        ('wlan0:name=a"b,c"d', ("wlan0", {"name": "ab,cd"})),
        ('wlan0:name=""', ("wlan0", {"name": ""})),
        ("a:b:c=1", ("a", {"b:c": "1"})),
        ("rtl:dev=0:1", ("rtl", {"dev": "0:1"})),
    ],
)
def test_parse_source_definition(text: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_source_definition(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "has no interface"),
        ("   ", "has no interface"),
        (":name=foo", "has no interface"),
        ("wlan0:name", "source option 'name' has no '=value'"),
        ("wlan0:name=foo,hop", "source option 'hop' has no '=value'"),
        ("wlan0:=foo", "source option with empty name"),
        ("wlan0:name=foo, =bar", "source option with empty name"),
        ("wlan0:name=foo,", "empty source option"),
        ("wlan0:a=1,,b=2", "empty source option"),
        ('wlan0:channels="1,6,11', "unterminated quote"),
        ('wlan0:na"me=foo', "quote in source option name"),
    ],
)
def test_parse_source_definition_errors(text: str, message: str) -> None:
    with pytest.raises(SourceDefinitionError, match=message):
        parse_source_definition(text)


def test_source_definition_error_is_value_error() -> None:
    assert issubclass(SourceDefinitionError, ValueError)
    assert issubclass(ConfigError, ValueError)


# -- property tests -----------------------------------------------------------

_LINE = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda k, sep, v: f"{k}{sep}{v}",
        st.text(alphabet="abcAB_ +#\t%h", max_size=8),
        st.sampled_from(["=", "+=", " = ", ""]),
        st.text(alphabet='ab"=,:#%h ~/.*', max_size=12),
    ),
    st.sampled_from(
        ["include=x.conf", "opt_include=*.conf", "opt_override=o.conf", "# c", "", "include="]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(_LINE, max_size=8).map("\n".join)))
def test_from_text_never_crashes(text: str) -> None:
    with tempfile.TemporaryDirectory() as base:
        try:
            cfg = Config.from_text(text, base_dir=base, known_keys=frozenset({"a"}))
        except ConfigError:
            return
    for key in cfg.keys():
        assert key == key.lower()
        assert cfg.get_list(key)
        assert cfg.get(key) == cfg.get_list(key)[0]
        assert cfg.origin(key) is not None


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet='wlan0:=,"ab ', max_size=25),
    )
)
def test_parse_source_definition_never_crashes(text: str) -> None:
    try:
        interface, options = parse_source_definition(text)
    except SourceDefinitionError:
        return
    assert interface
    assert ":" not in interface
    assert all(key and key == key.lower() for key in options)


@pytest.mark.parametrize(("text", "number"), [
    ("12", 12.0), (" -0.5 ", -0.5), ("1e3", 1000.0), (".5", 0.5),
    ("nan", None), ("inf", None), ("1_000", None), ("1e999", None), ("", None), ("5 5", None),
])
def test_one_reading_of_a_decimal_number(text: str, number: float | None) -> None:
    """Config values, source options, hop rates and REST rate strings all read numbers so."""
    assert decimal_number(text) == number
