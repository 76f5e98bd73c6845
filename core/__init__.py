"""Phylo's pure-Python core: everything a page shows is computed here. Never imports streamlit.

Packages, by domain, with imports running one way (a package imports only those before it):

    errors, settings, bundle    what every domain uses: the error hierarchy, the environment, the parquet bundle
    lineage                     relation types and inference, edges, the graph and its walk, edge scopes, family trees
    ingest                      snapshots streamed in, the models table, cards and their cuts, the synthetic Hub
    licenses                    license classes, the compliance rules, the audit
    atlas, evolution            the map (embeddings, projection, queries, grid, browser files, URLs);
                                the study's analyses (overview, resemblance, drift, growth, reference, report)
    hub, precompute             publishing and fetching bundles; the offline build that runs every domain

The command-line modules at this level (``python -m core.precompute``, ``core.report``, ``core.licenses check``,
``core.publish``, ``core.fetch``, ``core.demo``) only parse arguments and call into the packages.
"""
