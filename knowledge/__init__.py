"""Methodology case library and retrieval (cases, thesaurus, index); no Streamlit import."""
