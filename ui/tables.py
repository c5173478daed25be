"""How canonical columns look on screen: rates as percentages, money in yuan, dates without clock time."""

import streamlit as st

from diagnosis.schema import ExportKind


def column_config(kind: ExportKind, columns, lang: str) -> dict:
    """A Streamlit column_config for a canonical frame, keyed by its (renamed) display labels."""
    config = {}
    for column in columns:
        spec = kind.column_spec(column)
        if spec is None:
            continue
        label = kind.column_label(column, lang)
        if spec.dtype == "ratio":
            config[label] = st.column_config.NumberColumn(label, format="percent")
        elif spec.dtype == "money":
            config[label] = st.column_config.NumberColumn(label, format="¥%.2f")
        elif spec.dtype in ("date", "period"):
            config[label] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif spec.dtype == "datetime":
            config[label] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif spec.dtype == "count":
            config[label] = st.column_config.NumberColumn(label, format="localized")
    return config
