"""The audit store under concurrency and truncation: a lock serialises appends, a head file counts records."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.audit import AuditStore
from pipeline.cli import app
from pipeline.errors import ConsultError
from pipeline.review import export_for_review, import_reviews

from ._review_helpers import base_corpus, config, fake_model, labelled_file
from .test_review import ROWS, _fill

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _recs(*keys: str) -> list[dict[str, object]]:
    return [{"review_key": k, "answer_id": k, "reviewed_themes": ["x"]} for k in keys]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _drop_last_lines(path: Path, n: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-n]), encoding="utf-8")


APPENDER = """
import sys, time
from pathlib import Path
from pipeline.audit import AuditStore
store, tag, go = AuditStore(Path(sys.argv[1])), sys.argv[2], Path(sys.argv[3])
Path(sys.argv[3] + "." + tag).touch()  # ready
while not go.exists():
    time.sleep(0.005)
start = time.time()
for i in range(200):
    store.append([{"review_key": f"{tag}-{i}", "answer_id": f"{tag}{i}", "reviewed_themes": ["x"]}])
print(start, time.time())
"""


def test_two_processes_appending_at_once_lose_nothing_and_keep_the_chain(tmp_path: Path) -> None:
    path, go = tmp_path / "audit.jsonl", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(path), tag, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    deadline = time.time() + 120
    while not all(Path(f"{go}.{t}").exists() for t in "ab") and time.time() < deadline:
        time.sleep(0.01)
    go.touch()  # both start appending at the same moment
    spans = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        spans.append([float(x) for x in out.split()])
    assert max(s for s, _ in spans) < min(e for _, e in spans), "the two processes did not append at the same time"
    store = AuditStore(path)
    recs = store.records()  # the chain and the head are checked here
    assert len(recs) == 400
    assert [r["seq"] for r in recs] == list(range(1, 401))
    assert {r["review_key"] for r in recs} == {f"{t}-{i}" for t in "ab" for i in range(200)}
    switches = sum(a["review_key"][0] != b["review_key"][0] for a, b in zip(recs, recs[1:], strict=False))
    assert switches >= 2  # their records interleave
    head = json.loads(store.head_path.read_text())
    assert head["records"] == 400 and head["last_sha256"] == recs[-1]["entry_sha256"]
    assert not list(tmp_path.glob(".audit.jsonl.consult-tmp-*"))


@pytest.mark.parametrize("removed", [1, 2])
def test_removed_last_records_are_reported_as_truncation(tmp_path: Path, removed: int) -> None:
    store = AuditStore(tmp_path / "audit.jsonl")
    store.append(_recs("k1", "k2", "k3"))
    _drop_last_lines(store.path, removed)
    with pytest.raises(
        ConsultError,
        match=rf"has {3 - removed} record\(s\) but its head file says 3: the last {removed} record\(s\) were removed \(the store was truncated\)",
    ):
        store.records()
    with pytest.raises(ConsultError, match="truncated"):  # and the next import does not quietly add them back
        store.append(_recs("k3"))
    store.path.unlink()
    with pytest.raises(ConsultError, match="was deleted but its head file says 3"):
        store.records()


def test_a_rewritten_store_and_a_missing_head_are_reported(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "audit.jsonl")
    store.append(_recs("k1", "k2"))
    other = AuditStore(tmp_path / "other.jsonl")
    other.append(_recs("z1", "z2"))
    store.path.write_bytes(other.path.read_bytes())  # a whole, valid chain, but not this store's
    with pytest.raises(ConsultError, match="Record 2 of the audit store .* does not match its head file"):
        store.records()
    other.head_path.unlink()
    with pytest.raises(ConsultError, match="head file .* is missing, so removed records cannot be ruled out"):
        other.records()
    assert other.reseal() == (2, None)
    assert len(other.records()) == 2


def test_a_store_without_a_head_file_is_read_and_upgraded_by_the_next_append(tmp_path: Path) -> None:
    # The lines an older consult wrote: hash-chained, no seq, no head file.
    import hashlib

    from pipeline.audit import canonical_json

    path = tmp_path / "audit.jsonl"
    prev, lines = "", []
    for k in ("old1", "old2"):
        body = {"review_key": k, "answer_id": k, "reviewed_themes": ["x"]}
        prev = hashlib.sha256((prev + canonical_json(body)).encode()).hexdigest()
        lines.append(json.dumps({**body, "entry_sha256": prev}))
    path.write_text("\n".join(lines) + "\n")
    store = AuditStore(path)
    assert [r["review_key"] for r in store.records()] == ["old1", "old2"]
    assert not store.head_path.exists()
    assert store.append(_recs("old2", "new1")) == (1, 1)
    recs = store.records()
    assert [r.get("seq") for r in recs] == [None, None, 3]
    assert json.loads(store.head_path.read_text())["records"] == 3
    _drop_last_lines(path, 1)
    with pytest.raises(ConsultError, match="truncated"):
        store.records()


def test_an_append_stopped_before_its_head_is_accepted_and_the_head_caught_up(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "audit.jsonl")
    store.append(_recs("k1"))
    head = store.head_path.read_bytes()
    store.append(_recs("k2"))
    store.head_path.write_bytes(head)  # as if killed between writing the store and its head
    assert len(store.records()) == 2
    assert store.append(_recs("k2")) == (0, 1)
    assert json.loads(store.head_path.read_text())["records"] == 2


def test_every_command_that_reads_the_store_reports_truncation(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "model", ["light", "court"], [0.5, 0.5])
    lab = labelled_file(tmp_path / "labelled.csv", ROWS)
    cfg = config(tmp_path)
    out = tmp_path / "r.csv"
    export_for_review(lab, out, cfg, n=4, model_path=model, random_share=0.0)
    _fill(out, {"a1": ("court", "ann"), "a3": ("light", "ann")})
    assert import_reviews(out, cfg).added == 2
    audit = Path(cfg.review.audit_path)
    res = runner.invoke(app, ["review", "check", "--audit", str(audit)])
    assert res.exit_code == 0 and "2 record(s), hash chain intact, head file matches" in _flat(res.output)
    _drop_last_lines(audit, 1)
    before = audit.read_bytes()
    base_corpus(tmp_path / "base.csv")
    common = ["--audit", str(audit)]
    for args in (
        ["review", "check", *common],
        ["review", "export", str(lab), "-o", str(tmp_path / "r2.csv"), "--model", str(model), *common],
        ["review", "import", str(out), *common],
        ["retrain", "--model", str(tmp_path / "reg"), "--data", str(tmp_path / "base.csv"), *common],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        assert "the last 1 record(s) were removed (the store was truncated)" in _flat(res.output), (args, res.output)
        assert "Traceback" not in res.output
    assert audit.read_bytes() == before  # nothing re-added
    assert not (tmp_path / "r2.csv").exists() and not (tmp_path / "reg").exists()
    res = runner.invoke(app, ["review", "check", "--reseal", *common])
    assert res.exit_code == 0 and "written for 1 record(s) (the old head counted 2)" in _flat(res.output)


def test_a_full_disk_while_appending_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from pipeline import atomic

    store = AuditStore(tmp_path / "audit.jsonl")
    store.append(_recs("k1"))
    before = (store.path.read_bytes(), store.head_path.read_bytes())

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "fsync_path", full)
    with pytest.raises(ConsultError, match=r"Not enough disk space to write .*audit.jsonl \(it needs \d+ bytes"):
        store.append(_recs("k2"))
    assert (store.path.read_bytes(), store.head_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".audit.jsonl.lock", "audit.jsonl", "audit.jsonl.head.json"]
