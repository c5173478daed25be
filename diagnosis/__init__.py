"""BeltDoctor engine: ingestion, KPIs, findings and plans, with no Streamlit import."""
