"""The discovery page renders in headless Chromium with every candidate, its keywords and the map.

Chromium is the Debian package ``chromium``, installed by ``make test``; without it this test is skipped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.discover import discover_file

from .test_discover import cfg, labelled_frame
from .test_report_html import CHROMIUM, chromium

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian package 'chromium'; 'make test' installs it)"
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("disc-html")
    src = root / "labelled.csv"
    labelled_frame().to_csv(src, index=False)
    discover_file(src, root / "disc", cfg())
    return root / "disc" / "discovery.html"


def test_page_shows_every_candidate_and_the_map(page: Path, tmp_path: Path) -> None:
    res = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri())
    dom = res.stdout
    assert res.returncode == 0 and "<body" in dom, res.stderr[-2000:]
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    rows = re.findall(r'data-candidate="(C\d\d)"', dom)
    assert rows == ["C01", "C02"]
    for word in ("potholes", "music", "Map of the unplaced answers", "Method and provenance"):
        assert word in text
    assert "07700" not in text and "Dave" not in text and "[phone]" in text
    assert "2 candidate theme(s), 1 in none" in " ".join(text.split())
    assert len(re.findall(r"<blockquote", dom)) >= 8  # representative answers of both candidates
    assert 'data-images-decoded="1/1"' in dom  # the map is in the page and decoded


def test_map_is_painted(page: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "shot.png"
    res = chromium(
        tmp_path, "--window-size=1200,1400", "--hide-scrollbars", f"--screenshot={shot}", page.resolve().as_uri()
    )
    assert shot.is_file(), res.stderr[-2000:]
    rgb = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    # The first two candidates' colours (#3b6ea5, #d1495b) are on screen: swatches and map points.
    for colour in ((0x3B, 0x6E, 0xA5), (0xD1, 0x49, 0x5B)):
        near = (np.abs(rgb - np.array(colour)[None, None, :]) < 14).all(axis=2)
        assert near.sum() > 150, colour
