"""A synthetic Hub, shaped like the real one, for the demo bundle and scale benchmarks.

``python -m core.demo --out data/demo`` writes a deterministic bundle of
made-up models: heavy-tailed family sizes, the study's edge-type mix and
license/task/library shares, cards that shrink and get templated down the
tree, and growth over time. Every name is invented; the manifest and the app
say it is synthetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from core.bundle import SourceShape
from core.ingest.snapshot import Snapshot

__all__ = ["synthetic_listing", "demo_snapshot", "write_source"]

# Shares from ANALYSES.md §2 (rounded) for root models; children mostly inherit.
TASKS = {"text-generation": 0.41, "text-classification": 0.14, "text-to-image": 0.11, "token-classification": 0.05,
         "automatic-speech-recognition": 0.05, "feature-extraction": 0.05, "image-classification": 0.05,
         "translation": 0.03, "summarization": 0.02, "question-answering": 0.03, "sentence-similarity": 0.03,
         "text2text-generation": 0.03}
LIBRARIES = {"transformers": 0.63, "diffusers": 0.09, "sentence-transformers": 0.05, "timm": 0.03, "keras": 0.02,
             "stable-baselines3": 0.03, "mlx": 0.02, "gguf": 0.03, "onnx": 0.02, "open_clip": 0.01, "fastai": 0.01,
             "spacy": 0.02, "setfit": 0.01, "ml-agents": 0.03}
LICENSES = {"apache-2.0": 0.36, "mit": 0.14, "other": 0.10, "openrail": 0.05, "creativeml-openrail-m": 0.04,
            "cc-by-nc-4.0": 0.04, "llama2": 0.04, "llama3": 0.04, "gemma": 0.04, "llama3.1": 0.03, "cc-by-4.0": 0.02,
            "openrail++": 0.02, "llama3.2": 0.02, "cc-by-nc-sa-4.0": 0.01, "gpl-3.0": 0.01, "afl-3.0": 0.01,
            "cc-by-sa-4.0": 0.01, "bigscience-bloom-rail-1.0": 0.01, "unknown": 0.01}
LANGS = ["en", "zh", "fr", "es", "de", "ja", "ko", "it", "pt", "ru", "hi", "ar", "th", "id", "tr", "vi", "pl", "nl"]
RELATIONS = {"adapter": 0.42, "finetune": 0.33, "quantized": 0.18, "merge": 0.07}
ADJ = ["quiet", "amber", "brisk", "coral", "dusky", "ember", "fable", "gale", "hazel", "ivory", "jade", "kelp",
       "lumen", "mossy", "nimbus", "onyx", "pebble", "quill", "rustic", "sable", "tidal", "umber", "velvet", "willow"]
NOUN = ["heron", "otter", "lynx", "finch", "badger", "marten", "ibis", "newt", "orca", "puffin", "quokka", "raven",
        "stoat", "tapir", "urchin", "vole", "wren", "yak", "zebu", "gecko", "koala", "lemur", "moth", "civet"]
BASES = ["Atlas", "Borealis", "Cirrus", "Delta", "Ember", "Fjord", "Gale", "Halo", "Iris", "Juniper", "Kestrel",
         "Lumen", "Meridian", "Nova", "Orion", "Pulsar", "Quasar", "Rill", "Sierra", "Tundra", "Umbra", "Vega"]
SIZES = ["0.5B", "1B", "2B", "3B", "7B", "8B", "13B", "base", "large", "small", "v1", "v2"]
SUFFIX = {"finetune": ["instruct", "chat", "sft", "dpo", "medical", "code", "math", "ft"],
          "adapter": ["lora", "qlora", "adapter", "peft-lora"],
          "quantized": ["GGUF", "AWQ", "GPTQ", "4bit", "8bit", "exl2"],
          "merge": ["slerp", "ties", "dare", "merged"]}
START = np.datetime64("2020-06-01")
END = np.datetime64("2025-07-01")
LOREM = ("The model was trained on a curated mixture of public corpora and evaluated on standard benchmarks. "
         "It is intended for research on language understanding and generation. Limitations include biases "
         "inherited from the training data and occasional factual errors. Evaluation covers accuracy, robustness "
         "and calibration across domains. Users should review outputs before deployment. ")


def _pick(rng, table: dict[str, float], size: int) -> np.ndarray:
    keys = np.array(list(table))
    p = np.array(list(table.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=p / p.sum())]


def _hub(rng, n: int, family_share: float, zipf: float) -> dict:
    """The invented Hub's structure and traits: lineage, names, dates, counts (arrays of length ``n``).

    Rows run roots first, then derived models grouped by family, then singletons, so a parent precedes its children.
    """
    n_fam_members = int(n * family_share)
    n_roots = max(1, n_fam_members // 40)
    # Heavy-tailed family sizes: Zipf-like weights over roots.
    weights = 1.0 / np.arange(1, n_roots + 1) ** zipf
    fam_of_derived = np.sort(rng.choice(n_roots, size=n_fam_members - n_roots, p=weights / weights.sum()))
    # Rows: roots first, then derived models grouped by family, then singletons.
    fam = np.concatenate([np.arange(n_roots), fam_of_derived, np.full(n - n_fam_members, -1)])
    is_root = np.zeros(n, dtype=bool)
    is_root[:n_roots] = True
    derived = np.flatnonzero(fam >= 0)[n_roots:]
    # Position within family among derived models; parent = root, or an earlier derived member.
    fam_d = fam[derived]
    starts = np.searchsorted(fam_d, fam_d, side="left")
    pos = np.arange(len(derived)) - starts
    to_root = (rng.random(len(derived)) < 0.55) | (pos == 0)
    earlier = starts + np.floor(rng.random(len(derived)) * np.maximum(pos, 1)).astype(np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    parent[derived] = np.where(to_root, fam_d, derived[np.minimum(earlier, len(derived) - 1)])
    relation = np.full(n, "", dtype=object)
    relation[derived] = _pick(rng, RELATIONS, len(derived))
    # Quantized and adapter models rarely have children: reattach children of those to the grandparent.
    for _ in range(3):
        bad = (parent >= 0) & np.isin(relation[np.maximum(parent, 0)], ["quantized", "adapter"]) & (rng.random(n) < 0.9)
        parent[bad] = parent[parent[bad]]
    second = np.full(n, -1, dtype=np.int64)
    merge = relation == "merge"
    # A merge's second parent: usually another model of the same family, rarely a top base of another family.
    same = derived[np.minimum(starts + np.floor(rng.random(len(derived)) * np.maximum(pos, 1)).astype(np.int64), len(derived) - 1)]
    second[derived] = np.where(rng.random(len(derived)) < 0.99, same, rng.integers(0, min(5, n_roots), len(derived)))
    second[~merge] = -1
    second[second == parent] = -1

    # Depth, in order (parents precede children in row order).
    depth = np.zeros(n, dtype=np.int64)
    for i in derived:  # small loop over derived models only
        depth[i] = depth[parent[i]] + 1

    # Traits: roots draw from shares; children inherit with mutation.
    task = _pick(rng, TASKS, n)
    lib = _pick(rng, LIBRARIES, n)
    lic = _pick(rng, LICENSES, n)
    lic[rng.random(n) < 0.55] = ""  # most Hub models declare no license
    n_lang = np.where(is_root, rng.integers(1, 14, n), rng.integers(0, 3, n))
    for i in derived:
        p = parent[i]
        if rng.random() < 0.9:
            task[i] = task[p]
        if rng.random() < 0.8:
            lic[i] = lic[p]
        elif lic[p] not in ("apache-2.0", "mit", ""):
            lic[i] = "apache-2.0" if rng.random() < 0.7 else "mit"
        lib[i] = {"adapter": "peft", "quantized": "gguf" if rng.random() < 0.6 else "transformers"}.get(relation[i], lib[p])
        n_lang[i] = min(n_lang[i], n_lang[p]) if n_lang[p] else n_lang[i]

    # Names.
    authors = np.array([f"{a}-{b}" for a in ADJ for b in NOUN])
    author = authors[rng.integers(0, len(authors), n)]
    base = np.array(BASES)[rng.integers(0, len(BASES), n)]
    size = np.array(SIZES)[rng.integers(0, len(SIZES), n)]
    names = np.empty(n, dtype=object)
    for i in range(n):
        if parent[i] < 0:
            names[i] = f"{author[i]}/{base[i]}-{size[i]}-{i}"
        else:
            stem = names[parent[i]].split("/", 1)[1].rsplit("-", 1)[0]
            suffixes = SUFFIX[relation[i]]
            names[i] = f"{author[i]}/{stem}-{suffixes[i % len(suffixes)]}-{i}"

    # Dates: exponential growth; children after parents.
    span = int((END - START).astype(int))
    u = rng.random(n)
    days = np.log1p(u * (np.e ** 4 - 1)) / 4 * span  # more models later
    created = START + days.astype("timedelta64[D]")
    for i in derived:
        created[i] = max(created[i], created[parent[i]] + np.timedelta64(int(rng.exponential(45)) + 1, "D"))
    created = np.minimum(created, END)
    created_text = np.array([f"{d}T{(i * 7) % 24:02d}:{(i * 13) % 60:02d}:00.000Z" for i, d in enumerate(created.astype(str))], dtype=object)
    created_text[rng.random(n) < 0.02] = "2022-03-02T23:29:04.000Z"  # the Hub's migration placeholder

    downloads = np.floor(rng.pareto(1.2, n) * 20 * np.where(is_root, 50, 1)).astype(np.int64)
    likes = np.floor(downloads * rng.random(n) * 0.01).astype(np.int64)
    return dict(is_root=is_root, parent=parent, second=second, relation=relation, depth=depth, task=task, lib=lib,
                lic=lic, n_lang=n_lang, author=author, names=names, created_text=created_text, downloads=downloads,
                likes=likes, root_of=np.where(fam >= 0, fam, np.arange(n)))


def synthetic_listing(n: int = 25_000, seed: int = 0, cards: bool = True, family_share: float = 0.6) -> pa.Table:
    """A Hub-listing-shaped table of ``n`` invented models (plus a ``card`` column when ``cards``)."""
    rng = np.random.default_rng(seed)
    h = _hub(rng, n, family_share, zipf=1.1)
    lib, task, lic, n_lang, relation = h["lib"], h["task"], h["lic"], h["n_lang"], h["relation"]
    parent, second, names, depth = h["parent"], h["second"], h["names"], h["depth"]
    tags = []
    card_col = []
    lang_codes = np.array(LANGS)
    for i in range(n):
        t = [str(lib[i]), str(task[i]), "region:us"] + ([f"license:{lic[i]}"] if lic[i] else [])
        if n_lang[i]:
            others = [str(c) for c in rng.permutation(lang_codes[1:])[: n_lang[i] - 1]]
            t += (["en"] + others) if rng.random() < 0.85 else [str(rng.choice(lang_codes[1:]))] + others
        r = relation[i]
        if parent[i] >= 0:
            pname = names[parent[i]]
            t.append(f"base_model:{pname}")
            if i % 10 < 7:  # 70% declare the type, as on the 2025 Hub
                t.append(f"base_model:{r}:{pname}")
            if second[i] >= 0:
                t.append(f"base_model:{names[second[i]]}")
                if i % 10 < 7:
                    t.append(f"base_model:merge:{names[second[i]]}")
            t += {"adapter": ["peft", "lora"], "quantized": ["gguf"], "merge": ["mergekit", "merge"]}.get(r, [])
        tags.append(t)
        if cards:
            card_col.append(_card(rng, i, names, parent, relation, depth))
    table = {
        "id": pa.array(names.tolist(), pa.string()),
        "author": pa.array(h["author"].tolist(), pa.string()),
        "createdAt": pa.array(h["created_text"].tolist(), pa.string()),
        "downloads": pa.array(h["downloads"]),
        "likes": pa.array(h["likes"]),
        "library_name": pa.array(lib.tolist(), pa.string()),
        "pipeline_tag": pa.array(task.tolist(), pa.string()),
        "tags": pa.array(tags, pa.list_(pa.string())),
    }
    if cards:
        table["card"] = pa.array(card_col, pa.string())
    return pa.table(table)


def _card(rng, i: int, names, parent, relation, depth) -> str | None:
    """Roots get long hand-written-looking cards; descendants get shorter, more templated ones."""
    d = depth[i]
    if parent[i] < 0:
        if rng.random() < 0.35:
            return None
        paragraphs = int(rng.integers(3, 40))
        return f"# {names[i].split('/')[1]}\n\n" + (LOREM * paragraphs)
    if rng.random() < 0.3 + 0.05 * d:
        return None
    p = names[parent[i]]
    auto = rng.random() < min(0.9, 0.3 + 0.15 * d)
    if relation[i] == "quantized":
        return f"# {names[i].split('/')[1]}\n\nQuantized version of [{p}](https://huggingface.co/{p}).\n"
    head = f"# {names[i].split('/')[1]}\n\nThis model is a fine-tuned version of [{p}](https://huggingface.co/{p}).\n\n"
    if auto:
        return ("<!-- This model card has been generated automatically according to the information the Trainer had access to. -->\n"
                + head + "## Training hyperparameters\n\n- learning_rate: 2e-05\n- train_batch_size: 8\n- num_epochs: 3\n")
    return head + LOREM * int(rng.integers(1, max(2, 12 - 3 * d)))


# Card lengths (characters) of the 1,826 real cards longer than 3 characters in ../shared/data/family_trees_2025.csv,
# at these quantiles; lengths are drawn from the log-linear interpolation between them (a test re-measures the knots).
CARD_LENGTH_QUANTILES = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
CARD_LENGTH_KNOTS = (43, 55, 101, 169, 553, 1515, 2329, 4541, 5544, 21993, 68756)
CARD_SHARE = 0.6704  # ANALYSES.md §2: models with a card longer than 3 characters
HUB_2025_MODELS = 1_860_411
HUB_FAMILY_SHARE = 0.32  # 573,653 edges over 1.86M models (ANALYSES.md §2) with ~40 models per family
HUB_ZIPF = 0.9  # largest family ~35k of 1.86M, as FLUX.1-dev's 33,194
LANG_NAMES = {"en": "English", "zh": "Chinese", "fr": "French", "es": "Spanish", "de": "German", "ja": "Japanese",
              "ko": "Korean", "it": "Italian", "pt": "Portuguese", "ru": "Russian", "hi": "Hindi", "ar": "Arabic",
              "th": "Thai", "id": "Indonesian", "tr": "Turkish", "vi": "Vietnamese", "pl": "Polish", "nl": "Dutch"}
DATASET_COLUMNS = ("Unnamed: 0", "model_id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
                   "library_name", "createdAt", "regions", "licenses", "arxiv_papers", "datasets", "parent_model",
                   "finetune_parent", "quantized_parent", "adapter_parent", "merge_parent", "languages", "modelCard")


def card_lengths(rng, size: int) -> np.ndarray:
    """Card lengths drawn from the real cards' distribution (see CARD_LENGTH_KNOTS)."""
    u = rng.random(size)
    return np.rint(np.exp(np.interp(u, CARD_LENGTH_QUANTILES, np.log(CARD_LENGTH_KNOTS)))).astype(np.int64)


def _card_corpus(seed: int, chars: int = 80_000) -> str:
    """A long, deterministic text with a Zipf-like vocabulary: card bodies are slices of it."""
    rng = np.random.default_rng([seed, 7])
    syll = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do", "fu", "ga", "ho", "ji", "pe", "so"]
    words = np.array(["".join(rng.choice(syll, size=int(rng.integers(1, 4)))) for _ in range(3000)])
    picks = words[np.minimum(rng.zipf(1.3, size=chars // 4) - 1, len(words) - 1)]
    sentences = []
    for start in range(0, len(picks), 12):
        sentences.append(" ".join(picks[start:start + 12]).capitalize() + ".")
        if start % 240 == 0:
            sentences.append("\n\n## " + " ".join(picks[start:start + 3]).title() + "\n\n" + LOREM)
    return (" ".join(sentences) * 2)[: chars]


def _pylist(values) -> str:
    return repr([str(v) for v in values])


def _source_rows(h: dict, rows: np.ndarray, rng, corpus: str) -> dict[str, list]:
    """The dataset-shape columns of ``rows`` (list columns as Python-list text, cards with a YAML header)."""
    names, parent, second, relation = h["names"], h["parent"], h["second"], h["relation"]
    lengths = card_lengths(rng, len(rows))
    present = rng.random(len(rows)) < CARD_SHARE
    offsets = (h["root_of"][rows] * 7919) % (len(corpus) // 2)  # kin share the start of their card body
    lang_codes = np.array(LANGS)
    out = {c: [] for c in DATASET_COLUMNS}
    for j, i in enumerate(rows.tolist()):
        lic, lib, task = str(h["lic"][i]), str(h["lib"][i]), str(h["task"][i])
        langs = []
        if h["n_lang"][i]:
            others = [str(c) for c in rng.permutation(lang_codes[1:])[: h["n_lang"][i] - 1]]
            langs = ["en"] + others if rng.random() < 0.85 else others
        parents = {"parent_model": [], "finetune_parent": [], "quantized_parent": [], "adapter_parent": [], "merge_parent": []}
        tags = [lib, task] + langs
        r = str(relation[i])
        for p in (parent[i], second[i]):
            if p < 0:
                continue
            pname = str(names[p])
            tags.append(f"base_model:{pname}")
            parents["parent_model"].append(pname)
            if i % 10 < 7:  # 70% declare the type, as on the 2025 Hub
                typed = "merge" if second[i] >= 0 else r
                tags.append(f"base_model:{typed}:{pname}")
                parents[f"{typed}_parent"].append(pname)
        if parent[i] >= 0:
            tags += {"adapter": ["peft", "lora"], "quantized": ["gguf"], "merge": ["mergekit", "merge"]}.get(r, [])
        tags += ([f"license:{lic}"] if lic else []) + ["region:us"]
        card = ""
        if present[j]:
            head = ("---\n" + (f"license: {lic}\n" if lic else "") + f"library_name: {lib}\npipeline_tag: {task}\n"
                    + ("language:\n" + "".join(f"- {c}\n" for c in langs) if langs else "")
                    + (f"base_model: {names[parent[i]]}\n" if parent[i] >= 0 else "") + "---\n\n")
            if parent[i] >= 0 and rng.random() < 0.3:
                head += ("<!-- This model card has been generated automatically according to the information the "
                         "Trainer had access to. -->\n\n")
            head += f"# {str(names[i]).split('/', 1)[1]}\n\n"
            if parent[i] >= 0:
                head += f"This model is a {r} of [{names[parent[i]]}](https://huggingface.co/{names[parent[i]]}).\n\n"
            need = max(0, int(lengths[j]) - len(head))
            o = int(offsets[j])
            card = (head + corpus[o:o + need])[: max(int(lengths[j]), 4)]
        out["Unnamed: 0"].append(i)
        out["model_id"].append(str(names[i]))
        out["likes"].append(f"{float(h['likes'][i]):.1f}")
        out["trendingScore"].append("")
        out["private"].append("False")
        out["downloads"].append(str(int(h["downloads"][i])))
        out["tags"].append(_pylist(tags))
        out["pipeline_tag"].append(task)
        out["library_name"].append(lib)
        out["createdAt"].append(str(h["created_text"][i]))
        out["regions"].append("['us']")
        out["licenses"].append(_pylist([lic] if lic else []))
        out["arxiv_papers"].append("[]")
        out["datasets"].append("[]")
        for col, values in parents.items():
            out[col].append(_pylist(values))
        out["languages"].append(_pylist(LANG_NAMES[c] for c in langs))
        out["modelCard"].append(card or None)
    return out


def write_source(path: str | Path, n: int = HUB_2025_MODELS, seed: int = 0, chunk: int = 65_536) -> int:
    """Write a synthetic snapshot in the exact shape of ``modelbiome/ai_ecosystem_withmodelcards`` to ``path``.

    Parquet (one row group per ``chunk``) or CSV by the suffix; list columns are Python-list text, ``modelCard``
    has a YAML header, 67% of models have a card and card lengths follow the real cards'. Rows are written a
    chunk at a time, so the cards (~3 GB at the Hub's size) are never all in memory. Deterministic.
    """
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = Path(path)
    h = _hub(np.random.default_rng(seed), n, HUB_FAMILY_SHARE, zipf=HUB_ZIPF)
    corpus = _card_corpus(seed)
    schema = pa.schema([(c, pa.int64() if c == "Unnamed: 0" else pa.string()) for c in DATASET_COLUMNS])
    as_csv = path.suffix.lower() == ".csv"
    tmp = path.with_name(path.name + ".tmp")
    writer = pcsv.CSVWriter(tmp, schema) if as_csv else pq.ParquetWriter(tmp, schema, compression="zstd")
    try:
        for k, start in enumerate(range(0, n, chunk)):
            rows = np.arange(start, min(n, start + chunk))
            cols = _source_rows(h, rows, np.random.default_rng([seed, 1, k]), corpus)
            writer.write_table(pa.table({c: pa.array(cols[c], schema.field(c).type) for c in DATASET_COLUMNS}))
    finally:
        writer.close()
    tmp.replace(path)
    return n


def demo_snapshot(n: int = 25_000, seed: int = 0) -> Snapshot:
    return Snapshot(table=synthetic_listing(n, seed), shape=SourceShape.LISTING, source=f"core.demo synthetic n={n} seed={seed}")
