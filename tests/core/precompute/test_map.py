import numpy as np

from core.bundle import arrow_rows, open_bundle
from core.licenses import connect
from core.precompute.map import label_features, label_table
from tests.conftest import ROOT


def test_label_hierarchy_has_levels_anchored_on_their_own_points():
    con = connect(open_bundle(ROOT / "data" / "demo"))
    pts = arrow_rows(con, "SELECT p.x, p.y, p.cluster, m.pipeline_tag, m.library_name, m.tags, m.model_id "
                          "FROM models m JOIN points p USING (model_id) ORDER BY m.rowid")
    xy = np.column_stack([pts["x"].to_numpy(), pts["y"].to_numpy()])
    feats = label_features(*(pts[c].combine_chunks() for c in ("model_id", "pipeline_tag", "library_name", "tags")))
    t = label_table(xy, feats, pts["cluster"].to_numpy(), pts["model_id"].combine_chunks(), seed=0).to_pandas()
    sizes = t.groupby("level")["cluster"].count().tolist()
    assert len(sizes) == 3 and sizes[0] < sizes[1] < sizes[2]
    assert (t.groupby("level")["size"].sum() == len(xy)).all()  # each level covers every model once
    assert t["anchor"].isin(pts["model_id"].to_pylist()).all()
    for level, names in t.groupby("level")["label"]:
        assert len({frozenset(n.split(" · ")) for n in names}) == len(names), level  # distinct, in any order


def test_labels_only_renames_regions_and_legend_without_licenses(tmp_path):
    """``--labels-only`` on a bundle whose labels came from older terms rewrites labels.parquet and the colour
    clusters' names in clusters.parquet; no name holds a license or Hub boilerplate, and the checksums still hold."""
    import shutil

    import pyarrow.parquet as pq

    from core.atlas.projection import is_label_noise
    from core.bundle import open_bundle as reopen
    from core.precompute.map import add_labels

    out = tmp_path / "demo"
    shutil.copytree(ROOT / "data" / "demo", out)
    pq.write_table(pq.read_table(out / "labels.parquet").drop_columns([]).slice(0, 0), out / "labels.parquet")
    assert add_labels(out) > 0
    names = pq.read_table(out / "labels.parquet")["label"].to_pylist() + pq.read_table(out / "clusters.parquet")["label"].to_pylist()
    terms = [t for n in names for t in n.split(" · ")]
    assert terms and not [t for t in terms if is_label_noise(t)]
    assert not [t for t in terms if "/" in t or t.startswith(("license:", "base_model:", "dataset:"))]
    reopen(out)  # the manifest's checksums cover the rewritten files
