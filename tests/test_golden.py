"""Golden files: the real sample manifests in sample_configs/ rendered by the CLI must equal
sample_configs/<tool>/nginx/*.conf byte for byte, and every golden file must parse back
(crossplane + nginx's unescaping) to exactly the intended directives and hashed names.

NGINXCACHE_UPDATE_GOLDEN=1 rewrites the expected files (the commands are in
sample_configs/README.md).
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import crossplane
import pytest

from nginxcache.classify import classify
from nginxcache.cli import main
from nginxcache.manifests import load_manifest
from nginxcache.model import CachePolicy, Strategy
from nginxcache.nginxrun import nginx_test
from nginxcache.quoting import nginx_unescape
from nginxcache.policy import RenderOptions
from nginxcache.validate import intended_http, intended_server, intended_site, validate

SAMPLES = Path(__file__).resolve().parent.parent / "sample_configs"
UPDATE = os.environ.get("NGINXCACHE_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Sample:
    tool: str
    manifest: str  # below sample_configs/<tool>/
    prefix: str
    root: str

    @property
    def manifest_path(self) -> Path:
        return SAMPLES / self.tool / self.manifest

    @property
    def golden_dir(self) -> Path:
        return SAMPLES / self.tool / "nginx"

    def args(self) -> list[str]:
        return ["render", str(self.manifest_path), "--prefix", self.prefix, "--root", self.root, "--name", self.tool]


SAMPLE_SET = [
    Sample("vite", "dist/.vite/manifest.json", "/", "/srv/vite/dist"),
    Sample("webpack", "dist/manifest.json", "/static/", "/srv/webpack/dist"),
    Sample("django", "staticfiles.json", "/static/", "/srv/django/static"),
]
IDS = [s.tool for s in SAMPLE_SET]


def require_manifest(sample: Sample) -> None:
    if not sample.manifest_path.exists():
        pytest.fail(f"{sample.manifest_path} is missing")


def render_with_cli(sample: Sample, out_dir: Path) -> dict[str, bytes]:
    """Run the CLI as sample_configs/README.md says; return {file name: bytes}.

    The outputs name each other in their comments by absolute path; the directory they were
    written to is left out here, so the golden files do not depend on where they were made."""
    split = main([*sample.args(), "--http-out", str(out_dir / "http.conf"), "--server-out", str(out_dir / "server.conf")])
    site = main([*sample.args(), "--site-out", str(out_dir / "site.conf"), "--server-name", "example.com"])
    assert (split, site) == (0, 0)
    written = f"{out_dir}/".encode()
    return {name: (out_dir / name).read_bytes().replace(written, b"") for name in ("http.conf", "server.conf", "site.conf")}


@pytest.mark.parametrize("sample", SAMPLE_SET, ids=IDS)
def test_golden_files_match_cli_output(sample: Sample, tmp_path: Path) -> None:
    require_manifest(sample)
    if UPDATE:
        sample.golden_dir.mkdir(exist_ok=True)
        (tmp_path / "update").mkdir()
        for name, text in render_with_cli(sample, tmp_path / "update").items():
            (sample.golden_dir / name).write_bytes(text)
    rendered = render_with_cli(sample, tmp_path)
    for name, got in rendered.items():
        golden = sample.golden_dir / name
        assert golden.exists(), f"{golden} missing: run with NGINXCACHE_UPDATE_GOLDEN=1"
        want = golden.read_bytes()
        if got != want:
            diff = "".join(
                difflib.unified_diff(
                    want.decode().splitlines(True), got.decode().splitlines(True), str(golden), "rendered"
                )
            )
            pytest.fail(f"{golden} differs from the CLI's output (NGINXCACHE_UPDATE_GOLDEN=1 to accept):\n{diff[:4000]}")


def test_golden_files_leak_no_local_paths() -> None:
    for sample in SAMPLE_SET:
        goldens = sorted(sample.golden_dir.glob("*.conf"))
        assert [g.name for g in goldens] == ["http.conf", "server.conf", "site.conf"], sample.golden_dir
        for golden in goldens:
            text = golden.read_text(encoding="utf-8")
            assert str(SAMPLES.parent) not in text and "/tmp/" not in text, golden
            assert f"$nginxcache_{sample.tool}_hashed" in text, golden


# --- parse -> compare round trip on every golden file -----------------------------------------


def expected_hashed_uris(sample: Sample) -> set[str]:
    """The hashed URIs, straight from the manifest JSON (independent of the readers)."""
    data = json.loads(sample.manifest_path.read_text(encoding="utf-8"))
    if sample.tool == "django":  # dotfiles are never served, so never hashed
        return {sample.prefix + v for k, v in data["paths"].items() if k != v and not v.split("/")[-1].startswith(".")}
    if sample.tool == "vite":
        outputs = {c["file"] for c in data.values()} | {x for c in data.values() for x in c.get("css", []) + c.get("assets", [])}
        return {sample.prefix + o for o in outputs}
    return {v for k, v in data.items() if v.rsplit("/", 1)[-1] != k}


def parse(golden: Path, wrap: str) -> list[dict]:
    """crossplane-parse a golden file in the context nginx reads it in."""
    with tempfile.TemporaryDirectory() as tmp:
        main_conf = Path(tmp) / "nginx.conf"
        main_conf.write_text(f"events {{}}\nhttp {{\n{wrap.format(path=golden)}\n}}\n", encoding="utf-8")
        payload = crossplane.parse(str(main_conf), check_ctx=True, check_args=True)
    assert payload["status"] == "ok", payload["errors"]
    [config] = [c for c in payload["config"] if c["file"] == str(golden)]
    return config["parsed"]


def map_keys(parsed: list[dict], variable: str) -> set[str]:
    [block] = [d["block"] for d in parsed if d["directive"] == "map" and d["args"][1] == variable]
    keys = set()
    for entry in block:
        key = nginx_unescape(entry["directive"])
        if key == "default":
            continue
        assert entry["args"] == ["1"], entry
        if key.startswith("~"):
            assert key.startswith("~^") and key.endswith("\\z"), key
            key = key[2:-2].replace("\\", "")  # pcre_literal escapes with one backslash each
        keys.add(key)
    return keys


def find(parsed: list[dict], directive: str) -> list[dict]:
    found = []
    for d in parsed:
        if d["directive"] == directive:
            found.append(d)
        found += find(d.get("block") or [], directive)
    return found


@pytest.mark.parametrize("sample", SAMPLE_SET, ids=IDS)
def test_golden_files_round_trip_through_crossplane(sample: Sample) -> None:
    require_manifest(sample)
    hashed = expected_hashed_uris(sample)
    variable = f"$nginxcache_{sample.tool}_hashed"
    http = parse(sample.golden_dir / "http.conf", "include {path};")
    site = parse(sample.golden_dir / "site.conf", "include {path};")
    server = parse(sample.golden_dir / "server.conf", "server {{ include {path}; }}")
    assert map_keys(http, variable) == hashed
    assert map_keys(site, variable) == hashed
    for parsed in (server, site):
        [outer] = [d for d in find(parsed, "location") if d["args"][0] == "^~"]
        assert [nginx_unescape(a) for a in outer["args"]] == ["^~", sample.prefix]
        [alias] = find(outer["block"], "alias")
        assert nginx_unescape(alias["args"][0]) == sample.root + "/"
        denied = [nginx_unescape(d["args"][1]) for d in find(outer["block"], "location") if d["args"][0] == "="]
        assert denied == [sample.prefix + Path(sample.manifest).relative_to(
            "dist" if sample.tool != "django" else ".").as_posix()]
    [server_name] = find(site, "server_name")
    assert server_name["args"] == ["example.com"]


@pytest.mark.parametrize("sample", SAMPLE_SET, ids=IDS)
def test_golden_files_validate_against_intended(sample: Sample) -> None:
    require_manifest(sample)
    classification = classify([load_manifest(sample.manifest_path)], sample.prefix)
    policy = CachePolicy.from_ages(31_536_000, 0)
    options = RenderOptions(sample.prefix, sample.root + "/", sample.tool, Strategy.MAP, policy)
    site_options = RenderOptions(
        sample.prefix, sample.root + "/", sample.tool, Strategy.MAP, policy, server_names=("example.com",)
    )
    read = lambda name: (sample.golden_dir / name).read_text(encoding="utf-8")  # noqa: E731
    validate(
        {
            "http": (read("http.conf"), intended_http(classification, options)),
            "server": (read("server.conf"), intended_server(classification, options)),
        },
        {},
    )
    validate({"site": (read("site.conf"), intended_site(classification, site_options))}, {})


@pytest.mark.nginx
@pytest.mark.parametrize("sample", SAMPLE_SET, ids=IDS)
def test_golden_files_pass_nginx_t(sample: Sample) -> None:
    require_manifest(sample)
    read = lambda name: (sample.golden_dir / name).read_text(encoding="utf-8")  # noqa: E731
    nginx_test({"http": read("http.conf"), "server": read("server.conf")}, {})
    nginx_test({"site": read("site.conf")}, {})
