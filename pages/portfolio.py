"""Portfolio page: every merchant of the workspace in one sortable table (health, top finding, GMV and its trend,
data freshness, action progress), filters, and a side-by-side comparison of merchants picked for a campaign.

Provider staff see every merchant; a merchant login sees its own row only (ui.workspace.visible_slugs).
"""

import streamlit as st

from diagnosis.batch import run_batch
from diagnosis.i18n import t
from diagnosis.merchants import DEMO_ROOT
from diagnosis.store.portfolio import portfolio
from ui import portfolio as view
from ui.text import plain
from ui.workspace import current_role, through_the_gate, visible_slugs, workspace

state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")
ws = workspace()
role, _ = current_role()


def _kept(name: str) -> str:
    """The widget key for filter `name` in this language: a format_func's labels refresh only with a new widget,
    so each language has its own and the value lives on in `name` (copied back by `_keep`)."""
    widget = f"_w_{name}_{lang}"
    if name in state:
        state[widget] = state[name]
    return widget


def _keep(name: str) -> None:
    state[name] = state[f"_w_{name}_{lang}"]


def _import_demo() -> None:
    """The demo folder through the same batch as `beltdoctor batch demo` (offline plans); its summary and any
    failures are shown above the table after the rerun."""
    with st.status(t("portfolio.importing", lang), expanded=True):
        bar = st.progress(0.0)
        report = run_batch(DEMO_ROOT, ws, None, offline=True, lang=lang,
                           progress=lambda done, total: bar.progress(done / total, text=f"{done}/{total}"))
    state.pf_flash = (report.summary(lang), [f"{m.slug}: {m.reason}" for m in report.failed])


st.title(t("portfolio.title", lang))
if "pf_flash" in state:
    summary, failures = state.pop("pf_flash")
    (st.warning if failures else st.success)(summary)
    for failure in failures:
        st.caption(plain(failure))
frame = portfolio(ws, visible_slugs())
if frame.empty:
    if role != "provider":
        st.info(t("portfolio.empty_merchant", lang))
        st.stop()
    st.info(t("portfolio.empty", lang))
    if st.button(t("portfolio.import_demo", lang), type="primary", icon=":material/download:", key="pf_import_demo"):
        _import_demo()
        st.rerun()
    st.stop()

cols = st.columns(4)
cols[0].metric(t("portfolio.kpi.merchants", lang), len(frame))
health = frame["health"].astype("float")
cols[1].metric(t("portfolio.kpi.health", lang), "—" if health.isna().all() else f"{health.mean():.0f}")
cols[2].metric(t("portfolio.kpi.stale", lang), int(frame["stale"].sum()))
cols[3].metric(t("portfolio.kpi.open_actions", lang), int(frame["open_actions"].sum()))

shown = frame
if role == "provider":
    with st.container(border=True):
        c1, c2, c3 = st.columns([2, 2, 2])
        search = c1.text_input(t("portfolio.filter.search", lang), key="pf_search", placeholder=t("portfolio.filter.search_hint", lang))
        categories = c2.multiselect(t("portfolio.filter.category", lang), sorted(frame["category"].unique()), key=_kept("pf_category"),
                                    format_func=lambda c: t(f"category.{c}", lang), on_change=_keep, args=("pf_category",),
                                    placeholder=t("portfolio.filter.all", lang))
        known_owners = sorted(o for o in frame["owner"].unique() if o)
        owners = c3.multiselect(t("portfolio.filter.owner", lang), known_owners, key="pf_owner",
                                placeholder=t("portfolio.filter.all", lang), disabled=not known_owners,
                                help=None if known_owners else t("portfolio.filter.no_owner", lang))
        c4, c5, c6 = st.columns([2, 2, 2])
        health_range = c4.slider(t("portfolio.filter.health", lang), 0, 100, (0, 100), key="pf_health")
        sort = c5.selectbox(t("portfolio.filter.sort", lang), list(view.SORTS), key=_kept("pf_sort"),
                            format_func=lambda s: t(f"portfolio.sort.{s}", lang), on_change=_keep, args=("pf_sort",))
        c6.write("")
        stale_only = c6.toggle(t("portfolio.filter.stale_only", lang), key="pf_stale")
    shown = view.filtered(frame, categories, owners, stale_only, health_range, search, sort)
    st.caption(t("portfolio.shown", lang, shown=len(shown), total=len(frame)))

picked = st.dataframe(view.display_frame(shown, lang), column_config=view.column_config(lang), hide_index=True,
                      on_select="rerun", selection_mode="single-row", key="pf_table", placeholder="—")
rows = picked.selection.rows if picked else []
if rows and rows[0] < len(shown):
    slug, name = shown.iloc[rows[0]][["slug", "name"]]
    if st.button(t("portfolio.open_brief", lang, name=plain(name)), icon=":material/event_note:", key="pf_open_brief"):
        state.brief_merchant = slug
        st.switch_page("pages/brief.py")
else:
    st.caption(t("portfolio.select_hint", lang))

if role == "provider":
    st.subheader(t("portfolio.campaign", lang))
    names = dict(zip(frame["slug"], frame["name"], strict=True))
    chosen = st.multiselect(t("portfolio.campaign_pick", lang), list(names), key="pf_campaign", format_func=names.get,
                            placeholder=t("portfolio.campaign_hint", lang))
    if chosen:
        compared = view.comparison(ws, frame.set_index("slug").loc[chosen].reset_index(), lang)
        st.dataframe(compared, width="stretch", height=35 * (len(compared) + 1) + 3, placeholder="—",
                     column_config={"_index": st.column_config.TextColumn(width="medium")})
