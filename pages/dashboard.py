"""Dashboard: the store at a glance for the chosen period, compared with 环比 / 同比 / a promotion baseline."""

import streamlit as st

from diagnosis import dashboard, kpis
from diagnosis.formatting import delta, metric
from diagnosis.i18n import t
from diagnosis.schema import get_kind
from ui.data import current_frames, current_profile
from ui.workspace import through_the_gate

state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")
defs = kpis.metric_defs()

st.title(t("dash.title", lang))
frames, source = current_frames()
span = kpis.data_range(frames) if frames else None
if span is None:
    st.info(t("dash.no_data", lang))
    st.stop()
st.caption(t("dash.source", lang, source=source, start=span[0], end=span[1]))

cols = st.columns([2, 1, 2])
default = dashboard.default_period(span)
picked = cols[0].date_input(t("dash.period", lang), value=(default.start, default.end), min_value=span[0], max_value=span[1])
chosen = kpis.Period(*picked) if isinstance(picked, tuple) and len(picked) == 2 else default
freqs = {t(f"dash.freq.{f}", lang): f for f in ("D", "W", "M")}
freq = freqs[cols[1].radio(t("dash.granularity", lang), list(freqs), horizontal=True)]
modes = {t(f"dash.compare.{m}", lang): m for m in ("prev", "yoy", "promo")}
mode = modes[cols[2].radio(t("dash.compare", lang), list(modes), horizontal=True)]
promo = None
if mode == "promo":
    promos = [p for p in dashboard.nearby_promotions(span) if p.start <= span[1]]
    if not promos:
        st.info(t("dash.no_promo", lang))
        st.stop()
    labels = {p.label(lang): p for p in promos}
    promo = labels[st.selectbox(t("dash.promotion", lang), list(labels), index=len(labels) - 1)]
current, reference = dashboard.periods(frames, chosen, mode, promo)
profile = current_profile()
views = dashboard.build_views(frames, current, reference, freq, lang, profile.get("gross_margin"), profile.get("category") or "default")

note = t("dash.comparing", lang, start=current.start, end=current.end, ref_start=reference.start, ref_end=reference.end)
comparison = views.comparison
no_reference = comparison.reference_days == 0
st.caption(note + (t("dash.per_day", lang) if comparison.per_day and not no_reference else ""))
if no_reference:
    st.caption(t(f"dash.no_reference.{mode}", lang, start=reference.start, end=reference.end))
elif views.reference_partial:
    st.caption(t("dash.reference_partial", lang, start=reference.start, end=reference.end))

for row in range(0, len(views.cards), 5):
    for col, metric_id in zip(st.columns(5), views.cards[row : row + 5]):
        m = defs[metric_id]
        value = comparison.current_total[metric_id]  # the period's own value, as the diagnosis and plans state it
        label = m.label(lang)
        if m.unit == "score":  # the two experience-score systems must never be read on each other's scale
            label += f" · {t('chart.scale.5' if value <= 5 else 'chart.scale.100', lang)}"
        if no_reference or metric_id not in comparison.pct_change:
            col.metric(label, metric(value, m.unit, lang), None, help=t("dash.delta_missing", lang))
            continue
        text, colour = delta(comparison.pct_change[metric_id], m.better)
        basis = comparison.basis(metric_id)
        suffix = "" if basis == "level" else f" {t(f'dash.basis.{basis}', lang)}"
        col.metric(label, metric(value, m.unit, lang), text + suffix, delta_color=colour, help=t(f"dash.basis_help.{basis}", lang))


def show(view: str) -> None:
    """The view's figure, or a note naming the export that would unlock it."""
    if view in views.figures:
        st.plotly_chart(views.figures[view], key=f"chart_{view}")
    elif view in views.needs:
        st.info(t("dash.needs", lang, export=get_kind(views.needs[view]).title.get(lang)))


def line(metric_ids: tuple[str, ...]) -> None:
    shown = [m for m in metric_ids if m in views.series]
    if shown:
        st.line_chart(views.series[shown].rename(columns=lambda m: defs[m].label(lang)))


tabs = dict(zip(dashboard.TABS, st.tabs([t(f"dash.tab.{name}", lang) for name in dashboard.TABS])))
with tabs["overview"]:
    show("gmv_trend")
    if views.decomposition is None:
        st.caption(t("dash.no_decomposition", lang))
    else:
        show("waterfall")
        st.subheader(t("dash.whatif", lang))
        factors = views.decomposition.factors
        changes = {
            f: col.slider(t(f"factor.{f}", lang), -50, 50, 0, 5, format="%d%%", key=f"_w_whatif_{f}") / 100
            for col, f in zip(st.columns(len(factors)), factors)
        }
        projected = kpis.what_if(views.decomposition.after, changes)
        st.metric(t("dash.projected", lang), metric(projected, "yuan", lang), delta(projected / views.decomposition.gmv_after - 1, "up")[0])
with tabs["traffic"]:
    show("funnel")
    line(("product_ctr", "click_to_pay", "uv_value"))
    show("channel_mix")
with tabs["live"]:
    show("live_scatter")
    line(("entry_rate", "interaction_rate", "live_conversion"))
with tabs["video"]:
    show("video")
    line(("video_plays", "completion_rate"))
with tabs["ads"]:
    if "roi" not in views.figures and "roi" not in views.needs:
        st.info(t("dash.needs_margin", lang))
    show("roi")
with tabs["service"]:
    show("experience")
    line(("refund_rate", "refund_rate_1h"))
with tabs["products"]:
    show("pareto")
