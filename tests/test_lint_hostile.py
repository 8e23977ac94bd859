"""Hostile and odd input for `nginxcache lint` (issue 10): what nginx accepts, lint reads; what
nginx refuses, lint refuses with exit 3 and nginx's own message and line; what is no config
file (a FIFO, a device, a directory, an unreadable path) is refused at once, one line naming it.

Every claim about nginx is checked against the real binary (Debian's nginx, private prefix).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nginxcache.cli import main
from nginxcache.lint import tree as tree_module
from nginxcache.lint.tree import ConfigError, load_tree
from nginxcache.nginxrun import find_nginx

EMERG = re.compile(r"\[emerg\] (.*) in (\S+):(\d+)")


def whole_conf(directory: Path, http_body: str = "", tail: str = "") -> str:
    """An nginx.conf that nginx -t accepts as root or not: everything it writes in `directory`."""
    d = directory
    return (
        f"pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n"
        f"    client_body_temp_path {d}/cb; proxy_temp_path {d}/pt; fastcgi_temp_path {d}/ft;"
        f" uwsgi_temp_path {d}/ut; scgi_temp_path {d}/st;\n    access_log off;\n{http_body}\n}}\n{tail}"
    )


def nginx_t(conf: Path) -> tuple[int, str]:
    """nginx -t on a whole config: (exit status, its first [emerg] as `file:line: message` or '')."""
    d = conf.parent
    result = subprocess.run([find_nginx(), "-t", "-q", "-p", str(d), "-e", str(d / "error.log"), "-c", str(conf)],
                            capture_output=True, text=True, timeout=60)
    found = EMERG.search(result.stderr)
    return result.returncode, f"{found.group(2)}:{found.group(3)}: {found.group(1)}" if found else ""


def run_lint(*args: str | Path, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """`nginxcache lint ARGS`: in this process (a Python start per call doubled this file's
    time), or with a `timeout`, in a process of its own that a hang cannot take the tests with
    (a FIFO, a device, a 50 MB token)."""
    argv = ["lint", *map(str, args)]
    if timeout is not None:
        return subprocess.run([sys.executable, "-m", "nginxcache", *argv], capture_output=True, text=True, timeout=timeout)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def lint_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line, without its `nginxcache: error: ` prefix."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("nginxcache: error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0].removeprefix("nginxcache: error: ")


def assert_same_verdict(conf: Path) -> None:
    """lint accepts what nginx accepts (exit 0: these configs have nothing to find) and refuses
    what nginx refuses, exit 3 with nginx's file, line and message."""
    status, emerg = nginx_t(conf)
    result = run_lint(conf)
    if status == 0:
        assert result.returncode == 0, result.stderr
    else:
        assert emerg, "nginx refused without an [emerg] line"
        assert result.returncode == 3, result.stderr
        assert lint_error(result) == emerg


# ---------------------------------------------------------------------------------------------
# What nginx accepts: deep nesting and long include chains


def nested_locations(depth: int) -> str:
    return "    server {\n        listen 127.0.0.1:8080;\n" + "location / {\n" * depth + "}\n" * depth + "    }\n"


@pytest.mark.nginx
@pytest.mark.parametrize("depth", [1_000, 10_000])
def test_deep_nesting_nginx_accepts_is_read(depth: int, tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, nested_locations(depth)))
    assert nginx_t(conf)[0] == 0
    # The rules still walk each nested location's ancestors (seconds at 10^4): the tree alone there.
    result = run_lint(conf) if depth <= 1_000 else run_lint("--select", "NC000", conf)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr


def test_nesting_deeper_than_nginx_reads_safely_is_a_warning(tmp_path: Path) -> None:
    # nginx recurses per level: Debian's 1.22 crashes near 13,000 nested locations with an 8 MiB
    # stack and reads 10^5 with an unlimited one, so lint reads it and warns.
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, nested_locations(tree_module.NGINX_STACK_DEPTH + 10)))
    result = run_lint("--select", "NC000", conf)
    assert result.returncode == 0, result.stderr
    assert re.search(r"warning: .*nginx.conf:\d+: blocks and includes nested over 10,000 deep", result.stderr)


def include_chain(tmp_path: Path, length: int) -> Path:
    for index in range(length):
        body = f"include inc{index + 1}.conf;\n" if index < length - 1 else "sendfile on;\n"
        (tmp_path / f"inc{index}.conf").write_text(body)
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, "    include inc0.conf;"))
    return conf


@pytest.mark.nginx
@pytest.mark.parametrize("length", [66, 1_000])
def test_long_include_chain_nginx_accepts_is_no_cycle(length: int, tmp_path: Path) -> None:
    conf = include_chain(tmp_path, length)
    assert nginx_t(conf)[0] == 0
    result = run_lint(conf)
    assert result.returncode == 0, result.stderr
    assert len(load_tree([conf]).files) == length + 1


@pytest.mark.nginx
def test_include_cycle_is_refused_where_nginx_crashes(tmp_path: Path) -> None:
    (tmp_path / "loop.conf").write_text("include loop.conf;\n")
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, "    include loop.conf;"))
    status, _ = nginx_t(conf)
    assert status != 0  # nginx includes the file again and again until its stack overflows
    result = run_lint(conf)
    assert result.returncode == 3
    assert lint_error(result) == (f"{tmp_path}/loop.conf:1: include cycle: {tmp_path}/loop.conf includes itself "
                                  "(nginx would recurse until it crashes)")


# ---------------------------------------------------------------------------------------------
# What nginx refuses: a last backslash, a \r inside a comment, too long words


@pytest.mark.nginx
@pytest.mark.parametrize("tail", ["\\", "# note\n\\", "worker_processes 1", 'pid "x'], ids=["backslash", "backslash_after_comment", "word", "open_quote"])
def test_unfinished_last_statement_is_refused_as_nginx_does(tail: str, tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, tail=tail))
    assert nginx_t(conf)[0] != 0
    assert_same_verdict(conf)


GLUED = {
    # CVAT's published config: a quote left open pairs with the next string's first quote.
    "unclosed_quote": 'server {\n    location / {\n        add_header X-A "one;\n    }\n'
                      '    location /assets/ {\n        expires 1y;\n        add_header Cache-Control "public";\n    }\n}\n',
    "double": 'server {\n    add_header X-A "a"b;\n}\n',
    "single": "server {\n    add_header X-A 'a'b;\n}\n",
    "brace": 'server {\n    add_header X-A "a"}\n',
    # accepted: a quote inside a bare word is an ordinary character; `)` may follow a string
    "bare_word_quotes": 'server {\n    add_header X-A a"b"c;\n}\n',
    "condition": 'server {\n    if ($http_x = "a") {\n        return 404;\n    }\n}\n',
    "comment_quote": "server {\n    # it's fine\n    add_header X-A \"a\";\n}\n",
    "lua_named_in_a_comment": '# content_by_lua_block is not used here\nserver {\n    add_header X-A "a"b;\n}\n',
}


def test_a_vertical_tab_after_a_quoted_string_is_glued_to_it(tmp_path: Path) -> None:
    """nginx's white space is space, tab, CR and LF only: `"a"\\v` is unexpected (nginx -t:
    unexpected "\\v" at line 2; lint's one line shows the character escaped)."""
    conf = tmp_path / "site.conf"
    conf.write_text('server {\n    add_header X-A "a"\x0b;\n}\n')
    result = run_lint(conf)
    assert result.returncode == 3 and lint_error(result) == f'{conf}:2: unexpected "\\x0b"'


@pytest.mark.nginx
@pytest.mark.parametrize("name", GLUED)
def test_a_character_glued_to_a_quoted_string_is_judged_as_nginx_does(name: str, tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, http_body=GLUED[name]))
    assert_same_verdict(conf)


@pytest.mark.nginx
def test_backslash_ending_a_comment_at_the_end_is_fine(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, tail="# a comment \\"))
    assert nginx_t(conf)[0] == 0
    assert_same_verdict(conf)


@pytest.mark.nginx
def test_carriage_return_does_not_end_a_comment(tmp_path: Path) -> None:
    # nginx ends a comment only at \n: the brace after the \r is part of the comment, so the
    # http block closes at the next brace and the last one is one too many.
    conf = tmp_path / "nginx.conf"
    conf.write_bytes(whole_conf(tmp_path, "    sendfile on; # note\r}\n}").encode())
    status, emerg = nginx_t(conf)
    assert status != 0 and emerg == f'{conf}:9: unexpected "}}"'
    assert_same_verdict(conf)


@pytest.mark.nginx
def test_carriage_return_hides_a_directive_in_a_comment(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    # nginx never sees `expires` (no expires in http context otherwise... it is a comment):
    conf.write_bytes(whole_conf(tmp_path, "    # note\rlisten 80;\n").encode())
    assert nginx_t(conf)[0] == 0  # `listen` in http context would be refused: nginx never saw it
    assert_same_verdict(conf)


@pytest.mark.nginx
def test_crlf_config_is_read(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_bytes(whole_conf(tmp_path, "    sendfile on;").replace("\n", "\r\n").encode())
    assert nginx_t(conf)[0] == 0
    assert_same_verdict(conf)


# nginx keeps a word in its 4 KiB buffer (NGX_CONF_BUFFER) until the character after it is
# read: where exactly the limit falls, measured on nginx itself.
LONG_WORDS = {
    "bare_4095_semicolon": "a" * 4095 + ";",
    "bare_4095_space": "a" * 4095 + " ;",
    "bare_4096": "a" * 4096 + ";",
    "quoted_4094_semicolon": '"' + "a" * 4094 + '";',
    "quoted_4094_space": '"' + "a" * 4094 + '" ;',
    "quoted_4095": '"' + "a" * 4095 + '";',
    "quoted_4096": '"' + "a" * 4096 + '";',
    "quoted_with_spaces": '"' + "a b " * 1100 + '";',
    "multibyte_2048": "é" * 2048 + ";",
}


@pytest.mark.nginx
@pytest.mark.parametrize("name", sorted(LONG_WORDS))
def test_long_word_refused_exactly_where_nginx_refuses_it(name: str, tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, f"    server {{ listen 127.0.0.1:8080; set $x {LONG_WORDS[name]} }}"))
    assert_same_verdict(conf)


@pytest.mark.nginx
@pytest.mark.parametrize("length", [4095, 4096, 10_000])
def test_long_comment_refused_exactly_where_nginx_refuses_it(length: int, tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, "#" + "c" * (length - 1) + "\n    sendfile on;"))
    assert_same_verdict(conf)


@pytest.mark.slow  # writes 50 MB: CI runs it (-m slow)
@pytest.mark.nginx
def test_50_mb_token_is_refused_fast(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(whole_conf(tmp_path, "    server_names_hash_bucket_size " + "9" * 50_000_000 + ";"))
    status, emerg = nginx_t(conf)
    assert status != 0 and emerg == f'{conf}:7: too long parameter "9999999999..." started'
    result = run_lint(conf, timeout=30)  # crossplane alone would lex it for a minute
    assert result.returncode == 3
    assert lint_error(result) == emerg


def test_long_word_in_a_long_map_body_is_refused(tmp_path: Path) -> None:
    # Plain map lines are read by lexer.py's line grammar, not crossplane: checked there too.
    entries = "".join(f'    "/k{index}" 1;\n' for index in range(200)) + '    "' + "k " * 2100 + '" 1;\n'
    conf = tmp_path / "maps.conf"
    conf.write_text("map $uri $x {\n" + entries + "}\n")
    with pytest.raises(ConfigError) as raised:
        load_tree([conf])
    assert (raised.value.line, raised.value.message) == (202, 'too long parameter, probably missing terminating """ character')


# ---------------------------------------------------------------------------------------------
# What is no config file: refused at once, exit 3, one line naming it


def assert_refused(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 3, result.stderr
    assert lint_error(result) == expected
    assert result.stdout == ""


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.conf"
    os.mkfifo(fifo)
    assert_refused(run_lint(fifo, timeout=20), f"{fifo}: not a regular file (a FIFO): lint reads only config files")


def test_included_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.conf")
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp { include pipe.conf; }\n")
    assert_refused(run_lint(conf, timeout=20), f"{tmp_path}/pipe.conf: not a regular file (a FIFO): lint reads only config files")


def test_fifo_in_a_machine_format_is_an_nc000_finding(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.conf"
    os.mkfifo(fifo)
    result = run_lint("--format", "json", fifo, timeout=20)
    assert result.returncode == 3
    [finding] = json.loads(result.stdout)
    assert (finding["code"], finding["file"], finding["message"]) == ("NC000", str(fifo), "not a regular file (a FIFO): lint reads only config files")


def test_character_device_is_refused(tmp_path: Path) -> None:
    zero = tmp_path / "zero.conf"
    try:
        os.mknod(zero, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # a twin of /dev/zero
    except OSError as exc:
        pytest.skip(f"cannot make a device node here (needs root, no nodev mount): {exc.strerror}")
    assert_refused(run_lint(zero, timeout=20), f"{zero}: not a regular file (a character device): lint reads only config files")


def test_dev_zero_is_refused() -> None:
    assert_refused(run_lint("/dev/zero", timeout=20), "/dev/zero: not a regular file (a character device): lint reads only config files")


def test_directory_is_refused(tmp_path: Path) -> None:
    assert_refused(run_lint(tmp_path), f"{tmp_path}: is a directory, not a config file")


def test_path_through_a_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("events {}\n")
    assert_refused(run_lint(tmp_path / "file" / "x.conf"), f"{tmp_path}/file/x.conf: cannot read: Not a directory")


def test_file_without_read_permission_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads a chmod 000 file (the path-through-a-file test covers an unreadable path)")
    conf = tmp_path / "secret.conf"
    conf.write_text("events {}\n")
    conf.chmod(0)
    assert_refused(run_lint(conf), f"{conf}: cannot read: Permission denied")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert_refused(run_lint(tmp_path / "none.conf"), f"{tmp_path}/none.conf: no such file")


def test_symlink_to_a_config_is_read(tmp_path: Path) -> None:
    conf = tmp_path / "real.conf"
    conf.write_text("events {}\nhttp { sendfile on; }\n")
    link = tmp_path / "link.conf"
    link.symlink_to(conf)
    result = run_lint(link)
    assert result.returncode == 0, result.stderr


def test_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_module, "MAX_CONFIG_BYTES", 1 << 20)  # the real 256 MiB, scaled down
    conf = tmp_path / "big.conf"
    conf.write_text("events {}\nhttp {\n" + "    sendfile on;\n" * 70_000 + "}\n")
    with pytest.raises(ConfigError) as raised:
        load_tree([conf])
    assert str(raised.value) == f"{conf}: {conf.stat().st_size:,} bytes, over lint's limit of 1 MiB for one config file"


def test_size_limit_is_256_mib_and_documented() -> None:
    assert tree_module.MAX_CONFIG_BYTES == 256 * 1024 * 1024
    docs = (Path(__file__).resolve().parent.parent / "docs" / "lint.md").read_text()
    assert "256 MiB" in docs
