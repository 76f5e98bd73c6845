"""Phylo: the navigation frame. Pages live in views/pages/."""

import streamlit as st

from views import state

st.set_page_config(page_title="Phylo — evolutionary atlas of the Hugging Face Hub", page_icon=":material/account_tree:", layout="wide")
state.choose_bundle()
overview = st.Page("views/pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview")
page = st.navigation([
    st.Page(lambda: state.open_first_page(overview), title="Phylo", url_path="home", default=True, visibility="hidden"),
    overview,
    st.Page("views/pages/map.py", title="Map", icon=":material/scatter_plot:", url_path="map"),
    st.Page("views/pages/family.py", title="Family trees", icon=":material/account_tree:", url_path="family"),
    st.Page("views/pages/resemblance.py", title="Resemblance", icon=":material/compare_arrows:", url_path="resemblance"),
    st.Page("views/pages/drift.py", title="Drift", icon=":material/trending_flat:", url_path="drift"),
    st.Page("views/pages/licenses.py", title="Licenses", icon=":material/gavel:", url_path="licenses"),
    st.Page("views/pages/changes.py", title="Changes", icon=":material/difference:", url_path="changes"),
    st.Page("views/pages/network.py", title="Network", icon=":material/hub:", url_path="network"),
    st.Page("views/pages/growth.py", title="Growth", icon=":material/timeline:", url_path="growth"),
])
state.run_guarded(page)
