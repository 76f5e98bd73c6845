"""The bundle connection: dates are UTC whatever the server's time zone."""

import os
import subprocess
import sys

from tests.conftest import ROOT

COUNT = ("from core.bundle import connect, open_bundle; from core import atlas; import numpy as np; "
         "con = connect(open_bundle('data/demo')).cursor(); "
         "print(con.execute(\"SELECT count(*) FROM models WHERE created_at::DATE <= DATE '2023-06-30'\").fetchone()[0], "
         "int(atlas.created_days(con).astype(np.int64).sum()))")


def _run(tz: str) -> str:
    env = {**os.environ, "TZ": tz}
    return subprocess.run([sys.executable, "-c", COUNT], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_dates_do_not_depend_on_the_server_time_zone():
    import duckdb

    expected = duckdb.execute("SELECT count(*) FROM read_parquet(?) WHERE created_at < TIMESTAMPTZ '2023-07-01 00:00:00+00'",
                              [str(ROOT / "data" / "demo" / "models.parquet")]).fetchone()[0]
    utc, west, east = _run("UTC"), _run("America/Los_Angeles"), _run("Asia/Tokyo")
    assert utc == west == east
    assert int(utc.split()[0]) == expected


import json
import shutil

import duckdb
import pytest

from core.bundle import file_facts, open_bundle, verify
from core.licenses import connect
from core.errors import BundleError


def test_the_connection_is_confined_to_its_bundle():
    con = connect(open_bundle(ROOT / "data" / "demo"))
    for cur in (con, con.cursor()):
        assert cur.execute("SELECT count(*) FROM models").fetchone()[0] == 25_000
        assert cur.execute("SELECT count(*) FROM cards").fetchone()[0] > 0  # a view on the bundle's own file
        for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM glob('/etc/*')",
                    "COPY models TO '/tmp/phylo-leak.csv'", "ATTACH '/tmp/phylo-leak.db'", "INSTALL httpfs",
                    "SET enable_external_access = true", "SET memory_limit = '100GB'"):
            with pytest.raises(duckdb.Error):
                cur.execute(sql)
    assert con.execute("SELECT current_setting('threads'), current_setting('lock_configuration')").fetchone() == (2, True)


@pytest.fixture()
def copy_of_demo(tmp_path):
    target = tmp_path / "demo"
    shutil.copytree(ROOT / "data" / "demo", target)
    return target


def test_manifest_records_every_file_and_verify_checks_them(copy_of_demo):
    files = json.loads((copy_of_demo / "manifest.json").read_text())["files"]
    assert set(files) == {p.name for p in copy_of_demo.iterdir() if p.name != "manifest.json"}
    assert files == file_facts(copy_of_demo)
    verify(copy_of_demo)


@pytest.mark.parametrize("damage, message", [
    ("truncate", "truncated or not this bundle's"),
    ("delete", "lacks points.parquet"),
    ("foreign", "does not match its manifest's checksum"),
    ("format", "bundle format 1"),
    ("manifest", "cannot be read"),
])
def test_broken_bundles_say_what_is_wrong(copy_of_demo, damage, message):
    target = copy_of_demo / "points.parquet"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:1000])
    elif damage == "delete":
        target.unlink()
    elif damage == "foreign":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "format":
        m = json.loads((copy_of_demo / "manifest.json").read_text())
        (copy_of_demo / "manifest.json").write_text(json.dumps({**m, "format": 1}))
    else:
        (copy_of_demo / "manifest.json").write_text("{ not json")
    with pytest.raises(BundleError, match=message):
        verify(copy_of_demo)


def test_an_unreadable_table_is_a_bundle_error(copy_of_demo):
    m = json.loads((copy_of_demo / "manifest.json").read_text())
    edges = copy_of_demo / "edges.parquet"
    edges.write_bytes(b"x" * edges.stat().st_size)  # the right size, but not parquet: open_bundle cannot tell
    m.pop("files")
    (copy_of_demo / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(BundleError, match="cannot be read"):
        connect(open_bundle(copy_of_demo))
