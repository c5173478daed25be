"""BeltDoctor Streamlit entry point: sidebar state (language, merchant) and page navigation.

App state lives in plain session keys (`lang`, `merchant`). Widgets own `_w_*` keys and copy their value
over in an on_change callback, so the state survives page changes and widget clean-up.
"""

import streamlit as st

from diagnosis.i18n import LANGS, t
from diagnosis.merchants import DEMO_ROOT, list_merchants, read_profile

LANG_NAMES = {"zh": "中文", "en": "English"}

st.set_page_config(page_title="BeltDoctor", page_icon="🩺", layout="wide")

state = st.session_state
state.setdefault("lang", "zh")
merchants = list_merchants()
if merchants and state.get("merchant") not in merchants:
    state.merchant = merchants[0]


def _copy(widget_key: str, state_key: str) -> None:
    state[state_key] = state[widget_key]


with st.sidebar:
    st.markdown("### BeltDoctor 带诊")
    state["_w_lang"] = state.lang
    st.radio(
        t("app.language", state.lang), LANGS, format_func=LANG_NAMES.get, horizontal=True,
        key="_w_lang", on_change=_copy, args=("_w_lang", "lang"),
    )
    if merchants:
        names = {slug: read_profile(DEMO_ROOT / slug).get(f"name_{state.lang}", slug) for slug in merchants}
        state["_w_merchant"] = state.merchant
        st.selectbox(
            t("app.demo_merchant", state.lang), merchants, format_func=names.get,
            key="_w_merchant", on_change=_copy, args=("_w_merchant", "merchant"),
        )

pages = [st.Page("pages/data.py", title=t("page.data", state.lang), icon="📄", default=True)]
st.navigation(pages).run()
