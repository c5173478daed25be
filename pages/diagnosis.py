"""Diagnosis page: health score, findings with their evidence and threshold, checks that could not run,
and the benchmark table in use for the merchant's category."""

import pandas as pd
import streamlit as st

from diagnosis import charts, kpis
from diagnosis.economics import benchmarks
from diagnosis.errors import IngestError
from diagnosis.i18n import t
from diagnosis.profile import MerchantProfile
from diagnosis.service import diagnose_merchant, plan_context
from ui import plan as plan_section
from ui.cases import case_index
from ui.data import current_frames, current_profile
from ui.text import plain
from ui.workspace import through_the_gate

SEVERITY_ICON = {"high": ":material/error:", "medium": ":material/warning:", "low": ":material/info:"}

state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")


def _related_cases(code: str, hits: list) -> None:
    """The library's best cases for this finding (the ones the plan cites); a click opens the case card."""
    if not hits:
        return
    st.markdown(f"**{t('diag.cases', lang)}**")
    for hit in hits:
        label = f"{hit.case.title(lang)} · {t(f'cases.kind.{hit.case.kind}', lang)}"
        if st.button(label, key=f"case_{code}_{hit.case.id}", type="tertiary", icon=":material/menu_book:"):
            state.case_open = hit.case.id
            state.case_view = "detail"
            st.switch_page("pages/cases.py")
st.title(t("diag.title", lang))
frames, source = current_frames()
if not frames or kpis.data_range(frames) is None:
    st.info(t("dash.no_data", lang))
    st.stop()
profile = MerchantProfile.model_validate(current_profile())
try:
    result = diagnose_merchant(frames, profile)
except IngestError as exc:  # dates but no usable numbers: say so rather than score it
    st.info(plain(exc.message(lang)))
    st.stop()
st.caption(t("diag.period", lang, source=source, start=result.period[0], end=result.period[1]))

context = plan_context(frames, profile, lang, case_index(), diagnosis=result)

cols = st.columns([1, 3])
cols[0].metric(t("diag.health", lang), f"{result.health_score}/100")
cols[1].caption(t("diag.health_help", lang))

if not result.findings:
    st.success(t("diag.none", lang))
for finding in result.findings:
    title = t(f"rule.{finding.code}.title", lang)
    with st.container(border=True):
        st.markdown(f"{SEVERITY_ICON[finding.severity]} **{t(f'severity.{finding.severity}', lang)} · {title}** `{finding.code}`")
        st.write(plain(finding.evidence[lang]))
        st.plotly_chart(
            charts.finding_bar(title, finding.value, finding.benchmark, finding.unit, finding.worse == "below", lang),
            key=f"finding_{finding.code}",
        )
        st.caption(t("diag.source", lang, source=finding.source, confidence=f"{finding.confidence:.0%}"))
        _related_cases(finding.code, context.cases.get(finding.code, []))

plan_section.render(context, plan_section.plan_key(state.get("merchant"), source, lang, profile.model_dump_json()))

if result.skipped:
    st.subheader(t("diag.skipped", lang))
    for skip in result.skipped:
        st.caption(f"`{skip.code}` — {skip.reason[lang]}")

with st.expander(t("diag.benchmarks", lang, category=t(f"category.{profile.category}", lang))):
    table = pd.DataFrame(
        [{t("diag.col.key", lang): key, t("diag.col.value", lang): entry["value"], t("diag.col.source", lang): entry["source"],
          t("diag.col.confidence", lang): entry["confidence"]} for key, entry in benchmarks(profile.category).items()]
    )
    st.dataframe(table, hide_index=True, width="stretch")
