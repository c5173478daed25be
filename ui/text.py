"""Untrusted text (file names, headers, values) inside elements that render markdown, such as st.error."""

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark (CommonMark allows it for all of them), so links,
    images, emphasis, `:color[...]` directives and `$math$` show as the characters typed."""
    return _PUNCTUATION.sub(r"\\\1", text)
