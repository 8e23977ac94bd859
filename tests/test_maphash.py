"""maphash: sizes_for always gives sizes nginx builds the map with at once (per the emulator),
and the emulator of ngx_hash_init agrees with real `nginx -t` to the exact table size.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nginx_harness import Nginx
from nginxcache.maphash import (
    MAX_BUCKET_SIZE,
    build_size,
    element_size,
    fits_bucket,
    longest_key_for,
    next_power_of_two,
    ngx_hash_key_lc,
    ngx_hash_keys_lc,
    sizes_for,
)
from nginxcache.quoting import nginx_quote

APPS = ["admin", "css", "js", "img", "fonts", "vendor/select2", "vendor/jquery", "rest_framework", "debug_toolbar", "site"]
EXTS = [".css", ".js", ".svg", ".png", ".woff2", ".map", ".txt", ""]
WORDS = ["base", "forms", "widgets", "calendar", "icon-addlink", "jquery.min", "select2.full", "LICENSE",
         "RelatedObjectLookups", "nav_sidebar", "autocomplete", "dark_mode", "changelists", "DateTimeShortcuts"]


def django_keys(count: int, seed: int, *, long: bool = False) -> list[bytes]:
    """Distinct keys shaped like /static/<app>/<dir>/<name>.<12 hex>.<ext>."""
    rng = random.Random(seed)
    keys: set[bytes] = set()
    while len(keys) < count:
        app = rng.choice(APPS)
        name = "-".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        if long:
            name = (name + "-") * (280 // len(name))
        digest = "".join(rng.choice("0123456789abcdef") for _ in range(12))
        keys.add(f"/static/{app}/{name}.{digest}{rng.choice(EXTS)}".encode())
    return sorted(keys)


def test_helpers() -> None:
    assert [next_power_of_two(n) for n in (1, 2, 3, 1000, 1024, 1025)] == [1, 2, 4, 1024, 1024, 2048]
    assert element_size(0) == 16 and element_size(6) == 16 and element_size(7) == 24
    assert longest_key_for(64) == 46  # ngx_hash_init: bucket 64 fails for any key longer than 46 bytes
    assert ngx_hash_key_lc(b"AbC") == ngx_hash_key_lc(b"abc") == (97 * 31 + 98) * 31 + 99


@pytest.mark.parametrize("bucket_size", [64, 128, 512, 4096])
def test_longest_key_boundary(bucket_size: int) -> None:
    longest = longest_key_for(bucket_size)
    assert build_size([b"k" * longest], 2048, bucket_size) not in (None, 0)
    assert build_size([b"k" * (longest + 1)], 2048, bucket_size) is None
    assert fits_bucket(longest, bucket_size) and not fits_bucket(longest + 1, bucket_size)


def test_hashes_of_many_keys_at_once_are_nginx_hashes() -> None:
    rng = random.Random(7)
    keys = [bytes(rng.randrange(256) for _ in range(rng.randrange(70))) for _ in range(3000)]
    keys += [b"", b"AbC", b"\xff" * 300, "/static/É.css".encode()] + django_keys(2000, 8, long=True)
    assert ngx_hash_keys_lc(keys) == [ngx_hash_key_lc(key) for key in keys]


@pytest.mark.parametrize(
    ("count", "seed", "long"),
    [(10, 1, False), (10, 2, True), (1000, 3, False), (1000, 4, True), (20000, 5, False), (3000, 6, True)],
)
def test_sizes_for_builds_at_once(count: int, seed: int, long: bool) -> None:
    keys = django_keys(count, seed, long=long)
    longest = max(map(len, keys))
    if long:
        assert longest >= 290
    max_size, bucket_size = sizes_for(len(keys), longest)
    assert max_size >= len(keys) and max_size & (max_size - 1) == 0
    assert 64 <= bucket_size <= MAX_BUCKET_SIZE and bucket_size & (bucket_size - 1) == 0
    size = build_size(keys, max_size, bucket_size)
    assert size is not None and size > 0, (count, longest, max_size, bucket_size, size)


@pytest.mark.parametrize("count", [1, 2, 5, 50, 150, 170, 500, 10001, 16384, 16385])
def test_sizes_for_around_thresholds(count: int) -> None:
    keys = django_keys(count, count)
    max_size, bucket_size = sizes_for(len(keys), max(map(len, keys)))
    assert (build_size(keys, max_size, bucket_size) or 0) > 0


def test_sizes_for_beats_the_default_for_realistic_paths() -> None:
    # A realistic Django path (~60 bytes) fails hard with nginx's default bucket size of 64.
    keys = django_keys(100, 9)
    assert build_size(keys, 2048, 64) is None
    assert (build_size(keys, *sizes_for(len(keys), max(map(len, keys)))) or 0) > 0


# --- the emulator against real nginx ------------------------------------------------------


def nginx_t(tmp_path: Path, keys: list[bytes], max_size: int, bucket_size: int) -> tuple[int, str]:
    body = (
        f"    map_hash_max_size {max_size};\n    map_hash_bucket_size {bucket_size};\n"
        "    map $uri $nginxcache_test_hashed {\n        default 0;\n"
        + "".join(f"        {nginx_quote(k.decode())} 1;\n" for k in keys)
        + "    }\n"
    )
    prefix = tmp_path / f"t{max_size}-{bucket_size}"
    prefix.mkdir()
    result = Nginx(prefix, body, 0).test()
    return result.returncode, result.stderr


def short_keys(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    keys: set[bytes] = set()
    while len(keys) < count:
        keys.add(f"/static/{rng.choice(WORDS)[:8]}.{rng.getrandbits(48):012x}.js".encode())
    return sorted(keys)


@pytest.mark.nginx
def test_emulator_agrees_with_nginx_at_the_exact_size(tmp_path: Path) -> None:
    keys = short_keys(40, 11)
    assert max(map(len, keys)) <= longest_key_for(64)
    size = build_size(keys, 10000, 64)
    assert size is not None and size > 0
    # one below the size the emulator finds: nginx only warns; at that size: silent.
    assert build_size(keys, size - 1, 64) == 0
    code, stderr = nginx_t(tmp_path, keys, size - 1, 64)
    assert code == 0 and "could not build optimal map_hash" in stderr, stderr
    code, stderr = nginx_t(tmp_path, keys, size, 64)
    assert code == 0 and "[warn]" not in stderr and "[emerg]" not in stderr, stderr


@pytest.mark.nginx
def test_emulator_agrees_with_nginx_on_sizes_for(tmp_path: Path) -> None:
    keys = django_keys(300, 12)
    max_size, bucket_size = sizes_for(len(keys), max(map(len, keys)))
    assert (build_size(keys, max_size, bucket_size) or 0) > 0
    code, stderr = nginx_t(tmp_path, keys, max_size, bucket_size)
    assert code == 0 and "[warn]" not in stderr and "[emerg]" not in stderr, stderr


@pytest.mark.nginx
def test_emulator_agrees_with_nginx_on_hard_error(tmp_path: Path) -> None:
    keys = [b"/static/" + b"k" * (longest_key_for(64) - len("/static/") + 1)]
    assert build_size(keys, 2048, 64) is None
    code, stderr = nginx_t(tmp_path, keys, 2048, 64)
    assert code == 1 and "could not build map_hash, you should increase map_hash_bucket_size: 64" in stderr, stderr
