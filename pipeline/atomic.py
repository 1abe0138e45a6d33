"""Writing outputs so that a reader sees the old version or the new one, never a part, a gap or a left-over.

A file is written to a temporary file beside it, flushed to disk (fsync), then renamed over the target
(:func:`atomic_path`, :func:`write_bytes`). A folder (a report, a model) is written to a temporary folder beside
it and then swapped with the old one in one step (:func:`atomic_dir`): ``renameat2(RENAME_EXCHANGE)`` on
Linux, ``renamex_np(RENAME_SWAP)`` on macOS. Where the file system cannot swap (some network file systems,
Windows), the old folder is renamed aside and the new one renamed in: two renames, with a moment in between
when the path is missing.

Temporary names are ``.NAME.consult-tmp-HOST-PID-RANDOM``: they are removed on any exit Python sees (an
error, Ctrl-C, SIGTERM through the CLI), and a run killed outright leaves one that the next write to the same
target removes once its process is gone. A full disk is one :class:`ConsultError` naming the path and the
space needed, with nothing left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import ConsultError

TMP_TAG = "consult-tmp"
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# Temporary names of consult before 0.2 (mkstemp/mkdtemp defaults): removed when older than this.
_LEGACY_AGE_SECONDS = 600


# --- temporary names and left-overs -----------------------------------------------------------------------


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _stem(target: Path) -> str:
    return target.name[:120]  # file names are at most 255 bytes; the tag and random part need room


def temp_prefix(target: Path) -> str:
    """The start of every temporary name for ``target``: ``.NAME.consult-tmp-HOST-PID-``."""
    return f".{_stem(Path(target))}.{TMP_TAG}-{_host_tag()}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_leftovers(target: Path) -> list[Path]:
    """Remove temporary files and folders that a killed run left beside ``target``; returns them.

    Only those of this machine whose process has ended (a run writing the same target at the same time keeps
    its own), and the temporary names of earlier consult versions once they are ten minutes old."""
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return []
    ours = re.compile(rf"^\.{re.escape(_stem(target))}\.{TMP_TAG}-(?P<host>[0-9a-f]{{8}})-(?P<pid>\d+)-")
    legacy = re.compile(rf"^\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.(?:tmp|old)$")
    host = _host_tag()
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    for p in entries:
        if not p.name.startswith("."):
            continue
        m = ours.match(p.name)
        if m:
            stale = m["host"] == host and int(m["pid"]) != os.getpid() and not _pid_alive(int(m["pid"]))
        elif legacy.match(p.name):
            try:
                stale = time.time() - p.lstat().st_mtime > _LEGACY_AGE_SECONDS
            except OSError:
                stale = False
        else:
            stale = False
        if stale:
            _remove(p)
            removed.append(p)
    return removed


# --- errors -----------------------------------------------------------------------------------------------


def human_size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _free_space(path: Path) -> int | None:
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def _size_of(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def is_disk_full(e: BaseException) -> bool:
    """An error of a full disk or quota (pyarrow's errors carry the message, not always the errno)."""
    return isinstance(e, OSError) and (e.errno in _FULL or "No space left on device" in str(e))


def disk_full_error(target: Path, needed: int | None, written: int = 0) -> ConsultError:
    """``needed``: the size of the whole output when known; else ``written``, what fitted before the disk filled."""
    free = _free_space(Path(target).parent)
    need = f"{human_size(needed)}" if needed is not None else f"more than {human_size(written)}"
    has = "" if free is None else f", {human_size(free)} free"
    return ConsultError(
        f"Not enough disk space to write {target} (it needs {need}{has}); nothing was written",
        "Free some space on that disk, or write to another disk",
    )


def write_error(target: Path, e: OSError, *, needed: int | None = None, written: int = 0) -> ConsultError:
    if is_disk_full(e):
        return disk_full_error(target, needed, written)
    reason = e.strerror or str(e) or type(e).__name__
    return ConsultError(f"Cannot write {target} ({reason}); nothing was written", "Write to a folder you can write to")


def check_space(target: Path, needed: int) -> None:
    """Refuse, before writing, an output of ``needed`` bytes that the disk has no room for."""
    free = _free_space(Path(target).parent)
    if free is not None and needed > free:
        raise disk_full_error(target, needed)


# --- durability -------------------------------------------------------------------------------------------


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk; a no-op where the system cannot."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if Path(path).is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP, errno.EROFS):
            raise
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for f in files:
            fsync_path(Path(dirpath) / f)
        fsync_path(Path(dirpath))


def usual_permissions(path: Path) -> None:
    """mkstemp and mkdtemp make files and folders private (0600, 0700); give ``path`` the permissions a plain
    open() or mkdir() would, under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


# --- files ------------------------------------------------------------------------------------------------


def _make_parents(target: Path) -> list[Path]:
    """Create the missing folders above ``target``; returns them, deepest last."""
    missing = []
    p = target.parent
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    target.parent.mkdir(parents=True, exist_ok=True)
    return missing[::-1]


def _remove_empty(folders: list[Path]) -> None:
    for d in reversed(folders):
        try:
            d.rmdir()
        except OSError:
            return


@contextlib.contextmanager
def atomic_path(target: Path, *, size: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; flush it and rename it over ``target`` only if the block
    succeeds. ``size``, when known, is named if the disk is full."""
    target = Path(target)
    made: list[Path] = []
    try:
        made = _make_parents(target)
        remove_leftovers(target)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), dir=target.parent)
    except OSError as e:
        _remove_empty(made)
        raise write_error(target, e, needed=size) from None
    os.close(fd)
    tmp_path = Path(tmp)
    done = False
    try:
        try:
            yield tmp_path
            usual_permissions(tmp_path)
            fsync_path(tmp_path)
            os.replace(tmp_path, target)
            done = True
            with contextlib.suppress(OSError):  # in place already: a failed flush of the folder is no failure
                fsync_path(target.parent)
        except OSError as e:
            raise write_error(target, e, needed=size, written=_size_of(tmp_path)) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
        if not done:
            _remove_empty(made)


def write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` in one step; a disk without room for it is refused before writing."""
    check_space(target, len(data))
    with atomic_path(target, size=len(data)) as tmp, open(tmp, "wb") as f:
        f.write(data)


# --- folders ----------------------------------------------------------------------------------------------


def _swap_call(a: bytes, b: bytes) -> int | None:
    """Swap two paths with the system's exchange call: 0 when done, an errno when it failed, None when
    this system has none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux"):
        fn = getattr(libc, "renameat2", None)  # glibc >= 2.28, musl >= 1.2.4
        if fn is None:
            return None
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        at_fdcwd, rename_exchange = -100, 2
        rc = fn(at_fdcwd, a, at_fdcwd, b, rename_exchange)
    elif sys.platform == "darwin":
        fn = getattr(libc, "renamex_np", None)
        if fn is None:
            return None
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        rename_swap = 2
        rc = fn(a, b, rename_swap)
    else:
        return None
    return 0 if rc == 0 else ctypes.get_errno()


def exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` (both exist). True when done in one step; False when the file system
    cannot, and it was done with renames (``b`` is missing for a moment)."""
    rc = _swap_call(os.fsencode(a), os.fsencode(b))
    if rc == 0:
        return True
    if rc is not None and rc not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        raise OSError(rc, os.strerror(rc), str(b))
    aside = Path(tempfile.mkdtemp(prefix=temp_prefix(Path(b)), dir=Path(b).parent))
    os.replace(b, aside / "old")
    try:
        os.replace(a, b)
    except OSError:
        os.replace(aside / "old", b)
        aside.rmdir()
        raise
    os.replace(aside / "old", a)
    aside.rmdir()
    return False


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; when the block succeeds, flush it and swap it with
    ``target`` in one step (see :func:`exchange`). The old folder is then deleted."""
    target = Path(target)
    made: list[Path] = []
    try:
        made = _make_parents(target)
        remove_leftovers(target)
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(target), dir=target.parent))
    except OSError as e:
        _remove_empty(made)
        raise write_error(target, e) from None
    done = False
    try:
        try:
            yield tmp
            usual_permissions(tmp)
            _fsync_tree(tmp)
            if target.exists():
                exchange(tmp, target)  # tmp now holds the old folder
            else:
                os.rename(tmp, target)
            done = True
            with contextlib.suppress(OSError):  # in place already: a failed flush of the folder is no failure
                fsync_path(target.parent)
        except OSError as e:
            raise write_error(target, e, written=_size_of(tmp)) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            _remove_empty(made)
