"""Sizing of nginx's map hash: the rule render uses, and an emulation of ngx_hash_init.

nginx (src/core/ngx_hash.c) fails hard when one key does not fit a bucket and only warns
("could not build optimal map_hash") when no table size up to map_hash_max_size keeps every
bucket within map_hash_bucket_size. Buckets are allocated at their used length, so a large
bucket size costs no memory; it only lets the first size nginx tries succeed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

_MASK = (1 << 64) - 1
NGINX_DEFAULT_MAX_SIZE = 2048
MIN_MAX_SIZE = 16384  # above 10000 nginx starts its search near max_size: low bucket load
MAX_BUCKET_SIZE = 32768  # nginx refuses more than 65536 - cacheline; stay a power of two below
ELEMENTS_PER_BUCKET = 16
# ngx_hash_keys_lc gives each key's hash a 9-byte lane: below 2**64 after each `& mask`, so
# h * 31 + byte stays below 2**72 and never carries into the next key's lane.
_LANE = 9


def element_size(key_bytes: int) -> int:
    """NGX_HASH_ELT_SIZE on 64-bit: a pointer, a length and the key, aligned to 8."""
    return 8 + ((key_bytes + 2 + 7) & ~7)


def next_power_of_two(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def longest_key_for(bucket_size: int) -> int:
    """The longest key (bytes) nginx accepts with this bucket size."""
    return bucket_size - 18


def sizes_for(key_count: int, longest_key_bytes: int) -> tuple[int, int]:
    """(map_hash_max_size, map_hash_bucket_size) with which nginx builds the map at once."""
    bucket = max(64, next_power_of_two(ELEMENTS_PER_BUCKET * element_size(longest_key_bytes) + 8))
    bucket = min(bucket, MAX_BUCKET_SIZE)
    return max(MIN_MAX_SIZE, next_power_of_two(key_count)), bucket


def fits_bucket(key_bytes: int, bucket_size: int) -> bool:
    """Whether a key this long fits a bucket at all (else ngx_hash_init fails hard)."""
    return bucket_size >= element_size(key_bytes) + 8


def ngx_hash_key_lc(key: bytes) -> int:
    h = 0
    for byte in key.lower():
        h = (h * 31 + byte) & _MASK
    return h


def ngx_hash_keys_lc(keys: Sequence[bytes]) -> list[int]:
    """ngx_hash_key_lc of every key, many keys at a time: the keys of one length lie side by
    side in one big integer, a lane each, so that each step of the hash (h * 31 + byte, mod
    2**64) is a few big-integer operations over all of them (5x faster at 1e5 keys)."""
    hashes = [0] * len(keys)
    by_length: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        by_length.setdefault(len(key), []).append(index)
    for length, indexes in by_length.items():
        count = len(indexes)
        lowered = b"".join([keys[index] for index in indexes]).lower()
        mask = int.from_bytes((b"\xff" * 8 + b"\x00" * (_LANE - 8)) * count, "little")
        column = bytearray(_LANE * count)
        lanes = 0
        for position in range(length):
            column[::_LANE] = lowered[position::length]  # byte `position` of every key
            lanes = (lanes * 31 + int.from_bytes(column, "little")) & mask
        low_bytes = bytearray(lanes.to_bytes(_LANE * count, "little"))
        del low_bytes[8::_LANE]  # each lane's ninth byte, zero after the mask
        for index, value in zip(indexes, struct.unpack(f"<{count}Q", low_bytes), strict=True):
            hashes[index] = value
    return hashes


def build_size(keys: Iterable[bytes], max_size: int, bucket_size: int) -> int | None:
    """The table size ngx_hash_init would pick: None for a hard error, 0 for the warning."""
    listed = list(keys)
    if listed and not fits_bucket(max(map(len, listed)), bucket_size):
        return None
    hashes = ngx_hash_keys_lc(listed)
    sizes = [element_size(len(key)) for key in listed]
    usable = bucket_size - 8
    start = len(listed) // (usable // 16) or 1
    if max_size > 10000 and listed and max_size // len(listed) < 100:
        start = max_size - 1000
    for size in range(start, max_size + 1):
        fill = [0] * size
        for key_hash, elt in zip(hashes, sizes, strict=True):
            slot = key_hash % size
            fill[slot] += elt
            if fill[slot] > usable:
                break
        else:
            return size
    return 0
