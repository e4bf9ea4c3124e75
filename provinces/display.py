"""One way to show each thing: the CUIL as NN-NNNNNNNN-N wherever a page or a message shows it."""

from __future__ import annotations


def format_cuil(value) -> str:
    """``20222758220`` → ``20-22275822-0``; anything that is not 11 digits (already dashed, a
    partial search, empty) is returned as it is."""
    text = "" if value is None else str(value).strip()
    if len(text) == 11 and text.isascii() and text.isdigit():
        return f"{text[:2]}-{text[2:10]}-{text[10:]}"
    return text
