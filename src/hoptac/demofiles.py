"""Where the demo data lives: `hoptac/demo/` inside the package (the seed articles, the
curated `seeds.yaml`, the synthetic screening data), so that `hoptac demo load` works
from an installed wheel as from a checkout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent / "demo"
SEEDS = ROOT / "seeds.yaml"
ARTICLES = ROOT / "articles"
SCREENING = ROOT / "screening"
