"""The command line as a user meets it: help that speaks in the user's words, one meaning
per option name, the same policy options wherever a policy is computed, and machine formats
that stay machine-readable on every exit path."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import typer.main
from conftest import SAMPLES
from test_probe import base, probe, render

from nginxcache.cli import app, main
from nginxcache.cli.options import PolicyOptions
from nginxcache.errors import ExitCode

COMMANDS = ["render", "scan", "explain", "lint", "probe", "retain"]


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_python_types(capsys, command: str) -> None:
    text = help_text(capsys, command)
    assert not re.search(r"<(?:list\[|int\b|str\b|float|path\b|bool\b)", text), text
    assert "range>" not in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_and_value_options_a_metavar(command: str) -> None:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    for param in click_command.params:
        if param.param_type_name == "option" and not param.hidden:
            assert param.help, f"{command} {param.opts} has no help"
            if not param.is_flag:
                assert param.metavar, f"{command} {param.opts} shows a type, not a metavar"


def test_top_level_summaries_are_whole(capsys) -> None:
    text = help_text(capsys)
    summaries = text.split("Commands:", 1)[1]
    assert "..." not in summaries and "…" not in summaries
    assert {line.split()[0] for line in summaries.strip().splitlines()} == set(COMMANDS)


def test_scan_help_speaks_of_scan_itself(capsys) -> None:
    text = help_text(capsys, "scan")
    assert "With --scan" not in text and "For --scan" not in text
    assert "--trust-pattern REGEX" in text


@pytest.mark.parametrize("command", ["render", "explain", "probe"])
def test_policy_options_are_the_same_wherever_a_policy_is_computed(command: str) -> None:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    render_params = {p.name: p for p in typer.main.get_command(app).commands["render"].params}  # type: ignore[attr-defined]
    mine = {p.name: p for p in click_command.params}
    for name in PolicyOptions.__slots__:
        assert name in mine, f"{command} lacks --{name.replace('_', '-')}"
        assert (mine[name].opts, mine[name].help, mine[name].default) == (
            render_params[name].opts, render_params[name].help, render_params[name].default,
        )


def test_format_is_the_output_format_and_the_manifest_format_has_its_own_name() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in ("render", "explain", "probe", "lint"):
        opts = {opt: p for p in commands[name].params for opt in p.opts}
        assert "--manifest-format" in opts, name
        if "--format" in opts and name in ("render", "explain"):
            assert opts["--format"].hidden, f"{name}: --format is only the deprecated spelling there"
    for name in ("lint", "probe"):
        fmt = next(p for p in commands[name].params if "--format" in p.opts)
        assert "json" in fmt.metavar, name


@pytest.mark.parametrize("output_format", ["json", "sarif", "github"])
def test_lint_machine_formats_on_an_unparsable_config(capsys, tmp_path: Path, output_format: str) -> None:
    config = tmp_path / "broken.conf"
    config.write_text("server {\n    location / {\n        expires 1y\n    }\n}\n")
    code = main(["lint", str(config), "--format", output_format])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    assert captured.err.startswith(f"nginxcache: error: {config}:") and captured.err.count("\n") == 1
    if output_format == "json":
        [finding] = json.loads(captured.out)
        assert (finding["code"], finding["severity"], finding["file"]) == ("NC000", "error", str(config))
        assert finding["line"] >= 3
    elif output_format == "sarif":
        document = json.loads(captured.out)
        [result] = document["runs"][0]["results"]
        assert (result["ruleId"], result["level"]) == ("NC000", "error")
    else:
        assert captured.out.startswith(f"::error file={config},line=")
        assert "NC000" in captured.out


def test_lint_machine_format_on_a_missing_file(capsys, tmp_path: Path) -> None:
    code = main(["lint", str(tmp_path / "nope.conf"), "--format", "json"])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT
    [finding] = json.loads(captured.out)
    assert finding["code"] == "NC000" and str(tmp_path / "nope.conf") in finding["file"] + finding["message"]


def test_outputs_name_the_files_written(tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "conf.d" / "app.conf", tmp_path / "snippets" / "app-static.conf"
    http_out.parent.mkdir()
    server_out.parent.mkdir()
    manifest = SAMPLES / "vite" / "dist" / ".vite" / "manifest.json"
    assert main(["render", str(manifest), "--http-out", str(http_out), "--server-out", str(server_out)]) == 0
    server_part, http_part = server_out.read_text(), http_out.read_text()
    assert f"include {server_out};" in server_part
    assert f"http-level part ({http_out})" in server_part
    assert f"server-level part ({server_out})" in http_part
    assert "snippets/dist" not in server_part  # the old guess from --name


@pytest.mark.nginx
def test_probe_with_renders_options_finds_no_false_violation(tmp_path: Path, serve, capsys) -> None:
    """A site rendered with --deny-source-maps and an immutable prefix, probed with the same words."""
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    (tree / "assets" / "index-YpS4Hvbq.js.map").write_text("{}")
    (tree / "assets" / "vendor").mkdir()
    (tree / "assets" / "vendor" / "lib.js").write_text("lib")
    manifest = tree / ".vite" / "manifest.json"
    policy = ["--prefix", "/", "--root", str(tree), "--deny-source-maps", "--immutable-prefix", "/assets/vendor/"]
    http_part, server_part = render(capsys, tmp_path, manifest, *policy)
    server = serve(http_part=http_part, server_part=server_part)
    code, out, err = probe(capsys, base(server), "--manifest", manifest, *policy)
    assert (code, err) == (0, ""), out
    # Without them, probe expects what a default render sends, and the served site differs.
    code, out, _ = probe(capsys, base(server), "--manifest", manifest, "--prefix", "/", "--root", tree, "--format", "json")
    assert code == ExitCode.CHANGED
    uris = {violation["uri"] for violation in json.loads(out)}
    assert "/assets/index-YpS4Hvbq.js.map" in uris and "/assets/vendor/lib.js" in uris


def test_explain_takes_the_same_policy_options(capsys, tmp_path: Path) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(SAMPLES / "vite" / "dist", tree)
    (tree / "assets" / "vendor").mkdir()
    (tree / "assets" / "vendor" / "lib.js").write_text("lib")
    code = main(["explain", "/assets/x.js.map", "/assets/vendor/lib.js", "/assets/gone.js", "/users/42",
                 "--manifest", str(tree / ".vite" / "manifest.json"), "--prefix", "/",
                 "--deny-source-maps", "--immutable-prefix", "/assets/vendor/"])
    out = capsys.readouterr().out
    assert code == 0
    assert "/assets/x.js.map\n  not served: a source map, denied by --deny-source-maps: 404\n" in out
    assert "/assets/vendor/lib.js\n  class:    hashed (immutable)\n  evidence: below /assets/vendor/: vouched for by the user (--immutable-prefix)" in out
    assert "/assets/gone.js\n  not served: no such file in the tree that was read: a plain 404" in out
    assert "/users/42\n  not served: no such file" in out


def test_explain_outside_the_prefix_says_another_location_answers(capsys) -> None:
    manifest = SAMPLES / "vite" / "dist" / ".vite" / "manifest.json"
    code = main(["explain", "/users/42", "--manifest", str(manifest), "--prefix", "/assets/", "--root", "/srv/remote/dist/assets"])
    out = capsys.readouterr().out
    assert code == 0
    assert out == (
        "/users/42\n  not handled here: outside --prefix /assets/: not handled by this config "
        "(the server's other locations answer it)\n"
    )


@pytest.mark.parametrize(("size", "code"), [("100", ExitCode.BAD_INPUT), ("1K", ExitCode.OK), ("1G", ExitCode.OK), ("1X", ExitCode.USAGE)])
def test_max_manifest_size_is_a_policy_option_with_units(capsys, size: str, code: int) -> None:
    manifest = SAMPLES / "vite" / "dist" / ".vite" / "manifest.json"  # 600-odd bytes
    assert main(["render", str(manifest), "--prefix", "/", "--max-manifest-size", size]) == code
    err = capsys.readouterr().err
    if code == ExitCode.BAD_INPUT:
        assert "larger than 100 bytes" in err and "--max-manifest-size raises it" in err
