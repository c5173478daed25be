"""BeltDoctor Streamlit entry point: the sidebar (language, merchant, profile) and page navigation."""

import streamlit as st

from diagnosis.config import ConfigError, config
from diagnosis.i18n import t
from ui import auth, sidebar
from ui.text import plain
from ui.workspace import resume_deep_link

st.set_page_config(page_title="BeltDoctor", page_icon="🩺", layout="wide")
sidebar.init_state()
try:
    config()
except ConfigError as exc:
    st.error(t("config.invalid", st.session_state.lang, problems=plain(str(exc))))
    st.stop()
signed_in = auth.gate(st.session_state.lang)
sidebar.render()
if not signed_in:
    st.stop()
lang = st.session_state.lang

pages = [
    st.Page("pages/dashboard.py", title=t("page.dashboard", lang), icon=":material/monitoring:", default=True),
    st.Page("pages/diagnosis.py", title=t("page.diagnosis", lang), icon=":material/stethoscope:"),
    st.Page("pages/portfolio.py", title=t("portfolio.page", lang), icon=":material/storefront:"),
    st.Page("pages/brief.py", title=t("brief.page", lang), icon=":material/event_note:"),
    st.Page("pages/cases.py", title=t("page.cases", lang), icon=":material/menu_book:"),
    st.Page("pages/upload.py", title=t("page.upload", lang), icon=":material/upload_file:"),
    st.Page("pages/data.py", title=t("page.data", lang), icon=":material/table_view:"),
    st.Page("pages/settings.py", title=t("page.settings", lang), icon=":material/settings:"),
]
navigation = st.navigation(pages)
resume_deep_link()
navigation.run()
