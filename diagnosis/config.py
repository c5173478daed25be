"""One typed configuration: every environment variable BeltDoctor reads, declared once with its type, default
and help (a pydantic model read from the environment; reading it ourselves keeps the environment a parameter,
so tests and a second shop in one process pass their own). A bad value is an error naming the variable, at start-up of the CLI and the app,
never a silent fall-back to the default. The tunable limits of `diagnosis/settings.py` are part of it, so a limit
added there is a typed variable here too. `beltdoctor config` prints the effective values (secrets masked), and
`docs/settings.md` is generated from this declaration (a test keeps them equal).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)

from diagnosis.settings import SETTINGS


class _Base(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    home: Path = Field(Path(".beltdoctor"), alias="BELTDOCTOR_HOME",
                       description="Folder for the workspace database, the case index and presets.")
    database_url: str | None = Field(None, alias="DATABASE_URL",
                                     description="SQLAlchemy URL of the workspace, e.g. postgresql+psycopg://user@host/db; unset: SQLite under BELTDOCTOR_HOME.")
    cases: Path | None = Field(None, alias="BELTDOCTOR_CASES", description="A provider's own case-library folder instead of the bundled one.")
    chroma_host: str | None = Field(None, alias="CHROMA_HOST", description="Chroma server shared by a team; unset: an embedded index under BELTDOCTOR_HOME.")
    chroma_port: int = Field(8000, alias="CHROMA_PORT", ge=1, le=65535, description="Port of the Chroma server.")
    embedder: str | None = Field(None, alias="BELTDOCTOR_EMBEDDER", description="Dense embedding leg: none or openai (default: openai when BELTDOCTOR_EMBED_URL is set).")
    embed_url: str | None = Field(None, alias="BELTDOCTOR_EMBED_URL", description="OpenAI-compatible /embeddings server for the dense leg.")
    embed_model: str = Field("bge-m3", alias="BELTDOCTOR_EMBED_MODEL", description="Embedding model name.")
    embed_key: SecretStr | None = Field(None, alias="BELTDOCTOR_EMBED_KEY", description="Key of the embeddings server (default: OPENAI_API_KEY).")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL", description="OpenAI-compatible server that drafts plans.")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY", description="Its key; only ever sent to OPENAI_BASE_URL.")
    llm_model: str | None = Field(None, alias="BELTDOCTOR_LLM_MODEL", description="Model name; unset: the one the server serves, else the server kind's default.")
    llm_profile: str | None = Field(None, alias="BELTDOCTOR_LLM_PROFILE", description="Server kind named explicitly (diagnosis/data/llm_profiles.yaml); unset: asked of the server.")
    cookie_key: SecretStr | None = Field(None, alias="BELTDOCTOR_COOKIE_KEY", description="Signs the sign-in cookie; unset: a random key per server start.")

    @field_validator("llm_profile")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        from diagnosis.plan.servers import kinds

        if value and value not in kinds():
            raise ValueError(f"unknown server kind; known: {', '.join(kinds())}")
        return value or None


def _limit_field(setting) -> tuple[type, object]:
    return float, Field(float(setting.default), alias=setting.env, ge=0, allow_inf_nan=False, description=setting.help)


Config = create_model("Config", __base__=_Base, **{s.name: _limit_field(s) for s in SETTINGS})
SECRETS = frozenset(name for name, field in Config.model_fields.items() if field.annotation in (SecretStr, SecretStr | None))


class ConfigError(ValueError):
    """A variable with a value of the wrong type or range; the message names the variable."""

    def __init__(self, problems: list[tuple[str, str, object]]):
        self.problems = problems
        super().__init__("; ".join(f"{name}={value!r}: {why}" for name, why, value in problems))


def secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _load(env: tuple[tuple[str, str], ...]) -> Config:
    values = {name: value for name, value in env if value != ""}
    try:
        return Config.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            alias = str(error["loc"][0]) if error["loc"] else "?"
            problems.append((alias, error["msg"], values.get(alias)))
        raise ConfigError(problems) from None


_load_cached = lru_cache(maxsize=8)(_load)
_NAMES = frozenset(field.alias for field in Config.model_fields.values())


def config(env: Mapping[str, str] | None = None) -> Config:
    """The configuration from `env` (default: the process environment, read again on every call so a test or a
    second shop can point elsewhere at once; parsed once per distinct set of values)."""
    source = os.environ if env is None else env
    return _load_cached(tuple(sorted((k, v) for k, v in source.items() if k in _NAMES)))


def describe(current: Config) -> list[dict[str, object]]:
    """Every variable with its effective value (secrets masked), whether it was set, its default and help."""
    def shown_as(value: object) -> object:
        return int(value) if isinstance(value, float) and value.is_integer() else value

    rows = []
    for name, field in Config.model_fields.items():
        value, default = shown_as(getattr(current, name)), shown_as(field.default)
        shown = ("********" if value is not None else None) if name in SECRETS else value
        rows.append({"variable": field.alias, "value": None if shown is None else str(shown),
                     "set": name in current.model_fields_set, "default": None if default is None else str(default),
                     "help": field.description or ""})
    return rows


def markdown_table() -> str:
    """docs/settings.md: generated, never edited by hand (`beltdoctor config --markdown > docs/settings.md`)."""
    lines = ["# Settings", "", "Every environment variable BeltDoctor reads. Generated by `beltdoctor config --markdown`;",
             "a wrong type or range stops the CLI and the app with a message naming the variable.", "",
             "| variable | default | what |", "| --- | --- | --- |"]
    for row in describe(Config.model_validate({})):
        default = "—" if row["default"] is None else f"`{row['default']}`"
        lines.append(f"| `{row['variable']}` | {default} | {row['help']} |")
    return "\n".join(lines) + "\n"

