"""The Space builds the real Hub itself when no bundle is published: offline it says why in one line; with a local
stand-in of the study's dataset (family_trees_2025.csv, the exact CSV shape) a real background process builds a
bundle the app then lists, reporting its stage as it goes; a restart reuses it."""

from __future__ import annotations

import json
import time

from core.bundle import open_bundle
from core.precompute import selfbuild
from core.precompute.selfbuild import Stage


def test_offline_it_says_why_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    status = selfbuild.run(tmp_path, selfbuild.DATASET, build=lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    assert status.stage is Stage.OFFLINE and status.reason == "HF_HUB_OFFLINE is set"
    assert selfbuild.read(tmp_path).stage is Stage.OFFLINE  # the app's banner reads the same
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: the real client fails fast
    reason = selfbuild.hub_reason(selfbuild.DATASET)
    assert reason.startswith("the Hub cannot be reached (") and "\n" not in reason


def test_a_background_process_builds_from_a_local_stand_in(tmp_path, shared_data):
    source = str(shared_data / "family_trees_2025.csv")
    started = selfbuild.start(tmp_path, source)
    assert started.stage is Stage.STARTING and started.running
    seen = set()
    for _ in range(600):
        status = selfbuild.read(tmp_path)
        seen.add((status.stage, status.step))
        if status.stage in (Stage.READY, Stage.FAILED, Stage.OFFLINE):
            break
        time.sleep(0.2)
    assert status.stage is Stage.READY, (status, (tmp_path / "selfbuild.log").read_text())
    assert any(stage is Stage.BUILDING for stage, _ in seen) or status.stage is Stage.READY
    bundle = open_bundle(status.path)
    assert bundle.manifest["counts"]["models"] == 1_983
    # A restart finds the bundle and starts nothing.
    assert selfbuild.start(tmp_path, source, spawn=lambda *a, **k: (_ for _ in ()).throw(AssertionError)).stage is Stage.READY
    # Files gone (a Space without persistent storage): it reads as failed, so a start builds again.
    import shutil

    shutil.rmtree(status.path)
    assert selfbuild.read(tmp_path).stage is Stage.FAILED


def test_progress_is_written_step_by_step(tmp_path, shared_data):
    steps = []

    def build(source, out, label, log):
        for mark in ("open", "normalise", "edges", "lineage", "write"):
            log.mark(mark)
            steps.append(json.loads((tmp_path / "selfbuild.json").read_text())["progress"])
        out.mkdir(parents=True)
        (out / "manifest.json").write_text("{}")

    status = selfbuild.run(tmp_path, str(shared_data / "family_trees_2025.csv"), build=build)
    assert status.stage is Stage.READY and (tmp_path / "selfbuilt" / "hub" / "manifest.json").is_file()
    assert steps == sorted(steps) and 0 < steps[0] < steps[-1] < 1


def test_the_app_shows_the_build_and_serves_the_demo_meanwhile(tmp_path, monkeypatch):
    import os

    from tests.apptest import run_page
    from views import cache

    monkeypatch.setenv("PHYLO_CACHE", str(tmp_path))
    (tmp_path / "selfbuild.json").write_text(json.dumps({
        "stage": "building", "source": "modelbiome/ai_ecosystem_withmodelcards", "step": "finding families",
        "progress": 0.5, "started": time.time(), "pid": os.getpid()}))
    cache.self_build.clear()
    cache.available_bundles.clear()
    at = run_page("views/pages/overview.py")
    assert not at.exception
    banner = [i.value for i in at.info if "Building the real Hub" in i.value]
    assert banner and "finding families" in banner[0] and "50% done" in banner[0]
    cache.self_build.clear()
    cache.available_bundles.clear()
