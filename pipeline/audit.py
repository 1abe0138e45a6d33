"""The audit store of accepted reviews: append-only JSON lines, hash-chained, with a head file.

``audit.jsonl`` holds one review per line; ``entry_sha256`` of each is the SHA-256 of the previous line's
``entry_sha256`` and this record, so a changed, removed or reordered line breaks the chain. Records also carry
``seq``, their 1-based position. ``audit.jsonl.head.json`` holds the number of records and the last
``entry_sha256``, so removing the last records (which leaves a valid chain) is detected too. The two files
belong together: back them up together.

Appends are serialised between processes by a lock file (``.audit.jsonl.lock``, via ``filelock``): the store
is read and checked under the lock, the new store is written to a temporary file, flushed to disk and renamed
over the old one, then the head is written the same way, all before the lock is released. Readers take no lock:
they read the head first, then the store, so a store being appended to shows at least the records its head
counts.

A store written before head files existed (no ``seq`` in its records) is read as it is; the next append writes
its head, and from then on it is checked like any other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .atomic import write_bytes
from .errors import ConsultError

HEAD_SUFFIX = ".head.json"
HEAD_SCHEMA = 1
LOCK_TIMEOUT_SECONDS = 120
RESTORE = "Restore the store and its head file together from a backup; reviews are only ever appended by 'consult review import'"


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _chain(prev: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((prev + canonical_json(body)).encode()).hexdigest()


class AuditStore:
    """Append-only, hash-chained JSON-lines file of accepted reviews, with a head file and a lock file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + HEAD_SUFFIX)
        self.lock_path = self.path.with_name(f".{self.path.name}.lock")

    # --- reading --------------------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every record, after checking the chain and the head; a ConsultError names what is wrong."""
        head = self.read_head()  # before the store: see the module's docstring
        records, _ = self._read_chain()
        self._check_head(head, records)
        return records

    def read_head(self) -> dict[str, Any] | None:
        if not self.head_path.is_file():
            return None
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            int(head["records"]), str(head["last_sha256"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
            raise ConsultError(f"The audit store's head file {self.head_path} is damaged", RESTORE) from None
        return dict(head)

    def _read_chain(self) -> tuple[list[dict[str, Any]], bytes]:
        if not self.path.is_file():
            return [], b""
        raw = self.path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConsultError(f"{self.path} is not UTF-8 text: the audit store was damaged", RESTORE) from None
        out: list[dict[str, Any]] = []
        prev = ""
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                raise ConsultError(f"{self.path} line {n} is not valid JSON", RESTORE) from None
            if not isinstance(rec, dict):
                raise ConsultError(f"{self.path} line {n} is not a review record", RESTORE)
            body = {k: v for k, v in rec.items() if k != "entry_sha256"}
            if rec.get("entry_sha256") != _chain(prev, body):
                raise ConsultError(
                    f"{self.path} line {n} does not match its hash chain: the audit store was edited", RESTORE
                )
            if "seq" in rec and rec["seq"] != len(out) + 1:
                raise ConsultError(
                    f"{self.path} line {n} is record {rec['seq']} but comes at position {len(out) + 1}: records "
                    "were removed or reordered",
                    RESTORE,
                )
            prev = rec["entry_sha256"]
            out.append(rec)
        return out, raw

    def _check_head(self, head: dict[str, Any] | None, records: list[dict[str, Any]]) -> None:
        if head is None:
            if any("seq" in r for r in records):
                raise ConsultError(
                    f"The head file {self.head_path} of the audit store is missing, so removed records cannot be "
                    "ruled out",
                    RESTORE + "; if the store is known to be complete, run 'consult review check --reseal'",
                )
            return  # a store from before head files: its head is written by the next append
        want, last = int(head["records"]), str(head["last_sha256"])
        if len(records) < want:
            missing = want - len(records)
            what = "was deleted" if not self.path.exists() else f"has {len(records)} record(s)"
            raise ConsultError(
                f"The audit store {self.path} {what} but its head file says {want}: the last {missing} record(s) "
                "were removed (the store was truncated)",
                RESTORE,
            )
        if want and records[want - 1]["entry_sha256"] != last:
            raise ConsultError(
                f"Record {want} of the audit store {self.path} does not match its head file: the store was replaced "
                "or rewritten",
                RESTORE,
            )
        # More records than the head counts: an append stopped after writing the store and before its head.
        # Those records are whole and chained; the next append writes the head.

    # --- writing --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.lock_path, timeout=LOCK_TIMEOUT_SECONDS, poll_interval=0.01)
        try:
            lock.acquire()
        except Timeout:
            raise ConsultError(
                f"Another consult process has been writing the audit store {self.path} for over "
                f"{LOCK_TIMEOUT_SECONDS} seconds",
                "Wait for it to finish, then run this again",
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _write(self, data: bytes, records: list[dict[str, Any]]) -> None:
        """The store, then its head; each flushed to disk and renamed into place."""
        write_bytes(self.path, data)
        head = {
            "head_schema": HEAD_SCHEMA,
            "records": len(records),
            "last_sha256": records[-1]["entry_sha256"] if records else "",
            "store": self.path.name,
        }
        try:
            write_bytes(self.head_path, (json.dumps(head, indent=2) + "\n").encode("utf-8"))
        except ConsultError as e:  # the records are in; only the head lags, which the next append mends
            raise ConsultError(
                f"The reviews were added to {self.path}, but its head file could not be written: {e.problem}",
                "Free some space, then run 'consult review check --reseal' (or the next import) to write it",
            ) from None

    def append(self, new: list[dict[str, Any]]) -> tuple[int, int]:
        """Append records whose ``review_key`` is not stored yet; returns (added, already stored)."""
        with self._locked():
            head = self.read_head()
            existing, raw = self._read_chain()
            self._check_head(head, existing)
            seen = {r["review_key"] for r in existing}
            prev = existing[-1]["entry_sha256"] if existing else ""
            lines = []
            added: list[dict[str, Any]] = []
            for rec in new:
                if rec["review_key"] in seen:
                    continue
                seen.add(rec["review_key"])
                body = {k: v for k, v in rec.items() if k not in ("entry_sha256", "seq")}
                body["seq"] = len(existing) + len(added) + 1
                prev = _chain(prev, body)
                full = {**body, "entry_sha256": prev}
                lines.append(json.dumps(full, ensure_ascii=False))
                added.append(full)
            stale_head = head is None or int(head["records"]) != len(existing)
            if added or (existing and stale_head):
                if raw and not raw.endswith(b"\n"):
                    raw += b"\n"
                data = raw + "".join(line + "\n" for line in lines).encode("utf-8")
                self._write(data, existing + added)
        return len(added), len(new) - len(added)

    def reseal(self) -> tuple[int, int | None]:
        """Accept the store as it is now (its chain must hold) and write its head again; returns (records now,
        records the old head counted, or None when there was no head)."""
        if not self.path.is_file():
            raise ConsultError(f"There is no audit store at {self.path}", "Give the store's path with --audit")
        with self._locked():
            try:
                head = self.read_head()
            except ConsultError:
                head = None
            existing, raw = self._read_chain()
            self._write(raw, existing)
        return len(existing), None if head is None else int(head["records"])


# --- what a record holds ---------------------------------------------------------------------------------


def text_sha256(text: str) -> str:
    """The SHA-256 of an answer's text: ties a review to the exact text it judged."""
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def review_key(answer_id: str, text_hash: str, themes: list[str], reviewer: str, tone: str = "") -> str:
    """Identity of a review: the same verdict (themes and, when given, tone) by the same person on the same text
    is one record."""
    parts: list[Any] = [answer_id, text_hash, sorted(themes), reviewer] + ([tone] if tone else [])
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()


def latest_reviews(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest review of each answer id (records are in the order they were imported)."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        out[r["answer_id"]] = r
    return out
