"""The map component's overlay spec: pydeck layers as deck.gl's JSON module reads them."""

import pydeck as pdk

from views.pointmap import _layers_json


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
