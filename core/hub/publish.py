"""Bundles as Hub datasets: ``python -m core.publish DIR --repo OWNER/NAME [--private] [--revision BRANCH]``.

A bundle goes up in one commit with a generated dataset card: YAML front matter
whose ``configs`` make ``datasets.load_dataset(repo, "edges")`` work for anyone,
and a short description of where the data comes from. The write token comes
from ``HF_TOKEN`` in the environment, never from an argument, and is never
printed. A Space then pulls the bundle with :mod:`core.fetch`.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.bundle import TABLES, Bundle, verify
from core.errors import PhyloError, one_line

__all__ = ["CONFIGS", "dataset_card", "publish"]

CONFIGS = (*TABLES, "cards")  # tables a reader may want on their own; the rest serve the app
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"))


class PublishError(PhyloError):
    """The bundle cannot be published: no token, no network, a refused repo."""


def _size_category(n: int) -> str:
    return next((label for limit, label in _SIZES if n < limit), "10M<n<100M")


def dataset_card(bundle: Bundle, repo: str = "OWNER/NAME") -> str:
    """The README.md of the bundle's dataset repo: YAML front matter (configs, license, size) and a description."""
    import yaml

    m = bundle.manifest
    counts = m.get("counts", {})
    configs = [{"config_name": name, "data_files": f"{name}.parquet", **({"default": True} if name == "models" else {})}
               for name in CONFIGS if bundle.table_path(name).is_file()]
    front = {
        "license": "other",
        "license_name": "hub-metadata-and-model-cards",
        "license_details": "Public metadata of Hugging Face Hub models; each model card keeps its own model's license.",
        "pretty_name": f"Phylo bundle: {m.get('label') or bundle.name}",
        "size_categories": [_size_category(int(counts.get("models", 0)))],
        "tags": ["phylo", "huggingface-hub", "model-lineage", "model-cards"],
        "configs": configs,
    }
    lines = [
        "---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip(), "---", "",
        f"# {front['pretty_name']}", "",
        "A precomputed bundle of Phylo, the evolutionary atlas of the Hugging Face Hub: "
        "one row per model with its lineage, typed parent-child edges, families and (where the snapshot has "
        "them) model cards, as `python -m core.precompute` writes them.", "",
        f"- Source snapshot: `{m.get('source')}` ({m.get('source_shape')} shape), last model created "
        f"{m.get('snapshot_date') or 'unknown'}" + (" — **synthetic data**" if m.get("synthetic") else ""),
        f"- Bundle format: {m.get('format')}",
        f"- {int(counts.get('models', 0)):,} models, {int(counts.get('edges', 0)):,} edges "
        f"({int(counts.get('edges_in_snapshot', 0)):,} inside the snapshot), "
        f"{int(counts.get('families_with_edges', 0)):,} families with edges, {int(counts.get('cards', 0)):,} cards",
        "", "```python", "from datasets import load_dataset", "",
        f'edges = load_dataset("{repo}", "edges", split="train")', "```", "",
        "`manifest.json` lists every file with its size and SHA-256; the Phylo app checks them when it downloads "
        "the bundle.", "",
    ]
    return "\n".join(lines)


def publish(folder: str | Path, repo: str, private: bool = False, revision: str | None = None) -> str:
    """Upload the bundle at ``folder`` and its dataset card to the dataset ``repo`` in one commit; returns its URL."""
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise PublishError("publishing needs a write token in the HF_TOKEN environment variable")
    bundle = verify(folder)
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=token)
    operations = [CommitOperationAdd(path_in_repo=p.name, path_or_fileobj=str(p))
                  for p in sorted(bundle.path.iterdir()) if p.is_file() and not p.name.startswith(".")]
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=dataset_card(bundle, repo).encode()))
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo, repo_type="dataset", branch=revision, exist_ok=True)
        info = api.create_commit(repo, operations, repo_type="dataset", revision=revision,
                                 commit_message=f"Phylo bundle {bundle.manifest.get('label') or bundle.name}")
    except Exception as exc:  # huggingface_hub raises HTTP, connection and offline-mode errors of many types
        raise PublishError(f"cannot publish to {repo}: {one_line(exc)}") from exc
    return info.commit_url
