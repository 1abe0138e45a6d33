"""The README stays short and in step with the CLI, and every link in the docs leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands(group: typer.core.TyperGroup, prefix: str = "consult") -> list[str]:
    names = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, typer.core.TyperGroup):
            names += _commands(cmd, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


def _slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_readme_is_short_and_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) <= 10_000
    commands = _commands(typer.main.get_group(app))
    assert len(commands) >= 20
    table = readme.split("## Commands", 1)[1]
    for command in commands:
        group, _, last = command.rpartition(" ")
        assert f"`{command}" in table or (f"`{group} " in table and f"`{last}`" in table), command


def test_readme_says_the_safeguarding_flag_is_an_aid() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "Safeguarding and redaction are aids, not substitutes for reading" in readme


def test_links_lead_somewhere() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            assert file.exists(), f"{doc.name}: {target} does not exist"
            if anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), flags=re.M)
                assert anchor in {_slug(h) for h in headings}, f"{doc.name}: no heading for #{anchor} in {file.name}"
