"""output.write_all and friends: atomic replacement, modes and owners kept, no temp files
left behind, all-or-nothing staging, and diffs a patch tool can read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from nginxcache.errors import ExitCode, WriteError
from nginxcache.output import Change, plan, unified_diff, write_all

OLD = "# old\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


def test_plan_reads_old_and_new(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    assert plan(target, "x\n") == Change(target, None, "x\n", changed=True)
    assert plan(target, "x\n").changed
    target.write_text("x\n")
    assert plan(target, "x\n") == Change(target, None, "x\n", changed=False)
    assert plan(target, "y\n") == Change(target, b"x\n", "y\n", changed=True)  # the old text kept to restore
    assert not plan(target, "x\n").changed
    assert not plan(target, ("x", "\n")).changed  # a text in pieces compares the same
    assert plan(target, ("x", "y\n")).changed
    assert plan(target, ("y", "\n")).changed  # same size, other bytes


def test_plan_on_directory_is_a_write_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError) as raised:
        plan(tmp_path, "x\n")
    assert raised.value.exit_code == ExitCode.WRITE_FAILED
    assert str(raised.value) == f"{tmp_path}: is a directory: nginxcache writes only regular files (or symlinks to one)"


def test_write_replaces_content_by_rename(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text(OLD)
    reader_view = tmp_path / "still-open-by-nginx"
    os.link(target, reader_view)  # a reader holding the old inode sees the old file whole
    write_all([plan(target, "new\n")])
    assert target.read_text() == "new\n"
    assert reader_view.read_text() == OLD
    assert target.stat().st_ino != reader_view.stat().st_ino
    assert names(tmp_path) == {"a.conf", "still-open-by-nginx"}


@pytest.mark.parametrize("kept", [0o640, 0o600, 0o604, 0o755])
def test_existing_mode_is_kept(tmp_path: Path, kept: int) -> None:
    target = tmp_path / "a.conf"
    target.write_text(OLD)
    os.chmod(target, kept)
    write_all([plan(target, "new\n")])
    assert target.read_text() == "new\n"
    assert mode(target) == kept


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_existing_owner_is_kept_as_root(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text(OLD)
    os.chown(target, 4321, 8765)
    write_all([plan(target, "new\n")])
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 8765)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_mode_follows_umask(tmp_path: Path, umask: None, mask: int, expected: int) -> None:
    target = tmp_path / "new.conf"
    os.umask(mask)
    write_all([plan(target, "new\n")])
    assert mode(target) == expected  # not mkstemp's 0600
    assert target.read_text() == "new\n"


def test_unchanged_file_is_not_touched(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text("same\n")
    os.utime(target, ns=(10**18, 10**18))
    before = target.stat()
    write_all([plan(target, "same\n")])
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert names(tmp_path) == {"a.conf"}


def test_no_temp_files_after_success(tmp_path: Path) -> None:
    changes = [plan(tmp_path / f"{n}.conf", f"{n}\n") for n in ("a", "b", "c")]
    (tmp_path / "b.conf").write_text(OLD)
    changes[1] = plan(tmp_path / "b.conf", "b\n")
    write_all(changes)
    assert names(tmp_path) == {"a.conf", "b.conf", "c.conf"}
    assert [(tmp_path / f"{n}.conf").read_text() for n in ("a", "b", "c")] == ["a\n", "b\n", "c\n"]


def test_second_change_in_missing_directory_leaves_first_untouched(tmp_path: Path) -> None:
    first = tmp_path / "first.conf"
    first.write_text(OLD)
    os.utime(first, ns=(10**18, 10**18))
    before = first.stat()
    second = tmp_path / "missing" / "second.conf"
    with pytest.raises(WriteError) as raised:
        write_all([plan(first, "new\n"), plan(second, "new\n")])
    assert raised.value.exit_code == ExitCode.WRITE_FAILED
    assert str(second) in str(raised.value)
    assert first.read_text() == OLD
    assert (first.stat().st_ino, first.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert names(tmp_path) == {"first.conf"}  # the first one's temp file was removed


def test_second_change_below_a_file_leaves_first_untouched(tmp_path: Path) -> None:
    first, blocker = tmp_path / "first.conf", tmp_path / "blocker"
    first.write_text(OLD)
    blocker.write_text("a file, not a directory\n")
    second = blocker / "second.conf"
    with pytest.raises(WriteError) as raised:
        write_all([Change(first, OLD.encode(), "new\n", True), Change(second, None, "new\n", True)])
    assert str(second) in str(raised.value)
    assert first.read_text() == OLD
    assert names(tmp_path) == {"first.conf", "blocker"}


def test_new_first_file_not_created_when_second_fails(tmp_path: Path) -> None:
    first = tmp_path / "first.conf"
    with pytest.raises(WriteError):
        write_all([plan(first, "new\n"), plan(tmp_path / "missing" / "second.conf", "new\n")])
    assert names(tmp_path) == set()


def test_no_temp_files_when_a_rename_fails(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.conf" for n in "abc")
    changes = [plan(a, "a\n"), plan(b, "b\n"), plan(c, "c\n")]
    b.mkdir()  # appears between plan and write: staging works, the rename cannot
    with pytest.raises(WriteError):
        write_all(changes)
    assert not [n for n in names(tmp_path) if n.endswith(".tmp")]


def test_failed_rename_leaves_no_file_replaced(tmp_path: Path) -> None:
    a, b = tmp_path / "a.conf", tmp_path / "b.conf"
    a.write_text(OLD)
    changes = [plan(a, "a\n"), plan(b, "b\n")]
    b.mkdir()
    with pytest.raises(WriteError):
        write_all(changes)
    assert a.read_text() == OLD


def test_unified_diff_new_file_from_dev_null(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    assert unified_diff(plan(target, "one\ntwo\n")) == f"--- /dev/null\n+++ {target}\n@@ -0,0 +1,2 @@\n+one\n+two\n"


def test_unified_diff_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text("one\ntwo\n")
    assert unified_diff(plan(target, "one\nthree\n")) == f"--- {target}\n+++ {target}\n@@ -1,2 +1,2 @@\n one\n-two\n+three\n"
    assert unified_diff(plan(target, "one\ntwo\n")) == ""


def test_unified_diff_existing_empty_file_is_not_dev_null(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text("")
    assert unified_diff(plan(target, "x\n")).startswith(f"--- {target}\n+++ {target}\n")


def test_unified_diff_old_file_without_final_newline(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text("keep\nold")
    diff = unified_diff(plan(target, "keep\nnew\n"))
    assert diff.endswith("\n")
    assert "-old\n\\ No newline at end of file\n+new\n" in diff


def test_symlinked_target_keeps_its_link(tmp_path: Path) -> None:
    available = tmp_path / "sites-available"
    enabled = tmp_path / "sites-enabled"
    available.mkdir()
    enabled.mkdir()
    (available / "app").write_text(OLD)
    (enabled / "app").symlink_to("../sites-available/app")
    write_all([plan(enabled / "app", "new\n")])
    assert (enabled / "app").is_symlink()
    assert (available / "app").read_text() == "new\n"
