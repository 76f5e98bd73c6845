"""A Space that serves the real Hub with no manual publish: when no published bundle is at hand and the Hub is
reachable, a background process builds one from the study's dataset (or a live listing) into persistent storage.

The serving process only starts the build (``start``) and reads its status file (``read``); the build runs in a
child process of its own session (``run``, ``python -m core.selfbuild``), at a lower priority, streaming its source
in batches, so a visitor never waits on it. A finished bundle is reused after a restart: it lives under ``settings.cache_dir()``, ``/data`` when the
Space has persistent storage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from core.errors import one_line
from core.precompute.stages import StageLog

__all__ = ["DATASET", "Stage", "SelfBuild", "read", "start", "run", "hub_reason", "bundle_path"]

DATASET = "modelbiome/ai_ecosystem_withmodelcards"  # the study's dataset, read through ``datasets``
STATUS_FILE = "selfbuild.json"


class Stage(str, Enum):
    STARTING = "starting"
    CHECKING = "checking that the Hub can be reached"
    BUILDING = "building"
    READY = "ready"
    OFFLINE = "offline"
    FAILED = "failed"


@dataclass(frozen=True)
class SelfBuild:
    """What the background build is doing: its stage, the step within it, how far (0–1), since when, and why not."""

    stage: Stage
    source: str
    step: str = ""
    progress: float = 0.0
    started: float | None = None
    pid: int | None = None
    reason: str | None = None
    path: str | None = None

    @property
    def running(self) -> bool:
        return self.stage in (Stage.STARTING, Stage.CHECKING, Stage.BUILDING) and _alive(self.pid)


def bundle_path(root: Path) -> Path:
    return root / "selfbuilt" / "hub"


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def read(root: Path) -> SelfBuild | None:
    """The build's status, or None when none was started; a ready bundle whose files are gone reads as failed."""
    try:
        raw = json.loads((root / STATUS_FILE).read_text(encoding="utf-8"))
        status = SelfBuild(**{**raw, "stage": Stage(raw["stage"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if status.stage is Stage.READY and not (Path(status.path or "") / "manifest.json").is_file():
        return SelfBuild(Stage.FAILED, status.source, reason=f"its files are gone from {status.path}")
    if status.stage in (Stage.STARTING, Stage.CHECKING, Stage.BUILDING) and not _alive(status.pid):
        return SelfBuild(Stage.FAILED, status.source, step=status.step, reason="the build process stopped")
    return status


def _write(root: Path, status: SelfBuild) -> SelfBuild:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / (STATUS_FILE + ".tmp")
    tmp.write_text(json.dumps({**asdict(status), "stage": status.stage.value}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(root / STATUS_FILE)  # a reader never sees half a file
    return status


def start(root: Path, source: str = DATASET, spawn=subprocess.Popen) -> SelfBuild:
    """Start the background build unless a finished bundle is there or a build is running; return the status."""
    current = read(root)
    if current is not None and (current.stage is Stage.READY or current.running):
        return current
    root.mkdir(parents=True, exist_ok=True)
    log = open(root / "selfbuild.log", "ab")  # noqa: SIM115 - handed to the child, which outlives this call
    proc = spawn([sys.executable, "-m", "core.selfbuild", "--root", str(root), "--source", source],
                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                 cwd=str(Path(__file__).resolve().parents[2]))
    return _write(root, SelfBuild(Stage.STARTING, source, started=time.time(), pid=proc.pid))


def hub_reason(source: str) -> str | None:
    """Why ``source`` cannot be read now (None when it can): a local file must exist; the Hub must answer."""
    if Path(source).exists():
        return None
    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0", "false", "False"):
        return "HF_HUB_OFFLINE is set"
    try:
        from huggingface_hub import HfApi

        HfApi().dataset_info(source, timeout=10)
    except Exception as exc:  # noqa: BLE001 - any failure here means "not now", said in one line
        return f"the Hub cannot be reached ({type(exc).__name__}: {one_line(exc)[:200]})"
    return None


class _StatusLog(StageLog):
    """A build's stage log that also writes each finished step to the status file, for the app's banner."""

    def __init__(self, root: Path, status: SelfBuild):
        super().__init__()
        self._root, self._status = root, status

    # The marks build_bundle makes, in order; each names the step that follows it.
    ORDER = ("open", "normalise", "edges", "lineage", "write", "resemblance")
    NEXT = {"open": "reading and normalising the models", "normalise": "matching parents and typing edges",
            "edges": "finding families", "lineage": "writing the tables", "write": "measuring resemblance",
            "resemblance": "finishing"}

    def mark(self, stage: str, **extra) -> None:
        super().mark(stage, **extra)
        done = self.ORDER.index(stage) + 1 if stage in self.ORDER else len(self.ORDER)
        following = self.NEXT.get(stage, "finishing")
        self._status = _write(self._root, SelfBuild(Stage.BUILDING, self._status.source, step=following,
                                                    progress=round(done / (len(self.ORDER) + 1), 3),
                                                    started=self._status.started, pid=self._status.pid))


def run(root: Path, source: str = DATASET, reason=hub_reason, build=None) -> SelfBuild:
    """The build itself (in the child process): check the source, build without the map into a temporary folder,
    then move it into place, so the app never opens half a bundle."""
    if build is None:
        from core.precompute.build import build_bundle as build  # the heavy imports stay out of the serving process
    try:
        os.nice(10)  # serving first
    except OSError:
        pass
    status = _write(root, SelfBuild(Stage.CHECKING, source, started=time.time(), pid=os.getpid()))
    why = reason(source)
    if why:
        return _write(root, SelfBuild(Stage.OFFLINE, source, started=status.started, reason=why))
    out = bundle_path(root)
    tmp = out.with_name(out.name + ".building")
    try:
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp)
        build(source, tmp, label=f"The Hub ({Path(source).name if Path(source).exists() else source})",
              log=_StatusLog(root, SelfBuild(Stage.BUILDING, source, step="reading the source", started=status.started,
                                             pid=os.getpid())))
        if out.exists():
            import shutil

            shutil.rmtree(out)
        tmp.replace(out)
    except Exception as exc:  # noqa: BLE001 - the app keeps serving the demo and says why
        return _write(root, SelfBuild(Stage.FAILED, source, started=status.started,
                                      reason=f"{type(exc).__name__}: {one_line(exc)[:300]}"))
    from core.evolution.totals import of_bundle, record  # here, not at the top: the serving process never needs it

    try:
        record(of_bundle(out, source, kind="build"), root)
    except Exception:  # noqa: BLE001 - the history is a bonus: a bundle that is ready stays ready
        pass
    return _write(root, SelfBuild(Stage.READY, source, step="", progress=1.0, started=status.started, path=str(out)))
