"""Settings: which LLM endpoint drafts plans for this session. The API key is never typed here: it comes from
the environment or Streamlit secrets, is never shown, logged or written to disk."""

import streamlit as st

from diagnosis.i18n import t
from diagnosis.plan.servers import kinds
from ui.llm import configured, key_withheld, llm_settings
from ui.text import plain
from ui.workspace import through_the_gate

state = st.session_state
through_the_gate(__file__)
lang = state.get("lang", "zh")
state.setdefault("llm_overrides", {})

st.title(t("settings.title", lang))
base = configured()
st.caption(t("settings.key_present" if base.get("OPENAI_API_KEY") else "settings.key_absent", lang))

with st.form("llm_form"):
    url = st.text_input(t("settings.base_url", lang), value=state.llm_overrides.get("OPENAI_BASE_URL") or base.get("OPENAI_BASE_URL", ""),
                        placeholder="http://127.0.0.1:8080/v1")
    model = st.text_input(t("settings.model", lang), value=state.llm_overrides.get("BELTDOCTOR_LLM_MODEL") or base.get("BELTDOCTOR_LLM_MODEL", ""))
    names = ["", *kinds()]
    current = state.llm_overrides.get("BELTDOCTOR_LLM_PROFILE") or base.get("BELTDOCTOR_LLM_PROFILE", "")
    profile = st.selectbox(t("settings.profile", lang), names, index=names.index(current) if current in names else 0,
                           format_func=lambda n: n or t("settings.profile_auto", lang))
    if st.form_submit_button(t("settings.save", lang), type="primary"):
        state.llm_overrides = {"OPENAI_BASE_URL": url.strip(), "BELTDOCTOR_LLM_MODEL": model.strip(), "BELTDOCTOR_LLM_PROFILE": profile}

settings = llm_settings()
if key_withheld():
    st.warning(t("settings.key_withheld", lang))
if settings is None:
    st.info(t("plan.ui.no_llm", lang))
else:
    st.success(t("settings.active", lang, model=plain(settings.describe())))
    if st.button(t("settings.probe", lang)):
        caps = settings.capabilities()
        yes_no = {True: t("settings.yes", lang), False: t("settings.no", lang)}
        st.caption(t("settings.capabilities", lang, kind=caps.kind, via=caps.via, formats=" → ".join(caps.formats),
                     stream=yes_no[caps.stream], usage=yes_no[caps.stream_usage], n_ctx=caps.n_ctx or "?"))
