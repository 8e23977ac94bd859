"""Manifests an attacker shaped (issue 10): files that are not regular files, sizes without
end, JSON Python's parser refuses or bends, URLs urlsplit would misread, names too long for
nginx, and control characters (C1, bidi) in every format. Each is refused with exit 3 and
one line naming the file, or accepted for a stated reason."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nginxcache.cli import main
from nginxcache.errors import ExitCode, ManifestError
from nginxcache.manifests import MAX_MANIFEST_BYTES, load_manifest
from nginxcache.mapformat import map_key
from nginxcache.model import ManifestFormat
from nginxcache.quoting import MAX_NAME_BYTES, NGINX_MAX_QUOTED_BYTES, nginx_quote, written_bytes

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="needs Debian's nginx binary")


def render(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["render", *map(str, args)])
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def refused(capsys: pytest.CaptureFixture[str], manifest: Path, *args: str, says: str) -> str:
    """Render `manifest`: exit 3 and one stderr line naming it and saying `says`."""
    code, out, err = render(capsys, manifest, *args)
    lines = err.splitlines()
    assert (code, out) == (ExitCode.BAD_INPUT, ""), err
    assert len(lines) == 1 and lines[0].isprintable(), lines
    assert lines[0].startswith(f"nginxcache: error: {manifest}"), lines[0]
    assert says in lines[0], lines[0]
    return lines[0]


def write_json(path: Path, data: Any, *, ensure_ascii: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=ensure_ascii), encoding="utf-8")
    return path


DJANGO = {"version": "1.1", "paths": {"app.css": "app.0123456789ab.css"}}


# --- files that are not regular files ---------------------------------------------------


def test_a_fifo_is_refused_without_hanging(capsys, tmp_path: Path) -> None:
    fifo = tmp_path / "staticfiles.json"
    os.mkfifo(fifo)
    refused(capsys, fifo, says="not a regular file (a FIFO)")
    link = tmp_path / "link.json"
    link.symlink_to(fifo)
    refused(capsys, link, says="not a regular file (a FIFO)")


def test_a_fifo_swapped_in_after_the_stat_is_refused_by_fstat(capsys, tmp_path: Path, monkeypatch) -> None:
    """The path is a regular file when looked at, a FIFO when opened: O_NONBLOCK keeps the
    open from waiting for a writer, fstat sees what was opened."""
    path = write_json(tmp_path / "staticfiles.json", DJANGO)
    real_open = os.open

    def swap_then_open(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(name) == path:
            path.unlink()
            os.mkfifo(path)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap_then_open)
    refused(capsys, path, says="not a regular file (a FIFO)")


def make_device(path: Path) -> None:
    """A twin of /dev/zero (character device 1, 5), or skip where mknod is refused."""
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror}): needs root outside a user namespace")


def test_a_dev_zero_twin_is_refused_not_read(capsys, tmp_path: Path) -> None:
    device = tmp_path / "manifest.json"
    make_device(device)
    refused(capsys, device, says="not a regular file (a character device)")
    link = tmp_path / "staticfiles.json"
    link.symlink_to(device)
    refused(capsys, link, says="not a regular file (a character device)")


def test_dev_urandom_through_a_symlink_is_refused(capsys, tmp_path: Path) -> None:
    link = tmp_path / "manifest.json"
    link.symlink_to("/dev/urandom")
    refused(capsys, link, says="not a regular file (a character device)")


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    target = write_json(tmp_path / "real" / "staticfiles.json", DJANGO)
    link = tmp_path / "staticfiles.json"
    link.symlink_to(target)
    assert [entry.path for entry in load_manifest(link).hashed] == ["app.0123456789ab.css"]


# --- size --------------------------------------------------------------------------------


def test_size_limit_is_a_parameter_and_names_the_option(tmp_path: Path) -> None:
    path = write_json(tmp_path / "staticfiles.json", DJANGO)
    size = path.stat().st_size
    assert load_manifest(path, max_bytes=size).format is ManifestFormat.DJANGO  # at the limit: read
    with pytest.raises(ManifestError) as caught:
        load_manifest(path, max_bytes=size - 1)
    message = str(caught.value)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert message.startswith(f"{path}: larger than {size - 1} bytes") and "--max-manifest-size" in message
    assert MAX_MANIFEST_BYTES == 1 << 30
    with pytest.raises(ManifestError, match=r"larger than 1073741824 bytes \(1 GiB\)"):
        load_manifest(path, max_bytes=MAX_MANIFEST_BYTES) if size > MAX_MANIFEST_BYTES else _raise_too_big(path)


def _raise_too_big(path: Path) -> None:
    from nginxcache.manifests import _too_big

    raise _too_big(path, MAX_MANIFEST_BYTES)


def test_a_file_that_claims_no_size_is_read_only_up_to_the_limit(tmp_path: Path, monkeypatch) -> None:
    """/proc files say they are empty: the read still stops one byte past the limit."""
    path = tmp_path / "staticfiles.json"
    path.write_bytes(b" " * 5000 + json.dumps(DJANGO).encode())
    real_fstat = os.fstat

    def says_empty(fd: int) -> os.stat_result:
        status = real_fstat(fd)
        return os.stat_result((status.st_mode, *status[1:6], 0, *status[7:]))

    monkeypatch.setattr(os, "fstat", says_empty)
    with pytest.raises(ManifestError, match="larger than 4096 bytes"):
        load_manifest(path, max_bytes=4096)
    assert load_manifest(path, max_bytes=path.stat().st_size).format is ManifestFormat.DJANGO


# --- unreadable --------------------------------------------------------------------------


def test_a_directory_and_a_path_through_a_file_are_exit_3(capsys, tmp_path: Path) -> None:
    # A directory is a build directory: one that no tool's evidence is found in is refused.
    refused(capsys, tmp_path, says="no build tool recognised")
    file = write_json(tmp_path / "staticfiles.json", DJANGO)
    refused(capsys, file / "x.json", says="cannot read: Not a directory")


def test_a_file_the_process_may_not_read_is_exit_3_from_the_reader(tmp_path: Path, monkeypatch) -> None:
    path = write_json(tmp_path / "staticfiles.json", DJANGO)
    real_open = os.open

    def denied(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(name) == path:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert str(caught.value) == f"{path}: cannot read: Permission denied"
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_an_unreadable_manifest_is_exit_3_on_the_command_line(capsys, tmp_path: Path, monkeypatch) -> None:
    """Root reads anything, so unreadability is simulated where Click's readable check
    (os.access: it gave exit 2 until the CLI stopped checking) and the reader (os.open) meet it."""
    path = write_json(tmp_path / "staticfiles.json", DJANGO)
    real_access, real_open = os.access, os.open

    def no_access(name: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        return False if Path(name) == path else real_access(name, mode, *args, **kwargs)

    def denied(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(name) == path:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "access", no_access)
    monkeypatch.setattr(os, "open", denied)
    refused(capsys, path, says="cannot read: Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode: simulated in the test above")
def test_a_chmod_000_manifest_is_exit_3(capsys, tmp_path: Path) -> None:
    path = write_json(tmp_path / "staticfiles.json", DJANGO)
    path.chmod(0)
    refused(capsys, path, says="cannot read: Permission denied")


# --- JSON Python refuses or bends ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"version": "1.1", "paths": {}, "n": ' + "9" * 5000 + "}", "Exceeds the limit (4300 digits)"),
        ('{"version": "1.1", "paths": {"a.css": NaN}}', "NaN is not a JSON value"),
        ('{"version": "1.1", "paths": {"a.css": Infinity}}', "Infinity is not a JSON value"),
        ('{"version": "1.1", "paths": {"a.css": -Infinity}}', "-Infinity is not a JSON value"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"version": "1.1", "paths": {"a.css": "a.0123456789ab.css",}}', "invalid JSON at column"),
        ('{"version": "1.1", "paths": {"a.css": 1e999}}', "expected a string, found a number"),  # parsed as inf
    ],
    ids=["5000-digit-integer", "NaN", "Infinity", "-Infinity", "deeply-nested", "trailing-comma", "huge-float"],
)
def test_json_python_refuses_or_bends_is_exit_3(capsys, tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "staticfiles.json"
    path.write_text(text, encoding="utf-8")
    refused(capsys, path, says=says)


def test_a_huge_float_where_no_string_is_read_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "staticfiles.json"
    path.write_text('{"version": "1.1", "hash": 1e999, "paths": {"a.css": "a.0123456789ab.css"}}', encoding="utf-8")
    assert load_manifest(path).format is ManifestFormat.DJANGO


def test_deep_nesting_below_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "staticfiles.json"
    path.write_text('{"version": "1.1", "x": ' + "[" * 500 + "]" * 500 + ', "paths": {"a.css": "a.0123456789ab.css"}}')
    assert load_manifest(path).format is ManifestFormat.DJANGO


def test_a_key_given_twice_reads_as_every_consumer_does_the_last(tmp_path: Path) -> None:
    """Django (json), webpack's runtime (JSON.parse), PHP and Ruby all keep the last: so does
    nginxcache, and the first value is then an unlisted file (revalidated: the safe side)."""
    path = tmp_path / "staticfiles.json"
    path.write_text('{"version": "1.1", "paths": {"a.css": "a.111111111111.css", "a.css": "a.222222222222.css"}}')
    assert [entry.path for entry in load_manifest(path).hashed] == ["a.222222222222.css"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (json.dumps(DJANGO).encode("utf-16"), "is UTF-16, not UTF-8"),
        (json.dumps(DJANGO).encode("utf-16-le"), "is UTF-16-LE, not UTF-8"),
        (json.dumps(DJANGO).encode("utf-16-be"), "is UTF-16-BE, not UTF-8"),
        (json.dumps(DJANGO).encode("utf-32"), "is UTF-32, not UTF-8"),
        (json.dumps(DJANGO).replace("app.0", "app\xe9.0").encode("latin-1"), "not UTF-8 (byte"),
        (json.dumps(DJANGO).encode().replace(b"app.0", b"app\xed\xa0\x80.0"), "not UTF-8 (byte"),  # a raw surrogate
        (json.dumps(DJANGO).replace("app.0", "app\\ud800.0").encode(), "lone surrogate"),
        (json.dumps(DJANGO).replace("app.0", "app\\udc00.0").encode(), "lone surrogate"),
    ],
    ids=["utf-16-bom", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "raw-surrogate", "escaped-high", "escaped-low"],
)
def test_encodings_and_surrogates(capsys, tmp_path: Path, raw: bytes, says: str) -> None:
    path = tmp_path / "staticfiles.json"
    path.write_bytes(raw)
    refused(capsys, path, says=says)


def test_a_utf8_bom_is_accepted(capsys, tmp_path: Path) -> None:
    path = tmp_path / "staticfiles.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(DJANGO).encode())
    assert render(capsys, path)[0] == 0


# --- CDN URLs urlsplit would misread ------------------------------------------------------


CDN = "https://cdn.example.com/static/main.1234abcd.js"


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (CDN.replace("main.", "ma\tin."), "control character"),
        (CDN.replace("main.", "ma\rin."), "control character"),
        (CDN.replace("main.", "ma\nin."), "control character"),
        ("\x01" + CDN, "control character"),
        (CDN.replace("main.", "ma\x85in."), "control character"),
        (CDN + "#x", "a URL with a fragment ('#')"),
        (CDN.replace("main.", "m#ain."), "a URL with a fragment ('#')"),
        (" " + CDN, "a URL with spaces before it"),
    ],
    ids=["tab", "cr", "lf", "leading-c0", "c1", "fragment", "fragment-inside", "leading-space"],
)
@pytest.mark.parametrize(
    ("relpath", "manifest"),
    [
        ("manifest.json", lambda value: {"main.js": value, "other.js": "/static/other.0123abcd.js"}),
        ("public/mix-manifest.json", lambda value: {"/js/app.js": value.replace("main.1234abcd.js", "js/app.js?id=0123456789abcdef")}),
        ("asset-manifest.json", lambda value: {"files": {"main.js": value}, "entrypoints": ["static/js/x.0123abcd.js"]}),
        ("public/build/entrypoints.json", lambda value: {"entrypoints": {"app": {"js": [value]}}}),
        ("stats.json", lambda value: {"publicPath": value.rsplit("/", 1)[0] + "/", "assets": [{"name": "main.1234abcd.js"}]}),
    ],
    ids=["webpack", "mix", "cra", "encore", "webpack-stats-publicPath"],
)
def test_cdn_urls_with_controls_or_fragments_are_refused(
    capsys, tmp_path: Path, relpath: str, manifest: Callable[[str], Any], bad: str, says: str
) -> None:
    if relpath == "stats.json" and "#" in bad and not bad.rsplit("/", 1)[0].count("#"):
        pytest.skip("the publicPath holds the URL up to the last '/' only")
    if relpath == "stats.json" and bad.rsplit("/", 1)[0] + "/" == "https://cdn.example.com/static/":
        pytest.skip("the bad character lies in the file name, not in the publicPath")
    fmt = {"stats.json": "webpack-stats"}.get(relpath)
    path = write_json(tmp_path / relpath, manifest(bad), ensure_ascii=False)
    good = write_json(tmp_path / "good" / relpath, manifest(CDN))
    format_option = ["--manifest-format", fmt] if fmt else []
    code, _, err = render(capsys, good, "--prefix", "/static/" if "mix" not in relpath else "/", *format_option)
    assert code == 0, err
    line = refused(capsys, path, *format_option, says=says)
    assert " at [" in line  # the key path


def test_cdn_url_without_surprises_keeps_its_path(tmp_path: Path) -> None:
    path = write_json(tmp_path / "manifest.json", {"main.js": CDN, "a.js": "//cdn.example.com/static/a.0123abcd.js"})
    assert {entry.path for entry in load_manifest(path).hashed} == {"/static/main.1234abcd.js", "/static/a.0123abcd.js"}


# --- names too long for nginx ---------------------------------------------------------------


@needs_nginx
@pytest.mark.nginx
def test_nginx_token_limit_is_as_measured(tmp_path: Path) -> None:
    """NGINX_MAX_QUOTED_BYTES bytes between the quotes pass `nginx -t`, one more fails with
    "too long parameter": as a map key, an exact location and a regex key."""

    def passes(body: str) -> bool:
        conf = tmp_path / "nginx.conf"
        conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n"
                        f"map_hash_bucket_size 8192;\n{body}\n}}\n")
        result = subprocess.run([str(NGINX), "-t", "-q", "-p", f"{tmp_path}/", "-c", str(conf)], capture_output=True, text=True)
        assert result.returncode == 0 or "too long parameter" in result.stderr, result.stderr
        return result.returncode == 0

    forms = {
        "map": lambda n: 'map $uri $h {\n    default 0;\n    "/' + "a" * (n - 1) + '" 1;\n}',
        "exact": lambda n: 'server {\n    listen 127.0.0.1:1;\n    location = "/' + "a" * (n - 1) + '" { return 204; }\n}',
        "regex": lambda n: 'map $uri $h {\n    default 0;\n    "~^/' + "a" * (n - 9) + '\\\\.\\\\z" 1;\n}',
    }
    for make in forms.values():
        assert passes(make(NGINX_MAX_QUOTED_BYTES)) and not passes(make(NGINX_MAX_QUOTED_BYTES + 1))


def name_of_written_size(size: int, directory: str = "d/") -> str:
    """A Django hashed name written in exactly `size` bytes (its dots escaped in a regex key)."""
    tail = ".0123456789ab.css"
    name = directory + "x" * (size - written_bytes(directory + tail)) + tail
    assert written_bytes(name) == size
    return name


def test_written_bytes_is_what_render_writes() -> None:
    for name in ["a.b", 'q"uote', "back\\slash", "é日😀", "a b-c_d/e~f", "x" * 50]:
        assert len(nginx_quote(map_key("/static/" + name, True)).encode()) == 2 + len("~^\\\\z") + written_bytes("/static/" + name)


@needs_nginx
@pytest.mark.nginx
@pytest.mark.parametrize("strategy", ["map", "exact"])
def test_a_name_at_the_limit_passes_nginx_one_byte_more_is_refused(capsys, tmp_path: Path, strategy: str) -> None:
    """At the limit, as a plain key and (with a twin equal up to case) as a regex key, `nginx -t`
    passes; one byte more is refused before any config is written."""
    name = name_of_written_size(MAX_NAME_BYTES)
    twin = name.replace("d/", "D/")
    path = write_json(tmp_path / "ok" / "staticfiles.json", {"version": "1.1", "paths": {"a.css": name, "b.css": twin}})
    code, out, err = render(capsys, path, "--strategy", strategy, "--nginx-test")
    assert code == 0, err
    assert nginx_quote(map_key("/static/" + name, True)) in out or strategy == "exact"
    longer = name_of_written_size(MAX_NAME_BYTES + 1)
    path = write_json(tmp_path / "over" / "staticfiles.json", {"version": "1.1", "paths": {"a.css": "a.0123456789ab.css", "b.css": longer}})
    line = refused(capsys, path, "--strategy", strategy, says=f"over the {MAX_NAME_BYTES}-byte limit on names")
    assert 'at ["paths"]["b.css"]' in line and f"{MAX_NAME_BYTES + 1} bytes" in line and len(line) < 500


@pytest.mark.parametrize(
    ("relpath", "directory", "manifest"),
    [
        ("manifest.json", "static/d/", lambda name: {"main.js": "/" + name}),  # the value's path, below '/'
        ("dist/.vite/manifest.json", "d/", lambda name: {"index.html": {"file": name, "isEntry": True}}),
        ("staticfiles.json", "d/", lambda name: {"version": "1.1", "paths": {name: name}}),  # mapped to itself: per name
    ],
    ids=["webpack", "vite", "django-unhashed"],
)
def test_names_too_long_are_refused_per_name_too(
    capsys, tmp_path: Path, relpath: str, directory: str, manifest: Callable[[str], Any]
) -> None:
    path = write_json(tmp_path / relpath, manifest(name_of_written_size(MAX_NAME_BYTES + 1, directory)))
    refused(capsys, path, "--prefix", "/static/", says=f"over the {MAX_NAME_BYTES}-byte limit on names")
    write_json(path, manifest(name_of_written_size(MAX_NAME_BYTES, directory)))
    assert render(capsys, path, "--prefix", "/static/")[0] == 0


# --- control characters in every format -----------------------------------------------------


HEX = "0123456789abcdef"
FORMATS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "django": ("staticfiles.json", lambda n: {"version": "1.1", "paths": {"a.css": f"{n}.0123456789ab.css"}}),
    "django-original": ("staticfiles.json", lambda n: {"version": "1.1", "paths": {f"{n}.css": f"{n}.css"}}),
    "vite": ("dist/.vite/manifest.json", lambda n: {"index.html": {"file": f"assets/{n}-BdSJMAQq.js", "isEntry": True}}),
    "webpack": ("manifest.json", lambda n: {"main.js": f"/static/{n}.0123abcd.js"}),
    "webpack-stats": ("stats.json", lambda n: {"publicPath": "/static/", "assets": [{"name": f"{n}.0123abcd.js"}]}),
    "encore": ("public/build/entrypoints.json", lambda n: {"entrypoints": {"app": {"js": [f"/static/{n}.0123abcd.js"]}}}),
    "mix": ("public/mix-manifest.json", lambda n: {"/js/app.js": f"/js/{n}.js?id={HEX}"}),
    "webassets": ("static/.webassets-manifest", lambda n: {f"gen/{n}.js": "9b843719"}),
    "sprockets": ("public/assets/.sprockets-manifest-" + HEX * 2 + ".json",
                  lambda n: {"files": {f"{n}-{HEX * 4}.js": {"logical_path": "app.js", "digest": HEX * 4}},
                             "assets": {"app.js": f"{n}-{HEX * 4}.js"}}),
    "propshaft": ("public/assets/.manifest.json", lambda n: {"application.css": f"{n}-6d58c9e6.css"}),
    "cra": ("asset-manifest.json", lambda n: {"files": {"main.js": f"/static/js/{n}.0123abcd.js"}, "entrypoints": []}),
    "parcel": ("parcel-manifest.json", lambda n: {"index.js": f"/static/{n}.0123abcd.js"}),
    "esbuild": ("meta.json", lambda n: {"inputs": {}, "outputs": {f"dist/{n}-EBMNEBGK.js": {}}}),
    "angular": ("dist/ngsw.json", lambda n: {"configVersion": 1, "timestamp": 1, "index": "/static/index.html",
                                             "hashTable": {f"/static/{n}.4ab3d5e1f0a6c9e2b7d3.js": "0" * 40}}),
}
CONTROLS = {"NEL": "\x85", "CSI": "\x9b", "C1-first": "\x80", "LS": "\u2028", "PS": "\u2029", "RLO": "\u202e",
            "LRE": "\u202a", "RLI": "\u2067", "PDI": "\u2069", "RLM": "\u200f", "ALM": "\u061c", "DEL": "\x7f"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_the_name_without_control_characters(capsys, tmp_path: Path, fmt: str) -> None:
    relpath, manifest = FORMATS[fmt]
    path = write_json(tmp_path / relpath, manifest("app"))
    format_option = fmt.removesuffix("-original")
    code, _, err = render(capsys, path, "--manifest-format", format_option, "--prefix", "/static/")
    assert code == 0, err


def control_cases() -> list[Any]:
    """Every format with every control, raw and \\u-escaped (336 renders, 20 s): the default
    suite takes a diagonal that still holds every format and every control, raw and escaped;
    the whole matrix runs with the slow tests."""
    names = list(CONTROLS)
    cases = []
    for f_index, fmt in enumerate(FORMATS):
        for c_index, name in enumerate(names):
            for escaped in (False, True):
                diagonal = c_index in (f_index % len(names), (f_index + 5) % len(names))
                marks = () if diagonal else (pytest.mark.slow,)
                cases.append(pytest.param(fmt, CONTROLS[name], escaped, marks=marks,
                                          id=f"{fmt}-{name}-{'escaped' if escaped else 'raw'}"))
    return cases


@pytest.mark.parametrize(("fmt", "control", "escaped"), control_cases())
def test_c1_and_bidi_controls_are_refused_in_every_format(capsys, tmp_path: Path, fmt: str, control: str, escaped: bool) -> None:
    relpath, manifest = FORMATS[fmt]
    path = write_json(tmp_path / relpath, manifest(f"a{control}pp"), ensure_ascii=escaped)
    text = path.read_text(encoding="utf-8")
    assert (f"\\u{ord(control):04x}" in text) == escaped
    format_option = fmt.removesuffix("-original")
    line = refused(capsys, path, "--manifest-format", format_option, "--prefix", "/static/", says="control character")
    assert " at [" in line and repr(control)[1:-1] in line
