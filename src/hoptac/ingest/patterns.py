"""Agencies recognised by their pattern, not only by list: the kind of unit, then an
administrative level, then a place (`Công an huyện Mường Lát`, `Ty Công an tỉnh Takeo`,
`Đồn Biên phòng cửa khẩu quốc tế Tây Trang`, `Cảnh sát tỉnh Fukuoka`), or a ministry and a
country (`Bộ Nội vụ Ba Lan`).

The place is a run of capitalised words (at most four) that stops at punctuation, at a
lower-case word ("và", "của", a verb, a date), before a country's name, a rank or a title,
or before a family name that starts a person's name. A place the gazetteer knows gives the
country; otherwise, in order: a country or known place right after it ("(Nhật Bản)",
", tỉnh Thanh Hóa"); the kind of unit (border guards are Vietnamese; `Cảnh sát`, `Sở Cảnh
sát`, `Ty Công an` ... are the press's words for foreign police, and every Vietnamese
province is listed, so an unknown `Công an tỉnh X` is foreign too): then the foreign country
named nearest in the sentence, else the article's partner country; an unknown `Công an
thành phố X` is foreign only when the sentence names a foreign country or place, and
`Công an huyện/quận/xã ...` is Vietnamese. Without a country nothing is proposed.

A recognised agency gets the key `<iso>.<folded name>` (a dot: never a list key), built
from its name alone, so the same name always gives the same key and `Gazetteer.adopt` can
make it again from the name the extraction's JSON carries.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from hoptac.names.fold import fold

if TYPE_CHECKING:
    from hoptac.ingest.gazetteer import Agency, Gazetteer, Match

# unit word(s) as written -> (canonical, level, default country or "" or "foreign")
_UNITS: dict[str, tuple[str, str, str]] = {
    "bộ chỉ huy bộ đội biên phòng": ("Bộ Chỉ huy Bộ đội Biên phòng", "province", "VN"),
    "đồn biên phòng": ("Đồn Biên phòng", "station", "VN"),
    "ty công an": ("Ty Công an", "province", "foreign"),
    "sở cảnh sát": ("Sở Cảnh sát", "city", "foreign"),
    "sở công an": ("Sở Công an", "city", "foreign"),
    "cục công an": ("Cục Công an", "city", "foreign"),
    "cảnh sát": ("Cảnh sát", "province", "foreign"),
    "công an": ("Công an", "province", ""),
}
# level word(s) -> (canonical, level; "" keeps the unit's)
_LEVELS: dict[str, tuple[str, str]] = {
    "cửa khẩu quốc tế": ("cửa khẩu quốc tế", ""),
    "cửa khẩu": ("cửa khẩu", ""),
    "thành phố": ("thành phố", "city"),
    "tp": ("thành phố", "city"),
    "thủ đô": ("Thủ đô", "city"),
    "thị xã": ("thị xã", "district"),
    "thị trấn": ("thị trấn", "station"),
    "tỉnh": ("tỉnh", "province"),
    "bang": ("bang", "province"),
    "châu": ("châu", "city"),
    "huyện": ("huyện", "district"),
    "quận": ("quận", "district"),
    "xã": ("xã", "station"),
    "phường": ("phường", "station"),
    "đặc khu": ("đặc khu", "district"),
}
# levels at which every Vietnamese unit is listed: an unknown place there is foreign
_LISTED_LEVELS = frozenset({"tỉnh", "bang", "Thủ đô", "châu"})
_MINISTRIES = (
    "An ninh Quốc gia",
    "An ninh Nhà nước",
    "An ninh Công cộng",
    "An ninh",
    "Công an",
    "Nội vụ",
    "Tư pháp",
    "Quốc phòng",
    "Ngoại giao",
)


def _alternation(words: list[str]) -> str:
    parts = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)


_UNIT_RE = re.compile(
    rf"(?<![\w])(?P<unit>{_alternation(list(_UNITS))})\s+(?:(?P<level>{_alternation(list(_LEVELS))})\.?\s+)?"
    r"(?=\w)",
    re.I,
)
_MINISTRY_RE = re.compile(
    rf"(?<![\w])Bộ\s+(?P<name>{_alternation(list(_MINISTRIES))})\s+(?:nước\s+)?(?=\w)"
)
_WORD = re.compile(r"\w[\w'’]*(?:-[\w'’]+)*")
# family names that start a person's name after a place ("Công an huyện X Nguyễn Văn A")
_FAMILY = frozenset(
    fold(w) for w in "Nguyễn Trần Lê Phạm Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Ngô Đinh Trịnh".split()
)
_MAX_PLACE_WORDS = 4


class Found(NamedTuple):
    start: int
    end: int
    name: str  # canonical: the unit and level words as listed, the place as written
    country: str
    level: str


def key_of(name: str, country: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
    return f"{country.lower()}.{slug}"[:120].rstrip("-")


def _place_run(gaz: Gazetteer, text: str, at: int) -> tuple[int, int, str | None]:
    """(start, end) of the place's name at `at` and its country when the gazetteer knows
    it; end == start when no place starts there."""
    words: list[re.Match[str]] = []
    pos = at
    while len(words) < _MAX_PLACE_WORDS:
        m = _WORD.match(text, pos)
        if m is None or not m.group()[0].isupper():
            break
        words.append(m)
        gap = re.match(r"[ \t]+", text[m.end() :])
        if gap is None:
            break
        pos = m.end() + gap.end()
    if not words:
        return at, at, None
    # known places and countries in the run decide where it stops
    run = text[at : words[-1].end()]
    geo = gaz.geo_in(run)
    titles = gaz.titles_in(run)
    stop = len(words)
    for i, w in enumerate(words):
        rel = w.start() - at
        if i > 0 and any(g.start == rel and g.kind == "country" for g in geo):
            stop = i
            break
        if any(t.start == rel for t in titles):
            stop = i
            break
        if i >= 1 and fold(w.group()) in _FAMILY:
            stop = i
            break
        if i > 0 and any(g.start == rel and g.kind == "place" for g in geo):
            stop = i  # "Bằng Tường Quảng Tây": a second place starts
            break
    if stop == 0:
        return at, at, None
    end = words[stop - 1].end()
    country = None
    for g in geo:
        if g.start == 0 and g.kind == "place":
            country = gaz.place(g.key).country
        elif g.start == 0 and g.kind == "country":
            return at, at, None  # "Công an tỉnh Trung Quốc" is not a place
    return at, end, country


def _after(gaz: Gazetteer, text: str, end: int) -> str | None:
    """A country or known place right after the name: "(Nhật Bản)", ", tỉnh Thanh Hóa",
    " Ba Lan"."""
    m = re.match(r"\s*(?:\(|,\s*|-\s*|\s)", text[end:])
    if m is None:
        return None
    rest = text[end + m.end() : end + m.end() + 60]
    for g in gaz.geo_in(rest):
        if g.start > 8:
            break
        lead = rest[: g.start].strip().lower()
        if lead and lead not in ("tỉnh", "thành phố", "tp", "nước", "thủ đô"):
            break
        return g.key if g.kind == "country" else gaz.place(g.key).country
    return None


def _nearest_foreign(gaz: Gazetteer, text: str, start: int, end: int) -> str | None:
    """The foreign country named nearest the name in the sentence (a country, a known
    place or a listed agency of one)."""
    seen: list[tuple[int, str]] = []
    for g in gaz.geo_in(text):
        iso = g.key if g.kind == "country" else gaz.place(g.key).country
        seen.append((g.start, iso))
    for a in gaz.listed_agencies_in(text):
        if a.key:
            seen.append((a.start, gaz.agency(a.key).country))
    foreign = [
        (min(abs(s - start), abs(s - end)), iso)
        for s, iso in seen
        if iso not in ("VN", "ZZ") and not start <= s < end
    ]
    return min(foreign)[1] if foreign else None


def find(gaz: Gazetteer, text: str, partner: str | None = None) -> list[Found]:
    """Agencies named by pattern in a sentence (`partner`: the article's partner country)."""
    out: list[Found] = []
    for m in _UNIT_RE.finditer(text):
        unit_key = " ".join(m.group("unit").lower().split())
        unit, level, default = _UNITS[unit_key]
        if not m.group("unit")[0].isupper() and unit_key not in ("công an", "cảnh sát"):
            continue
        level_word = m.group("level")
        canonical_level = ""
        if level_word:
            canonical_level, lv = _LEVELS[" ".join(level_word.lower().rstrip(".").split())]
            level = lv or level
        elif unit_key not in ("đồn biên phòng",):
            continue  # "Công an Hà Nội" is the list's; "Cảnh sát Hoàng gia" is no place
        if unit_key == "đồn biên phòng":
            level = "station"
        if unit_key == "bộ chỉ huy bộ đội biên phòng":
            level = "province"
        start, end, country = _place_run(gaz, text, m.end())
        if end == start:
            continue
        place = text[start:end]
        country = country or _after(gaz, text, end)
        if country is None:
            foreign = default == "foreign" or canonical_level in _LISTED_LEVELS
            if default == "VN":
                country = "VN"
            elif foreign:
                country = _nearest_foreign(gaz, text, m.start(), end) or partner
            elif canonical_level == "thành phố":
                country = _nearest_foreign(gaz, text, m.start(), end) or "VN"
            else:
                country = "VN"  # district, commune: Vietnamese unless a country follows
        if not country or country == "ZZ":
            continue
        parts = [unit, canonical_level, place] if canonical_level else [unit, place]
        out.append(Found(m.start(), end, " ".join(parts), country, level))
    for m in _MINISTRY_RE.finditer(text):
        after = text[m.end() : m.end() + 60]
        countries = [g for g in gaz.countries_in(after) if g.start == 0]
        if not countries:
            continue
        c = countries[0]
        end = m.end() + c.end
        name = f"Bộ {m.group('name')} {gaz.country(c.key).name}"
        out.append(Found(m.start(), end, name, c.key, "ministry"))
    return out


def agency_of(found: Found) -> Agency:
    from hoptac.ingest.gazetteer import Agency

    return Agency(
        key=key_of(found.name, found.country),
        name_vi=found.name,
        name_en=None,
        name_zh=None,
        name_ko=None,
        country=found.country,
        level=found.level,
        aliases=(),
    )


def merge(listed: list[Match], found: list[Found], text: str) -> list[tuple[Match, Found | None]]:
    """The list's matches with the pattern's: a pattern match overlapping a list match it
    does not contain is dropped; one that contains list matches replaces them, keeping the
    list's key when a listed match ends where it does ("Ty Công an tỉnh Takeo" is the listed
    Takeo police); unresolved list matches ("Công an tỉnh") give way."""
    from hoptac.ingest.gazetteer import Match

    chosen: list[tuple[Match, Found | None]] = [(m, None) for m in listed]
    for f in found:
        inside = [m for m, _ in chosen if m.start < f.end and f.start < m.end]
        if any(not (f.start <= m.start and m.end <= f.end) for m in inside):
            continue
        same_end = [m for m in inside if m.key and m.end == f.end]
        if any(m.key and m.end != f.end and m.start == f.start for m in inside):
            continue
        chosen = [(m, g) for m, g in chosen if m not in inside]
        key = same_end[0].key if same_end else ""
        chosen.append((Match(f.start, f.end, text[f.start : f.end], "agency", key), f))
    chosen.sort(key=lambda mg: mg[0].start)
    return chosen
