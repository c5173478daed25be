"""The sidebar: language, merchant and merchant profile, kept in plain session keys.

Widgets own `_w_*` keys and copy their value into `lang`, `merchant` and `profile` in on_change callbacks,
so the state survives page changes and widget clean-up. Selectboxes list display labels, not codes, so the
labels follow the language.
"""

import streamlit as st

from diagnosis.i18n import t
from diagnosis.merchants import DEMO_ROOT, list_merchants, read_profile
from diagnosis.profile import CATEGORIES, STAGES, MerchantProfile

LANG_NAMES = {"zh": "中文", "en": "English"}
state = st.session_state


def _merchant_names() -> dict[str, str]:
    return {read_profile(DEMO_ROOT / slug).get(f"name_{state.lang}", slug): slug for slug in list_merchants()}


def _set_lang() -> None:
    state.lang = {name: code for code, name in LANG_NAMES.items()}[state._w_lang]


def _load_demo_profile() -> None:
    state.profile = MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / state.merchant), state.lang).model_dump()


def _pick_merchant() -> None:
    state.merchant = _merchant_names()[state._w_merchant]
    _load_demo_profile()


def _set_profile(field: str, codes: dict | None = None) -> None:
    """Edits the profile of the merchant on screen: the uploads' own, the demo's or the workspace store's."""
    from ui.data import current_profile

    value = state[f"_w_profile_{field}"]
    if codes is not None:
        value = codes[value]
    current_profile()[field] = value / 100 if field == "gross_margin" and value is not None else value


def _choice(label: str, codes: dict[str, str], current: str, key: str, on_change, args=()) -> None:
    """A selectbox over display labels; the current code is shown selected."""
    state[key] = next(lab for lab, code in codes.items() if code == current)
    st.selectbox(label, list(codes), key=key, on_change=on_change, args=args)


def init_state() -> None:
    state.setdefault("lang", "zh")
    merchants = list_merchants()
    if merchants and state.get("merchant") not in merchants:
        state.merchant = merchants[0]
        _load_demo_profile()
    if "profile" not in state:
        if state.get("merchant"):
            _load_demo_profile()
        else:
            state.profile = MerchantProfile().model_dump()


def render() -> None:
    """Initialise the session and draw the sidebar."""
    init_state()
    lang = state.lang
    with st.sidebar:
        st.markdown(f"### {t('app.brand', lang)}")
        state["_w_lang"] = LANG_NAMES[lang]
        st.radio(t("app.language", lang), list(LANG_NAMES.values()), horizontal=True, key="_w_lang", on_change=_set_lang)
        if state.get("role") == "merchant":
            return
        from ui.data import current_source

        if state.get("merchant") and current_source()[0] == "demo":
            _choice(t("app.demo_merchant", lang), _merchant_names(), state.merchant, "_w_merchant", _pick_merchant)
            st.caption(t("profile.demo_note", lang))
        _profile_editor(lang)


def _profile_editor(lang: str) -> None:
    from ui.data import current_profile

    profile = current_profile()
    with st.expander(t("profile.title", lang)):
        state["_w_profile_name"] = profile["name"]
        st.text_input(t("profile.name", lang), key="_w_profile_name", on_change=_set_profile, args=("name",))
        categories = {t(f"category.{c}", lang): c for c in CATEGORIES}
        _choice(t("profile.category", lang), categories, profile["category"], "_w_profile_category", _set_profile, ("category", categories))
        margin = profile["gross_margin"]
        state["_w_profile_gross_margin"] = None if margin is None else round(margin * 100, 1)
        st.number_input(
            t("profile.gross_margin", lang), min_value=1.0, max_value=100.0, step=1.0,
            help=t("profile.gross_margin_help", lang),
            key="_w_profile_gross_margin", on_change=_set_profile, args=("gross_margin",),
        )
        stages = {t(f"stage.{s}", lang): s for s in STAGES}
        _choice(t("profile.stage", lang), stages, profile["stage"], "_w_profile_stage", _set_profile, ("stage", stages))
