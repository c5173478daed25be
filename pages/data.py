"""Data page: what BeltDoctor read from the current merchant's exports, file by file."""

import pandas as pd
import streamlit as st

from diagnosis.i18n import t
from diagnosis.ingest import IngestReport
from diagnosis.merchants import DEMO_ROOT, load_merchant
from diagnosis.schema import get_kind
from ui.tables import column_config, labelled
from ui.workspace import through_the_gate

state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")


@st.cache_data(show_spinner=False, max_entries=16)
def _load(slug: str):
    data = load_merchant(DEMO_ROOT / slug)
    frames = [(frame, report.model_dump(mode="json")) for frame, report in data.frames]
    return data.profile, frames, [e.message("zh") for e in data.errors], [e.message("en") for e in data.errors]


st.title(t("page.data.title", lang))
if state.get("role") == "merchant":
    from ui.workspace import workspace

    own = state.get("role_merchant")
    uploads = workspace().uploads(own) if own else []
    st.dataframe(pd.DataFrame([{t("data.file", lang): u.filename, t("data.kind", lang): u.kind, t("data.start", lang): u.start,
                                t("data.end", lang): u.end, t("data.rows", lang): u.rows} for u in uploads]), hide_index=True)
    st.stop()
slug = state.get("merchant")
if not slug:
    st.info(t("page.data.no_demo", lang))
    st.stop()

profile, frames, errors_zh, errors_en = _load(slug)
st.caption(profile.get(f"story_{lang}", ""))
for message in errors_zh if lang == "zh" else errors_en:
    st.error(message)

summary = pd.DataFrame(
    [
        {
            t("col.file", lang): r["file"],
            t("col.kind", lang): r["kind_title"][lang],
            t("col.rows", lang): r["rows_kept"],
            t("col.start", lang): r["start"],
            t("col.end", lang): r["end"],
            t("col.warnings", lang): sum(r["warning_counts"].values()),
        }
        for _, r in frames
    ]
)
st.dataframe(summary, hide_index=True, width="stretch")

for frame, raw in frames:
    report = IngestReport.model_validate(raw)
    kind = get_kind(report.kind)
    with st.expander(f"{report.file} · {report.kind_title[lang]}"):
        cols = st.columns(3)
        cols[0].metric(t("col.rows", lang), report.rows_kept)
        cols[1].metric(t("col.mapped", lang), len(report.mapped))
        cols[2].metric(t("col.warnings", lang), sum(report.warning_counts.values()))
        if report.missing_expected:
            missing = ", ".join(kind.field(f).label(lang) for f in report.missing_expected)
            st.caption(t("page.data.missing", lang, fields=missing))
        for note in report.notes:
            st.caption(report.note_text(note, lang))
        for w in report.warnings[:50]:
            st.text(report.warning_text(w, lang))
        shown = labelled(frame.head(200), kind, lang)
        st.dataframe(shown, width="stretch", column_config=column_config(kind, frame.columns, lang))
