"""Upload page: a merchant's own exports read file by file, a column-mapping editor for files BeltDoctor
cannot place (or places wrongly), and presets that remember a mapping for the next export of that layout.

Text that comes from a file (its name, headers, values) is shown only with st.text / st.dataframe, or
escaped by `plain` where Streamlit renders markdown (st.error, st.info): it is untrusted.
Successful uploads are kept in `uploads` / `upload_frames` so other pages can use them after this page's
widgets are gone; app state is read from plain session keys (see app.py).
"""

import hashlib
import math

import pandas as pd
import streamlit as st

from diagnosis import settings
from diagnosis.errors import IngestError
from diagnosis.i18n import LANGS, t
from diagnosis.ingest import ColumnMapping, IngestReport, ingest
from diagnosis.merchants import DEMO_ROOT, export_files, read_profile
from diagnosis.presets import (
    MAX_NAME,
    PresetNameError,
    find_preset,
    read_headers,
    save_preset,
    suggest_mapping,
)
from diagnosis.schema import export_kinds, get_kind, normalise_header
from ui.tables import column_config, labelled
from ui.text import plain
from ui.workspace import through_the_gate

TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm"]
IGNORE = ""
SHOWN_WARNINGS = 200
PREVIEW_ROWS = 20
# Failures a column mapping can fix: the editor opens by itself for these.
MAPPABLE = {"no_known_columns", "missing_required", "mapping_header_missing", "mapping_unknown_field", "mapping_invalid"}

state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")
state.setdefault("uploads", {})
state.setdefault("upload_frames", {})
state.setdefault("upload_mappings", {})
state.setdefault("uploads_source", "uploads")


@st.cache_data(show_spinner=False, max_entries=32)
def _read(data: bytes, filename: str, mapping_json: str):
    """(frame, report dict, None) or (None, None, {code, zh, en}): no exception gets past here, so one bad
    file costs one message, never the page."""
    mapping = ColumnMapping.model_validate_json(mapping_json) if mapping_json else None
    try:
        frame, report = ingest(data, filename, mapping)
    except IngestError as exc:
        return None, None, {"code": exc.code, "zh": exc.message("zh"), "en": exc.message("en")}
    except Exception as exc:  # an engine bug on odd input must still read as a file problem
        err = IngestError("unreadable", file=filename, detail=f"{type(exc).__name__}: {exc}"[:200])
        return None, None, {"code": err.code, "zh": err.message("zh"), "en": err.message("en")}
    return frame, report.model_dump(mode="json"), None


_headers = st.cache_data(read_headers, show_spinner=False, max_entries=32)


# ---------------------------------------------------------------- state changes (widget callbacks)


def _on_upload() -> None:
    """A file taken out of the uploader (its ×) leaves the stored uploads too; anything uploaded means
    the user now wants their own files rather than the demo."""
    state.uploads_source = "uploads"
    current = {f.name for f in state.get("_w_upload") or []}
    for name in set(state.get("_upload_inbox", [])) - current:
        _clear_one(name)


def _clear_one(name: str) -> None:
    state.uploads.pop(name, None)
    state.upload_frames.pop(name, None)


def _set_source(source: str) -> None:
    state.uploads_source = source


def _clear() -> None:
    state.uploads.clear()
    state.upload_frames.clear()


def _edited(fields_key: str, headers: list[str], kind: str) -> ColumnMapping:
    """The editor's choices; `fields_key` + column number names each header's selectbox."""
    columns = {}
    for i, header in enumerate(headers):
        field = state.get(f"{fields_key}_{i}", IGNORE)
        if header and field != IGNORE:
            columns[header] = field
    return ColumnMapping(kind=kind, columns=columns)


def _apply(fields_key: str, sha: str, headers: list[str], kind: str, preset: str | None = None) -> None:
    """Mappings belong to the bytes, so the same file uploaded again is read the same way."""
    state.upload_mappings[sha] = {"mapping": _edited(fields_key, headers, kind).model_dump(), "preset": preset}


def _save(slot: str, fields_key: str, sha: str, headers: list[str], kind: str) -> None:
    """Save the edited mapping as a preset and use it for this file at once."""
    name = state.get(f"_w_preset_{slot}", "")
    try:
        saved = save_preset(name, _edited(fields_key, headers, kind), headers)
    except PresetNameError as exc:
        state[f"_flash_{slot}"] = ("error", {lg: exc.message(lg) for lg in LANGS})
        return
    except OSError as exc:
        state[f"_flash_{slot}"] = ("error", {lg: t("upload.preset_save_failed", lg, detail=exc) for lg in LANGS})
        return
    _apply(fields_key, sha, headers, kind, preset=saved.stem)
    state[f"_flash_{slot}"] = ("success", {lg: t("upload.preset_saved", lg, name=saved.stem) for lg in LANGS})


def _reset(sha: str) -> None:
    """Back to plain detection for these bytes, ignoring any preset."""
    state.upload_mappings[sha] = {"mapping": None, "preset": None}


# ---------------------------------------------------------------- rendering


def _mapping_for(sha: str, headers: list[str]) -> tuple[ColumnMapping | None, str | None]:
    """The user's choice for these bytes if any, else a saved preset for this header layout."""
    chosen = state.upload_mappings.get(sha)
    if chosen is not None:
        mapping = ColumnMapping.model_validate(chosen["mapping"]) if chosen["mapping"] else None
        return mapping, chosen["preset"]
    preset = find_preset(headers) if headers else None
    return (preset.mapping(), preset.name) if preset else (None, None)


def show_file(name: str, data: bytes, store: bool, position: int) -> None:
    """One file: what was read (or why not) and the mapping editor. `store` keeps a success for other pages;
    `position` keeps widget keys apart when the same bytes are listed twice."""
    sha = hashlib.sha256(data).hexdigest()
    slot = f"{position}_{sha[:16]}"
    headers = _headers(data, name)
    mapping, preset = _mapping_for(sha, headers)
    frame, report, error = _read(data, name, mapping.model_dump_json() if mapping else "")
    with st.container(border=True):
        st.text(name)
        if preset:
            st.info(plain(t("upload.preset_applied", lang, name=preset)))
        flash = state.pop(f"_flash_{slot}", None)  # outside the editor, which may fold once the file reads
        if flash:
            (st.success if flash[0] == "success" else st.error)(plain(flash[1][lang]))
        if error:
            st.error(plain(error[lang]))
            if store:
                _clear_one(name)
        else:
            if store:
                _store(name, sha, frame, report)
            _show_report(frame, IngestReport.model_validate(report), mapping is not None)
        if headers:
            with st.expander(t("upload.mapping_title", lang), expanded=bool(error) and error["code"] in MAPPABLE):
                _editor(slot, sha, headers, mapping, report)


def _store(name: str, sha: str, frame: pd.DataFrame, report: dict) -> None:
    """Keyed by file name; the same bytes under another name are not stored twice."""
    twin = next((other for other, entry in state.uploads.items() if entry["sha"] == sha and other != name), None)
    if twin is not None:
        st.caption(plain(t("upload.duplicate", lang, name=twin)))
        return
    state.uploads[name] = {"sha": sha, "kind": report["kind"], "report": report}
    state.upload_frames[name] = frame


def _show_report(frame: pd.DataFrame, report: IngestReport, by_mapping: bool) -> None:
    kind = get_kind(report.kind)
    title = report.kind_title[lang]
    score = f"{report.kind_scores.get(report.kind, 0.0):.2f}"
    st.markdown(f"**{title}**")
    how = t("upload.by_mapping" if by_mapping else "upload.detected", lang, score=score)
    dates = t("upload.dates", lang, start=report.start, end=report.end) if report.start else t("upload.no_dates", lang)
    st.caption(f"{how} · {dates}")
    cols = st.columns(3)
    cols[0].metric(t("upload.rows", lang), f"{report.rows_kept:,} / {report.rows_read:,}")
    cols[1].metric(t("col.mapped", lang), len(report.mapped))
    cols[2].metric(t("col.warnings", lang), sum(report.warning_counts.values()))
    mapped = pd.DataFrame(
        {
            t("upload.col_header", lang): [m.header for m in report.mapped],
            t("upload.col_field", lang): [m.label_zh if lang == "zh" else m.label_en for m in report.mapped],
        }
    )
    st.dataframe(mapped, hide_index=True, width="stretch")
    if report.ignored:
        st.caption(t("upload.ignored", lang))
        st.text(", ".join(report.ignored))
    if report.missing_expected:
        missing = ", ".join(kind.field(f).label(lang) for f in report.missing_expected)
        st.caption(t("upload.missing", lang, fields=missing))
    for note in report.notes:
        st.text(report.note_text(note, lang))
    if report.warning_counts:
        _show_warnings(report)
    with st.expander(t("upload.preview", lang, rows=PREVIEW_ROWS)):
        shown = labelled(frame.head(PREVIEW_ROWS), kind, lang)
        st.dataframe(shown, width="stretch", column_config=column_config(kind, frame.columns, lang))


def _show_warnings(report: IngestReport) -> None:
    total = sum(report.warning_counts.values())
    with st.expander(t("upload.warnings_title", lang, count=total)):
        counts = pd.DataFrame(
            {
                t("upload.col_reason", lang): [_code_label(code) for code in report.warning_counts],
                t("upload.col_count", lang): list(report.warning_counts.values()),
            }
        )
        st.dataframe(counts, hide_index=True)
        shown = report.warnings[:SHOWN_WARNINGS]
        st.caption(t("upload.warnings_shown", lang, shown=len(shown), total=total))
        rows = [report.warning_text(w, lang) for w in shown]
        st.dataframe(pd.DataFrame({t("upload.col_warning", lang): rows}), hide_index=True, width="stretch")


def _code_label(code: str) -> str:
    """A short name for a warning reason; a reason newer than this table shows its code."""
    text = t(f"upload.code.{code}", lang)
    return code if text == f"upload.code.{code}" else text


def _editor(slot: str, sha: str, headers: list[str], mapping: ColumnMapping | None, report: dict | None) -> None:
    """Export kind, then a field (or ignore) per header, prefilled with the mapping in use or detection."""
    kinds = export_kinds()
    names = list(kinds)
    current = (mapping.kind if mapping else None) or (report["kind"] if report else None)
    default = suggest_mapping(headers, current).kind
    # Keys carry the language: a selectbox keeps the label it was created with, so a new language needs
    # new widgets (choices not yet applied are reset to the mapping in use).
    kind = st.selectbox(
        t("upload.kind_label", lang), names, index=names.index(default) if default else None,
        format_func=lambda k: kinds[k].title.get(lang), key=f"_w_kind_{slot}_{lang}",
        placeholder=t("upload.choose_kind", lang),
    )
    if kind is None:
        return
    prefill = suggest_mapping(headers, kind).columns
    if mapping and mapping.kind == kind:  # a preset may spell headers in the other width: match normalised
        chosen = {normalise_header(h): f for h, f in mapping.columns.items()}
        prefill = {h: chosen.get(normalise_header(h), prefill.get(h, IGNORE)) for h in headers}
    fields = [IGNORE] + [f.field for f in kinds[kind].fields]
    labels = {f.field: f.label(lang) for f in kinds[kind].fields} | {IGNORE: t("upload.ignore", lang)}
    st.caption(t("upload.mapping_help", lang))
    fields_key = f"_w_field_{slot}_{lang}_{kind}"
    for i, header in enumerate(headers):
        if not header:
            continue
        left, right = st.columns([2, 3], vertical_alignment="center")
        left.text(header)
        right.selectbox(
            t("upload.field_for", lang, n=i + 1), fields, index=fields.index(prefill.get(header, IGNORE)),
            format_func=labels.get, key=f"{fields_key}_{i}", label_visibility="collapsed",
        )
    buttons = st.container(horizontal=True)
    buttons.button(
        t("upload.apply", lang), key=f"_w_apply_{slot}", type="primary", on_click=_apply, args=(fields_key, sha, headers, kind)
    )
    buttons.button(t("upload.reset", lang), key=f"_w_reset_{slot}", on_click=_reset, args=(sha,))
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.text_input(t("upload.preset_name", lang), key=f"_w_preset_{slot}", max_chars=MAX_NAME)
    right.button(
        t("upload.save_preset", lang), key=f"_w_save_{slot}", on_click=_save, args=(slot, fields_key, sha, headers, kind)
    )


def _set_store_name() -> None:
    from ui.data import current_profile

    name = " ".join(str(state._w_store_name).split())[:80]
    current_profile()["name"] = name or t("upload.default_name", lang)


def _store_name() -> None:
    """The uploads are a merchant of their own: asked once, shown on every page and export, used when saving."""
    from ui.data import current_profile

    state["_w_store_name"] = current_profile()["name"]
    st.text_input(t("upload.store_name", lang), key="_w_store_name", on_change=_set_store_name, help=t("upload.store_name_help", lang))


def _show_stored() -> None:
    rows = [
        {
            t("col.file", lang): name,
            t("col.kind", lang): entry["report"]["kind_title"][lang],
            t("col.rows", lang): entry["report"]["rows_kept"],
            t("col.start", lang): entry["report"]["start"],
            t("col.end", lang): entry["report"]["end"],
        }
        for name, entry in state.uploads.items()
    ]
    st.subheader(t("upload.stored_title", lang))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.button(t("upload.clear", lang), key="_w_clear", on_click=_clear)


def _show_demo(slug: str) -> None:
    profile = read_profile(DEMO_ROOT / slug)
    st.info(t("upload.demo_showing", lang, name=profile.get(f"name_{lang}", slug)))
    st.button(t("upload.back_to_uploads", lang), key="_w_back", on_click=_set_source, args=("uploads",))
    for position, path in enumerate(export_files(DEMO_ROOT / slug)):
        show_file(path.name, path.read_bytes(), store=False, position=position)


st.title(t("upload.title", lang))
st.caption(t("upload.intro", lang))
limit_mb = max(1, math.ceil(settings.get("max_file_mb")))  # the uploader takes whole megabytes only
files = st.file_uploader(
    t("upload.uploader", lang), type=TYPES, accept_multiple_files=True, key="_w_upload",
    help=t("upload.size_help", lang, limit_mb=limit_mb), max_upload_size=limit_mb, on_change=_on_upload,
)
state["_upload_inbox"] = [f.name for f in files]
slug = state.get("merchant")
if slug and state.uploads_source != "demo":
    st.button(t("upload.use_demo", lang), key="_w_demo", on_click=_set_source, args=("demo",))

if slug and state.uploads_source == "demo":
    _show_demo(slug)
else:
    summary = st.container()  # filled last, so it already lists the files stored by this run
    for position, uploaded in enumerate(files):
        show_file(uploaded.name, uploaded.getvalue(), store=True, position=position)
    with summary:
        if state.uploads:
            _store_name()
            _show_stored()
        elif not files:
            st.info(t("upload.empty", lang))
