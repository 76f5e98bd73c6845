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
