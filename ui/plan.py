"""The plan section of the Diagnosis page: choose the drafter, preview what would be sent, draft with streaming
progress, show the plan with its citations and check notes, edit actions inline, and export lazily."""

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from diagnosis.i18n import t
from diagnosis.plan.context import PlanContext
from diagnosis.plan.drafters import PlanResult
from diagnosis.plan.export import export
from diagnosis.plan.model import WHEN_ORDER
from diagnosis.plan.prompt import build_messages, prompt_tokens
from diagnosis.service import draft_plan
from ui.cases import case_index
from ui.llm import llm_settings
from ui.text import plain

MIME = {
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OWNERS = ("merchant", "provider", "both")
state = st.session_state


def _open_case(case_id: str) -> None:
    state.case_open = case_id
    state.case_view = "detail"


def _draft(context: PlanContext, use_llm: bool, key: str) -> None:
    lang = context.lang
    settings = llm_settings() if use_llm else None
    index = case_index()
    if settings is None:
        state.plans[key] = draft_plan(context, index)
        return
    with st.status(t("plan.ui.drafting", lang, model=settings.describe()), expanded=True) as status:
        line = st.empty()

        def progress(event) -> None:
            line.caption(t(f"plan.stage.{event.stage}", lang, seconds=f"{event.elapsed:.0f}", chars=f"{event.chars:,}"))

        result = draft_plan(context, index, settings, progress)
        status.update(label=t("plan.ui.drafted", lang) if result.drafter == "llm" else t("plan.ui.fell_back", lang),
                      state="complete" if result.drafter == "llm" else "error", expanded=False)
    state.plans[key] = result


def _preview(context: PlanContext) -> None:
    lang = context.lang
    messages = build_messages(context, "json_object")
    with st.expander(t("plan.ui.preview", lang, tokens=prompt_tokens(messages))):
        st.caption(t("plan.ui.preview_help", lang))
        st.code(messages[1]["content"], language="xml", wrap_lines=True)


def _apply_edits(key: str, n: int) -> None:
    result: PlanResult = state.plans[key]
    action = result.plan.actions[n]
    steps = [s.strip() for s in state[f"edit_steps_{key}_{n}"].splitlines() if s.strip()]
    edited = action.model_copy(update={
        "title": state[f"edit_title_{key}_{n}"].strip() or action.title, "steps": steps or action.steps,
        "owner": state[f"edit_owner_{key}_{n}"], "when": state[f"edit_when_{key}_{n}"],
    })
    actions = list(result.plan.actions)
    actions[n] = edited
    result.plan = result.plan.model_copy(update={"actions": actions})
    state.setdefault("plan_edited", set()).add(key)


def _action(result: PlanResult, context: PlanContext, key: str, n: int) -> None:
    lang = context.lang
    action = result.plan.actions[n]
    with st.container(border=True):
        st.markdown(f"**{n + 1}. {plain(action.title)}**")
        facts = [t(f"plan.owner.{action.owner}", lang), t(f"plan.when.{action.when}", lang),
                 " · ".join(t(f"rule.{c}.title", lang) if context.finding(c) else c for c in action.why)]
        st.caption(plain(" · ".join(facts)))
        st.markdown("\n".join(f"{i}. {plain(step)}" for i, step in enumerate(action.steps, 1)))
        if action.cases:
            cols = st.columns(len(action.cases))
            for col, case_id in zip(cols, action.cases, strict=True):
                case = case_index().get(case_id)
                if col.button(case_id, key=f"cite_{key}_{n}_{case_id}", help=case.title(lang) if case else None,
                              icon=":material/menu_book:", type="tertiary"):
                    _open_case(case_id)
                    st.switch_page("pages/cases.py")
        with st.expander(t("plan.ui.edit", lang)):
            state.setdefault(f"edit_title_{key}_{n}", action.title)
            state.setdefault(f"edit_steps_{key}_{n}", "\n".join(action.steps))
            state.setdefault(f"edit_owner_{key}_{n}", action.owner)
            state.setdefault(f"edit_when_{key}_{n}", action.when)
            st.text_input(t("plan.ui.title", lang), key=f"edit_title_{key}_{n}")
            st.text_area(t("plan.ui.steps", lang), key=f"edit_steps_{key}_{n}", height=160)
            c1, c2 = st.columns(2)
            c1.selectbox(t("plan.doc.owner", lang), OWNERS, key=f"edit_owner_{key}_{n}", format_func=lambda o: t(f"plan.owner.{o}", lang))
            c2.selectbox(t("plan.doc.when", lang), WHEN_ORDER, key=f"edit_when_{key}_{n}", format_func=lambda w: t(f"plan.when.{w}", lang))
            st.button(t("plan.ui.apply", lang), key=f"apply_{key}_{n}", on_click=_apply_edits, args=(key, n))


def _slug(name: str) -> str:
    import hashlib
    import re

    ascii_part = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (ascii_part[:40] + "-" if ascii_part else "store-") + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]


def _save(result: PlanResult, context: PlanContext, key: str) -> None:
    """Keep this merchant's data, diagnosis and plan (as edited) in the workspace, for the portfolio and briefs."""
    from diagnosis.ingest import IngestReport
    from diagnosis.merchants import DEMO_ROOT, export_files
    from ui.data import current_source
    from ui.workspace import allowed, current_role, not_saved, workspace

    ws = workspace()
    source, slug = current_source()
    role, own = current_role()
    if role == "merchant":
        slug = own
    elif source == "uploads":
        slug = _slug(context.profile.name)
    if not slug or (role == "merchant" and not allowed(slug)):
        st.error(t("access.denied", context.lang))
        return
    try:
        with ws.atomic():  # profile, files, diagnosis and plan together, or nothing of them
            ws.upsert_merchant(slug, context.profile)
            if source == "demo":
                for path in export_files(DEMO_ROOT / slug):
                    ws.import_file(slug, path.read_bytes(), path.name)
            elif source == "uploads":
                for name, info in state.uploads.items():
                    ws.import_file(slug, None, name, digest=info["sha"],
                                   ingested=(state.upload_frames[name], IngestReport.model_validate(info["report"])))
            record = ws.save_diagnosis(slug, context, ws.data_hash(slug))
            saved = ws.save_plan(slug, result, record.id, edited=key in state.get("plan_edited", set()))
    except SQLAlchemyError as exc:  # e.g. the database is locked or its disk full: say so, keep the plan on screen
        st.error(not_saved(exc, context.lang))
        return
    state.plan_saved = {"key": key, "slug": slug, "version": saved.version}


def _exports(result: PlanResult, context: PlanContext, key: str) -> None:
    lang = context.lang
    cols = st.columns(4)
    library = case_index().cases
    for col, fmt in zip(cols, ("md", "docx", "pdf", "xlsx"), strict=True):
        col.download_button(
            t(f"plan.ui.export_{fmt}", lang), data=lambda fmt=fmt: export(result, context, fmt, library),
            file_name=f"beltdoctor-plan-{context.period[1].isoformat()}.{fmt}", mime=MIME[fmt], on_click="ignore",
            key=f"export_{key}_{fmt}", width="stretch",
        )


def plan_key(*parts: object) -> str:
    """A short stable key for the plan of one merchant, data source, language and profile."""
    import hashlib

    return hashlib.sha1("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:10]


def render(context: PlanContext, key: str) -> None:
    lang = context.lang
    state.setdefault("plans", {})
    st.subheader(t("plan.ui.title_section", lang))
    settings = llm_settings()
    if settings is None:
        local = st.toggle(t("plan.ui.local", lang), value=True, disabled=True, key="plan_local_only", help=t("plan.ui.local_help", lang))
    else:
        state.setdefault("plan_local", False)
        local = st.toggle(t("plan.ui.local", lang), key="plan_local", help=t("plan.ui.local_help", lang))
    if settings is None:
        st.caption(t("plan.ui.no_llm", lang))
    else:
        st.caption(t("plan.ui.llm", lang, model=settings.describe()) if not local else t("plan.ui.local_on", lang))
        if not local:
            _preview(context)
    if st.button(t("plan.ui.draft", lang), type="primary", icon=":material/edit_note:", key=f"draft_{key}"):
        _draft(context, settings is not None and not local, key)
        for name in [k for k in state if str(k).startswith(("edit_", "apply_")) and key in str(k)]:
            del state[name]
    result: PlanResult | None = state.plans.get(key)
    if result is None:
        return
    if result.fallback:
        st.warning(t("plan.doc.fallback", lang, reason=plain(result.fallback_reason(lang))))
    st.caption(t("plan.ui.by", lang, drafter=t(f"plan.drafter.{result.drafter}", lang)))
    outcome = result.outcome
    if result.drafter == "llm" and outcome is not None:
        usage = outcome.usage
        cost = "—" if usage.cost_yuan is None else f"¥{usage.cost_yuan:.4f}"
        st.caption(t("plan.ui.usage", lang, prompt=usage.prompt_tokens or outcome.prompt_tokens_estimated,
                     completion=usage.completion_tokens, cost=cost, first=outcome.first_token_s, total=outcome.total_s))
    st.markdown(plain(result.plan.summary))
    if result.problems:
        with st.container(border=True):
            st.markdown(f"**{t('plan.doc.problems', lang)}**")
            for p in result.problems:
                st.caption(plain(p.message[lang]))
    for n in range(len(result.plan.actions)):
        _action(result, context, key, n)
    if result.plan.risks:
        st.markdown(f"**{t('plan.doc.risks', lang)}**")
        st.markdown("\n".join(f"- {plain(r)}" for r in result.plan.risks))
    _exports(result, context, key)
    st.button(t("plan.ui.save", lang), key=f"save_{key}", on_click=_save, args=(result, context, key), icon=":material/save:")
    saved = state.get("plan_saved")
    if saved and saved["key"] == key:
        st.success(t("plan.ui.saved", lang, slug=saved["slug"], version=saved["version"]))
