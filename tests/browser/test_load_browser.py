"""Three visitors at once on the demo (bench/load.py's small version): every page ready for each, no error."""

from bench.load import PAGES, RssSampler, run, run_sessions
from tests.browser.conftest import streamlit_server


def test_three_concurrent_sessions_see_every_page_without_error():
    with streamlit_server(with_pid=True) as (url, pid), RssSampler(pid) as sampler:
        sessions = run(run_sessions(url, 3))
    assert [s.errors for s in sessions] == [[], [], []]
    assert all(set(s.ready) == set(PAGES) for s in sessions)
    assert all(s.map_click for s in sessions), "a click on the map did not open a model's details"
    assert 0 < sampler.peak < 3 * 2**30
