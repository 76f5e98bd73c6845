"""Streamlit pages. Each module is one page; ``cache`` holds every caching wrapper."""
