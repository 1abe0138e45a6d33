"""The HTML report renders in headless Chromium and shows every theme and every chart.

Chromium is the Debian package ``chromium``, installed by ``make test`` (target ``chromium``), not by the
tests; without it this test is skipped with the reason.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import Config
from pipeline.report import build_report, write_report

from .report_examples import TAXONOMY, hand_example, sized_groups

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian package 'chromium'; 'make test' installs it)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=env, check=False)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pandas as pd

    cfg = Config()
    cfg.report = cfg.report.model_copy(update={"redact_with_ner": False})
    df = hand_example()
    extra = (
        sized_groups({"East": 12, "West": 3, "Far": 2})
        .assign(id=lambda d: "g" + d["id"])
        .rename(columns={"area": "zone"})
    )
    df = pd.concat([df.assign(zone="Centre"), extra.assign(area="North")], ignore_index=True)
    rep = build_report(df, cfg, TAXONOMY, by=["area", "zone"])
    out = tmp_path_factory.mktemp("html") / "rep"
    write_report(rep, out)
    return out


def test_html_renders_with_every_theme_and_chart(report_dir: Path, tmp_path: Path) -> None:
    url = (report_dir / "report.html").resolve().as_uri()
    res = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", url)
    dom = res.stdout
    assert res.returncode == 0 and "<body" in dom, res.stderr[-2000:]
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    for name in ("Feeling safe", "Street lighting"):
        assert name in text
    # Every chart is in the rendered page and decoded (the page marks itself once every image has naturalWidth > 0).
    charts = sorted(p.name for p in (report_dir / "charts").glob("*.png"))
    assert charts == ["heatmap_area.png", "heatmap_zone.png", "theme_shares.png"]
    imgs = re.findall(r"<img\b[^>]*>", dom)
    assert len(imgs) == len(charts) and all('src="data:image/png;base64,' in i for i in imgs)
    assert f'data-images-decoded="{len(charts)}/{len(charts)}"' in dom
    # Sections for each --by column, with the suppressed groups named but without numbers.
    assert "By area" in text and "By zone" in text and "Far, West" in text


def test_html_screenshot_is_not_blank(report_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "shot.png"
    res = chromium(
        tmp_path,
        "--window-size=1200,1600",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        (report_dir / "report.html").resolve().as_uri(),
    )
    assert shot.is_file(), res.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.shape[0] >= 1000 and img.std() > 10  # text, tables and the chart, not a white page
    # The bar chart's blue (#3b6ea5) is on screen: the first chart was painted, not only the text.
    rgb = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    blue = (abs(rgb[..., 0] - 0x3B) < 12) & (abs(rgb[..., 1] - 0x6E) < 12) & (abs(rgb[..., 2] - 0xA5) < 12)
    assert blue.sum() > 2000


def test_html_prints_to_pdf(report_dir: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    res = chromium(
        tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (report_dir / "report.html").resolve().as_uri()
    )
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", res.stderr[-2000:]
    assert len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())) >= 2
