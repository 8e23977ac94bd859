"""The `render` command as a user meets it: output, exit codes, one-line errors, --check,
--diff, and that a failed run never touches the files already in place.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nginxcache.cli import main
from nginxcache.errors import ExitCode, NginxTestError
from nginxcache.nginxrun import nginx_test

REPO = Path(__file__).resolve().parent.parent
VITE = REPO / "sample_configs" / "vite" / "dist" / ".vite" / "manifest.json"
WEBPACK = REPO / "sample_configs" / "webpack" / "dist" / "manifest.json"
VITE_ARGS = [str(VITE), "--prefix", "/", "--name", "app"]
KEEP = b"# hand-made, must survive a failed run\n"
HTTP_BANNER = "# ===== http-level part: put inside http { }, e.g. /etc/nginx/conf.d/assets.conf =====\n"
PUBLIC_PATH_NOTE = (
    "nginxcache: serving at --prefix /static/ (webpack's publicPath, as the manifest's URLs give it; "
    "give --prefix to change it)\n"
)
SERVER_BANNER = "# ===== server-level part: put inside server { }, e.g. include snippets/assets.conf; =====\n"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["render", *map(str, args)])
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {lines!r}"
    assert lines[0].startswith("nginxcache: error: "), lines[0]
    return lines[0]


def snapshot(*paths: Path) -> dict[Path, tuple[bytes, int, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in paths}


def dir_names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


@pytest.fixture
def outs(tmp_path: Path) -> tuple[Path, Path]:
    """Existing hand-made http and server files, dated in the past."""
    http_out, server_out = tmp_path / "out" / "http.conf", tmp_path / "out" / "server.conf"
    http_out.parent.mkdir()
    for path in (http_out, server_out):
        path.write_bytes(KEEP)
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return http_out, server_out


def vite_build(tmp_path: Path, entries: dict[str, object]) -> Path:
    manifest = tmp_path / "build" / ".vite" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    return manifest


# --- stdout --------------------------------------------------------------------------


def test_stdout_prints_both_parts_between_marked_separators(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, *VITE_ARGS)
    assert (code, err) == (0, "")
    assert [line for line in out.splitlines() if line.startswith("# =====")] == [HTTP_BANNER[:-1], SERVER_BANNER[:-1]]
    # Exactly the two files --http-out/--server-out would hold, each after its banner.
    http_out, server_out = tmp_path / "h.conf", tmp_path / "s.conf"
    assert run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)[0] == 0
    http_part, server_part = http_out.read_text(), server_out.read_text()
    # The written files name each other in their comments; printed parts cannot.
    http_part = http_part.replace(f" ({server_out})", "")
    server_part = server_part.replace(f":  include {server_out};", ", e.g.  include snippets/app.conf;").replace(f" ({http_out})", "")
    assert out == HTTP_BANNER + http_part + "\n" + SERVER_BANNER + server_part
    assert "map $uri $nginxcache_app_hashed {" in http_part
    assert '"/assets/index-YpS4Hvbq.js" 1;' in http_part
    assert 'location ^~ "/" {' in server_part


def test_stdout_exact_strategy_prints_only_the_server_part(capsys) -> None:
    code, out, err = run(capsys, *VITE_ARGS, "--strategy", "exact")
    assert (code, err) == (0, "")
    assert out.startswith(SERVER_BANNER)
    assert "http-level part: put inside" not in out
    assert 'location = "/assets/index-YpS4Hvbq.js" {' in out


def test_webpack_sample_to_stdout(capsys) -> None:
    code, out, err = run(capsys, WEBPACK, "--name", "app")
    # No --prefix: webpack's publicPath, read from the manifest's URLs, and said so.
    assert (code, err) == (0, PUBLIC_PATH_NOTE)
    assert '"/static/main.fb9ad963a530ab85ffe0.js" 1;' in out
    assert '"/static/index.html"' not in out  # maps to itself: unhashed, revalidated
    assert 'location = "/static/manifest.json" {' in out


# --- writing, idempotence --------------------------------------------------------------


def test_write_then_rerun_is_unchanged_and_untouched(capsys, tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)
    assert (code, out) == (0, "")
    assert err.splitlines() == [f"nginxcache: {http_out}: written", f"nginxcache: {server_out}: written"]
    assert dir_names(tmp_path) == {"http.conf", "server.conf"}
    past = 1_000_000_000_000_000_000
    for path in (http_out, server_out):
        os.utime(path, ns=(past, past))
    before = snapshot(http_out, server_out)

    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)
    assert (code, out) == (0, "")
    assert err.splitlines() == [f"nginxcache: {http_out}: unchanged", f"nginxcache: {server_out}: unchanged"]
    assert snapshot(http_out, server_out) == before  # same bytes, same mtime, same inode
    assert dir_names(tmp_path) == {"http.conf", "server.conf"}


def test_only_the_changed_file_is_rewritten(capsys, tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)[0] == 0
    server_out.write_text("# edited by hand\n")
    before = snapshot(http_out)
    code, _, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)
    assert code == 0
    assert err.splitlines() == [f"nginxcache: {http_out}: unchanged", f"nginxcache: {server_out}: written"]
    assert snapshot(http_out) == before
    assert server_out.read_text().startswith("# Generated by nginxcache")


# --- --check and --diff ----------------------------------------------------------------


def test_check_missing_files_exit_1_and_writes_nothing(capsys, tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out, "--check")
    assert (code, out) == (ExitCode.CHANGED, "")
    assert err.splitlines() == [f"nginxcache: would change {http_out}", f"nginxcache: would change {server_out}"]
    assert dir_names(tmp_path) == set()


def test_check_different_file_exit_1_and_leaves_it(capsys, tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)[0] == 0
    server_out.write_bytes(KEEP)
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out, "--check")
    assert (code, out) == (ExitCode.CHANGED, "")
    assert err.splitlines() == [f"nginxcache: would change {server_out}"]
    assert snapshot(http_out, server_out) == before


def test_check_up_to_date_exit_0(capsys, tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)[0] == 0
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out, "--check")
    assert (code, out, err) == (0, "", "")
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out, "--check", "--diff")
    assert (code, out, err) == (0, "", "")
    assert snapshot(http_out, server_out) == before


def test_check_with_changed_option_exit_1(capsys, tmp_path: Path) -> None:
    site_out = tmp_path / "site.conf"
    assert run(capsys, *VITE_ARGS, "--site-out", site_out)[0] == 0
    before = snapshot(site_out)
    code, _, err = run(capsys, *VITE_ARGS, "--site-out", site_out, "--max-age", "600", "--check")
    assert code == ExitCode.CHANGED
    assert err.splitlines() == [f"nginxcache: would change {site_out}"]
    assert snapshot(site_out) == before


def test_check_diff_prints_diff_and_writes_nothing(capsys, tmp_path: Path) -> None:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    assert run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out)[0] == 0
    wanted = server_out.read_text()
    server_out.write_text(wanted.replace("etag on;", "etag off;"))
    http_out.unlink()
    before = snapshot(server_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out, "--check", "--diff")
    assert code == ExitCode.CHANGED
    assert out.startswith(f"--- /dev/null\n+++ {http_out}\n@@ -0,0 +1,")
    assert f"--- {server_out}\n+++ {server_out}\n" in out
    assert "\n-    etag off;\n+    etag on;\n" in out
    assert err.splitlines() == [f"nginxcache: would change {http_out}", f"nginxcache: would change {server_out}"]
    assert not http_out.exists()
    assert snapshot(server_out) == before


def test_diff_without_check_prints_and_writes(capsys, tmp_path: Path) -> None:
    site_out = tmp_path / "site.conf"
    code, out, err = run(capsys, *VITE_ARGS, "--site-out", site_out, "--diff")
    assert code == 0
    written = site_out.read_text()
    assert out == f"--- /dev/null\n+++ {site_out}\n@@ -0,0 +1,{len(written.splitlines())} @@\n" + "".join(
        "+" + line for line in written.splitlines(keepends=True)
    )
    assert err.splitlines() == [f"nginxcache: {site_out}: written"]
    code, out, err = run(capsys, *VITE_ARGS, "--site-out", site_out, "--diff")
    assert (code, out) == (0, "")
    assert err.splitlines() == [f"nginxcache: {site_out}: unchanged"]


# --- bad input: one line, the documented code, nothing touched --------------------------


def _args_bad_input(tmp_path: Path, case: str) -> tuple[list[str], int, list[str]]:
    """(argv after 'render' without outputs, exit code, substrings the error line must hold)."""
    if case == "missing manifest":
        path = tmp_path / "nope" / "manifest.json"
        return [str(path)], ExitCode.BAD_INPUT, [str(path), "no such file"]
    if case == "invalid json":
        path = tmp_path / "manifest.json"
        path.write_text('{\n  "a": \n')
        return [str(path)], ExitCode.BAD_INPUT, [f"{path}:3", "invalid JSON"]
    if case == "unknown manifest format":
        path = tmp_path / "manifest.json"
        path.write_text('{"a": [1, 2]}')
        return [str(path)], ExitCode.BAD_INPUT, [str(path), "not a manifest nginxcache knows", "--manifest-format"]
    if case == "dotdot entry":
        path = vite_build(tmp_path, {"main.js": {"file": "assets/main-Ab12.js", "css": ["assets/../../etc/passwd"]}})
        return [str(path), "--prefix", "/"], ExitCode.BAD_INPUT, [str(path), '["main.js"]["css"][0]', "'..'"]
    if case == "control char entry":
        path = vite_build(tmp_path, {"main.js": {"file": "assets/ma\nin-Ab12.js"}})
        return [str(path), "--prefix", "/"], ExitCode.BAD_INPUT, [str(path), '["main.js"]["file"]', "control character"]
    if case == "control char in webpack key":
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps({"a\r\nb.js": "/static/a\u0001b.1234abcd.js"}))
        return [str(path)], ExitCode.BAD_INPUT, [str(path), '["a\\r\\nb.js"]', "control character"]
    if case == "webpack entry outside prefix":
        return [str(WEBPACK), "--prefix", "/assets/"], ExitCode.BAD_INPUT, [str(WEBPACK), '["index.html"]', "outside the served prefix"]
    if case == "forced webpack on vite":
        return [str(VITE), "--manifest-format", "webpack"], ExitCode.BAD_INPUT, [str(VITE), "looks like a Vite manifest, not a webpack manifest.json", "--manifest-format vite"]
    if case == "forced vite on webpack":
        return [str(WEBPACK), "--manifest-format", "vite"], ExitCode.BAD_INPUT, [str(WEBPACK), "looks like a webpack manifest.json, not a Vite manifest", "--manifest-format webpack"]
    if case == "prefix without slash":
        return [str(VITE), "--prefix", "static/"], ExitCode.USAGE, ["--prefix 'static/'", "must start with '/'"]
    if case == "prefix with dotdot":
        return [str(VITE), "--prefix", "/a/../b/"], ExitCode.USAGE, ["--prefix", "normalised"]
    if case == "root with dollar":
        return [*VITE_ARGS, "--root", "/srv/$host/static"], ExitCode.USAGE, ["--root '/srv/$host/static'", "'$'"]
    if case == "relative root":
        return [*VITE_ARGS, "--root", "srv/static"], ExitCode.USAGE, ["--root 'srv/static'", "absolute"]
    if case == "unhashed max age too big":
        return [*VITE_ARGS, "--unhashed-max-age", "999999"], ExitCode.USAGE, ["--unhashed-max-age", "86400"]
    if case == "max age zero":
        return [*VITE_ARGS, "--max-age", "0"], ExitCode.USAGE, ["--max-age"]
    if case == "bad name":
        return [str(VITE), "--prefix", "/", "--name", "My-App"], ExitCode.USAGE, ["--name 'My-App'"]
    raise AssertionError(case)


BAD_INPUT_CASES = [
    "missing manifest",
    "invalid json",
    "unknown manifest format",
    "dotdot entry",
    "control char entry",
    "control char in webpack key",
    "webpack entry outside prefix",
    "forced webpack on vite",
    "forced vite on webpack",
    "prefix without slash",
    "prefix with dotdot",
    "root with dollar",
    "relative root",
    "unhashed max age too big",
    "max age zero",
    "bad name",
]


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input_one_line_exit_code_outputs_untouched(capsys, tmp_path: Path, outs, case: str) -> None:
    argv, exit_code, needles = _args_bad_input(tmp_path, case)
    http_out, server_out = outs
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *argv, "--http-out", http_out, "--server-out", server_out)
    assert code == exit_code
    assert out == ""
    line = one_error_line(err)
    for needle in needles:
        assert needle in line
    assert snapshot(http_out, server_out) == before
    assert dir_names(http_out.parent) == {"http.conf", "server.conf"}


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--site-out", "{d}/site.conf", "--http-out", "{d}/http.conf"], "--site-out already holds both parts"),
        (["--server-out", "{d}/server.conf"], "the map strategy needs both --http-out and --server-out"),
        (["--http-out", "{d}/http.conf"], "the map strategy needs both --http-out and --server-out"),
        (["--http-out", "{d}/http.conf", "--server-out", "{d}/./http.conf"], "must be different files"),
        (["--check"], "--check and --diff need an output file"),
        (["--diff"], "--check and --diff need an output file"),
        (["--strategy", "exact", "--http-out", "{d}/http.conf"], "the exact strategy has no http-level part"),
        (["--strategy", "exact", "--http-out", "{d}/http.conf", "--server-out", "{d}/server.conf"], "the exact strategy has no http-level part"),
        (["--listen", "443 ssl", "--http-out", "{d}/http.conf", "--server-out", "{d}/server.conf"], "are for --site-out"),
        (["--site-out", "{d}/site.conf", "--listen", "443; ssl"], "--listen '443; ssl'"),
        (["--site-out", "{d}/site.conf", "--listen", "80 {"], "--listen '80 {'"),
        (["--site-out", "{d}/site.conf", "--listen", "  "], "--listen"),
        (["--nginx-test", "--nginx", "{d}/no-such-nginx"], "nginx binary not found"),
    ],
)
def test_usage_errors_exit_2_one_line_outputs_untouched(capsys, outs, extra: list[str], needle: str) -> None:
    http_out, server_out = outs
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *VITE_ARGS, *(arg.replace("{d}", str(http_out.parent)) for arg in extra))
    assert (code, out) == (ExitCode.USAGE, "")
    assert needle in one_error_line(err)
    assert snapshot(http_out, server_out) == before
    assert dir_names(http_out.parent) == {"http.conf", "server.conf"}


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["render", str(VITE), "--bogus"], "No such option: --bogus"),
        (["render", str(VITE), "--manifest-format", "rollup"], "rollup"),
        (["render", str(VITE), "--format", "rollup"], "rollup"),
        (["render", str(VITE), "--strategy", "regex"], "--pattern"),
        (["render", str(VITE), "--strategy", "fastest"], "fastest"),
        (["render", str(VITE), "--max-age", "a year"], "--max-age"),
        (["render"], "manifest"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_click_usage_errors_exit_2_one_line(capsys, argv: list[str], needle: str) -> None:
    """Click's own usage errors (Typer vendors Click) take the same one-line path."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE
    assert captured.out == ""
    line = one_error_line(captured.err)
    assert needle in line
    assert "internal error" not in line


def test_version(capsys) -> None:
    from nginxcache import __version__

    code = main(["--version"])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == (0, f"nginxcache {__version__}\n", "")


# --- write failures: exit 5, one line, nothing half-done -----------------------------------


def test_output_directory_missing_exit_5_first_file_untouched(capsys, outs) -> None:
    http_out, _ = outs
    missing = http_out.parent / "no-such-dir" / "server.conf"
    before = snapshot(http_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", missing)
    assert (code, out) == (ExitCode.WRITE_FAILED, "")
    line = one_error_line(err)
    assert str(missing) in line and "does not exist" in line
    assert snapshot(http_out) == before
    assert dir_names(http_out.parent) == {"http.conf", "server.conf"}  # no temp file left


def test_output_path_is_a_directory_exit_5(capsys, outs) -> None:
    http_out, server_out = outs
    directory = http_out.parent / "conf.d"
    directory.mkdir()
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", directory, "--server-out", server_out)
    assert (code, out) == (ExitCode.WRITE_FAILED, "")
    line = one_error_line(err)
    assert str(directory) in line and "directory" in line
    assert snapshot(http_out, server_out) == before
    assert list(directory.iterdir()) == []


def test_output_parent_is_a_file_exit_5(capsys, outs) -> None:
    http_out, server_out = outs
    below_a_file = server_out / "server.conf"
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", below_a_file)
    assert (code, out) == (ExitCode.WRITE_FAILED, "")
    assert str(below_a_file) in one_error_line(err)
    assert snapshot(http_out, server_out) == before
    assert dir_names(http_out.parent) == {"http.conf", "server.conf"}


# --- --site-out, --strategy exact -------------------------------------------------------


def test_site_out_with_server_name_and_listen(capsys, tmp_path: Path) -> None:
    site_out = tmp_path / "site.conf"
    code, out, err = run(
        capsys, *VITE_ARGS, "--site-out", site_out,
        "--server-name", "example.com", "--server-name", "www.example.com", "--listen", "443 ssl", "--listen", "[::]:443 ssl",
    )
    assert (code, out) == (0, "")
    assert err.splitlines() == [f"nginxcache: {site_out}: written"]
    site = site_out.read_text()
    assert site.startswith("# Generated by nginxcache")
    assert "\nserver {\n    listen 443 ssl;\n    listen [::]:443 ssl;\n" in site
    assert '    server_name "example.com" "www.example.com";\n' in site
    assert "map $uri $nginxcache_app_hashed {" in site  # maps before the server block
    assert site.index("map $uri") < site.index("\nserver {")
    assert '    location ^~ "/" {\n' in site
    assert site.endswith("}\n")


def test_site_out_defaults_listen_80_any_name(capsys, tmp_path: Path) -> None:
    site_out = tmp_path / "site.conf"
    assert run(capsys, *VITE_ARGS, "--site-out", site_out)[0] == 0
    site = site_out.read_text()
    assert "\n    listen 80;\n" in site
    assert '\n    server_name "_";\n' in site


def test_exact_strategy_with_server_out(capsys, tmp_path: Path) -> None:
    server_out = tmp_path / "server.conf"
    code, _, err = run(capsys, *VITE_ARGS, "--strategy", "exact", "--server-out", server_out)
    assert code == 0
    assert err.splitlines() == [f"nginxcache: {server_out}: written"]
    assert dir_names(tmp_path) == {"server.conf"}
    server = server_out.read_text()
    assert "map " not in server.replace("map_hash", "")
    for uri in ("/assets/index-YpS4Hvbq.js", "/assets/index-BguJmoAq.css", "/assets/lazy-CD01446e.js", "/assets/logo-CSWhh80n.svg"):
        assert f'    location = "{uri}" {{\n        add_header Cache-Control "public, max-age=31536000, immutable";\n' in server
    assert 'location = "/.vite/manifest.json" {\n        return 404;' in server
    assert 'add_header Cache-Control "no-cache";' in server


def test_format_override_matching_format_works(capsys) -> None:
    detected = run(capsys, *VITE_ARGS)
    forced = run(capsys, *VITE_ARGS, "--manifest-format", "vite")
    assert detected == forced
    assert forced[0] == 0


def test_old_format_spelling_still_works_with_a_deprecation_note(capsys) -> None:
    detected = run(capsys, *VITE_ARGS)
    code, out, err = run(capsys, *VITE_ARGS, "--format", "vite")
    assert (code, out) == (0, detected[1])
    assert err == "nginxcache: warning: --format vite is deprecated here: use --manifest-format vite\n"
    code, _, err = run(capsys, *VITE_ARGS, "--format", "vite", "--manifest-format", "vite")
    assert code == ExitCode.USAGE
    assert "--manifest-format" in one_error_line(err)


def test_django_manifest_read_as_vite_says_what_it_is(capsys, tmp_path: Path) -> None:
    manifest = tmp_path / "staticfiles.json"
    manifest.write_text(json.dumps({"version": "1.1", "paths": {"app.css": "app.0123456789ab.css"}, "hash": "x"}))
    code, _, err = run(capsys, manifest, "--manifest-format", "vite")
    assert code == ExitCode.BAD_INPUT
    assert one_error_line(err) == (
        f"nginxcache: error: {manifest}: this looks like Django's staticfiles.json, not a Vite manifest: "
        "drop --manifest-format to detect it, or give --manifest-format django"
    )


# --- nginx -t -----------------------------------------------------------------------------


@pytest.mark.nginx
@pytest.mark.parametrize(
    "argv",
    [
        [str(VITE), "--prefix", "/"],
        [str(WEBPACK)],
        [str(VITE), "--prefix", "/", "--strategy", "exact"],
        [str(WEBPACK), "--root", "/home/deploy/projects/my-shop/frontend/build/static/"],
    ],
)
def test_nginx_test_passes_on_samples(capsys, tmp_path: Path, argv: list[str]) -> None:
    argv = [*argv, "--prefix", "/static/" if str(WEBPACK) in argv else "/"]
    code, out, err = run(capsys, *argv, "--nginx-test")
    assert code == 0
    remote_root = [line for line in err.splitlines() if "tree checks were skipped" in line]
    assert err.splitlines() == remote_root
    assert "immutable" in out
    site_out = tmp_path / "site.conf"
    code, _, err = run(capsys, *argv, "--nginx-test", "--site-out", site_out, "--listen", "127.0.0.1:8080", "--server-name", "example.com")
    assert (code, err.splitlines()) == (0, [*remote_root, f"nginxcache: {site_out}: written"])


@pytest.mark.nginx
def test_nginx_test_rejection_exit_4_one_line_outputs_untouched(capsys, tmp_path: Path, outs) -> None:
    # A hashed name longer than the default map_hash_bucket_size holds, and the sizes left
    # out: the config is well-formed, only the real nginx refuses it.
    long_name = "assets/" + "chunk-" * 10 + "Ab12Cd34.js"
    manifest = vite_build(tmp_path, {"main.js": {"file": long_name, "name": "main"}})
    (manifest.parent.parent / "assets").mkdir()
    (manifest.parent.parent / long_name).write_text("// js\n")
    http_out, server_out = outs
    before = snapshot(http_out, server_out)
    args = [manifest, "--prefix", "/", "--name", "app", "--http-out", http_out, "--server-out", server_out]
    code, out, err = run(capsys, *args, "--no-map-hash-sizes", "--nginx-test")
    assert (code, out) == (ExitCode.INVALID_OUTPUT, "")
    line = one_error_line(err)
    assert "nginx -t" in line and "map_hash_bucket_size" in line
    assert "nginxcache-nginx-t-" not in line  # no private temp path
    assert snapshot(http_out, server_out) == before
    assert dir_names(http_out.parent) == {"http.conf", "server.conf"}
    # With the sizes the same input passes.
    assert run(capsys, *args, "--nginx-test")[0] == 0


@pytest.mark.nginx
def test_nginx_test_error_names_the_label_not_the_temp_file() -> None:
    labels = {"http": "/etc/nginx/conf.d/app.conf", "server": "/etc/nginx/snippets/app.conf"}
    with pytest.raises(NginxTestError) as raised:
        nginx_test({"http": "# nothing\n", "server": "location / {\n    bogus_directive on;\n}\n"}, labels)
    message = str(raised.value)
    assert raised.value.exit_code == ExitCode.INVALID_OUTPUT
    assert message == 'nginx -t: unknown directive "bogus_directive" in /etc/nginx/snippets/app.conf:2'


@pytest.mark.nginx
def test_nginx_test_ok_part_passes() -> None:
    nginx_test({"server": "location /x/ {\n    return 204;\n}\n"}, {"server": "s.conf"})


def test_nginx_test_failing_binary_exit_4(capsys, outs) -> None:
    http_out, server_out = outs
    before = snapshot(http_out, server_out)
    code, out, err = run(capsys, *VITE_ARGS, "--http-out", http_out, "--server-out", server_out, "--nginx-test", "--nginx", "/bin/false")
    assert (code, out) == (ExitCode.INVALID_OUTPUT, "")
    assert "nginx -t" in one_error_line(err)
    assert snapshot(http_out, server_out) == before


# --- the real process: no traceback reaches the user --------------------------------------


def run_process(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NGINXCACHE_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "nginxcache", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_process_renders_sample(tmp_path: Path) -> None:
    result = run_process(tmp_path, "render", *VITE_ARGS)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(HTTP_BANNER)


@pytest.mark.parametrize(
    "args, exit_code",
    [
        (["render", "missing.json"], ExitCode.BAD_INPUT),
        (["render", "bad.json"], ExitCode.BAD_INPUT),
        (["render", str(VITE), "--prefix", "static"], ExitCode.USAGE),
        (["render", str(VITE), "--http-out", "nodir/h.conf", "--server-out", "s.conf"], ExitCode.WRITE_FAILED),
    ],
)
def test_process_bad_input_no_traceback(tmp_path: Path, args: list[str], exit_code: int) -> None:
    (tmp_path / "bad.json").write_bytes(b'{"a": \xff}')
    result = run_process(tmp_path, *args)
    assert result.returncode == exit_code
    assert "Traceback" not in result.stderr
    one_error_line(result.stderr)
    assert result.stdout == ""
    assert dir_names(tmp_path) == {"bad.json"}


def test_process_click_usage_error_no_traceback(tmp_path: Path) -> None:
    result = run_process(tmp_path, "render", str(VITE), "--bogus")
    assert "Traceback" not in result.stderr
    assert "--bogus" in one_error_line(result.stderr)
    assert result.returncode == ExitCode.USAGE


def test_explain_shows_class_evidence_and_headers(capsys) -> None:
    django = Path(__file__).resolve().parent.parent / "sample_configs" / "django" / "staticfiles.json"
    code = main(["explain", "/static/admin/css/base.96c479cedf7a.css", "admin/css/base.css",
                 "https://example.com/static/site/a%20b.e91e8f9be856.txt?x=1", "/static/staticfiles.json",
                 "--manifest", str(django), "--root", "/srv/app/static"])
    out = capsys.readouterr().out
    assert code == 0
    blocks = out.split("\n/")
    assert "hashed (immutable)" in blocks[0] and '["paths"]["admin/css/base.css"]' in blocks[0]
    assert "Cache-Control: public, max-age=31536000, immutable" in blocks[0]
    assert "unhashed (revalidated)" in blocks[1] and "Cache-Control: no-cache" in blocks[1]
    assert blocks[2].startswith("static/site/a b.e91e8f9be856.txt?x=1") and "hashed (immutable)" in blocks[2]
    assert "not served: a build manifest" in blocks[3]


def test_explain_bad_manifest_is_one_line_exit_3(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "staticfiles.json"
    bad.write_text("{")
    assert main(["explain", "x.css", "--manifest", str(bad)]) == 3
    assert one_error_line(capsys.readouterr().err).startswith("nginxcache: error: " + str(bad))


def test_process_ends_with_its_exit_code_and_all_its_output(tmp_path: Path) -> None:
    """The program ends the process as a render finishes (cli.finish): codes and output intact."""
    http, server = tmp_path / "http.conf", tmp_path / "server.conf"
    outputs = ("--http-out", http, "--server-out", server)
    first = run_process(tmp_path, "render", *VITE_ARGS, *outputs)
    assert first.returncode == 0 and first.stderr.count(": written") == 2
    rendered = http.read_text()
    http.write_text("# edited by hand\n")
    check = run_process(tmp_path, "render", *VITE_ARGS, *outputs, "--check", "--diff")
    assert check.returncode == 1 and f"would change {http}" in check.stderr
    added = [line for line in check.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert "-# edited by hand\n" in check.stdout and len(added) == rendered.count("\n")  # the whole diff, flushed
    again = run_process(tmp_path, "render", *VITE_ARGS, *outputs)
    assert (again.returncode, http.read_text()) == (0, rendered)
    assert run_process(tmp_path, "render", *VITE_ARGS, *outputs, "--check").returncode == 0
