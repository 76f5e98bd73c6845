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
    feats = label_features(*(pts[c].combine_chunks() for c in ("pipeline_tag", "library_name", "tags")))
    t = label_table(xy, feats, pts["cluster"].to_numpy(), pts["model_id"].combine_chunks(), seed=0).to_pandas()
    sizes = t.groupby("level")["cluster"].count().tolist()
    assert len(sizes) == 3 and sizes[0] < sizes[1] < sizes[2]
    assert (t.groupby("level")["size"].sum() == len(xy)).all()  # each level covers every model once
    assert t["anchor"].isin(pts["model_id"].to_pylist()).all()
    for level, names in t.groupby("level")["label"]:
        assert len({frozenset(n.split(" · ")) for n in names}) == len(names), level  # distinct, in any order
