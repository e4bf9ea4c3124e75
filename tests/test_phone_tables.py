"""Every table of every page sits in a ``table-scroll`` box: on a 390 px phone a wide table
scrolls inside it, never the page (tests/e2e/test_newcomer_walk.py measures the pages). The box
takes the keyboard's focus (``tabindex="0"``), so a table wider than the screen scrolls with the
arrow keys too (axe's scrollable-region-focusable)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRAPPED = re.compile(r'<div class="table-scroll" tabindex="0">\s*$')


def test_every_table_in_a_template_scrolls_in_its_own_box():
    bare = []
    for path in ROOT.rglob("*.html"):
        if ".venv" in path.parts or "templates" not in path.parts or "drf_spectacular" in path.parts:
            continue
        text = path.read_text()
        for match in re.finditer(r"<table\b", text):
            if not WRAPPED.search(text[: match.start()]):
                line = text.count("\n", 0, match.start()) + 1
                bare.append(f"{path.relative_to(ROOT)}:{line}")
    assert bare == []
