"""Small Streamlit helpers shared by the pages (display only; no engine logic)."""
