"""The live listing, with the real huggingface_hub client against recorded API pages served on localhost
(``HF_ENDPOINT``): paging by the ``Link`` header, a rate limit, broken pages, an interruption and the offline path."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pyarrow.parquet as pq
import pytest

from core.crawl import main as crawl_main
from core.hub.crawl import LISTING_FIELDS, CrawlError, crawl
from core.ingest.models import normalize
from core.ingest.snapshot import open_snapshot

PAGE = 3


@pytest.fixture(scope="module")
def recorded(shared_data):
    """Four pages of real listing rows as the Hub's /api/models answers them (with ``expand``: ``_id``, ``id`` and
    the fields asked for; dates as the Hub writes them)."""
    table = next(pq.ParquetFile(shared_data / "hub_listing_2024-07.parquet").iter_batches(batch_size=4 * PAGE - 1))
    items = [{"_id": f"{i:024x}", **row} for i, row in enumerate(table.to_pylist())]
    for item in items[:2]:
        item["cardData"] = {"license": "mit", "language": ["en"]}
    return [items[i:i + PAGE] for i in range(0, len(items), PAGE)]


class Hub:
    """A stand-in Hub: page N at /api/models?p=N (the first without p), with scripted faults per page."""

    def __init__(self, pages):
        self.pages, self.faults, self.requests = pages, {}, []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if url.path != "/api/models":  # e.g. the client's /api/agent-harnesses
                    self.send_response(404)
                    self.end_headers()
                    return
                hub.requests.append((url.path, query))
                n = int(query.get("p", ["0"])[0])
                fault = hub.faults.get(n, [])
                kind = fault.pop(0) if fault else None
                if kind == 429:
                    self.send_response(429)
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    return
                if kind == 500:
                    self.send_response(500)
                    self.end_headers()
                    return
                body = b"[{\"id\": \"broken" if kind == "bad json" else json.dumps(hub.pages[n]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if n + 1 < len(hub.pages):
                    rest = "&".join(f"{k}={v}" for k, vs in query.items() if k != "p" for v in vs)
                    self.send_header("Link", f'<{hub.url}/api/models?p={n + 1}&{rest}>; rel="next"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def pages_asked(self):
        return [int(q.get("p", ["0"])[0]) for _, q in self.requests]


@pytest.fixture(autouse=True)
def no_client_registry(monkeypatch, tmp_path):
    """huggingface_hub asks the endpoint for its agent registry once per process and caches it under HF_HOME:
    kept off the user's cache and off the stand-in. Online unless a test says otherwise: huggingface_hub reads
    HF_HUB_OFFLINE once, at import, so a machine that exports it (as CI does) needs the constant reset too."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _detect_agent

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)

    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(tmp_path / "agent_harnesses.json"))
    monkeypatch.setattr(_detect_agent, "_registry", {"standardEnvVars": [], "harnesses": {}})


@pytest.fixture
def hub(recorded, monkeypatch):
    h = Hub(recorded)
    monkeypatch.setenv("HF_ENDPOINT", h.url)
    yield h
    h.server.shutdown()


def _ids(path):
    return pq.read_table(path)["id"].to_pylist()


def _all_ids(recorded):
    return [m["id"] for page in recorded for m in page]


def test_a_crawl_pages_through_and_writes_what_the_ingest_reads(hub, recorded, tmp_path):
    out = tmp_path / "listing.parquet"
    result = crawl(out, batch_rows=4, log=lambda _: None)
    assert (result.rows, result.pages, result.resumed_from) == (11, 4, 0)
    assert _ids(out) == _all_ids(recorded) and hub.pages_asked() == [0, 1, 2, 3]
    assert not (tmp_path / "listing.parquet.parts").exists()
    first = hub.requests[0]
    assert first[0] == "/api/models" and first[1]["expand"] == list(LISTING_FIELDS) and first[1]["limit"] == ["1000"]
    norm = normalize(open_snapshot(str(out)))
    assert norm.models.num_rows == 11 and norm.models["created_at"].null_count < 11
    assert norm.models["model_id"].to_pylist() == _all_ids(recorded)


def test_the_first_request_is_the_one_list_models_sends(hub, tmp_path):
    from huggingface_hub import HfApi

    ids = [m.id for m in HfApi(endpoint=hub.url).list_models(expand=list(LISTING_FIELDS), limit=1000)]
    assert len(ids) == 11 and hub.pages_asked() == [0, 1, 2, 3]  # the real client follows the same links
    asked_by_client = hub.requests[0]
    hub.requests.clear()
    crawl(tmp_path / "l.parquet", max_pages=1, log=lambda _: None)
    assert hub.requests[0] == asked_by_client


def test_cards_come_as_json_text_when_asked(hub, tmp_path):
    crawl(tmp_path / "l.parquet", cards=True, log=lambda _: None)
    assert hub.requests[0][1]["expand"][-1] == "cardData"
    cards = pq.read_table(tmp_path / "l.parquet")["cardData"].to_pylist()
    assert json.loads(cards[0]) == {"license": "mit", "language": ["en"]} and cards[5] is None


def test_a_rate_limit_is_waited_out(hub, recorded, tmp_path):
    hub.faults[1] = [429]
    lines = []
    crawl(tmp_path / "l.parquet", log=lines.append)
    assert hub.pages_asked() == [0, 1, 1, 2, 3]
    assert _ids(tmp_path / "l.parquet") == _all_ids(recorded)


def test_a_broken_page_is_retried_then_stops_with_what_was_written_kept(hub, recorded, tmp_path):
    hub.faults[2] = ["bad json"] * 3
    sleeps, out = [], tmp_path / "l.parquet"
    with pytest.raises(CrawlError) as err:
        crawl(out, batch_rows=1, retries=2, sleep=sleeps.append, log=lambda _: None)
    message = str(err.value)
    assert "could not be read after 3 tries" in message and "6 models written so far are kept" in message
    assert hub.pages_asked() == [0, 1, 2, 2, 2] and len(sleeps) == 2 and not out.exists()
    lines = []
    result = crawl(out, batch_rows=1, log=lines.append)  # the page reads now: go on from it
    assert result.resumed_from == 6 and lines[0].startswith("phylo crawl: resuming after 6 models")
    assert hub.pages_asked()[5:] == [2, 3] and _ids(out) == _all_ids(recorded)


def test_a_page_that_keeps_failing_with_500_stops_after_the_clients_retries(hub, tmp_path):
    hub.faults[1] = [500] * 10
    with pytest.raises(CrawlError, match="500") as err:
        crawl(tmp_path / "l.parquet", batch_rows=1, retries=2, wait=0.01, log=lambda _: None)
    assert hub.pages_asked() == [0, 1, 1, 1] and "3 models written so far are kept" in str(err.value)


def test_an_interrupted_crawl_resumes_from_its_checkpoint(hub, recorded, tmp_path):
    out = tmp_path / "l.parquet"
    first = crawl(out, batch_rows=100, max_pages=2, log=lambda _: None)
    checkpoint = json.loads((tmp_path / "l.parquet.parts" / "checkpoint.json").read_text())
    assert (first.rows, checkpoint["rows"], checkpoint["pages"]) == (6, 6, 2) and "p=2" in checkpoint["next"]
    (tmp_path / "l.parquet.parts" / "part-00001.parquet").write_bytes(b"written after the checkpoint")
    second = crawl(out, batch_rows=100, log=lambda _: None)
    assert second.resumed_from == 6 and hub.pages_asked() == [0, 1, 2, 3]
    assert _ids(out) == _all_ids(recorded)


def test_offline_says_why_in_one_line(monkeypatch, tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    assert crawl_main(["--out", str(tmp_path / "l.parquet")]) == 2
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).strip().splitlines()
    assert len(lines) == 1 and "not reachable" in lines[0] and "nothing was listed" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_hf_hub_offline_is_respected(monkeypatch, tmp_path):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(CrawlError, match="HF_HUB_OFFLINE"):
        crawl(tmp_path / "l.parquet", log=lambda _: None)
