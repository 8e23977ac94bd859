"""nginxcache.scan: hashed names verified against the bytes, look-alikes, --trust-pattern."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django_build import build_django_static

from nginxcache import scan as scan_module
from nginxcache.classify import classify
from nginxcache.errors import ManifestError, UnsafeEntryError
from nginxcache.scan import ScanResult, format_report, scan


def write(root: Path, relpath: str, content: bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def digest(algorithm: str, content: bytes) -> str:
    return hashlib.new(algorithm, content).hexdigest()


def verified_paths(result: ScanResult) -> set[str]:
    return {path for path, _ in result.verified}


def lookalike_paths(result: ScanResult) -> set[str]:
    return {path for path, _ in result.lookalikes}


@pytest.fixture(scope="module")
def django_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_django_static(tmp_path_factory.mktemp("django"))


def test_real_django_tree_without_manifest(django_root: Path) -> None:
    manifest = json.loads((django_root / "staticfiles.json").read_text(encoding="utf-8"))["paths"]
    (django_root / "staticfiles.json").unlink()  # a manifest-less site
    result = scan(django_root)

    on_disk = {p.relative_to(django_root).as_posix() for p in django_root.rglob("*") if p.is_file()}
    values = {value for value in manifest.values() if value in on_disk}
    assert len(values) > 100  # django.contrib.admin is in there
    assert values <= verified_paths(result)
    # Everything else on disk is an original (a key): never hashed, whatever its name.
    # (Django writes `back\slash.txt`'s copy under a name its manifest does not spell.)
    assert verified_paths(result) == on_disk - set(manifest)
    assert not set(manifest) & verified_paths(result)
    assert {scheme for _, scheme in result.verified} == {"md5[:12]"}
    assert "site/.d86f92930bb7#hash-start.txt" in verified_paths(result)  # Django's '#' quirk
    assert "site/question.c75564c05281?mark.txt" in verified_paths(result)
    assert any(path.endswith(".css") for path in values)  # hashed after URL rewriting
    assert lookalike_paths(result) == {"site/vendor.0123456789ab.js"}
    assert result.files_scanned == len(on_disk)

    reading = result.reading
    assert reading.format == "scan"
    assert reading.file == str(django_root) and reading.build_root == django_root
    assert [entry.path for entry in reading.hashed] == sorted(verified_paths(result))
    assert all(entry.key_path == "verified: md5[:12]" for entry in reading.hashed)
    assert [entry.path for entry, _ in reading.unhashed] == ["site/vendor.0123456789ab.js"]


def test_scan_reading_feeds_classify(django_root: Path) -> None:
    result = scan(django_root)
    classification = classify([result.reading], "/static/", local_root=django_root)
    expected = {"/static/" + path for path in verified_paths(result)}
    dotfile = "/static/site/.d86f92930bb7#hash-start.txt"  # verified, but dotfiles are not served
    assert set(classification.hashed_uris) == expected - {dotfile}
    assert "dotfile" in classification.unhashed_evidence[dotfile][2]
    assert "/static/site/vendor.0123456789ab.js" in classification.unhashed_evidence
    assert "/static/site/vendor.0123456789ab.js" not in classification.hashed_uris


def test_scanned_subdirectory_of_root_is_served_below_it(tmp_path: Path) -> None:
    content = b"x\n"
    name = f"app.{digest('md5', content)[:12]}.js"
    write(tmp_path, f"dist/{name}", content)
    result = scan(tmp_path / "dist")
    assert classify([result.reading], "/static/", local_root=tmp_path).hashed_uris == [f"/static/dist/{name}"]
    assert classify([result.reading], "/static/", local_root=tmp_path / "dist").hashed_uris == [f"/static/{name}"]


def test_django_generations_left_on_disk_each_verify(tmp_path: Path) -> None:
    """collectstatic run again after an edit (as with CachedStaticFilesStorage) leaves the
    older hashed copy beside the new one: both verify."""
    root = build_django_static(tmp_path)
    first = json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))["paths"]["site/style.css"]
    (tmp_path / "assets" / "site" / "style.css").write_text("body { color: red; }\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
        cwd=tmp_path / "project",
        env={"DJANGO_SETTINGS_MODULE": "nginxcache_test_settings", "PYTHONPATH": str(tmp_path / "project"), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    second = json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))["paths"]["site/style.css"]
    assert first != second and (root / first).exists()
    verified = verified_paths(scan(root))
    assert {first, second} <= verified


def test_hugo_and_full_digests(tmp_path: Path) -> None:
    content = b"body { margin: 0 }\n"
    names = {
        f"css/main.min.{digest('sha256', content)}.css": "sha256",  # Hugo's default
        f"js/app.{digest('md5', content)}.js": "md5",
        f"js/app.{digest('sha512', content)}.js": "sha512",
        f"js/app.{digest('sha384', content)}.js": "sha384",
        f"img/logo-{digest('sha1', content)}.svg": "sha1",
        f"{digest('sha256', content)}": "sha256",  # the whole name
        f"LICENSE.{digest('md5', content)[:12]}": "md5[:12]",  # extensionless
        f"x.js.{digest('md5', content)[:12]}.map": "md5[:12]",
        f"up.{digest('sha256', content).upper()}.css": "sha256",
    }
    for name in names:
        write(tmp_path, name, content)
    result = scan(tmp_path)
    assert dict(result.verified) == names
    assert result.lookalikes == [] and result.trusted == []


def test_common_truncations_verify(tmp_path: Path) -> None:
    expected = {}
    for algorithm in ("md5", "sha1", "sha256"):
        for length in (8, 10, 12, 16, 20):
            content = f"{algorithm} {length}\n".encode()
            name = f"{algorithm}/f{length}-{digest(algorithm, content)[:length]}.js"
            write(tmp_path, name, content)
            expected[name] = f"{algorithm}[:{length}]"
    assert dict(scan(tmp_path).verified) == expected


def test_lookalike_is_unhashed_with_reason(tmp_path: Path) -> None:
    write(tmp_path, "vendor.0123456789ab.js", b"/* copied from a CDN */\n")
    result = scan(tmp_path)
    assert result.verified == [] and result.trusted == []
    [(path, why)] = result.lookalikes
    assert path == "vendor.0123456789ab.js"
    assert "'0123456789ab'" in why and "md5" in why
    assert result.reading.hashed == []
    [(entry, reason)] = result.reading.unhashed
    assert entry.path == path and reason == why


def test_non_verifying_truncated_tokens(tmp_path: Path) -> None:
    content = b"console.log(1)\n"
    md5 = digest("md5", content)
    write(tmp_path, f"shifted.{md5[1:11]}.js", content)  # 10 hex, but not the first 10
    write(tmp_path, f"edited.{md5[:12]}.js", content + b"// edited after naming\n")
    write(tmp_path, f"wrong-length.{md5[:14]}.js", content)  # no scheme writes 14 hex
    write(tmp_path, f"not-sha1.{md5}{md5[:8]}.js", content)  # 40 hex that is no sha1
    result = scan(tmp_path)
    assert result.verified == []
    reasons = dict(result.lookalikes)
    assert set(reasons) == {
        f"shifted.{md5[1:11]}.js",
        f"edited.{md5[:12]}.js",
        f"wrong-length.{md5[:14]}.js",
        f"not-sha1.{md5}{md5[:8]}.js",
    }
    assert "no known scheme writes 14 hex digits" in reasons[f"wrong-length.{md5[:14]}.js"]
    assert "is not the sha1 of the content" in reasons[f"not-sha1.{md5}{md5[:8]}.js"]


def test_trust_pattern(tmp_path: Path) -> None:
    write(tmp_path, "assets/index-BdSJMAQq.js", b"vite 5\n")  # base64url: not verifiable
    write(tmp_path, "assets/vendor-0123456789ab.js", b"copied\n")
    write(tmp_path, "assets/theme.js", b"no hash in the name\n")
    write(tmp_path, "other/lib.0123456789ab.js", b"copied\n")
    content = b"real\n"
    hashed = f"assets/real.{digest('md5', content)[:12]}.js"
    write(tmp_path, hashed, content)

    untrusted = scan(tmp_path)
    assert lookalike_paths(untrusted) == {"assets/index-BdSJMAQq.js", "assets/vendor-0123456789ab.js", "other/lib.0123456789ab.js"}
    assert "is not hex" in dict(untrusted.lookalikes)["assets/index-BdSJMAQq.js"]

    result = scan(tmp_path, trust_pattern=re.compile(r"assets/.*"))
    assert result.trusted == ["assets/index-BdSJMAQq.js", "assets/vendor-0123456789ab.js"]
    assert lookalike_paths(result) == {"other/lib.0123456789ab.js"}
    assert verified_paths(result) == {hashed}  # verified files stay verified, not "trusted"
    hashed_entries = {entry.path: entry.key_path for entry in result.reading.hashed}
    assert set(hashed_entries) == {hashed, "assets/index-BdSJMAQq.js", "assets/vendor-0123456789ab.js"}
    assert hashed_entries["assets/vendor-0123456789ab.js"].startswith("trusted")
    assert "assets/theme.js" not in hashed_entries  # a pattern never makes a plain name hashed
    # The pattern must match the whole relative path.
    assert scan(tmp_path, trust_pattern=re.compile("assets/")).trusted == []


def test_plain_names_are_not_listed(tmp_path: Path) -> None:
    for name in (
        "index.html",
        "app.20240101.js",  # a date
        "my-long-name.css",
        "OpenSans-Regular.woff2",
        "bootstrap-icons.css",
        "deadbeef.txt",  # a word made of hex letters
        "robots.txt",
    ):
        write(tmp_path, name, b"x\n")
    result = scan(tmp_path)
    assert result.verified == [] and result.lookalikes == [] and result.trusted == []
    assert result.files_scanned == 7


def test_all_digit_token_that_verifies_counts(tmp_path: Path) -> None:
    """A real md5[:8] is all digits about once in 44: such names are still tried."""
    content = next(c for c in (f"v{i}\n".encode() for i in range(10_000)) if digest("md5", c)[:8].isdigit())
    name = f"app.{digest('md5', content)[:8]}.js"
    write(tmp_path, name, content)
    assert scan(tmp_path).verified == [(name, "md5[:8]")]


def test_gzip_copy_verified_through_its_content(tmp_path: Path) -> None:
    content = b"body { color: blue }\n"
    name = f"app.{digest('md5', content)[:12]}.css"
    write(tmp_path, name, content)
    write(tmp_path, name + ".gz", gzip.compress(content))
    write(tmp_path, f"old.{digest('md5', content)[:12]}.css.gz", gzip.compress(b"something else\n"))
    write(tmp_path, name + ".br", b"not really brotli")
    result = scan(tmp_path)
    assert dict(result.verified) == {name: "md5[:12]", name + ".gz": "md5[:12] of the gunzipped content"}
    reasons = dict(result.lookalikes)
    assert set(reasons) == {f"old.{digest('md5', content)[:12]}.css.gz", name + ".br"}
    assert "brotli" in reasons[name + ".br"]


def test_symlinks_followed_once_and_loops_end(tmp_path: Path) -> None:
    content = b"linked\n"
    hashed = f"real/lib.{digest('md5', content)[:12]}.js"
    write(tmp_path, hashed, content)
    (tmp_path / "real" / "loop").symlink_to("..")  # a loop back to the root
    (tmp_path / "alias").symlink_to("real")  # aliases sort before "real": the real path still wins
    (tmp_path / "a-alias").symlink_to("real")
    (tmp_path / "file-link.0123456789ab.js").symlink_to(hashed)  # a symlinked file is served
    (tmp_path / f"link.{digest('md5', content)[:12]}.js").symlink_to(hashed)
    (tmp_path / "dangling.0123456789ab.js").symlink_to("nowhere")
    result = scan(tmp_path)
    assert verified_paths(result) == {hashed, f"link.{digest('md5', content)[:12]}.js"}
    assert lookalike_paths(result) == {"file-link.0123456789ab.js"}
    notes = "\n".join(result.notes)
    assert "'real/loop': symlink to a directory already scanned as '.'" in notes
    assert "'alias': symlink to a directory already scanned as 'real'" in notes
    assert "'a-alias'" in notes
    assert "'dangling.0123456789ab.js': broken symlink" in notes


def test_dotfiles_are_reported_like_other_files(tmp_path: Path) -> None:
    content = b"hidden\n"
    write(tmp_path, f".cache/x.{digest('md5', content)[:12]}.js", content)
    write(tmp_path, ".well-known/key.0123456789ab.txt", b"?\n")
    result = scan(tmp_path)
    assert verified_paths(result) == {f".cache/x.{digest('md5', content)[:12]}.js"}
    assert lookalike_paths(result) == {".well-known/key.0123456789ab.txt"}


def test_hostile_name_refused_clearly(tmp_path: Path) -> None:
    write(tmp_path, "ok/a\nb.0123456789ab.js", b"x\n")
    with pytest.raises(UnsafeEntryError) as caught:
        scan(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path} at ok/a\\nb.0123456789ab.js: ")
    assert "control character; refused" in message and "\n" not in message


def test_hostile_plain_name_without_hash_is_left_alone(tmp_path: Path) -> None:
    write(tmp_path, "notes\nfor me.txt", b"x\n")  # never reaches the config: it revalidates
    assert scan(tmp_path).files_scanned == 1


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not a directory"):
        scan(tmp_path / "missing")


def test_unreadable_hashed_file_is_a_lookalike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "locked.0123456789ab.js", b"x\n")
    real = scan_module._digests

    def refuse(path: str, algorithms: set[str], *, gunzip: bool = False) -> dict[str, str]:
        if path.endswith("locked.0123456789ab.js"):
            raise PermissionError(13, "Permission denied")
        return real(path, algorithms, gunzip=gunzip)

    monkeypatch.setattr(scan_module, "_digests", refuse)
    assert scan(tmp_path).lookalikes == [("locked.0123456789ab.js", "cannot be read (Permission denied)")]


def test_big_file_hashed_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_module, "_CHUNK", 4096)
    content = os.urandom(3 * 4096 + 123)
    name = f"blob.{digest('sha256', content)}.bin"
    write(tmp_path, name, content)
    reads: list[int] = []
    real_open = open

    class Recorder:
        def __init__(self, stream: object) -> None:
            self.stream = stream

        def __enter__(self) -> Recorder:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()  # type: ignore[attr-defined]

        def read(self, size: int) -> bytes:
            reads.append(size)
            return self.stream.read(size)  # type: ignore[attr-defined, no-any-return]

    monkeypatch.setattr(scan_module, "open", lambda path, mode: Recorder(real_open(path, mode)), raising=False)
    assert scan(tmp_path).verified == [(name, "sha256")]
    assert reads == [4096] * 5  # four chunks, then the empty read at the end


def test_thousands_of_files_only_candidates_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected_verified, expected_lookalikes = set(), set()
    for i in range(3000):
        directory = f"d{i % 30}"
        content = f"file {i}\n".encode()
        if i % 3 == 0:
            name = f"{directory}/f{i}.{digest('md5', content)[:12]}.js"
            expected_verified.add(name)
        elif i % 3 == 1:
            name = f"{directory}/f{i}.js"
        else:  # a token that looks hashed (a letter and a digit) but is not the content's
            name = f"{directory}/f{i}.{digest('md5', content + b'!')[:11]}a.js"
            expected_lookalikes.add(name)
        write(tmp_path, name, content)
    hashed_files: list[str] = []
    real = scan_module._digests

    def counting(path: str, algorithms: set[str], *, gunzip: bool = False) -> dict[str, str]:
        hashed_files.append(path)
        return real(path, algorithms, gunzip=gunzip)

    monkeypatch.setattr(scan_module, "_digests", counting)
    result = scan(tmp_path)
    assert result.files_scanned == 3000
    assert verified_paths(result) == expected_verified
    assert lookalike_paths(result) == expected_lookalikes
    assert len(hashed_files) == 2000  # plain names are never opened, each candidate once
    assert [path for path, _ in result.verified] == sorted(expected_verified)


def test_report_lists_counts_and_every_lookalike(tmp_path: Path) -> None:
    content = b"a\n"
    write(tmp_path, f"a.{digest('md5', content)[:12]}.css", content)
    write(tmp_path, f"b.{digest('sha256', content)}.css", content)
    write(tmp_path, f"c.{digest('md5', content)[:12]}.css", content)
    write(tmp_path, "vendor.0123456789ab.js", b"v\n")
    write(tmp_path, "assets/index-BdSJMAQq.js", b"v\n")
    write(tmp_path, "index.html", b"<html>\n")
    (tmp_path / "loop").symlink_to(".")
    report = format_report(scan(tmp_path, trust_pattern=re.compile(r"assets/.*")))
    assert report == (
        f"nginxcache scan {tmp_path}\n"
        "  6 files scanned\n"
        "  3 hashed: name verified against the content (immutable)\n"
        "          2  md5[:12]  (Django's hashed names)\n"
        "          1  sha256  (Hugo resources.Fingerprint default)\n"
        "  1 trusted: unverified, hashed only because of --trust-pattern (immutable)\n"
        "    assets/index-BdSJMAQq.js\n"
        "  1 look-alikes: the name looks hashed but does not verify (revalidate)\n"
        "    vendor.0123456789ab.js: '0123456789ab' is not the first 12 hex of the content's md5, sha256 or sha1\n"
        "  1 other files: no hash in the name (revalidate)\n"
        "  1 notes:\n"
        "    'loop': symlink to a directory already scanned as '.' (a loop or an alias): "
        "not followed again, its files there revalidate\n"
    )


def b64url(algorithm: str, content: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.new(algorithm, content).digest()).rstrip(b"=").decode()


def test_eleventy_bundle_names_are_the_base64url_sha256(tmp_path: Path) -> None:
    """@11ty/eleventy-plugin-bundle (BundleFileOutput.getFilenameHash): the name is the first
    10 characters of the base64url sha256 of the bundle (@11ty/eleventy-utils createHash)."""
    expected = {}
    for i in range(40):  # enough that some hashes hold '-' or '_'
        content = f"/* bundle {i} */ body {{ order: {i} }}\n".encode()
        name = f"bundle/{b64url('sha256', content)[:10]}.css"
        write(tmp_path, name, content)
        expected[name] = "sha256 base64url[:10]"
    write(tmp_path, "bundle/AbC-dE_f01.css", b"edited after naming\n")
    result = scan(tmp_path)
    assert any("-" in name or "_" in name for name in expected)
    # A name without a digit is tried but, unverified, would not even be listed.
    assert {path: scheme for path, scheme in result.verified} == expected
    assert lookalike_paths(result) == {"bundle/AbC-dE_f01.css"}


def test_base64url_digests_any_length_any_algorithm(tmp_path: Path) -> None:
    content = b"x = 1\n"
    names = {
        f"a-{b64url('sha256', content)[:8]}.js": "sha256 base64url[:8]",
        f"b.{b64url('sha1', content)[:12]}.js": "sha1 base64url[:12]",
        f"{b64url('md5', content)}.js": "md5 base64url",
        f"d.{b64url('sha384', content)[:16]}.js": "sha384 base64url[:16]",
        f"e.{b64url('sha512', content)}.js": "sha512 base64url",
    }
    for name in names:
        write(tmp_path, name, content)
    result = scan(tmp_path)
    # Each name verifies under some algorithm; a short prefix may match an earlier one first.
    assert set(dict(result.verified)) == set(names)
    assert result.lookalikes == []


def test_turbopack_name_split_after_the_last_dot(tmp_path: Path) -> None:
    write(tmp_path, "static/media/lab-sans.11-qpgoi9m2f1.woff2", b"font\n")
    write(tmp_path, "_app/immutable/chunks/Bjy-W4x2.js", b"svelte\n")
    result = scan(tmp_path)
    reasons = dict(result.lookalikes)
    turbopack = reasons["static/media/lab-sans.11-qpgoi9m2f1.woff2"]
    assert turbopack.startswith("'11-qpgoi9m2f1' is not hex: a Turbopack") and "xxh3-128" in turbopack
    assert reasons["_app/immutable/chunks/Bjy-W4x2.js"].startswith("'Bjy-W4x2' is not hex: a Rollup/Vite/Rolldown hash")


def test_vite_asset_reason_names_the_hash_it_is(tmp_path: Path) -> None:
    write(tmp_path, "assets/bg-BiBVL8_2.png", b"png\n")
    write(tmp_path, "assets/app-KQ3WXYZ7.js", b"esbuild\n")
    reasons = dict(scan(tmp_path).lookalikes)
    assert reasons["assets/bg-BiBVL8_2.png"].startswith("'BiBVL8_2' is not hex: a Rollup/Vite/Rolldown hash")
    assert "'/*$vite$:1*/'" in reasons["assets/bg-BiBVL8_2.png"]
    assert reasons["assets/app-KQ3WXYZ7.js"].startswith("'KQ3WXYZ7' is not hex: an esbuild hash")


def material_script(tmp_path: Path, relpath: str, code: bytes, source_map: bytes) -> str:
    """What MkDocs Material's build writes (tools/build/transform/index.ts): the name hashes
    esbuild's output with the map inline; the file then links the map written beside it."""
    inline = code + b"\n//# sourceMappingURL=data:application/json;base64," + base64.b64encode(source_map) + b"\n"
    stem, _, ext = relpath.rpartition(".")
    name = f"{stem}.{hashlib.sha256(inline).hexdigest()[:8]}.min.{ext}"
    base = name.rsplit("/", 1)[-1]
    write(tmp_path, name, code + b"\n//# sourceMappingURL=" + base.encode() + b".map\n\n")
    write(tmp_path, name + ".map", source_map)
    return name


def test_mkdocs_material_script_and_its_map_verify(tmp_path: Path) -> None:
    name = material_script(tmp_path, "assets/javascripts/bundle.js", b"(()=>{var a=1;})();", b'{"version":3,"mappings":"AAAA"}')
    css = b".md-typeset{font-size:.8rem}"
    css_name = f"assets/stylesheets/main.{digest('sha256', css)[:8]}.min.css"
    write(tmp_path, css_name, css)
    result = scan(tmp_path)
    assert dict(result.verified) == {
        name: "sha256[:8] (MkDocs Material: script with its map inline)",
        name + ".map": "sha256[:8] (MkDocs Material: the map is inline in the hashed text)",
        css_name: "sha256[:8]",
    }
    # The map edited after the build: neither verifies.
    (tmp_path / (name + ".map")).write_bytes(b'{"version":3,"mappings":"BBBB"}')
    assert verified_paths(scan(tmp_path)) == {css_name}


def test_real_mkdocs_material_assets_verify() -> None:
    """The assets of an installed mkdocs-material, when one is around (a /tmp venv or this one)."""
    try:
        import material  # type: ignore[import-not-found]
    except ImportError:
        pytest.skip("mkdocs-material is not installed")
    assets = Path(material.__file__).parent / "templates" / "assets"
    result = scan(assets)
    scripts = {path for path in verified_paths(result) if path.endswith(".min.js")}
    assert "javascripts/" in " ".join(scripts) and all(path + ".map" in verified_paths(result) for path in scripts)


def test_base64url_token_made_of_hex_letters(tmp_path: Path) -> None:
    """One 8-character base64url digest in about 2^13 uses hex characters only, in both cases:
    tried as hex (case-blind) and as base64url (case matters)."""
    def hexlike(token: str) -> bool:
        return set(token) <= set("0123456789abcdefABCDEF") and token.lower() != token

    content = next(c for c in (f"{i}\n".encode() for i in range(200_000)) if hexlike(b64url("sha256", c)[:8]))
    name = f"f-{b64url('sha256', content)[:8]}.css"
    write(tmp_path, name, content)
    assert scan(tmp_path).verified == [(name, "sha256 base64url[:8]")]


BUILDS = Path(__file__).resolve().parent.parent / "sample_configs" / "builds"


def test_committed_eleventy_and_mkdocs_material_builds() -> None:
    eleventy = scan(BUILDS / "eleventy" / "_site")
    bundles = {path for path, scheme in eleventy.verified if scheme == "sha256 base64url[:10]"}
    assert len(bundles) >= 3 and all(path.startswith("bundle/") for path in bundles)
    material = dict(scan(BUILDS / "mkdocs-material" / "site").verified)
    scripts = [path for path in material if path.endswith(".min.js")]
    assert scripts and all("MkDocs Material" in material[path] and path + ".map" in material for path in scripts)
    assert any(path.startswith("assets/stylesheets/main.") for path in material)
