"""The app's one case index (opened once per process) and the markdown for why-matched excerpts."""

import streamlit as st

from diagnosis.config import config
from knowledge.cards import load_library
from knowledge.embedders import configured_embedder
from knowledge.highlight import excerpt
from knowledge.index import CaseIndex, Hit
from ui.text import plain


@st.cache_resource(show_spinner=False)
def case_index() -> CaseIndex:
    """Local store: brought up to date with the case files (cheap when unchanged). Shared Chroma server
    (`CHROMA_HOST`): read as it is; `beltdoctor cases index` is its single writer."""
    library = None if config().chroma_host else load_library()
    return CaseIndex.open(embedder=configured_embedder(), library=library)


def excerpt_markdown(hit: Hit, lang: str) -> list[str]:
    lines = []
    for pieces in excerpt(hit.case, hit.terms(), lang):
        lines.append("".join(f":orange-background[{plain(text)}]" if matched else plain(text) for text, matched in pieces))
    return lines
