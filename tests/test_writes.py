"""Outputs are replaced in one step, temporary files never outlive a run, a full disk is one clear line."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import atomic
from pipeline.atomic import TMP_TAG, atomic_dir, atomic_path, exchange, remove_leftovers, temp_prefix
from pipeline.cli import app
from pipeline.errors import ConsultError
from pipeline.modelstore import CARD_FILE, read_card
from pipeline.registry import adopt_plain_model, current_version, promote
from pipeline.tables import write_table

from ._review_helpers import base_corpus
from .test_cli import FAST

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(model, its training file, new answers), made once; tests that change the model copy it."""
    d = tmp_path_factory.mktemp("trained")
    train, new = base_corpus(d / "train.csv"), d / "new.csv"
    pd.DataFrame({"id": ["n1", "n2", "n3"], "text": ["Lamps out in the park", "", "More officers on patrol"]}).to_csv(
        new, index=False
    )
    res = runner.invoke(app, ["train", str(train), "-o", str(d / "model"), *FAST])
    assert res.exit_code == 0, res.output
    return d / "model", train, new


@pytest.fixture
def model(trained: tuple[Path, Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained[0], tmp_path / "model"))


@pytest.fixture
def labelled_file(trained: tuple[Path, Path, Path]) -> Path:
    return trained[1]


@pytest.fixture
def answers(trained: tuple[Path, Path, Path]) -> Path:
    return trained[2]


def _temps(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{TMP_TAG}*"))


class Watcher:
    """Checks, as fast as it can in a thread, that ``path`` exists; counts the looks that did not find it
    (``missing``) and the times it went away after it had been there (``vanished``)."""

    def __init__(self, path: Path) -> None:
        self.path, self.missing, self.vanished, self.looks = path, 0, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seen = False
        while not self._stop.is_set():
            self.looks += 1
            if os.path.exists(self.path):
                seen = True
            else:
                self.missing += 1
                self.vanished += seen
                seen = False

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- one step, no gap --------------------------------------------------------------------------------------


def test_folders_are_swapped_in_one_step_and_never_missing(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("A")
    (b / "f").write_text("B")
    assert exchange(a, b) is True  # this system swaps in one call (renameat2 RENAME_EXCHANGE on Linux)
    assert (a / "f").read_text() == "B" and (b / "f").read_text() == "A"
    target = tmp_path / "report"
    target.mkdir()
    with Watcher(target) as w:
        for i in range(150):
            with atomic_dir(target) as tmp:
                (tmp / "n.txt").write_text(str(i))
    assert w.missing == 0 and w.looks > 150
    assert (target / "n.txt").read_text() == "149"
    assert _temps(tmp_path) == []


def test_without_a_swap_call_the_folder_is_still_replaced_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "_swap_call", lambda a, b: None)  # e.g. a file system that cannot swap
    target = tmp_path / "out"
    for i in range(3):
        with atomic_dir(target) as tmp:
            (tmp / "n.txt").write_text(str(i))
    assert (target / "n.txt").read_text() == "2" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_files_current_and_adoption_are_never_missing(tmp_path: Path, model: Path) -> None:
    out = tmp_path / "t.csv"
    df = pd.DataFrame({"id": ["1"], "text": ["x" * 100_000]})
    write_table(df, out)
    with Watcher(out) as w:
        for _ in range(30):
            write_table(df, out)
    assert w.missing == 0
    plain = tmp_path / "plainmodel"
    shutil.copytree(model, plain)
    with Watcher(plain / "CURRENT") as cur, Watcher(plain) as w:
        adopt_plain_model(plain)  # the folder becomes a registry in one swap
        for _ in range(20):
            promote(plain, "v0001")
    assert w.missing == 0 and current_version(plain) == "v0001"
    assert cur.vanished == 0  # it appeared with the registry and was never missing after
    assert read_card(plain / "v0001")["version"] == "v0001" and not (plain / CARD_FILE).exists()
    assert _temps(tmp_path) == []


def test_report_and_model_folders_are_swapped_in_whole(
    tmp_path: Path, model: Path, labelled_file: Path, answers: Path
) -> None:
    lab = tmp_path / "lab.csv"
    assert runner.invoke(app, ["label", str(answers), "-o", str(lab), "-m", str(model), "--no-entities"]).exit_code == 0
    rep = tmp_path / "rep"
    for _ in range(2):
        res = runner.invoke(app, ["report", str(lab), "-o", str(rep)])
        assert res.exit_code == 0, res.output
    assert (rep / "report.html").is_file()
    res = runner.invoke(app, ["train", str(labelled_file), "-o", str(model), *FAST])  # replaces the model folder
    assert res.exit_code == 0, res.output
    assert _temps(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- temporary files ----------------------------------------------------------------------------------------


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.name.startswith(f".out.csv.{TMP_TAG}-") and tmp.parent == tmp_path
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and _temps(tmp_path) == []
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "rep") as tmp:
        (tmp / "a.csv").write_text("x")
        raise RuntimeError("boom")
    assert _temps(tmp_path) == [] and not (tmp_path / "rep").exists()


HOLD = """
import sys, time
from pathlib import Path
from pipeline.cli import _stop_cleanly_on_signals
from pipeline.atomic import atomic_path, atomic_dir
_stop_cleanly_on_signals()
target = Path(sys.argv[1])
with (atomic_dir(target) if sys.argv[2] == "dir" else atomic_path(target)) as tmp:
    (tmp / "x" if sys.argv[2] == "dir" else tmp).write_text("partial")
    print("writing", flush=True)
    time.sleep(60)
"""


def _start_writer(target: Path, kind: str) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(target), kind],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "writing", p.stderr.read() if p.stderr else ""
    return p


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_a_killed_run_leaves_a_temporary_that_the_next_write_removes(tmp_path: Path, kind: str) -> None:
    target = tmp_path / ("out.csv" if kind == "file" else "rep")
    p = _start_writer(target, kind)
    live = _temps(tmp_path)
    assert len(live) == 1
    assert remove_leftovers(target) == [] and live[0].exists()  # a live run's temporary is left alone
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert _temps(tmp_path) == live  # kill -9: nothing could clean up
    if kind == "file":
        write_table(pd.DataFrame({"id": ["1"], "text": ["t"]}), target)
    else:
        with atomic_dir(target) as tmp:
            (tmp / "x").write_text("done")
    assert _temps(tmp_path) == [] and target.exists()


def test_sigterm_removes_the_temporary_at_once(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    p = _start_writer(target, "file")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    assert _temps(tmp_path) == [] and not target.exists()


def test_leftovers_of_earlier_versions_are_removed_once_old(tmp_path: Path) -> None:
    target = tmp_path / "rep"
    old_tmp, old_dir, fresh = (
        tmp_path / ".rep.ab12cd34.tmp",
        tmp_path / ".rep.zz99yy88.old",
        tmp_path / ".rep.qq11ww22.tmp",
    )
    old_tmp.write_text("x")
    old_dir.mkdir()
    fresh.write_text("x")
    mine = tmp_path / ".rep.backup"  # not a name consult ever used: never touched
    mine.write_text("keep")
    hour_ago = time.time() - 3600
    for p in (old_tmp, old_dir, mine):
        os.utime(p, (hour_ago, hour_ago))
    assert sorted(remove_leftovers(target)) == sorted([old_tmp, old_dir])
    assert fresh.exists() and mine.exists()


def test_temporary_names_carry_host_and_process(tmp_path: Path) -> None:
    prefix = temp_prefix(tmp_path / "x.csv")
    assert prefix.startswith(f".x.csv.{TMP_TAG}-") and prefix.endswith(f"-{os.getpid()}-")
    long = temp_prefix(tmp_path / ("n" * 250 + ".csv"))
    assert len(long) < 200


# --- full disk -------------------------------------------------------------------------------------------


def _full(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_line_with_the_size_and_leaves_nothing(
    tmp_path: Path, model: Path, answers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out" / "labelled.csv"
    monkeypatch.setattr(atomic, "fsync_path", _full)  # the disk fills while the file is flushed
    res = runner.invoke(app, ["label", str(answers), "-o", str(out), "-m", str(model), "--no-entities"])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Not enough disk space to write " + str(out)), res.output
    # label writes as it goes: the size is what it had written when the disk filled
    assert re.search(r"\(it needs (more than )?\d+ bytes, [\d.]+ [kMGT]B free\); nothing was written", lines[0]), lines[
        0
    ]
    assert not out.parent.exists() and _temps(tmp_path) == []  # not even the folder it made for it
    # a disk known to be too small is refused before anything is written
    monkeypatch.undo()
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 100, 100))
    res = runner.invoke(app, ["label", str(answers), "-o", str(out), "-m", str(model), "--no-entities"])
    assert res.exit_code == 1 and "it needs" in res.output and "100 bytes free" in res.output
    assert not out.exists() and _temps(tmp_path) == []


def test_a_full_disk_while_writing_a_report_or_a_model_leaves_the_old_one(
    tmp_path: Path, model: Path, labelled_file: Path, answers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = tmp_path / "lab.csv"
    assert runner.invoke(app, ["label", str(answers), "-o", str(lab), "-m", str(model), "--no-entities"]).exit_code == 0
    rep = tmp_path / "rep"
    assert runner.invoke(app, ["report", str(lab), "-o", str(rep)]).exit_code == 0
    before = sorted(p.relative_to(rep) for p in rep.rglob("*"))
    card = (model / CARD_FILE).read_bytes()
    from pipeline.report import render

    real = render.write_files

    def fill_up(report: object, folder: Path) -> list[Path]:
        real(report, folder)  # type: ignore[arg-type]
        _full()
        return []

    monkeypatch.setattr(render, "write_files", fill_up)
    res = runner.invoke(app, ["report", str(lab), "-o", str(rep)])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert f"Not enough disk space to write {rep} (it needs more than " in res.output
    monkeypatch.setattr(atomic, "fsync_path", _full)
    res = runner.invoke(app, ["train", str(labelled_file), "-o", str(model), *FAST])
    assert res.exit_code == 1 and f"Not enough disk space to write {model}" in res.output, res.output
    assert "Traceback" not in res.output
    assert sorted(p.relative_to(rep) for p in rep.rglob("*")) == before and (model / CARD_FILE).read_bytes() == card
    assert _temps(tmp_path) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB tmpfs (needs root, as in CI); skipped where it cannot be mounted."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_really_full_disk(tiny_disk: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(3000)], "text": ["some answer text " * 40] * 3000}).to_csv(
        big, index=False
    )
    (tiny_disk / "filler").write_bytes(b"x" * 200_000)
    res = runner.invoke(app, ["clean", str(big), "-o", str(tiny_disk / "out.csv")])
    assert res.exit_code == 1
    (line,) = res.output.strip().splitlines()
    assert re.search(
        rf"Not enough disk space to write {re.escape(str(tiny_disk / 'out.csv'))} \(it needs [\d.]+ MB, [\d.]+ kB free\); nothing was written",
        line,
    ), line
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]
    # A folder: the report's files fill the disk part way (no size known in advance).
    (tiny_disk / "filler").write_bytes(b"x" * 1_000_000)
    with (
        pytest.raises(ConsultError, match=r"Not enough disk space to write .*rep \(it needs more than"),
        atomic_dir(tiny_disk / "rep") as tmp,
    ):
        (tmp / "a").write_bytes(b"y" * 100_000)
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]
