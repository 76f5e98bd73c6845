"""What a build prints and records of each step: seconds, peak memory, progress bars."""

from __future__ import annotations

import sys


def progress_bar(enabled: bool):
    from tqdm import tqdm

    return tqdm(total=len(STEPS), unit="step", disable=not enabled, file=sys.stderr, leave=False,
                bar_format="{desc:<12} {bar:20} {n_fmt}/{total_fmt} [{elapsed}]")



class StageLog:
    """Wall time, resident and peak memory after each build stage (``--timings``, bench/scale.py).

    Timings go to the terminal, never to the manifest, so rebuilds stay byte-identical.
    """

    def __init__(self):
        import time

        self._clock = time.perf_counter
        self._last = self._clock()
        self.rows: list[dict] = []

    def mark(self, stage: str, **extra) -> None:
        import resource

        now = self._clock()
        try:
            with open("/proc/self/statm") as fh:
                rss = int(fh.read().split()[1]) * resource.getpagesize() / 2**20
        except OSError:
            rss = float("nan")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.rows.append({"stage": stage, "seconds": round(now - self._last, 2), "rss_mb": round(rss),
                          "peak_mb": round(peak), **extra})
        self._last = now

    def table(self) -> str:
        lines = [f"{'stage':<12} {'seconds':>8} {'rss MB':>8} {'peak MB':>8}"]
        for r in self.rows:
            note = "  " + ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("stage", "seconds", "rss_mb", "peak_mb"))
            lines.append(f"{r['stage']:<12} {r['seconds']:>8.2f} {r['rss_mb']:>8} {r['peak_mb']:>8}{note.rstrip()}")
        return "\n".join(lines)


STEPS = ("read", "normalise", "edges", "lineage", "write")
