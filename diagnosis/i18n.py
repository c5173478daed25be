"""One bilingual string table (`data/i18n.yaml`) for everything a user reads, engine and app alike."""

from __future__ import annotations

from functools import cache
from importlib import resources

from diagnosis.schema import load_yaml

LANGS = ("zh", "en")


@cache
def table() -> dict[str, dict[str, str]]:
    text = resources.files("diagnosis").joinpath("data", "i18n.yaml").read_text(encoding="utf-8")
    return load_yaml(text)


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The text for `key` in `lang` with `{params}` filled; an unknown key shows itself, never crashes."""
    entry = table().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format_map(_Keep({k: v for k, v in params.items()}))
