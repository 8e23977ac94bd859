"""Faults while writing, with real processes and real file system objects: SIGKILL at random
moments, outputs that are devices, FIFOs or symlink loops, a full file system, an unreadable
old file. Whatever happens, the files on disk stay a pair nginx accepts, nothing but the
outputs changes, and a later run cleans up after a killed one."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nginxcache.cli import main
from nginxcache.errors import ExitCode
from nginxcache.nginxrun import nginx_test

HASHED_ENTRIES = 20_000
SEED = 20261203


def django_manifest(directory: Path, count: int, salt: str) -> Path:
    """A Django-shaped manifest of `count` entries; `salt` changes every hashed name."""
    paths = {f"app/{i:05d}/file.css": f"app/{i:05d}/file.{salt}{i:08x}.css"[:60] for i in range(count)}
    manifest = directory / f"staticfiles-{salt}.json"
    manifest.write_text(json.dumps({"version": "1.1", "paths": paths}), encoding="utf-8")
    return manifest


def render_argv(manifest: Path, http_out: Path, server_out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nginxcache", "render", str(manifest), "--root", "/srv/app/static",
            "--prefix", "/static/", "--name", "app", "--http-out", str(http_out), "--server-out", str(server_out), *extra]


def stray_files(directory: Path, outputs: set[str]) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name not in outputs)


@pytest.mark.slow  # a dozen real renders killed: CI runs it (-m slow)
@pytest.mark.nginx
def test_sigkill_at_random_moments_leaves_a_pair_nginx_accepts(tmp_path: Path) -> None:
    """Renders that differ in everything the two parts share (hashed names, --cors-fonts,
    max-age) are killed at random moments; after each kill, nginx -t accepts the pair on disk."""
    out = tmp_path / "out"
    out.mkdir()
    http_out, server_out = out / "app-http.conf", out / "app-server.conf"
    variants = [
        (django_manifest(tmp_path, HASHED_ENTRIES, "a"), ()),
        (django_manifest(tmp_path, HASHED_ENTRIES, "b"), ("--cors-fonts", "*", "--max-age", "600")),
    ]
    first = subprocess.run(render_argv(variants[0][0], http_out, server_out), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    started = time.monotonic()
    subprocess.run(render_argv(variants[1][0], http_out, server_out, *variants[1][1]), capture_output=True, timeout=120)
    full = time.monotonic() - started  # one whole render: kills fall anywhere inside it
    chooser = random.Random(SEED)
    kills = 0
    for round_ in range(12):
        manifest, extra = variants[round_ % 2]
        process = subprocess.Popen(render_argv(manifest, http_out, server_out, *extra),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chooser.uniform(0.0, full))
        process.send_signal(signal.SIGKILL)
        kills += process.wait(timeout=60) == -signal.SIGKILL
        pair = {"http": http_out.read_text(encoding="utf-8"), "server": server_out.read_text(encoding="utf-8")}
        for text in pair.values():
            assert text.endswith("}\n"), "a part was left half-written"
        nginx_test(pair, {"http": str(http_out), "server": str(server_out)})  # raises on any error or [warn]
    assert kills >= 6, "the renders finished before the kills: the test proved nothing"
    # The next run completes, and removes what the killed ones left behind.
    final = subprocess.run(render_argv(variants[0][0], http_out, server_out), capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert stray_files(out, {http_out.name, server_out.name}) == []


def test_a_stale_temporary_file_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    """Another run staging right now in the same directory must not lose its file."""
    from nginxcache.tempfiles import remove_stale, staging_prefix

    target = tmp_path / "app.conf"
    mine = tmp_path / f"{staging_prefix(target)}abc.tmp"
    mine.write_text("in progress")
    gone = tmp_path / f"{staging_prefix(target).replace(f'-{os.getpid()}.', '-999999999.')}abc.tmp"
    gone.write_text("left by a killed run")
    foreign = tmp_path / ".app.conf.XYZ.tmp"  # not ours: never touched
    foreign.write_text("someone else's")
    assert remove_stale(tmp_path) == [gone]
    assert mine.exists() and foreign.exists() and not gone.exists()


@pytest.fixture
def outputs(tmp_path: Path) -> tuple[Path, Path]:
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    return http_out, server_out


MANIFEST = Path(__file__).resolve().parent.parent / "sample_configs" / "vite" / "dist" / ".vite" / "manifest.json"


def render(capsys: pytest.CaptureFixture[str], http_out: Path, server_out: Path) -> tuple[int, str]:
    code = main(["render", str(MANIFEST), "--prefix", "/", "--http-out", str(http_out), "--server-out", str(server_out)])
    return code, capsys.readouterr().err


def test_a_character_device_as_output_is_refused(tmp_path: Path, capsys) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a twin of /dev/null
    except PermissionError:
        pytest.skip("mknod is not allowed here (needs root and a file system that allows devices)")
    code, err = render(capsys, device, tmp_path / "server.conf")
    assert code == ExitCode.WRITE_FAILED
    assert err == (f"nginxcache: error: {device}: is a character device: nginxcache writes only regular files "
                   "(or symlinks to one)\n")
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert not (tmp_path / "server.conf").exists()


def test_a_symlink_to_a_device_is_refused(tmp_path: Path, capsys) -> None:
    link = tmp_path / "out.conf"
    link.symlink_to("/dev/null")
    code, err = render(capsys, tmp_path / "http.conf", link)
    assert code == ExitCode.WRITE_FAILED
    assert "is a character device" in err and err.count("\n") == 1
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and link.is_symlink()


def test_a_fifo_as_output_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "server.conf"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "nginxcache", "render", str(MANIFEST), "--prefix", "/",
                             "--http-out", str(tmp_path / "http.conf"), "--server-out", str(fifo)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == ExitCode.WRITE_FAILED
    assert result.stderr == f"nginxcache: error: {fifo}: is a FIFO: nginxcache writes only regular files (or symlinks to one)\n"


def test_a_symlink_loop_as_output_is_one_line(tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a.conf", tmp_path / "b.conf"
    a.symlink_to(b)
    b.symlink_to(a)
    code, err = render(capsys, a, tmp_path / "server.conf")
    assert code == ExitCode.WRITE_FAILED
    assert err == f"nginxcache: error: {a}: a loop of symlinks: it leads to no file\n"


def test_a_symlink_to_a_regular_file_is_written_through(tmp_path: Path, capsys) -> None:
    real = tmp_path / "sites-available" / "app.conf"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "app-link.conf"
    link.symlink_to(real)
    code, err = render(capsys, tmp_path / "http.conf", link)
    assert code == 0, err
    assert link.is_symlink() and "location ^~" in real.read_text()


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, where the machine allows mounting one (root, no container limits)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> None:
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # full: what the test wants
    finally:
        os.close(fd)


def test_a_full_tmpdir_does_not_matter_when_the_outputs_are_elsewhere(small_tmpfs: Path, tmp_path: Path) -> None:
    fill(small_tmpfs)
    http_out, server_out = tmp_path / "http.conf", tmp_path / "server.conf"
    env = {**os.environ, "TMPDIR": str(small_tmpfs)}
    result = subprocess.run([sys.executable, "-m", "nginxcache", "render", str(MANIFEST), "--prefix", "/",
                             "--http-out", str(http_out), "--server-out", str(server_out), "--nginx-test"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "location ^~" in server_out.read_text()


def test_outputs_on_a_full_file_system_are_exit_5_and_the_old_files_stay(small_tmpfs: Path) -> None:
    http_out, server_out = small_tmpfs / "http.conf", small_tmpfs / "server.conf"
    http_out.write_text("# old http part\n")
    server_out.write_text("# old server part\n")
    fill(small_tmpfs)
    result = subprocess.run([sys.executable, "-m", "nginxcache", "render", str(MANIFEST), "--prefix", "/",
                             "--http-out", str(http_out), "--server-out", str(server_out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == ExitCode.WRITE_FAILED, result.stderr
    assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr
    assert http_out.read_text() == "# old http part\n" and server_out.read_text() == "# old server part\n"
    assert sorted(os.listdir(small_tmpfs)) == ["filler", "http.conf", "server.conf"]


def python_for_nobody() -> tuple[str, dict[str, str]]:
    """A Python and an environment in which user nobody can run nginxcache: this checkout and
    the venv's packages on PYTHONPATH, for an interpreter nobody may execute."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run nginxcache as another user")
    import jinja2

    repo = str(Path(__file__).resolve().parent.parent)
    env = {"PATH": "/usr/bin:/bin", "HOME": "/", "PYTHONPATH": os.pathsep.join([repo, str(Path(jinja2.__file__).parent.parent)])}
    for python in (sys.executable, f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"):
        try:
            probe = subprocess.run([python, "-c", "import nginxcache.cli"], capture_output=True, user=65534, group=65534,
                                   env=env, timeout=60, check=False)
        except OSError:  # nobody may not even reach the interpreter (a venv under /root)
            continue
        if probe.returncode == 0:
            return python, env
    pytest.skip("no Python here that user nobody can run nginxcache with")


def test_an_unreadable_old_output_is_exit_5() -> None:
    python, env = python_for_nobody()
    out = Path(tempfile.mkdtemp(prefix="nginxcache-unreadable-"))  # pytest's tmp_path is root's alone
    os.chmod(out, 0o777)
    server_out = out / "server.conf"
    server_out.write_text("# root's\n")
    os.chmod(server_out, 0o600)
    result = subprocess.run(
        [python, "-m", "nginxcache", "render", str(MANIFEST), "--prefix", "/",
         "--http-out", str(out / "http.conf"), "--server-out", str(server_out)],
        capture_output=True, text=True, timeout=60, user=65534, group=65534, env=env,
    )
    assert result.returncode == ExitCode.WRITE_FAILED, result.stderr
    assert result.stderr == f"nginxcache: error: {server_out}: cannot read the current file: Permission denied\n"
    assert server_out.read_text() == "# root's\n"
    shutil.rmtree(out)


def test_an_output_directory_this_user_cannot_enter_is_exit_5(tmp_path: Path) -> None:
    python, env = python_for_nobody()
    result = subprocess.run(
        [python, "-m", "nginxcache", "render", str(MANIFEST), "--prefix", "/",
         "--http-out", str(tmp_path / "http.conf"), "--server-out", str(tmp_path / "server.conf")],
        capture_output=True, text=True, timeout=60, user=65534, group=65534, env=env,
    )
    assert result.returncode == ExitCode.WRITE_FAILED, result.stderr
    assert result.stderr.count("\n") == 1 and "Permission denied" in result.stderr
