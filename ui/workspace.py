"""The app's workspace (opened once per process) and who may see which merchant.

Every page that shows workspace data asks `visible_slugs()` and `require()`: a merchant login sees only its own
store, whatever page or URL parameter it tries; provider staff (and a local install without logins) see all.
"""

from pathlib import Path

import streamlit as st

from diagnosis.i18n import t
from diagnosis.store.workspace import Workspace, db_reason

state = st.session_state


@st.cache_resource(show_spinner=False)
def workspace() -> Workspace:
    return Workspace()


def not_saved(exc: Exception, lang: str) -> str:
    """What a failed workspace write (inside `atomic()`) tells the user: nothing was written, and why."""
    return t("workspace.save_failed", lang, detail=db_reason(exc))


def current_role() -> tuple[str, str | None]:
    """(role, merchant slug): 'provider' with None, or 'merchant' with its own slug, as set by the login gate
    (ui.auth). A session the gate has not seen is a merchant of no store: it sees nothing."""
    if "role" not in state:
        return "merchant", None
    return state["role"], state.get("role_merchant")


def through_the_gate(page: str) -> None:
    """Every page calls this first with its `__file__`. Opened by URL before any session started the app's
    navigation, Streamlit runs a file of pages/ on its own, without app.py and its login gate: send such a visitor
    through app.py, keeping the page and its query (a bookmarked brief) for `resume_deep_link`."""
    if "role" not in state:
        state.deep_link = (f"pages/{Path(page).name}", st.query_params.to_dict())
        st.switch_page("app.py")


def resume_deep_link() -> None:
    """In app.py once the gate has let the visitor in and the pages are registered: on to the page first asked for.
    The page still checks what this login may see."""
    if "deep_link" in state:
        page, query = state.pop("deep_link")
        st.switch_page(page, query_params=query)


def visible_slugs() -> set[str] | None:
    """None means every merchant of the workspace."""
    role, slug = current_role()
    if role == "merchant":
        return {slug} if slug else set()
    return None


def allowed(slug: str | None) -> bool:
    visible = visible_slugs()
    return slug is not None and (visible is None or slug in visible)


def require(slug: str | None, lang: str) -> None:
    """Stop the page with a plain message when the session may not see `slug`."""
    from diagnosis.i18n import t

    if not allowed(slug):
        st.error(t("access.denied", lang))
        st.stop()
