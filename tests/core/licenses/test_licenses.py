from core.licenses import LicenseClass, classify_license, model_license_class

# The 20 most common licenses of the 2025 Hub (ANALYSES.md / paper aggregates) and their classes.
REFERENCE_TOP_20 = {
    "apache-2.0": LicenseClass.PERMISSIVE, "mit": LicenseClass.PERMISSIVE, "other": LicenseClass.OTHER,
    "openrail": LicenseClass.USE_RESTRICTED, "creativeml-openrail-m": LicenseClass.USE_RESTRICTED,
    "cc-by-nc-4.0": LicenseClass.NON_COMMERCIAL, "llama2": LicenseClass.COMMERCIAL_RESTRICTED,
    "llama3": LicenseClass.COMMERCIAL_RESTRICTED, "gemma": LicenseClass.COMMERCIAL_RESTRICTED,
    "unknown": LicenseClass.OTHER, "llama3.1": LicenseClass.COMMERCIAL_RESTRICTED, "cc-by-4.0": LicenseClass.PERMISSIVE,
    "openrail++": LicenseClass.USE_RESTRICTED, "llama3.2": LicenseClass.COMMERCIAL_RESTRICTED,
    "cc-by-nc-sa-4.0": LicenseClass.NON_COMMERCIAL, "afl-3.0": LicenseClass.PERMISSIVE,
    "cc-by-sa-4.0": LicenseClass.COPYLEFT, "gpl-3.0": LicenseClass.COPYLEFT, "artistic-2.0": LicenseClass.PERMISSIVE,
    "llama3.3": LicenseClass.COMMERCIAL_RESTRICTED,
}


def test_reference_top_20():
    assert {k: classify_license(k) for k in REFERENCE_TOP_20} == REFERENCE_TOP_20


def test_more_licenses_and_edge_cases():
    assert classify_license("bigscience-bloom-rail-1.0") is LicenseClass.USE_RESTRICTED
    assert classify_license("cc-by-nd-4.0") is LicenseClass.NON_COMMERCIAL
    assert classify_license("agpl-3.0") is LicenseClass.COPYLEFT
    assert classify_license("  MIT ") is LicenseClass.PERMISSIVE
    assert classify_license(None) is LicenseClass.OTHER and classify_license("") is LicenseClass.OTHER


def test_model_class_is_its_most_restrictive_known_license():
    assert model_license_class(["mit", "llama3"]) is LicenseClass.COMMERCIAL_RESTRICTED
    assert model_license_class(["other", "apache-2.0"]) is LicenseClass.PERMISSIVE
    assert model_license_class([]) is LicenseClass.OTHER


# ---- license inheritance over a bundle (ANALYSES.md §4, last bullet) --------------------------------------------
import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

from core.lineage import family as fam  # noqa: E402
from core.licenses.audit import relaxing_edges  # noqa: E402
from core.bundle import open_bundle  # noqa: E402
from core.licenses import add_license_classes  # noqa: E402
from core.licenses import connect  # noqa: E402
from core.licenses import family_relaxations, license_edges, relaxes, transitions  # noqa: E402
from core.lineage import Relation  # noqa: E402
from core.lineage.scope import EdgeScope  # noqa: E402


def licensed_bundle():
    """Two families; models.license_class added the way bundle.connect adds it.

    Family "base": base (llama3) → mit child (relaxes), → llama2+mit child (same class), → unknown child (never
    compared), and the mit child → a cc-by-nc child (tightens). Family "nc": nc (cc-by-nc) → gpl child (relaxes,
    adapter), plus an edge from a parent outside the snapshot.
    """
    models = [  # model_id, family, licenses, downloads
        ("base", "base", ["llama3"], 1000), ("free", "base", ["mit"], 10), ("same", "base", ["llama2", "mit"], 50),
        ("unk", "base", ["other"], 99), ("tight", "base", ["cc-by-nc-4.0"], 5),
        ("nc", "nc", ["cc-by-nc-4.0"], 7), ("gpl", "nc", ["gpl-3.0"], 3),
    ]
    edges = [("base", "free", "finetune"), ("base", "same", "finetune"), ("base", "unk", "finetune"),
             ("free", "tight", "quantized"), ("nc", "gpl", "adapter"), ("gone", "gpl", "finetune")]
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE models (model_id VARCHAR, family VARCHAR, licenses VARCHAR[], downloads BIGINT, "
                "created_at TIMESTAMPTZ DEFAULT '2024-01-01', pipeline_tag VARCHAR)")
    con.executemany("INSERT INTO models (model_id, family, licenses, downloads) VALUES (?, ?, ?, ?)", models)
    con.execute("CREATE TABLE edges (parent VARCHAR, child VARCHAR, relation VARCHAR, relation_source VARCHAR, "
                "parent_in_snapshot BOOLEAN)")
    con.executemany("INSERT INTO edges VALUES (?, ?, ?, 'declared', ?)", [(*e, e[0] != "gone") for e in edges])
    add_license_classes(con)
    return con


def test_relaxes_compares_ranked_classes_only():
    got = relaxes(["commercial-restricted", "permissive", "non-commercial", "commercial-restricted", "other/unknown"],
                  ["permissive", "commercial-restricted", "copyleft", "other/unknown", "permissive"])
    assert got.tolist() == [True, False, True, False, False]


def test_license_edges_by_hand():
    df = license_edges(licensed_bundle())
    assert list(df.columns) == ["family", "parent", "child", "relation", "relation_source", "parent_licenses",
                                "child_licenses", "parent_class", "child_class", "relaxed", "child_created",
                                "child_downloads"]
    # sorted by family, then child downloads (unk 99, same 50, free 10, tight 5); the outside parent is gone
    assert list(zip(df["family"], df["child"])) == [("base", "unk"), ("base", "same"), ("base", "free"),
                                                    ("base", "tight"), ("nc", "gpl")]
    relaxed = df.set_index("child")["relaxed"].to_dict()
    assert relaxed == {"unk": False, "same": False, "free": True, "tight": False, "gpl": True}
    same = df.set_index("child").loc["same"]
    assert (same["child_licenses"], same["child_class"]) == ("llama2, mit", "commercial-restricted")
    assert df.set_index("child").loc["gpl", "parent_class"] == "non-commercial"


def test_relaxations_by_family_and_transitions_by_hand():
    con = licensed_bundle()
    by_family = family_relaxations(license_edges(con))
    assert by_family.to_dict("records") == [
        {"family": "base", "edges": 4, "relaxed": 1, "share_relaxed": 0.25,
         "most_common": "commercial-restricted → permissive"},
        {"family": "nc", "edges": 1, "relaxed": 1, "share_relaxed": 1.0, "most_common": "non-commercial → copyleft"},
    ]
    finetune_only = family_relaxations(license_edges(con, EdgeScope(relation=Relation.FINETUNE)))
    assert finetune_only["family"].tolist() == ["base"]
    t = transitions(license_edges(con))
    got = {(p, c): n for p, c, n in t.itertuples(index=False)}
    assert got == {("commercial-restricted", "permissive"): 1, ("commercial-restricted", "commercial-restricted"): 1,
                   ("commercial-restricted", "other/unknown"): 1, ("permissive", "non-commercial"): 1,
                   ("non-commercial", "copyleft"): 1}
    assert t["edges"].sum() == len(license_edges(con))


def test_relaxing_edges():
    nodes = ["base", "free", "ft", "nc", "unk"]
    classes = {"base": "commercial-restricted", "ft": "permissive", "nc": "non-commercial", "free": "copyleft",
               "unk": "other/unknown"}
    models = pd.DataFrame({"model_id": nodes, "license_class": [classes[n] for n in nodes]})
    edges = pd.DataFrame([("base", "ft", "finetune"), ("base", "nc", "finetune"), ("nc", "free", "adapter"),
                          ("base", "unk", "finetune")], columns=["parent", "child", "relation"])
    r = relaxing_edges(fam.FamilyData(family="base", models=models, edges=edges))
    assert set(zip(r["parent"], r["child"])) == {("base", "ft"), ("nc", "free")}


def test_family_page_uses_the_same_rule(family_trees_bundle):
    con = connect(open_bundle(family_trees_bundle))
    edges = license_edges(con)
    bundle_wide = set(zip(edges.loc[edges["relaxed"], "parent"], edges.loc[edges["relaxed"], "child"]))
    per_family = set()
    for root in con.execute("SELECT family FROM families").fetchall():
        r = relaxing_edges(fam.load_family(con, root[0]))
        per_family |= set(zip(r["parent"], r["child"]))
    assert per_family == bundle_wide and len(bundle_wide) > 0


def test_relaxations_on_real_family_trees(family_trees_bundle):
    """What the data shows: llama2 and gemma bases with apache-2.0/mit children, and a few RAIL → permissive."""
    con = connect(open_bundle(family_trees_bundle))
    edges = license_edges(con)
    relaxed = edges[edges["relaxed"]]
    assert len(relaxed) == 87
    assert not (relaxed[["parent_class", "child_class"]] == "other/unknown").any().any()
    gemma = relaxed[relaxed["family"] == "google/gemma-7b"]
    assert set(gemma["parent_licenses"]) == {"gemma"}
    assert {"apache-2.0", "mit"} <= set(gemma["child_licenses"])
    by_family = family_relaxations(license_edges(con)).set_index("family")
    assert by_family.loc["google/gemma-7b", "most_common"] == "commercial-restricted → permissive"
    assert by_family.loc["stabilityai/stable-diffusion-2-1", "most_common"] == "use-restricted → permissive"
    assert by_family["relaxed"].is_monotonic_decreasing
    assert by_family.loc["microsoft/phi-2", "relaxed"] == 0 and by_family.loc["microsoft/phi-2", "most_common"] is None


def test_class_matrix_orders_classes_and_shares_rows():
    from core.licenses import CLASS_ORDER, class_matrix

    counts = pd.DataFrame({"parent_class": ["non-commercial", "non-commercial", "permissive"],
                           "child_class": ["permissive", "non-commercial", "permissive"], "edges": [1, 3, 2]})
    matrix, share = class_matrix(counts)
    assert list(matrix.index) == CLASS_ORDER == list(matrix.columns)
    assert matrix.loc["non-commercial", "non-commercial"] == 3
    assert share.loc["non-commercial", "permissive"] == 0.25 and share.loc["permissive", "permissive"] == 1
    assert share.loc["copyleft"].isna().all()  # no edges from copyleft parents: no share, not 0%


def test_license_pairs_keeps_missing_licenses_and_sorts_by_edges():
    from core.licenses import license_pairs

    edges = pd.DataFrame({"parent_licenses": ["mit", None, None], "child_licenses": ["mit", "mit", "mit"],
                          "verdict": ["ok", "review", "review"]})
    out = license_pairs(edges)
    assert out["edges"].tolist() == [2, 1] and out.loc[0, "parent_licenses"] == "(none)"
