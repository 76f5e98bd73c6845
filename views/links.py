"""Every link Phylo builds, in one place: to a model on the Hub, to a family tree, to a license chain, to a model on the map.

Ids are URL-quoted here, so a hostile id cannot add parameters or leave the site. Page files are named here too,
for ``st.switch_page``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

HUB = "https://huggingface.co"
PAGES = {"overview": "views/pages/overview.py", "map": "views/pages/map.py", "family": "views/pages/family.py",
         "resemblance": "views/pages/resemblance.py", "drift": "views/pages/drift.py",
         "licenses": "views/pages/licenses.py", "growth": "views/pages/growth.py",
         "network": "views/pages/network.py"}


def hub(model_id: str) -> str:
    """The model's page on the Hugging Face Hub."""
    return f"{HUB}/{quote(str(model_id), safe='/')}"


def family(model_id: str) -> str:
    """The Family page opened on ``model_id`` (relative: it keeps the site and its bundle)."""
    return f"family?fam_model={quote(str(model_id), safe='')}"


def license_chain(model_id: str) -> str:
    """The Licenses page with ``model_id``'s license chain open."""
    return f"licenses?lic_chain={quote(str(model_id), safe='')}"


def on_map(model_id: str) -> str:
    """The Map page with ``model_id``'s details open."""
    return f"map?map_model={quote(str(model_id), safe='')}"


def network_of_selection(polygon: str) -> str:
    """The Network page drawn over a map outline (``map_sel``'s polygon text); ``net_around`` is bound to the URL
    by its label, as the page shows it."""
    return f"network?net_around=a%20map%20selection&net_sel={quote(str(polygon), safe=',;')}"


ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def papers(arxiv_ids) -> list[tuple[str, str, str]]:
    """(id, arXiv abstract, the Hub's paper page) for each well-formed arXiv id a model cites; others are left out,
    so a hostile tag cannot become a link."""
    return [(a, f"https://arxiv.org/abs/{a}", f"{HUB}/papers/{a.split('v')[0] if '/' not in a else a}")
            for a in dict.fromkeys(str(x).strip() for x in (arxiv_ids if arxiv_ids is not None else []))
            if ARXIV_ID.match(a)]
