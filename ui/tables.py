"""How canonical columns look on screen: rates as percentages, money in yuan, dates without clock time."""

import pandas as pd
import streamlit as st

from diagnosis.i18n import t
from diagnosis.ingest import SOURCE_ROW
from diagnosis.schema import ExportKind


def label(kind: ExportKind, column: str, lang: str) -> str:
    """Display name of a canonical column, including the row number the engine adds."""
    return t("col.source_row", lang) if column == SOURCE_ROW else kind.column_label(column, lang)


def labelled(frame: pd.DataFrame, kind: ExportKind, lang: str) -> pd.DataFrame:
    """The frame with display names for columns, the file's row number first."""
    order = [SOURCE_ROW, *(c for c in frame.columns if c != SOURCE_ROW)] if SOURCE_ROW in frame.columns else list(frame.columns)
    return frame[order].rename(columns=lambda c: label(kind, c, lang))


def column_config(kind: ExportKind, columns, lang: str) -> dict:
    """A Streamlit column_config for a canonical frame, keyed by its (renamed) display labels."""
    config = {}
    for column in columns:
        spec = kind.column_spec(column)
        if spec is None:
            continue
        name = kind.column_label(column, lang)
        if spec.dtype == "ratio":
            config[name] = st.column_config.NumberColumn(name, format="percent")
        elif spec.dtype == "money":
            config[name] = st.column_config.NumberColumn(name, format="¥%.2f")
        elif spec.dtype in ("date", "period"):
            config[name] = st.column_config.DateColumn(name, format="YYYY-MM-DD")
        elif spec.dtype == "datetime":
            config[name] = st.column_config.DatetimeColumn(name, format="YYYY-MM-DD HH:mm")
        elif spec.dtype == "count":
            config[name] = st.column_config.NumberColumn(name, format="localized")
    return config
