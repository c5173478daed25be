"""Case Library: search the methodology cases in Chinese or English, read, compare, add or edit them, and
export a selection as a course handout."""

import streamlit as st

from diagnosis.documents import to_docx, to_markdown
from diagnosis.i18n import t
from diagnosis.profile import CATEGORIES, STAGES
from knowledge.cards import CaseError, load_library, write_case
from knowledge.editing import case_from_values, form_values
from knowledge.handout import handout
from knowledge.index import Filters, Hit
from knowledge.schema import (
    CHANNELS,
    KINDS,
    SECTION_HEADINGS,
    SECTIONS,
    Case,
    finding_codes,
)
from ui.cases import case_index, excerpt_markdown
from ui.text import plain, prose
from ui.workspace import through_the_gate

VIEWS = ("search", "detail", "compare", "edit")
state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")
state.setdefault("case_view", "search")
state.setdefault("case_selected", [])
index = case_index()


def _category(code: str) -> str:
    return t("cases.general", lang) if code == "default" else t(f"category.{code}", lang)


def _open(case_id: str) -> None:
    state.case_open = case_id
    state.case_view = "detail"


def _toggle(case_id: str) -> None:
    chosen = state.case_selected
    state.case_selected = [c for c in chosen if c != case_id] if case_id in chosen else [*chosen, case_id]


def _edit(case_id: str | None) -> None:
    state.case_edit = case_id
    state.pop("case_form_loaded", None)
    state.case_view = "edit"


def _filters() -> Filters:
    cols = st.columns(5)
    anything = t("cases.any", lang)

    def pick(col, label: str, codes: list[str], key: str, label_of) -> str | None:
        options = {anything: None} | {label_of(c): c for c in codes}
        return options[col.selectbox(label, list(options), key=key)]

    return Filters(
        category=pick(cols[0], t("cases.category", lang), list(CATEGORIES), "cf_category", _category),
        pain_point=pick(cols[1], t("cases.pain_point", lang), sorted(finding_codes()), "cf_pain", lambda c: t(f"rule.{c}.title", lang)),
        stage=pick(cols[2], t("cases.stage", lang), list(STAGES), "cf_stage", lambda c: t(f"stage.{c}", lang)),
        channel=pick(cols[3], t("cases.channel", lang), list(CHANNELS), "cf_channel", lambda c: t(f"cases.channel.{c}", lang)),
        kind=pick(cols[4], t("cases.kind", lang), list(KINDS), "cf_kind", lambda c: t(f"cases.kind.{c}", lang)),
    )


def _card(hit: Hit, n: int) -> None:
    case = hit.case
    with st.container(border=True):
        head, buttons = st.columns([5, 2])
        head.markdown(f"**{n}. {plain(case.title(lang))}**")
        head.caption(plain(f"{case.merchant[lang]} · {case.provider[lang]} · {_category(case.category)} · "
                           f"{t(f'stage.{case.stage}', lang)} · {t(f'cases.kind.{case.kind}', lang)} · {case.id}"))
        b1, b2 = buttons.columns(2)
        b1.button(t("cases.open", lang), key=f"open_{case.id}", on_click=_open, args=(case.id,), width="stretch")
        state[f"sel_{case.id}"] = case.id in state.case_selected
        b2.checkbox(t("cases.select", lang), key=f"sel_{case.id}", on_change=_toggle, args=(case.id,))
        st.markdown(" ".join(f":blue-badge[{plain(t(f'rule.{c}.title', lang))}]" for c in case.pain_points))
        why = [w for w in hit.why_matched if w.kind in ("pain_point", "category", "stage")]
        terms = hit.terms()
        if why or terms:
            reasons = [t(f"cases.why.{w.kind}", lang, value=_why_value(w.kind, w.value)) for w in why]
            if terms:
                reasons.append(t("cases.why.terms", lang, value="、".join(terms[:8]) if lang == "zh" else ", ".join(terms[:8])))
            st.caption(plain("；".join(reasons) if lang == "zh" else "; ".join(reasons)))
        for line in excerpt_markdown(hit, lang):
            st.markdown(f"> {line}")


def _why_value(kind: str, value: str) -> str:
    if kind == "pain_point":
        return t(f"rule.{value}.title", lang)
    return t(f"{kind}.{value}", lang)


def _search_view() -> None:
    st.button(t("cases.new", lang), on_click=_edit, args=(None,), icon=":material/add:")
    query = st.text_input(t("cases.search", lang), key="case_query", placeholder=t("cases.search_hint", lang))
    filters = _filters()
    if query.strip():
        hits = index.search(query, k=10, filters=filters)
        st.caption(t("cases.found", lang, n=len(hits)))
    else:
        hits = [Hit(case, 0.0) for case in index.browse(filters)]
        st.caption(t("cases.browse", lang, n=len(hits)))
    if not hits:
        st.info(t("cases.none", lang))
    for n, hit in enumerate(hits, 1):
        _card(hit, n)


def _case_sections(case: Case, container) -> None:
    container.markdown(f"#### {plain(case.title(lang))}")
    container.caption(plain(f"{case.provider[lang]} · {case.merchant[lang]} · {case.industry_belt[lang]} · {case.period or '—'}"))
    container.markdown(" ".join(f":blue-badge[{plain(t(f'rule.{c}.title', lang))}]" for c in case.pain_points)
                       + " " + " ".join(f":gray-badge[{plain(x[lang])}]" for x in case.tactics))
    metrics = [*dict.fromkeys([*case.metrics_before, *case.metrics_after])]
    if metrics:
        container.dataframe(
            [{t("cases.metric", lang): m, t("cases.before", lang): case.metrics_before.get(m),
              t("cases.after", lang): case.metrics_after.get(m)} for m in metrics],
            hide_index=True,
        )
    for name in SECTIONS:
        container.markdown(f"**{SECTION_HEADINGS[lang][name]}**")
        container.markdown(prose(case.section(name, lang)))
    container.caption(plain(t("cases.source_line", lang, source=case.source)))


def _label(case_id: str) -> str:
    case = index.get(case_id)
    return f"{case.title(lang)} ({case_id})" if case else case_id


def _detail_view() -> None:
    ids = list(index.cases)
    current = state.get("case_open") if state.get("case_open") in index.cases else ids[0]
    case_id = st.selectbox(t("cases.pick", lang), ids, index=ids.index(current), format_func=_label, key=f"case_pick_{current}")
    state.case_open = case_id
    case = index.get(case_id)
    st.button(t("cases.edit", lang), on_click=_edit, args=(case_id,), icon=":material/edit:")
    _case_sections(case, st)


def _compare_view() -> None:
    ids = list(index.cases)
    chosen = [c for c in state.case_selected if c in index.cases]
    defaults = (chosen + [i for i in ids if i not in chosen])[:2]
    left, right = st.columns(2)
    a = left.selectbox(t("cases.left", lang), ids, index=ids.index(defaults[0]), format_func=_label, key="cmp_a")
    b = right.selectbox(t("cases.right", lang), ids, index=ids.index(defaults[1]), format_func=_label, key="cmp_b")
    _case_sections(index.get(a), left.container(border=True))
    _case_sections(index.get(b), right.container(border=True))


def _edit_view() -> None:
    editing = state.get("case_edit")
    case = index.get(editing) if editing else None
    if not state.get("case_form_loaded"):
        for key, value in (form_values(case) if case else {}).items():
            state[f"cform_{key}"] = value
        if case is None:
            for key in list(state):
                if str(key).startswith("cform_"):
                    del state[key]
        state.case_form_loaded = True
    st.subheader(t("cases.editing", lang, id=editing) if case else t("cases.new", lang))
    st.caption(t("cases.edit_help", lang))
    with st.form("case_form"):
        c1, c2, c3, c4 = st.columns(4)
        c1.text_input("id", key="cform_id", disabled=case is not None, help=t("cases.id_help", lang))
        c2.selectbox(t("cases.kind", lang), list(KINDS), key="cform_kind", format_func=lambda k: t(f"cases.kind.{k}", lang))
        c3.selectbox(t("cases.category", lang), list(CATEGORIES), key="cform_category", format_func=_category)
        c4.selectbox(t("cases.stage", lang), list(STAGES), key="cform_stage", format_func=lambda s: t(f"stage.{s}", lang))
        for field in ("title", "provider", "merchant", "industry_belt"):
            z, e = st.columns(2)
            z.text_input(f"{t(f'cases.form.{field}', lang)} (中文)", key=f"cform_{field}_zh")
            e.text_input(f"{t(f'cases.form.{field}', lang)} (English)", key=f"cform_{field}_en")
        p1, p2 = st.columns(2)
        p1.multiselect(t("cases.pain_points", lang), sorted(finding_codes()), key="cform_pain_points", format_func=lambda c: t(f"rule.{c}.title", lang))
        p2.multiselect(t("cases.channel", lang), list(CHANNELS), key="cform_channels", format_func=lambda c: t(f"cases.channel.{c}", lang))
        st.text_area(t("cases.form.tactics", lang), key="cform_tactics", help=t("cases.form.tactics_help", lang))
        m1, m2 = st.columns(2)
        m1.text_area(t("cases.form.metrics_before", lang), key="cform_metrics_before", help=t("cases.form.metrics_help", lang))
        m2.text_area(t("cases.form.metrics_after", lang), key="cform_metrics_after", help=t("cases.form.metrics_help", lang))
        s1, s2 = st.columns(2)
        s1.text_input(t("cases.period", lang), key="cform_period")
        s2.text_input(t("cases.source", lang), key="cform_source")
        zh_tab, en_tab = st.tabs(["中文", "English"])
        for tab, code in ((zh_tab, "zh"), (en_tab, "en")):
            for name in SECTIONS:
                tab.text_area(SECTION_HEADINGS[code][name], key=f"cform_{code}_{name}")
        submitted = st.form_submit_button(t("cases.save", lang), type="primary")
    if submitted:
        _save(case)


def _save(existing: Case | None) -> None:
    values = {key.removeprefix("cform_"): state[key] for key in list(state) if str(key).startswith("cform_")}
    if existing:
        values["id"] = existing.id
    try:
        case = case_from_values(values)
        if existing is None and case.id in index.cases:
            raise CaseError(case.id, [t("cases.id_taken", lang, id=case.id)])
    except CaseError as exc:
        st.error(t("cases.invalid", lang) + "\n\n" + "\n".join(f"- {plain(p)}" for p in exc.problems))
        return
    write_case(case)
    index.sync(load_library())
    state.case_open = case.id
    st.success(t("cases.saved", lang, id=case.id))


st.title(t("cases.title", lang))
st.caption(t("cases.summary", lang, n=len(index), reported=sum(c.kind == "reported_case" for c in index.cases.values()),
             playbooks=sum(c.kind == "playbook" for c in index.cases.values())))
names = {v: t(f"cases.view.{v}", lang) for v in VIEWS}
view = st.segmented_control(t("cases.view", lang), list(VIEWS), format_func=names.get, key="case_view", label_visibility="collapsed")
if view == "edit" and "case_edit" not in state:
    state.case_edit = None
{"search": _search_view, "detail": _detail_view, "compare": _compare_view, "edit": _edit_view}.get(view or "search", _search_view)()

selected = [index.get(c) for c in state.case_selected if c in index.cases]
if selected:
    with st.sidebar:
        st.markdown(f"**{t('cases.selected', lang, n=len(selected))}**")
        for case in selected:
            st.caption(plain(case.title(lang)))
        doc = handout(selected, lang)
        st.download_button(t("cases.export_md", lang), data=lambda: to_markdown(doc), file_name="beltdoctor-cases.md",
                           mime="text/markdown", icon=":material/description:", on_click="ignore")
        st.download_button(t("cases.export_docx", lang), data=lambda: to_docx(doc), file_name="beltdoctor-cases.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           icon=":material/article:", on_click="ignore")
        st.button(t("cases.clear", lang), on_click=lambda: state.update(case_selected=[]))
