"""Untrusted text (file names, headers, values) inside elements that render markdown, such as st.error."""

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_ESCAPED_BOLD = re.compile(r"\\\*\\\*(.+?)\\\*\\\*")


def plain(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark (CommonMark allows it for all of them), so links,
    images, emphasis, `:color[...]` directives and `$math$` show as the characters typed."""
    return _PUNCTUATION.sub(r"\\\1", text)


def prose(text: str) -> str:
    """Light Markdown from a case or plan (paragraphs, '-' and '1.' lists) with each line's text escaped, so
    lists stay lists while the words inside cannot become links or markup."""
    from diagnosis.documents import prose_lines

    out, previous, number = [], None, 0
    for kind, line in prose_lines(text):
        if kind != previous and out:
            out.append("")
        number = number + 1 if kind == "numbered" and previous == "numbered" else 1
        out.append(f"{number}. {plain(line)}" if kind == "numbered" else f"- {plain(line)}" if kind == "item" else plain(line) + "\n")
        previous = kind
    return _ESCAPED_BOLD.sub(r"**\1**", "\n".join(out))
