"""Meeting brief page: for one merchant, what changed since the last meeting, where each action stands and whether
its KPI moved, what to talk about, and the cases behind the plan; records the meeting and action progress, and
exports the brief as DOCX or PDF.

`?merchant=slug` opens a merchant directly, but only one the session may see: any other stops at `require`.
"""

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from diagnosis.documents import to_docx
from diagnosis.i18n import t
from diagnosis.store import brief as briefs
from diagnosis.store.workspace import STATUSES
from ui.cases import case_index
from ui.plan import MIME
from ui.text import plain
from ui.workspace import not_saved, require, through_the_gate, visible_slugs, workspace

SEVERITY_ICON = {"high": ":material/error:", "medium": ":material/warning:", "low": ":material/info:"}
state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")
ws = workspace()


def _pick() -> None:
    state.brief_merchant = state._w_brief_merchant
    st.query_params["merchant"] = state.brief_merchant


def _save_actions(slug: str, actions: list[briefs.ActionLine]) -> None:
    """Write the actions whose status or note changed, all or none; a note-only edit keeps the dates recorded."""
    changed = 0
    try:
        with ws.atomic():
            for a in actions:
                status, note = state[f"act_status_{a.id}_{lang}"], state[f"act_note_{a.id}"]
                if status == a.status and note == a.note:
                    continue
                on = a.done_on if status == a.status == "done" else state.act_on
                ws.set_action_status(slug, a.id, status, note=note, on=on)
                changed += 1
    except SQLAlchemyError as exc:
        state.brief_error = not_saved(exc, lang)
        return
    state.brief_flash = t("action.saved", lang, n=changed)


def _save_meeting(slug: str) -> None:
    try:
        ws.add_meeting(slug, state.mt_date, state.mt_notes.strip())
    except SQLAlchemyError as exc:  # the notes stay in the form
        state.brief_error = not_saved(exc, lang)
        return
    state.brief_flash = t("brief.meeting.saved", lang, date=state.mt_date.isoformat())
    state.mt_notes = ""


def _open_case(case_id: str) -> None:
    state.case_open = case_id
    state.case_view = "detail"


def _docx(brief: briefs.Brief) -> bytes:
    return to_docx(briefs.brief_document(brief, lang))


def _pdf(brief: briefs.Brief) -> bytes:
    from diagnosis.pdf import to_pdf

    return to_pdf(briefs.brief_document(brief, lang))


def _findings(column, title: str, lines: list[briefs.FindingLine]) -> None:
    column.markdown(f"**{title}**")
    if not lines:
        column.caption(t("brief.findings.none", lang))
    for f in lines:
        column.markdown(f"{SEVERITY_ICON[f.severity]} {plain(f.title)} · {t(f'severity.{f.severity}', lang)}")


def _kpi_table(brief: briefs.Brief) -> None:
    header, rows = briefs.kpi_table(brief, lang)
    table = pd.DataFrame(rows, columns=header)
    if len(header) == 4:  # compared with an earlier diagnosis: colour the change by whether it is better
        colours = ["color: #15803d" if k.improved else "color: #b91c1c" if k.improved is False else "" for k in brief.kpis]
        table = table.style.apply(lambda _: colours, subset=[header[-1]])
    st.dataframe(table, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3)  # every row, no inner scroll


def _action(a: briefs.ActionLine) -> None:
    with st.container(border=True):
        st.markdown(f"**{a.n}. {plain(a.title)}**")
        facts = [t(f"plan.when.{a.when}", lang)] if a.when else []
        if a.due and a.status == "todo":
            facts.append(t("action.due", lang, due=a.due.isoformat()) + (f" · {t('action.overdue', lang)}" if a.overdue else ""))
        if a.started_on:
            facts.append(f"{t('brief.col.started', lang)} {a.started_on.isoformat()}")
        if a.done_on:
            facts.append(f"{t('brief.col.done', lang)} {a.done_on.isoformat()}")
        metric = briefs.action_metric(a, lang)
        if a.started_on is None:
            facts.append(f"{metric} · {briefs.verdict(a, lang)}")
        else:
            facts.append(t("brief.action.kpi", lang, metric=metric, before=briefs.shown_value(a.before, a.unit, lang),
                           after=briefs.shown_value(a.after, a.unit, lang), verdict=briefs.verdict(a, lang)))
        st.caption(plain(" · ".join(facts)))
        left, right = st.columns([1, 3])
        state[f"act_status_{a.id}_{lang}"] = a.status  # per language: the option labels refresh only with a new widget
        state[f"act_note_{a.id}"] = a.note
        left.selectbox(t("action.status", lang), STATUSES, key=f"act_status_{a.id}_{lang}",
                       format_func=lambda s: t(f"action.status.{s}", lang))
        right.text_input(t("action.note", lang), key=f"act_note_{a.id}")


st.title(t("brief.title", lang))
asked = st.query_params.get("merchant")
if asked is not None:
    require(asked, lang)
visible = visible_slugs()
names = {m.slug: m.name or m.slug for m in ws.merchants() if visible is None or m.slug in visible}
if asked is not None and asked not in names:
    st.warning(t("brief.not_found", lang, slug=plain(asked)))
    st.stop()
if not names:
    st.info(t("brief.empty", lang))
    st.stop()
slug = asked or state.get("brief_merchant")
slug = slug if slug in names else next(iter(names))
require(slug, lang)
st.query_params["merchant"] = slug  # the address names the merchant shown, so it can be shared or bookmarked
state._w_brief_merchant = slug
pick, word, pdf = st.columns([4, 1, 1], vertical_alignment="bottom")
pick.selectbox(t("brief.pick", lang), list(names), key="_w_brief_merchant", format_func=names.get, on_change=_pick)

library = case_index().cases
brief = briefs.meeting_brief(ws, slug, lang, library=library)
stem = f"beltdoctor-brief-{slug}-{brief.today.isoformat()}"
word.download_button(t("brief.export_docx", lang), data=lambda: _docx(brief), file_name=f"{stem}.docx", mime=MIME["docx"],
                     on_click="ignore", key="brief_docx", icon=":material/description:", width="stretch")
pdf.download_button(t("brief.export_pdf", lang), data=lambda: _pdf(brief), file_name=f"{stem}.pdf", mime=MIME["pdf"],
                    on_click="ignore", key="brief_pdf", icon=":material/picture_as_pdf:", width="stretch")
if "brief_flash" in state:
    st.success(state.pop("brief_flash"))
if "brief_error" in state:
    st.error(state.pop("brief_error"))
st.caption(plain(briefs.comparison_caption(brief, lang)))

cols = st.columns(3)
if brief.current is not None:
    change = brief.health_change
    cols[0].metric(t("brief.health", lang), f"{brief.current.health}/100", None if change is None else f"{change:+d}" if change else "±0",
                   delta_color="normal" if change else "off", delta_arrow="auto" if change else "off")
cols[1].metric(t("brief.last_meeting", lang), brief.last_meeting.isoformat() if brief.last_meeting else "—")
cols[2].metric(t("brief.data_through", lang), brief.last_data.isoformat() if brief.last_data else "—",
               t("brief.stale", lang) if brief.stale else None, delta_color="orange", delta_arrow="off")

with st.container(border=True):
    st.subheader(t("brief.points", lang))
    st.markdown("\n".join(f"- {plain(p)}" for p in brief.talking_points))

if brief.kpis:
    st.subheader(t("brief.kpis", lang))
    _kpi_table(brief)
if brief.current is not None:
    st.subheader(t("brief.changes", lang))
    new, resolved, persisting = st.columns(3)
    _findings(new, t("brief.findings.new", lang), brief.new_findings)
    _findings(resolved, t("brief.findings.resolved", lang), brief.resolved_findings)
    _findings(persisting, t("brief.findings.persisting", lang), brief.persisting_findings)

st.subheader(t("brief.actions", lang))
if brief.actions:
    st.caption(t("brief.actions.plan", lang, version=brief.plan_version))
    with st.form("brief_actions", border=False):
        for action in brief.actions:
            _action(action)
        state.setdefault("act_on", date.today())
        on, save = st.columns([1, 3], vertical_alignment="bottom")
        on.date_input(t("action.on", lang), key="act_on", help=t("action.on_help", lang))
        save.form_submit_button(t("action.save", lang), type="primary", icon=":material/save:", on_click=_save_actions,
                                args=(slug, brief.actions))
else:
    st.info(t("brief.no_plan", lang))

if brief.cases:
    st.subheader(t("brief.cases", lang))
    for case in brief.cases:
        if st.button(f"{case.title} ({case.id})", key=f"brief_case_{case.id}", type="tertiary", icon=":material/menu_book:"):
            _open_case(case.id)
            st.switch_page("pages/cases.py")

st.subheader(t("brief.meeting.title", lang))
with st.form("brief_meeting"):
    state.setdefault("mt_date", date.today())
    st.date_input(t("brief.meeting.date", lang), key="mt_date")
    st.text_area(t("brief.meeting.notes", lang), key="mt_notes", height=120)
    st.form_submit_button(t("brief.meeting.save", lang), icon=":material/event_available:", on_click=_save_meeting, args=(slug,))
if brief.meetings:
    with st.expander(t("brief.meetings", lang, n=len(brief.meetings))):
        for held_on, text in reversed(brief.meetings):
            st.markdown(f"**{held_on.isoformat()}**")
            st.text(text or "—")

