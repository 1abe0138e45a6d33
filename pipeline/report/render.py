"""Output formats of a report: CSV per table, one XLSX workbook, PNG charts, one HTML page, Markdown summary.

Everything is written into a temporary folder beside the target and swapped into place at the end, so a
failed run leaves the previous report (or nothing) — never half a report, and never a moment without one. A folder is only replaced when
it holds a previous report (marked by ``.consult-report``) or is empty.
"""

from __future__ import annotations

import base64
import math
import re
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..atomic import atomic_dir, usual_permissions
from ..errors import ConsultError
from ..guards import check_writable
from ..tables import write_table, write_xlsx
from .analysis import all_suppressed, share_matrix

if TYPE_CHECKING:
    from . import Report

MARKER = ".consult-report"
TEMPLATES = Path(__file__).parent / "templates"


def slug(name: str) -> str:
    return re.sub(r"[^\w-]+", "_", str(name)).strip("_") or "column"


def check_out_dir(out_dir: Path, *inputs: Path | None) -> None:
    """Refuse an output that is a file, a folder of other things, or a folder holding an input."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConsultError(f"{out_dir} is a file", "Give a folder for -o (it will hold the report files)")
    check_writable(out_dir, folder=True)
    old_format = out_dir.is_dir() and [p.name for p in out_dir.iterdir()] == ["theme_counts.csv"]  # consult < 0.2
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists() and not old_format:
        raise ConsultError(
            f"Folder {out_dir} is not empty and does not hold an earlier report",
            "Give a new or empty folder for -o (an earlier report folder is replaced as a whole)",
        )
    for p in inputs:
        if p is not None and Path(p).exists() and out_dir.exists():
            rp, ro = Path(p).resolve(), out_dir.resolve()
            if rp == ro or ro in rp.parents:
                raise ConsultError(
                    f"The input {p} is inside the output folder {out_dir}", "Write the report to another folder"
                )


# ---------------------------------------------------------------- charts


# Fonts with the scripts DejaVu Sans lacks (CJK, emoji), used as fallbacks when installed.
FALLBACK_FONTS = [
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "Yu Gothic",
    "Hiragino Sans",
    "Apple SD Gothic Neo",
    "Noto Color Emoji",
    "Segoe UI Emoji",
    "Apple Color Emoji",
]
_MISSING_GLYPH = re.compile(r"Glyph \d+ \((.+?)\) missing from font")


def font_families() -> list[str]:
    """DejaVu Sans, then every installed fallback font, so each glyph comes from the first font that has it."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(f for f in FALLBACK_FONTS if f in installed)]


def _figure(width: float, height: float) -> Any:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _wrap(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def chart_shares(report: Report, path: Path) -> None:
    """Ranked theme shares with their intervals as error bars."""
    tab = report.counts.counts.iloc[::-1]
    fig = _figure(8, 0.45 * len(tab) + 1.3)
    ax = fig.add_subplot()
    y = np.arange(len(tab))
    share = tab["share"].fillna(0).to_numpy() * 100
    err = np.vstack(
        [share - tab["ci_low"].fillna(0).to_numpy() * 100, tab["ci_high"].fillna(0).to_numpy() * 100 - share]
    )
    ax.barh(y, share, color="#3b6ea5", xerr=np.clip(err, 0, None), error_kw={"ecolor": "#222", "capsize": 3, "lw": 1})
    ax.set_yticks(y, [_wrap(n, 40) for n in tab["name"]], fontsize=8)
    for yi, s, c in zip(y, share, tab["count"], strict=True):
        ax.text(0.5, yi, f"{c}", va="center", ha="left", fontsize=7, color="white" if s > 4 else "#222")
    pct = int(report.config.interval_level * 100)
    ax.set_xlabel(f"share of {report.counts.basis.counted} counted answers (%), bars: {pct}% Wilson interval")
    ax.set_xlim(0, max(5.0, float(np.nanmax(tab["ci_high"].fillna(0).to_numpy() * 100)) * 1.08 if len(tab) else 5.0))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    fig.savefig(path, format="png")


TONE_COLOURS = {"negative": "#b2182b", "neutral": "#bdbdbd", "positive": "#2166ac"}


def chart_tone(report: Report, path: Path) -> None:
    """Diverging bars: per theme, the negative share left of zero, the positive share right of it and the
    neutral share split across zero."""
    assert report.tone is not None
    tab = report.tone[report.tone["answers"] > 0].iloc[::-1]
    fig = _figure(8, 0.45 * len(tab) + 1.5)
    ax = fig.add_subplot()
    y = np.arange(len(tab))
    neg = tab["negative_share"].to_numpy(dtype=float) * 100
    neu = tab["neutral_share"].to_numpy(dtype=float) * 100
    pos = tab["positive_share"].to_numpy(dtype=float) * 100
    ax.barh(y, -neg, left=-neu / 2, color=TONE_COLOURS["negative"], label="negative")
    ax.barh(y, neu, left=-neu / 2, color=TONE_COLOURS["neutral"], label="neutral")
    ax.barh(y, pos, left=neu / 2, color=TONE_COLOURS["positive"], label="positive")
    ax.axvline(0, color="#222", lw=0.8)
    ax.set_yticks(y, [_wrap(f"{n} (n={a})", 40) for n, a in zip(tab["name"], tab["answers"], strict=True)], fontsize=8)
    edge = float(np.nanmax(np.concatenate([neg + neu / 2, pos + neu / 2]))) if len(tab) else 50.0
    lim = max(10.0, min(100.0, edge * 1.08))
    ax.set_xlim(-lim, lim)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):.0f}" for t in ticks])
    ax.set_xlabel("share of the theme's answers (%): negative ← | → positive")
    ax.legend(loc="lower right", fontsize=7, ncols=3)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    fig.savefig(path, format="png")


def chart_heatmap(report: Report, column: str, path: Path) -> bool:
    """Share of each theme per shown group; ▲/▼ mark over/under-represented cells. False when no group is shown."""
    tab = report.groups[column]
    shown = tab[~tab["suppressed"].astype(bool)]
    if shown.empty:
        return False
    groups = list(dict.fromkeys(shown["group"]))
    themes = report.themes
    grid = (
        shown.pivot(index="group", columns="theme", values="share").reindex(index=groups, columns=themes).astype(float)
    )
    signal = shown.pivot(index="group", columns="theme", values="signal").reindex(index=groups, columns=themes)
    fig = _figure(max(6.0, 0.6 * len(themes) + 2.5), 0.38 * len(groups) + 2.6)
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy() * 100, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(len(themes)), [_wrap(report.names[t], 18) for t in themes], rotation=60, ha="right", fontsize=7)
    sizes = shown.groupby("group", sort=False)["answers"].first()
    ax.set_yticks(range(len(groups)), [f"{g} (n={sizes[g]})" for g in groups], fontsize=7)
    top = float(np.nanmax(grid.to_numpy())) * 100 if grid.notna().any().any() else 1.0
    for i, g in enumerate(groups):
        for j, t in enumerate(themes):
            v = grid.loc[g, t] * 100
            mark = {"over": "▲", "under": "▼"}.get(str(signal.loc[g, t]), "")
            ax.text(
                j, i, f"{v:.0f}{mark}", ha="center", va="center", fontsize=6, color="white" if v > top * 0.6 else "#111"
            )
    fig.colorbar(im, ax=ax, label="share of the group's answers (%)", shrink=0.8)
    hidden = tab.loc[tab["suppressed"].astype(bool), "group"].nunique()
    note = f"; {hidden} group(s) under {report.config.min_group_size} answers not shown" if hidden else ""
    ax.set_title(f"Themes by {column} (▲ over / ▼ under-represented, BH q < {report.config.alpha}){note}", fontsize=8)
    fig.savefig(path, format="png")
    return True


# ---------------------------------------------------------------- text formats


def pct(x: Any, digits: int = 1) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def interval(lo: Any, hi: Any) -> str:
    a, b = pct(lo), pct(hi)
    return f"{a[:-1]}–{b}" if a and b else ""


def _md_row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def summary_markdown(report: Report, out_dir: Path | None = None, top: int = 5) -> str:
    """A short Markdown summary for the terminal (also written as summary.md)."""
    b = report.counts.basis
    prov = dict(zip(report.provenance["field"], report.provenance["value"], strict=True))
    lines = [f"# {report.title}", ""]
    excl = f"{b.empty} empty, {b.non_substantive} non-substantive"
    if b.duplicates_counted:
        excl += f"; {b.duplicate_copies} campaign copies counted"
    else:
        excl += f", {b.duplicate_copies} campaign copies (counted once)"
    lines.append(f"{b.counted} of {b.answers} answers counted ({excl}). Model {prov.get('model_version', '?')}.")
    lines += [
        "",
        f"## Themes (share with {report.config.interval_level:.0%} interval; expected = sum of probabilities)",
        "",
    ]
    lines.append(_md_row(["rank", "theme", "count", "share", "interval", "expected"]))
    lines.append(_md_row(["---:", "---", "---:", "---:", "---", "---:"]))
    for r in report.counts.counts.itertuples(index=False):
        exp = "" if isinstance(r.expected, float) and math.isnan(r.expected) else f"{r.expected:.1f}"
        lines.append(_md_row([r.rank, r.name, r.count, pct(r.share), interval(r.ci_low, r.ci_high), exp]))
    flagged = []
    hidden_cols = [col for col, tab in report.groups.items() if all_suppressed(tab)]
    if hidden_cols:
        lines += ["", "## Breakdowns", ""]
        for col in hidden_cols:
            lines.append(
                f"- By {col}: every group has fewer than {report.config.min_group_size} counted answers, so none is "
                "shown. Join them into larger groups with --group-map FILE (a CSV of value,group)."
            )
    for col, tab in report.groups.items():
        if col in hidden_cols:
            continue
        f = tab[tab["signal"] != ""].copy()
        f["col"] = col
        flagged.append(f)
    if flagged:
        f = pd.concat(flagged, ignore_index=True)  # tables of different --by columns share index labels
        lines += ["", f"## Over/under-represented (two-proportion z vs rest, BH q < {report.config.alpha})", ""]
        if f.empty:
            lines.append("No group stands out beyond chance.")
        for r in f.sort_values("z", key=abs, ascending=False, kind="stable").head(top).itertuples(index=False):
            lines.append(
                f"- {r.col} = {r.group}: {r.name} {r.signal} ({pct(r.share)} vs {pct(r.share_all)} overall, n={r.answers})"
            )
        if len(f) > top:
            lines.append(f"- … {len(f) - top} more in the by_*.csv tables")
    if report.compare is not None:
        c = report.compare
        sig = c[c["signal"] != ""]
        lines += ["", f"## Change since the previous round (two-proportion z, BH q < {report.config.alpha})", ""]
        if sig.empty:
            lines.append("No theme's share changed beyond chance.")
        for r in sig.itertuples(index=False):
            lines.append(
                f"- {r.name}: {pct(r.share_before)} → {pct(r.share_now)} ({r.change_points:+.1f} points, {r.signal})"
            )
    if report.tone is not None:
        lines += ["", f"## Tone (share of each theme's answers, {report.config.interval_level:.0%} interval)", ""]
        lines.append(_md_row(["theme", "answers", "negative", "neutral", "positive", "net"]))
        lines.append(_md_row(["---", "---:", "---", "---", "---", "---:"]))
        for t in report.tone.itertuples(index=False):
            cells = [
                f"{pct(getattr(t, f'{v}_share'))} {interval(getattr(t, f'{v}_ci_low'), getattr(t, f'{v}_ci_high'))}"
                for v in ("negative", "neutral", "positive")
            ]
            net = "" if isinstance(t.net, float) and math.isnan(t.net) else f"{t.net:+.2f}"
            lines.append(_md_row([t.name, t.answers, *cells, net]))
        if report.tone_compare is not None:
            sig = report.tone_compare[report.tone_compare["signal"] != ""]
            lines += ["", f"Tone changes since the previous round (BH q < {report.config.alpha}):"]
            if sig.empty:
                lines.append("none beyond chance.")
            for r in sig.itertuples(index=False):
                lines.append(
                    f"- {r.name}, {r.tone}: {pct(r.share_before)} → {pct(r.share_now)} ({r.change_points:+.1f} points)"
                )
    if out_dir is not None:
        lines += ["", f"Report: {out_dir / 'report.html'} · tables: CSV and report.xlsx in {out_dir}"]
    return "\n".join(lines) + "\n"


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [] if df is None or df.empty else df.to_dict("records")


def render_html(report: Report, charts: dict[str, Path]) -> str:
    """One self-contained page: charts embedded as data URIs, no scripts or styles from elsewhere."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    env.filters["interval"] = interval

    def num(x: Any, digits: int = 1) -> str:
        try:
            v = float(x)
        except (TypeError, ValueError):
            return str(x)
        return "" if math.isnan(v) else f"{v:.{digits}f}"

    env.filters["num"] = num
    images = {k: "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode("ascii") for k, p in charts.items()}
    groups = {}
    for col, tab in report.groups.items():
        groups[col] = {
            "matrix": _records(share_matrix(tab, report.themes)),
            "flagged": _records(tab[tab["signal"] != ""].sort_values("z", key=abs, ascending=False)),
            "hidden": list(dict.fromkeys(tab.loc[tab["suppressed"].astype(bool), "group"])),
            "all_hidden": all_suppressed(tab),
            "chart": images.get(f"heatmap_{slug(col)}"),
        }
    quotes: dict[str, list[dict[str, Any]]] = {}
    for q in _records(report.quotes):
        quotes.setdefault(q["theme"], []).append(q)
    ents: dict[str, list[dict[str, Any]]] = {}
    for e in _records(report.entities):
        ents.setdefault(e["theme"], []).append(e)
    b = report.counts.basis
    return env.get_template("report.html.j2").render(
        r=report,
        b=b,
        cfg=report.config,
        counts=_records(report.counts.counts),
        names=report.names,
        themes=report.themes,
        groups=groups,
        pairs=_records(report.pairs.head(15)),
        quotes=quotes,
        ents=ents,
        campaigns=_records(report.campaigns),
        compare=_records(report.compare) if report.compare is not None else None,
        tone=_records(report.tone) if report.tone is not None else None,
        tone_groups={col: _tone_group_rows(tab) for col, tab in report.tone_groups.items()},
        tone_compare=_records(report.tone_compare) if report.tone_compare is not None else None,
        tone_quotes=_records(report.tone_quotes) if report.tone_quotes is not None else [],
        tone_chart=images.get("tone_by_theme"),
        provenance=_records(report.provenance),
        shares_chart=images.get("theme_shares"),
        n_charts=len(images),
    )


def _tone_group_rows(tab: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per group of a tone-by-group table: the share of each tone ("<min" when suppressed) and the
    tones that stand out."""
    out = []
    for g, part in tab.groupby("group", sort=False):
        row: dict[str, Any] = {"group": g, "answers": part["answers"].iloc[0], "signals": ""}
        flags = []
        for r in part.itertuples(index=False):
            row[r.tone] = "" if r.suppressed else r.share
            if r.signal:
                flags.append(f"{r.tone} {r.signal}")
        row["signals"] = ", ".join(flags)
        out.append(row)
    return out


def _sheet_names(names: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for n in names:
        s = re.sub(r"[\[\]:*?/\\]", "_", n)[:31]
        i = 2
        while s.lower() in used:
            s = f"{s[:28]}~{i}"
            i += 1
        used.add(s.lower())
        out[n] = s
    return out


def write_files(report: Report, folder: Path) -> list[Path]:
    """Write every output into ``folder`` (which exists and is empty); returns the files written."""
    tables = report.tables()
    files: list[Path] = []
    stems = {
        name: (
            f"by_{slug(name[3:])}"
            if name.startswith("by_")
            else f"tone_by_{slug(name[8:])}"
            if name.startswith("tone_by_") and name != "tone_by_theme"
            else name
        )
        for name in tables
    }
    for name, tab in tables.items():
        p = folder / f"{stems[name]}.csv"
        write_table(tab, p)
        files.append(p)
    sheets = _sheet_names(list(tables))
    write_xlsx({sheets[n]: t for n, t in tables.items()}, folder / "report.xlsx", cut_long=True)
    files.append(folder / "report.xlsx")
    charts_dir = folder / "charts"
    charts_dir.mkdir()
    charts: dict[str, Path] = {}
    with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context({"font.family": font_families()}):
        warnings.simplefilter("always")
        p = charts_dir / "theme_shares.png"
        chart_shares(report, p)
        charts["theme_shares"] = p
        if report.tone is not None:
            p = charts_dir / "tone_by_theme.png"
            chart_tone(report, p)
            charts["tone_by_theme"] = p
        for col in report.groups:
            p = charts_dir / f"heatmap_{slug(col)}.png"
            if chart_heatmap(report, col, p):
                charts[f"heatmap_{slug(col)}"] = p
    missing = sorted({m.group(1) for w in caught if (m := _MISSING_GLYPH.search(str(w.message)))})
    if missing:
        report.notes.append(
            f"no installed font has {' '.join(missing[:10])}{' …' if len(missing) > 10 else ''}: the charts show "
            "boxes for them (the tables and the page show the names); install a font that has them, e.g. Noto Sans CJK"
        )
    files += list(charts.values())
    (folder / "report.html").write_text(render_html(report, charts), encoding="utf-8")
    (folder / "summary.md").write_text(summary_markdown(report), encoding="utf-8")
    (folder / MARKER).write_text("written by consult report; this folder is replaced by the next report to it\n")
    files += [folder / "report.html", folder / "summary.md"]
    for p in [folder, charts_dir, *files, folder / MARKER]:  # temp files are private
        usual_permissions(p)
    return files


def write_report(report: Report, out_dir: Path) -> list[Path]:
    """Write the report into a folder beside ``out_dir``, then swap it in whole (an earlier report is replaced
    in one step; see :func:`pipeline.atomic.atomic_dir`)."""
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    with atomic_dir(out_dir) as tmp:
        files = write_files(report, tmp)
        written = [out_dir / f.relative_to(tmp) for f in files]
    return written
