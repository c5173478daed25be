"""Logins through streamlit-authenticator (bcrypt-hashed passwords kept in the workspace's user table).

No users in the workspace means a local single-user install: no login, provider view. Once a user exists, every
page needs a login; the session's role decides what ui.workspace lets it see.
"""

import secrets

import streamlit as st

from diagnosis.config import config, secret
from diagnosis.i18n import t
from diagnosis.settings import data_home
from ui.workspace import workspace

state = st.session_state


def _cookie_key() -> str:
    """Signs the remember-me cookie: BELTDOCTOR_COOKIE_KEY, else a random key made once under the data home."""
    given = secret(config().cookie_key)
    if given:
        return given
    path = data_home() / "cookie.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _apply_role(username: str) -> None:
    user = next((u for u in workspace().users() if u.username == username), None)
    if user is None or user.role != "provider":
        state.role, state.role_merchant = "merchant", workspace().user_merchant_slug(username) if user else None
    else:
        state.role, state.role_merchant = "provider", None


def gate(lang: str) -> bool:
    """True when the page may render; otherwise the login form (or its error) is shown."""
    users = workspace().users()
    if not users:
        state.role, state.role_merchant = "provider", None
        return True
    import streamlit_authenticator as stauth

    credentials = {"usernames": {u.username: {"name": u.name, "password": u.password_hash, "email": f"{u.username}@beltdoctor.local",
                                              "first_name": u.name, "last_name": ""} for u in users}}
    authenticator = stauth.Authenticate(credentials, "beltdoctor_auth", _cookie_key(), 7, auto_hash=False)
    if not state.get("authentication_status"):
        authenticator.login(location="main", fields={"Form name": t("auth.title", lang), "Username": t("auth.username", lang),
                                                     "Password": t("auth.password", lang), "Login": t("auth.login", lang)})
    status = state.get("authentication_status")
    if status:
        _apply_role(state["username"])
        with st.sidebar:
            st.caption(t("auth.signed_in", lang, name=state.get("name") or state["username"]))
            authenticator.logout(t("auth.logout", lang), location="sidebar")
        return True
    state.role, state.role_merchant = "merchant", None
    if status is False:
        st.error(t("auth.failed", lang))
    else:
        st.info(t("auth.required", lang))
    return False
