"""Which merchant data the pages show: the user's uploads when there are any, else the demo merchant. The source
caption is Markdown: every name in it is escaped (a store name can be a link or an image)."""

import streamlit as st

from diagnosis import kpis
from diagnosis.i18n import t
from diagnosis.merchants import DEMO_ROOT, load_merchant, read_profile
from diagnosis.profile import MerchantProfile
from ui.text import plain


@st.cache_data(show_spinner=False, max_entries=8)
def demo_frames(slug: str) -> dict:
    """Canonical frames per kind for a demo merchant, parsed once per server."""
    return kpis.combine(load_merchant(DEMO_ROOT / slug).frames)


def current_frames() -> tuple[dict, str]:
    """(frames per kind, a caption naming the source) for the current session."""
    state = st.session_state
    lang = state.get("lang", "zh")
    uploads = state.get("upload_frames") or {}
    if uploads and state.get("uploads_source") != "demo":
        parts = [(frame, state["uploads"][name]["kind"]) for name, frame in uploads.items()]
        return kpis.combine(parts), t("dash.source.uploads", lang, n=len(parts), name=plain(current_profile()["name"]))
    if state.get("role") == "merchant":
        return _own_store(state.get("role_merchant"), lang)
    slug = state.get("merchant")
    if not slug:
        return {}, ""
    name = read_profile(DEMO_ROOT / slug).get(f"name_{lang}", slug)
    return demo_frames(slug), t("dash.source.demo", lang, name=plain(name))


def _own_store(slug: str | None, lang: str) -> tuple[dict, str]:
    """A merchant login only ever sees its own store from the workspace, never the demo or another upload."""
    from ui.workspace import workspace

    if not slug:
        return {}, ""
    ws = workspace()
    state = st.session_state
    profile = ws.profile(slug)
    state.profile = profile.model_dump()
    return ws.frames(slug), t("dash.source.workspace", lang, name=plain(profile.name))


def current_profile() -> dict:
    """The profile of the merchant the pages show, as a dict the sidebar edits in place: uploaded files are their
    own merchant (named on the Upload page, defaults until then), never the demo store they replaced."""
    state = st.session_state
    source, _slug = current_source()
    if source == "uploads":
        if "upload_profile" not in state:
            state.upload_profile = MerchantProfile(name=t("upload.default_name", state.get("lang", "zh"))).model_dump()
        return state.upload_profile
    return state.profile


def current_source() -> tuple[str, str | None]:
    """Where the current frames come from: ("uploads", None), ("demo", slug) or ("workspace", slug)."""
    state = st.session_state
    if state.get("upload_frames") and state.get("uploads_source") != "demo":
        return "uploads", None
    if state.get("role") == "merchant":
        return "workspace", state.get("role_merchant")
    return "demo", state.get("merchant")
