"""Documents handed to members (letters, subject-access exports): self-contained HTML pages
that print well, and files only their owner can read.

These pages hold personal data. They are written only when an operator asks, with mode 0600
(their folder 0700 when created here), never logged, and carry no external resource: no
font, script or image is fetched when a member or operator opens one.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

#: The print-friendly style every document shares.
STYLE = """
body { font: 11pt/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 1.8rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.3rem 0.5rem;
         border-bottom: 1px solid #e2e2e2; }
th { width: 34%; font-weight: 600; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace;
              font-size: 0.92em; overflow-wrap: anywhere; }
.note { color: #555; font-size: 0.95em; }
.box { border: 1px solid #999; padding: 0.6rem 0.9rem; margin: 0.8rem 0; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
               .box, table { break-inside: avoid; } }
"""


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str, language: str = "en") -> str:
    """A whole HTML document around `body` (already escaped HTML)."""
    return (
        f'<!doctype html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def rows(pairs: list[tuple[str, str]]) -> str:
    """A two-column table: each pair is (label, value), both already escaped HTML."""
    cells = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in pairs)
    return f"<table>{cells}</table>"


def iso_utc(timestamp: int) -> str:
    """A chain timestamp (seconds) as ISO 8601 in UTC: 2026-11-28T10:15:00Z."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def private_folder(folder: Path) -> Path:
    """`folder`, created readable by its owner only if it does not exist yet."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path`, readable and writable by its owner only (mode 0600), even
    where the file existed with wider permissions."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return path
