"""E-mail and SMS texts live in template files per language, not in code."""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from pathlib import Path
from string import Template

_ROOT = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@functools.cache
def _load(language: str, name: str) -> Template:
    path = _ROOT / language / name
    if not path.exists():
        path = _ROOT / "nl" / name
    return Template(path.read_text(encoding="utf-8"))


def render_email(name: str, language: str, values: dict[str, str]) -> RenderedEmail:
    """Subject, plain text and HTML of template `name`; values are escaped in the HTML part."""
    escaped = {key: html.escape(value) for key, value in values.items()}
    return RenderedEmail(
        subject=_load(language, f"{name}.subject").substitute(values).strip(),
        text=_load(language, f"{name}.txt").substitute(values),
        html=_load(language, f"{name}.html").substitute(escaped),
    )


def render_sms(name: str, language: str, values: dict[str, str]) -> str:
    return _load(language, f"{name}.sms").substitute(values).strip()
