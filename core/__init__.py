"""Phylo's pure-Python core: ingestion, lineage, analyses. Never imports streamlit."""
