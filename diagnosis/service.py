"""The application layer: one function per use case, called alike by the CLI, the batch and the pages, so the
steps "exports → frames → profile → diagnosis → plan context → plan" are assembled in one place.

    read_exports(uploads)            → Exports (frames per kind, a report per file, the files that failed)
    read_profile(folder, lang)       → MerchantProfile from merchant.json, or IngestError naming the file and line
    diagnose_merchant(frames, profile, period)         → Diagnosis (IngestError "no_dates" without dated data)
    plan_context(frames, profile, lang, index, ...)    → PlanContext (the diagnosis and the cases per finding)
    draft_plan(context, index, settings, progress)     → PlanResult (the LLM when configured, else offline)

Nothing here imports Streamlit or Plotly; errors a user can act on are IngestError (code, file, row).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from diagnosis import kpis
from diagnosis.errors import IngestError
from diagnosis.profile import MerchantProfile


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass
class Exports:
    """What a set of uploads gave: frames combined per kind, each readable file's report, each failure."""

    frames: kpis.Frames
    read: list[tuple[str, object, object]] = field(default_factory=list)  # (name, frame, IngestReport)
    failed: list[IngestError] = field(default_factory=list)


def read_exports(uploads: Iterable[Upload], mapping=None) -> Exports:
    """Every upload read on its own: a bad file is kept as its error and never stops the others."""
    from diagnosis.ingest import ingest

    read, failed = [], []
    for upload in uploads:
        try:
            frame, report = ingest(upload.data, upload.name, mapping)
        except IngestError as exc:
            failed.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - a reader's bug is this file's error, not the user's traceback
            failed.append(IngestError("unreadable", file=upload.name, detail=f"{type(exc).__name__}: {exc}"[:300]))
            continue
        read.append((upload.name, frame, report))
    return Exports(kpis.combine([(frame, report) for _, frame, report in read]), read, failed)


def read_profile(folder: Path, lang: str) -> MerchantProfile:
    """A merchant folder's profile from its merchant.json (none: the folder's name and defaults). A file that is
    not UTF-8 JSON describing one merchant, or with a value out of range, is an IngestError naming the file, the
    line where JSON says so, and the field."""
    path = folder / "merchant.json"
    if not path.is_file():
        return MerchantProfile(name=folder.name)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise IngestError("profile_encoding", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise IngestError("profile_json", file=str(path), row=exc.lineno, col=exc.colno) from None
    except OSError as exc:
        raise IngestError("unreadable", file=str(path), detail=exc.strerror or str(exc)) from None
    if not isinstance(data, dict):
        raise IngestError("profile_not_object", file=str(path), found=type(data).__name__)
    data.setdefault("slug", folder.name)
    try:
        return MerchantProfile.from_merchant_json(data, lang)
    except ValidationError as exc:
        error = exc.errors()[0]
        field_name = ".".join(str(p) for p in error["loc"]) or "?"
        raise IngestError("profile_value", file=str(path), column=field_name, value=str(error.get("input"))[:60],
                          expected=_expected(field_name)) from None


def _expected(field_name: str) -> str:
    from diagnosis.profile import CATEGORIES, STAGES

    return {"category": " / ".join(CATEGORIES), "stage": " / ".join(STAGES), "gross_margin": "0 < m ≤ 1"}.get(field_name, "?")


def diagnose_merchant(frames: kpis.Frames, profile: MerchantProfile, period: kpis.Period | None = None):
    """The diagnosis of one merchant's data, over `period` or the default last 30 days. Dated data without one usable
    number in the period (every number a word) is "not enough data" (IngestError), never a health score of 100."""
    from diagnosis.rules import diagnose

    if kpis.data_range(frames) is None:
        raise IngestError("no_dates", file=profile.name or "?")
    result = diagnose(frames, profile, period)
    if not _has_numbers(frames, kpis.Period(*result.period)):
        raise IngestError("not_enough_data", file=profile.name or "?", start=result.period[0], end=result.period[1])
    return result


def _has_numbers(frames: kpis.Frames, period: kpis.Period) -> bool:
    """Whether any export has one usable number in the period (row numbers do not count)."""
    from diagnosis.ingest import SOURCE_ROW

    for kind, frame in frames.items():
        numbers = kpis.in_period(frame, kind, period.start, period.end).select_dtypes("number")
        if numbers.drop(columns=[SOURCE_ROW], errors="ignore").notna().to_numpy().any():
            return True
    return False


def plan_context(frames: kpis.Frames, profile: MerchantProfile, lang: str, index=None, diagnosis=None,
                 period: kpis.Period | None = None):
    """Everything a drafter may use: the diagnosis (computed unless given) and the cases retrieved per finding."""
    from diagnosis.plan.context import build_context

    result = diagnosis or diagnose_merchant(frames, profile, period)
    return build_context(frames, profile, lang, index, result=result)


def draft_plan(context, index, settings=None, progress=None):
    """The plan: the configured LLM (`settings`), else the offline drafter; never raises for an endpoint's fault."""
    from diagnosis.plan.drafters import make_plan

    library = set(index.cases) if index is not None else set()
    return make_plan(context, library, "llm" if settings else "offline", settings, progress)
