"""The map component: its overlay spec (pydeck layers as deck.gl's JSON module reads them) and its JS files."""

import re

import pydeck as pdk

from core import atlas
from views import atlas_component
from views.atlas_component import _layers_json


def test_overlays_keep_accessors_as_expressions_and_units_as_values():
    layer = pdk.Layer("LineLayer", data=[{"s": [1, 2], "t": [3, 4], "rgb": [1, 2, 3, 200]}], id="lineage",
                      get_source_position="s", get_target_position="t", get_color="rgb", get_width=1.5,
                      width_units="pixels")
    (spec,) = _layers_json([layer])
    assert spec["@@type"] == "LineLayer" and spec["id"] == "lineage"
    assert spec["getSourcePosition"] == "@@=s" and spec["getColor"] == "@@=rgb"
    assert spec["widthUnits"] == "pixels" and spec["getWidth"] == 1.5
    assert spec["data"][0]["t"] == [3, 4]
    assert _layers_json([]) == []


def test_js_files_join_into_one_module_with_one_default_export():
    files = [atlas_component.JS_DIR / name for name in atlas_component.JS_FILES]
    assert sorted(p.name for p in atlas_component.JS_DIR.glob("*.js")) == sorted(atlas_component.JS_FILES)
    joined = atlas_component.joined_js()
    assert len(re.findall(r"\bexport\s+default\b", joined)) == 1
    assert re.search(r"\bexport\s+default\b", files[-1].read_text())  # in the last file, after everything it uses
    for path in files:
        lines = path.read_text().splitlines()
        assert len(lines) < 450, f"{path.name}: {len(lines)} lines"
        assert lines[0].startswith("// "), f"{path.name} starts with no comment saying what it holds"


def test_js_reads_python_constants_from_the_spec():
    for path in atlas_component.JS_DIR.glob("*.js"):
        text = re.sub(r"(?m)^\s*//.*$", "", path.read_text())  # code, not its comments
        assert "FAMILY_LEVEL" not in text, path.name  # d.family_level, from the spec
        assert not re.search(rf"(?<![\w.]){atlas.GRID}(?![\w.])", text), path.name  # d.grid
    joined = atlas_component.joined_js()
    assert "d.family_level" in joined and "d.grid" in joined
    assert not re.search(rf"level\s*===\s*{atlas.FAMILY_LEVEL}\b", joined)


def test_spec_carries_the_constants_the_js_reads(monkeypatch):
    sent = {}
    monkeypatch.setattr(atlas_component, "_component", lambda **kw: sent.update(kw))
    atlas_component.point_map(key="m", points_key="p", n=3, files={"position_url": "u"}, n_colors=2)
    spec = sent["data"]
    assert spec["family_level"] == atlas.FAMILY_LEVEL and spec["grid"] == atlas.GRID
    assert spec["layers"] == atlas_component.DEFAULT_LAYERS and spec["position_url"] == "u"
