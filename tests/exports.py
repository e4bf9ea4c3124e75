"""Reading a list's export (``provinces.listing``) back in tests."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def read_xlsx(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats"), response["Content-Type"]
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
