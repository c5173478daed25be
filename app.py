"""BeltDoctor Streamlit entry point: sidebar state (language, merchant) and page navigation.

App state lives in plain session keys, not widget keys, so it survives page changes.
"""

import streamlit as st

from diagnosis.i18n import t
from diagnosis.merchants import list_merchants, read_profile, DEMO_ROOT

st.set_page_config(page_title="BeltDoctor", page_icon="🩺", layout="wide")

state = st.session_state
state.setdefault("lang", "zh")
merchants = list_merchants()
if merchants:
    state.setdefault("merchant", merchants[0])

with st.sidebar:
    st.markdown("### 🩺 BeltDoctor")
    choice = st.radio(t("app.language", state.lang), ["中文", "English"], index=0 if state.lang == "zh" else 1, horizontal=True)
    state.lang = "zh" if choice == "中文" else "en"
    if merchants:
        labels = {slug: read_profile(DEMO_ROOT / slug).get(f"name_{state.lang}", slug) for slug in merchants}
        picked = st.selectbox(
            t("app.demo_merchant", state.lang),
            merchants,
            index=merchants.index(state.merchant) if state.merchant in merchants else 0,
            format_func=labels.get,
        )
        state.merchant = picked

pages = [st.Page("pages/data.py", title=t("page.data", state.lang), icon="📄", default=True)]
st.navigation(pages).run()
