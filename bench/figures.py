"""The figures issue 10 moved, on one bundle: outside edges, the legacy-id families, and the §3 report.

    python bench/figures.py BUNDLE [--json OUT]

Prints the edges whose parent is outside the snapshot (and the ids they name
most), the manifest's identity counts, the size of five canonical families
(all edges and without merges, as the study counts them) and the report's §3
resemblance keys, so a build before and after a change can be diffed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAMILIES = ("distilbert-base-uncased", "gpt2", "bert-base-uncased", "roberta-base", "xlm-roberta-base")
CANONICAL = {"distilbert-base-uncased": "distilbert", "gpt2": "openai-community", "bert-base-uncased": "google-bert",
             "roberta-base": "FacebookAI", "xlm-roberta-base": "FacebookAI"}


def figures(bundle: Path) -> dict:
    from core.bundle import open_bundle
    from core.licenses import connect
    from core.evolution.report import Section, section_report

    b = open_bundle(bundle)
    con = connect(b)
    out: dict = {"identity": b.manifest.get("identity"), "warnings": b.manifest.get("warnings")}
    out["edges"] = con.execute("SELECT count(*) FROM edges").fetchone()[0]
    out["edges.outside"] = con.execute("SELECT count(*) FROM edges WHERE NOT parent_in_snapshot").fetchone()[0]
    out["outside.top"] = con.execute("SELECT parent, count(*) n FROM edges WHERE NOT parent_in_snapshot "
                                     "GROUP BY 1 ORDER BY n DESC, parent LIMIT 10").fetchall()
    fams = {}
    for name in FAMILIES:
        for mid in (name, f"{CANONICAL[name]}/{name}"):
            row = con.execute("SELECT family_all, family, n_children FROM models WHERE model_id = ?", [mid]).fetchone()
            if row is None:
                continue
            size, size_nm = con.execute("SELECT count(*) FILTER (WHERE family_all = ?), count(*) FILTER (WHERE family = ?) "
                                        "FROM models", [row[0], row[1]]).fetchone()
            fams[mid] = {"root": row[0], "family": size, "root_no_merge": row[1], "family_no_merge": size_nm,
                         "children": row[2]}
    out["families"] = fams
    out["resemblance"] = {k: v for k, v in section_report(con, Section.RESEMBLANCE).items()}
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = figures(args.bundle)
    text = json.dumps(out, indent=1, default=str)
    if args.json:
        args.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
