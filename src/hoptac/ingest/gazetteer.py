"""Gazetteers of police bodies, places, countries, ranks and positions, and a matcher.

The lists live in `data/*.yaml`; the rule-made entries (every Vietnamese province's police,
every Chinese provincial public security department, every Korean regional police agency, ...)
are generated here from `places.yaml`, so adding a place adds its police.

Matching works on words, not characters: the text is cut into words (a run of letters and
digits, combining marks included; one CJK/hangul character; a comma), each word keyed by its
letters and its tone (`hoptac.names.fold.vietnamese_key`), so NFC and NFD, `Hoà` and `Hòa`,
`Thuỷ` and `Thủy` compare equal, and a name never matches inside a longer word. Offsets are
those of the original text. Between the words of one name only spaces, a hyphen or dash, or a
dot after a short capitalised abbreviation (`TP.HCM`, `TP. Hà Nội`) may stand.

Case: a word of a name that is capitalised in the list and is not a generic word (công, an,
tỉnh, thành, phố, cảnh, sát, cục ...) must be capitalised in the text, so `Công an tỉnh
Khánh Hòa` and `công an tỉnh Khánh Hòa` match but `cán bộ công an` is not `Bộ Công an` and
`hòa bình` (peace) is not `Hòa Bình`. Ranks and positions ignore case.

Overlaps: every start position proposes its longest name; the longest proposals win, then the
earlier; the result is in text order and never overlaps. Each `*_in` method runs on its own
family (agencies; places with countries; ranks with positions), so `places_in` finds `Hà Nội`
inside `Công an thành phố Hà Nội`, while `countries_in` does not find `Lào` inside `Lào Cai`.

Ties: a name two entries share (Hà Nam is a Vietnamese province and Henan) goes to the first
listed (Viet Nam's), unless a country in brackets follows: "Công an tỉnh Hà Nam (Trung Quốc)".

Unresolved agencies: `CATP`, `Công an tỉnh`, `Cơ quan Cảnh sát điều tra`, ... written without
a place name some police the reader knows from context. `agencies_in` returns them with kind
"agency" and key "" so the caller can resolve them from the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any, NamedTuple

import yaml

from hoptac.ingest import patterns
from hoptac.names.fold import fold, vietnamese_key
from hoptac.types import RANKS, AgencyLevel

AGENCY, PLACE, COUNTRY, RANK, POSITION = "agency", "place", "country", "rank", "position"
PATTERNED_MAX = 20_000  # pattern agencies remembered per process (the oldest forgotten)
_STOP = "stop"


@dataclass(frozen=True)
class Agency:
    key: str
    name_vi: str
    name_en: str | None
    name_zh: str | None
    name_ko: str | None
    country: str  # ISO 3166-1 alpha-2; ZZ for international bodies
    level: str  # an AgencyLevel value
    aliases: tuple[str, ...]
    parent: str | None = None
    place: str | None = None  # the place key a territorial police serves
    successor: str | None = None  # the agency a merged Vietnamese province's police became


@dataclass(frozen=True)
class Place:
    key: str
    name: str  # as the Vietnamese press writes it
    country: str
    kind: str  # province, city, municipality, autonomous_region, metropolitan_city, ...
    name_en: str | None = None
    name_native: str | None = None  # 北京, 부산광역시 ...
    aliases: tuple[str, ...] = ()
    parent: str | None = None  # a city's province
    # Viet Nam only: in the 63 units before 1 July 2025, in the 34 after, and the post-2025
    # unit it is (part of). None outside Viet Nam.
    old: bool = False
    new: bool = False
    current: str | None = None


@dataclass(frozen=True)
class Country:
    iso: str
    name: str
    name_en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str
    kind: str  # "agency" | "place" | "country" | "rank" | "position"
    key: str  # agency key ("" when unresolved), place key, ISO country, rank or position (vi)


# ---- words ----------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# A comma is a word of its own, so a name written with one ("phòng, chống") needs it and no
# other name runs across one.
_WORD = re.compile(rf"[{_CJK}]|(?:[^\W_{_CJK}]|[\u0300-\u036f])+|,")
_GAP = re.compile(r"[ \t\u00a0]*[-–—]?[ \t\u00a0]*")
_DOT_GAP = re.compile(r"[ \t\u00a0]*\.[ \t\u00a0]*")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BRACKET = re.compile(r"\s*\(([^()]{1,40})\)")


# Words that the press capitalises or not at will: they never decide a match alone.
def _folded_words(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in text.split())


_GENERIC = _folded_words(
    """công an tỉnh thành phố tp ca cảnh sát sở cục cơ quan điều tra hình sự phòng đồn
    quận huyện xã phường thị trấn khu tự trị dân tộc quốc gia tế tổ chức văn đại diện quản lý
    xuất nhập ma túy tội phạm ninh mạng chống về và các nước thủ đô đặc hành chính liên bang
    tổng ty lực lượng hiệp hội chỉ huy tư lệnh cộng hòa xã hội chủ nghĩa nhân dân đảo vương
    hợp chúng của tại"""
)

# Family and middle names: a place right after one of them is part of a person's name
# (Nguyễn Thị Hà Giang, Trần Bình Dương).
_NAME_PARTS = _folded_words(
    """nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh đào
    trịnh mai lâm lương tô tạ cao chu thái vương triệu kiều quách doãn lưu mạc tăng từ thị
    văn hữu đức công quang minh thanh ngọc xuân hồng thu kim bảo mạnh duy thế bá đình trọng
    tuấn"""
)


class _Word(NamedTuple):
    start: int
    end: int
    key: str
    upper: bool
    folded: str


class _Text(NamedTuple):
    words: tuple[_Word, ...]
    joinable: tuple[bool, ...]  # word i may continue a name begun before it
    spaced: tuple[bool, ...]  # only spaces between word i-1 and word i


@lru_cache(maxsize=1 << 16)
def _word_key(word: str) -> str:
    letters, tone = vietnamese_key(word)
    return f"{letters}/{tone}" if tone else letters


_fold_word = lru_cache(maxsize=1 << 16)(fold)


@lru_cache(maxsize=64)
def _scan(text: str) -> _Text:
    words: list[_Word] = []
    joinable: list[bool] = []
    spaced: list[bool] = []
    prev: _Word | None = None
    for m in _WORD.finditer(text):
        w = m.group()
        word = _Word(m.start(), m.end(), _word_key(w), w[0].isupper(), _fold_word(w))
        if prev is None:
            joinable.append(False)
            spaced.append(False)
        else:
            gap = text[prev.end : word.start]
            ok = _GAP.fullmatch(gap) is not None or (
                prev.upper and prev.end - prev.start <= 3 and _DOT_GAP.fullmatch(gap) is not None
            )
            joinable.append(ok)
            spaced.append(_SPACES.fullmatch(gap) is not None)
        words.append(word)
        prev = word
    return _Text(tuple(words), tuple(joinable), tuple(spaced))


def _pattern_words(pattern: str) -> list[tuple[str, str]]:
    """(key, text) of each word of a name as written in the lists."""
    return [(_word_key(m.group()), m.group()) for m in _WORD.finditer(pattern)]


# ---- the trie -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    kind: str
    key: str
    proper: tuple[bool, ...]  # word i must be capitalised in the text
    weak: bool  # geo names: skip after a family/middle name; one-word names: also before one
    country: str  # ISO code of the place or body, "" when none


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    entries: list[_Entry] = field(default_factory=list)


class _Trie:
    def __init__(self, *, case_sensitive: bool, weak: bool) -> None:
        self._root = _Node()
        self._case_sensitive = case_sensitive
        self._weak = weak
        self.size = 0
        self.countries: dict[str, str] = {}  # folded country name -> ISO, for _choose

    def add(self, pattern: str, kind: str, key: str, country: str = "") -> None:
        words = _pattern_words(pattern)
        if not words:
            return
        node = self._root
        for k, _ in words:
            node = node.children.setdefault(k, _Node())
        proper = tuple(
            self._case_sensitive and w[0].isupper() and fold(w) not in _GENERIC for _, w in words
        )
        entry = _Entry(kind, key, proper, self._weak, country)
        if entry not in node.entries:  # the first added wins a tie (Vietnamese places first)
            node.entries.append(entry)
            self.size += 1

    def find(self, text: str, kinds: frozenset[str]) -> list[Match]:
        scanned = _scan(text)
        words, joinable = scanned.words, scanned.joinable
        proposals: list[tuple[int, int, _Entry]] = []
        n = len(words)
        for i in range(n):
            node = self._root
            best: tuple[int, int, _Entry] | None = None
            j = i
            while j < n:
                if j > i and not joinable[j]:
                    break
                nxt = node.children.get(words[j].key)
                if nxt is None:
                    break
                node = nxt
                accepted = [e for e in node.entries if self._accepts(e, scanned, i, j)]
                if accepted:
                    best = (i, j, self._choose(accepted, text, words[j].end))
                j += 1
            if best is not None:
                proposals.append(best)
        proposals.sort(key=lambda p: (-(words[p[1]].end - words[p[0]].start), p[0]))
        taken: list[tuple[int, int, _Entry]] = []
        used = [False] * n
        for i, j, entry in proposals:
            if any(used[i : j + 1]):
                continue
            for k in range(i, j + 1):
                used[k] = True
            taken.append((i, j, entry))
        taken.sort(key=lambda p: p[0])
        out = []
        for i, j, entry in taken:
            if entry.kind in kinds:
                start, end = words[i].start, words[j].end
                out.append(Match(start, end, text[start:end], entry.kind, entry.key))
        return out

    def _choose(self, entries: list[_Entry], text: str, end: int) -> _Entry:
        """The first entry, unless a country in brackets right after the name picks another:
        "Công an tỉnh Hà Nam (Trung Quốc)" is Henan's, not the Vietnamese province's."""
        if len(entries) > 1 and (m := _BRACKET.match(text, end)):
            iso = self.countries.get(fold(m.group(1)))
            for e in entries:
                if e.country == iso:
                    return e
        return entries[0]

    @staticmethod
    def _accepts(entry: _Entry, scanned: _Text, i: int, j: int) -> bool:
        words = scanned.words
        for k, must in enumerate(entry.proper):
            if must and not words[i + k].upper:
                return False
        if not entry.weak:
            return True
        if i > 0 and scanned.spaced[i]:
            prev = words[i - 1]
            if prev.upper and prev.folded in _NAME_PARTS:
                return False
        if i == j and j + 1 < len(words) and scanned.spaced[j + 1]:
            nxt = words[j + 1]
            if nxt.upper and nxt.folded not in _GENERIC:
                return False
        return True


# ---- loading --------------------------------------------------------------------------------


def _load(name: str) -> Any:
    return yaml.safe_load(files("hoptac.ingest").joinpath(f"data/{name}").read_text("utf-8"))


def _opt(d: dict[str, Any], k: str) -> str | None:
    v = d.get(k)
    return None if v is None else str(v)


_PREFIXED = ("tp ", "thanh pho ", "tinh ", "thu do ", "khu tu tri ", "dac khu ", "dao ")


def _is_prefixed(name: str) -> bool:
    f = fold(name)
    return f.startswith(_PREFIXED) or f.startswith("tphcm")


class _PlaceSpec(NamedTuple):
    place: Place
    cores: tuple[str, ...]  # names that take a prefix ("Khánh Hòa", "Sài Gòn")
    full: tuple[str, ...]  # names that carry one ("TPHCM", "Thủ đô Hà Nội")
    bare: tuple[str, ...]  # names matched alone: the cores, less the name if `bare: false`
    raw: dict[str, Any]


def _spec(raw: dict[str, Any], country: str, **extra: Any) -> _PlaceSpec:
    name = str(raw["name"])
    aliases = tuple(str(a) for a in raw.get("aliases") or ())
    cores = (name, *(a for a in aliases if not _is_prefixed(a)))
    full = tuple(a for a in aliases if _is_prefixed(a))
    native = raw.get("zh") or raw.get("ko")
    place = Place(
        key=str(raw["key"]),
        name=str(raw.get("display") or name),
        country=str(raw.get("country") or country),
        kind=str(raw["kind"]),
        name_en=_opt(raw, "en"),
        name_native=None if native is None else str(native),
        aliases=aliases if raw.get("display") is None else (name, *aliases),
        parent=_opt(raw, "parent"),
        **extra,
    )
    bare = cores if raw.get("bare", True) else cores[1:]
    return _PlaceSpec(place, cores, full, bare, raw)


def _prefixes(place: Place) -> tuple[str, ...]:
    kind = place.kind
    if kind in ("city", "municipality", "metropolitan_city", "special_city"):
        return ("thành phố", "TP")
    if kind == "special_self_governing_city":
        return ("thành phố", "TP")
    if kind == "capital":
        return ("Thủ đô", "thành phố")
    if kind == "autonomous_region":
        return ("Khu tự trị", "tỉnh")
    if kind == "sar":
        return ("Đặc khu",)
    if kind == "county":
        return ("huyện",)
    if kind == "prefecture":  # 自治州: "châu Văn Sơn", "Châu tự trị ... Văn Sơn"
        return ("châu", "Châu", "thành phố")
    if kind == "special_self_governing_province":
        return ("tỉnh", "đảo") if place.key == "kr-jeju" else ("tỉnh",)
    return ("tỉnh",)


def _slug(key: str) -> str:
    return key.split("-", 1)[1]


class Gazetteer:
    """The lists, loaded once; the `*_in` methods are pure and thread-safe."""

    def __init__(self) -> None:
        self._agencies: dict[str, Agency] = {}
        self._patterned: dict[str, Agency] = {}  # recognised by pattern, by key
        self._places: dict[str, Place] = {}
        self._countries: dict[str, Country] = {}
        self.ranks: dict[str, str] = {}  # Vietnamese -> English
        self.positions: dict[str, str] = {}
        self._agency_trie = _Trie(case_sensitive=True, weak=False)
        self._geo_trie = _Trie(case_sensitive=True, weak=True)
        self._title_trie = _Trie(case_sensitive=False, weak=False)
        self._specs: list[_PlaceSpec] = []
        self._load_places()
        self._load_agencies()
        self._generate_agencies()
        self._load_titles()

    # -- public API --

    def agencies_in(self, text: str, partner: str | None = None) -> list[Match]:
        """The agencies the lists name, and those named by pattern (`patterns`: a kind of
        unit, a level, a place; `partner` is the country an unknown foreign place is taken
        to be in when the sentence names none)."""
        listed = self.listed_agencies_in(text)
        found = patterns.find(self, text, partner)
        if not found:
            return listed
        out = []
        for m, f in patterns.merge(listed, found, text):
            if f is not None and not m.key:
                agency = self._remember(patterns.agency_of(f))
                m = Match(m.start, m.end, m.text, m.kind, agency.key)
            out.append(m)
        return out

    def listed_agencies_in(self, text: str) -> list[Match]:
        """The agencies the lists name (unresolved ones with the key "")."""
        return self._agency_trie.find(text, frozenset({AGENCY}))

    def adopt(self, name: str, key: str) -> bool:
        """Make a pattern agency's key known again from its name (an extraction's JSON
        carries both): True when `name` is such an agency and gives `key`."""
        if key in self._agencies or key in self._patterned:
            return True
        country = key.split(".", 1)[0].upper()
        if "." not in key or len(country) != 2:
            return False
        for f in patterns.find(self, name, country):
            if f.start == 0 and f.end == len(name.strip()):
                agency = patterns.agency_of(f._replace(country=country))
                if agency.key == key:
                    self._remember(agency)
                    return True
        return False

    def _remember(self, agency: Agency) -> Agency:
        known = self._patterned.get(agency.key)
        if known is not None:
            return known
        if len(self._patterned) >= PATTERNED_MAX:
            self._patterned.pop(next(iter(self._patterned)))
        self._patterned[agency.key] = agency
        return agency

    def places_in(self, text: str) -> list[Match]:
        return self._geo_trie.find(text, frozenset({PLACE}))

    def countries_in(self, text: str) -> list[Match]:
        return self._geo_trie.find(text, frozenset({COUNTRY}))

    def geo_in(self, text: str) -> list[Match]:
        """Places and countries together (one pass)."""
        return self._geo_trie.find(text, frozenset({PLACE, COUNTRY}))

    def ranks_in(self, text: str) -> list[Match]:
        return self._title_trie.find(text, frozenset({RANK}))

    def positions_in(self, text: str) -> list[Match]:
        return self._title_trie.find(text, frozenset({POSITION}))

    def titles_in(self, text: str) -> list[Match]:
        """Ranks and positions together (one pass)."""
        return self._title_trie.find(text, frozenset({RANK, POSITION}))

    def agency(self, key: str) -> Agency:
        """A listed agency, or one recognised by pattern in this process (see `adopt`)."""
        found = self._agencies.get(key) or self._patterned.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def place(self, key: str) -> Place:
        return self._places[key]

    def country(self, iso: str) -> Country:
        return self._countries[iso]

    def agencies(self) -> Iterator[Agency]:
        return iter(self._agencies.values())

    def places(self) -> Iterator[Place]:
        return iter(self._places.values())

    def countries(self) -> Iterator[Country]:
        return iter(self._countries.values())

    def police_of(self, place_key: str) -> Agency | None:
        """The territorial police of a place (Công an tỉnh X, Sở Cảnh sát TP X, ...)."""
        for a in self._agencies.values():
            if a.place == place_key and a.level in ("province", "city"):
                return a
        return None

    @property
    def size(self) -> int:
        """Number of distinct names the matchers know."""
        return self._agency_trie.size + self._geo_trie.size + self._title_trie.size

    # -- loading --

    def _add_agency(self, agency: Agency, patterns: Iterable[str] = ()) -> None:
        if agency.key in self._agencies:
            raise ValueError(f"agency {agency.key} is listed twice")
        if agency.level not in {lv.value for lv in AgencyLevel}:
            raise ValueError(f"agency {agency.key}: level {agency.level!r} is not an AgencyLevel")
        self._agencies[agency.key] = agency
        names = (agency.name_vi, *agency.aliases, *patterns)
        for n in (*names, agency.name_en, agency.name_zh, agency.name_ko):
            if n:
                self._agency_trie.add(n, AGENCY, agency.key, agency.country)

    def _add_place(self, spec: _PlaceSpec) -> None:
        p = spec.place
        if p.key in self._places:
            raise ValueError(f"place {p.key} is listed twice")
        self._places[p.key] = p
        self._specs.append(spec)
        for core in spec.bare:
            self._geo_trie.add(core, PLACE, p.key, p.country)
        for core in spec.cores:
            for prefix in _prefixes(p):
                self._geo_trie.add(f"{prefix} {core}", PLACE, p.key, p.country)
        for full in spec.full:
            self._geo_trie.add(full, PLACE, p.key, p.country)
        for extra in (p.name_en, p.name_native, spec.raw.get("zh_full")):
            if extra:
                self._geo_trie.add(str(extra), PLACE, p.key, p.country)

    def _load_places(self) -> None:
        data = _load("places.yaml")
        for raw in data["vietnam"]:
            new = bool(raw["new"])
            current = str(raw["key"]) if new else str(raw["into"])
            self._add_place(_spec(raw, "VN", old=bool(raw["old"]), new=new, current=current))
        for section, iso in (("china", "CN"), ("korea", "KR"), ("laos", "LA"), ("cambodia", "KH")):
            for raw in data[section]:
                self._add_place(_spec(raw, iso))
        for raw in data["other"]:
            self._add_place(_spec(raw, str(raw["country"])))
        for raw in data["countries"]:
            aliases = tuple(str(a) for a in raw.get("aliases") or ())
            c = Country(str(raw["iso"]), str(raw["name"]), str(raw["en"]), aliases)
            self._countries[c.iso] = c
            for n in (c.name, *aliases):
                self._geo_trie.add(n, COUNTRY, c.iso, c.iso)
                self._agency_trie.countries[fold(n)] = c.iso
                self._geo_trie.countries[fold(n)] = c.iso
        for p in self._places.values():
            if p.current is not None and p.current not in self._places:
                raise ValueError(f"place {p.key}: unknown post-2025 unit {p.current}")

    def _load_agencies(self) -> None:
        data = _load("agencies.yaml")
        for raw in data["agencies"]:
            self._add_agency(
                Agency(
                    key=str(raw["key"]),
                    name_vi=str(raw["name_vi"]),
                    name_en=_opt(raw, "name_en"),
                    name_zh=_opt(raw, "name_zh"),
                    name_ko=_opt(raw, "name_ko"),
                    country=str(raw["country"]),
                    level=str(raw["level"]),
                    aliases=tuple(str(a) for a in raw.get("aliases") or ()),
                    parent=_opt(raw, "parent"),
                )
            )
        for alias in data["unresolved"]:
            self._agency_trie.add(str(alias), AGENCY, "")

    def _generate_agencies(self) -> None:
        for spec in self._specs:
            country = spec.place.country
            if country == "VN":
                self._vn_police(spec)
            elif country == "CN" and spec.place.kind != "sar":
                self._cn_police(spec)
            elif country == "KR":
                self._kr_police(spec)
            elif country == "LA":
                self._la_police(spec)
            elif country == "KH":
                self._kh_police(spec)

    @staticmethod
    def _forms(spec: _PlaceSpec, heads: Iterable[str], *, bare: bool = True) -> list[str]:
        """`head prefix name` for every head, prefix and name; `head name` when bare."""
        out: list[str] = []
        for head in heads:
            for core in spec.cores:
                for prefix in _prefixes(spec.place):
                    out.append(f"{head} {prefix} {core}")
                if bare and core in spec.bare:
                    out.append(f"{head} {core}")
            out.extend(f"{head} {full}" for full in spec.full)
        return out

    def _vn_police(self, spec: _PlaceSpec) -> None:
        p = spec.place
        key = str(spec.raw.get("police") or f"{p.key}-police")
        city = p.kind == "city"
        word = "thành phố" if city else "tỉnh"
        forms = self._forms(spec, ("Công an", "CA"))
        if city:
            forms += [f"CATP {core}" for core in spec.cores]
        forms += [str(a) for a in spec.raw.get("police_aliases") or ()]
        successor = None
        if not p.new:
            successor = f"{p.current}-police"  # the absorbing units keep the plain key
        en = p.name_en or fold(p.name).title()
        self._add_agency(
            Agency(
                key=key,
                name_vi=f"Công an {word} {p.name}" if p.key != "vn-hcmc" else f"Công an {p.name}",
                name_en=f"{en} Police" if city else f"{en} Provincial Police",
                name_zh=None,
                name_ko=None,
                country="VN",
                level=AgencyLevel.CITY.value if city else AgencyLevel.PROVINCE.value,
                aliases=tuple(dict.fromkeys(forms)),
                parent="vn-mps",
                place=p.key,
                successor=successor,
            )
        )
        # Two units every provincial police has, named in cooperation news.
        heads = {
            "csdt": (
                ("Cơ quan Cảnh sát điều tra", "Cơ quan CSĐT"),
                "Criminal Police Investigation Agency",
            ),
            "immigration": (
                ("Phòng Quản lý xuất nhập cảnh", "Phòng QLXNC", "Phòng Xuất nhập cảnh"),
                "Immigration Management Division",
            ),
        }
        for suffix, (vi_heads, en_name) in heads.items():
            unit_forms = [f"{h} {f}" for h in vi_heads for f in forms]
            self._add_agency(
                Agency(
                    key=f"{key.removesuffix('-police')}-{suffix}",
                    name_vi=f"{vi_heads[0]} Công an {word} {p.name}",
                    name_en=f"{en_name}, {en} {'Police' if city else 'Provincial Police'}",
                    name_zh=None,
                    name_ko=None,
                    country="VN",
                    level=AgencyLevel.UNIT.value,
                    aliases=tuple(dict.fromkeys(unit_forms)),
                    parent=key,
                    place=p.key,
                )
            )

    def _cn_police(self, spec: _PlaceSpec) -> None:
        p = spec.place
        zh = str(spec.raw.get("zh_full") or p.name_native or "")
        en = str(spec.raw.get("en_full") or p.name_en)
        if p.kind in ("province", "autonomous_region"):
            key, level = f"{p.key}-psd", AgencyLevel.PROVINCE.value
            name_zh = f"{zh}{'' if p.kind == 'autonomous_region' else '省'}公安厅"
            provincial = "Provincial " if p.kind == "province" else ""
            name_en = f"{en} {provincial}Public Security Department"
            heads: tuple[str, ...] = ("Công an", "Sở Công an")
            parent = "cn-mps"
        else:
            key, level = f"{p.key}-psb", AgencyLevel.CITY.value
            if p.kind in ("county", "prefecture"):  # 河口瑶族自治县公安局, 文山州公安局
                name_zh, name_en = f"{zh}公安局", f"{en} Public Security Bureau"
            else:
                name_zh, name_en = f"{zh}市公安局", f"{en} Municipal Public Security Bureau"
            heads = ("Công an", "Cục Công an")
            parent = "cn-mps" if p.kind == "municipality" else f"{p.parent}-psd"
        forms = self._forms(spec, heads)
        if p.kind in ("municipality", "city"):
            forms += [f"CATP {core}" for core in spec.cores]
        first = _prefixes(p)[0]
        self._add_agency(
            Agency(
                key=key,
                name_vi=f"Công an {first} {p.name}",
                name_en=name_en,
                name_zh=name_zh,
                name_ko=None,
                country="CN",
                level=level,
                aliases=tuple(dict.fromkeys(forms)),
                parent=parent,
                place=p.key,
            )
        )

    def _kr_police(self, spec: _PlaceSpec) -> None:
        p = spec.place
        slug = _slug(p.key)
        city = "city" in p.kind
        heads = ("Sở Cảnh sát", "Sở Công an", "Cảnh sát", "Cơ quan Cảnh sát")
        ko = str(p.name_native)
        if p.key == "kr-gyeonggi":
            for half, vi_half, ko_half, en_half in (
                ("nambu", "Nam", "남부", "Southern"),
                ("bukbu", "Bắc", "북부", "Northern"),
            ):
                cores = (p.name, "Gyeonggi-do")
                forms = [
                    f"{head} {form}"
                    for head in heads
                    for core in cores
                    for form in (
                        f"{vi_half} {core}",
                        f"{vi_half} tỉnh {core}",
                        f"tỉnh {core} {vi_half}",
                        f"{core} {half.title()}",
                        f"phía {vi_half} tỉnh {core}",
                    )
                ]
                forms.append(f"Gyeonggi {en_half} Provincial Police Agency")
                self._add_agency(
                    Agency(
                        key=f"kr-gyeonggi-{half}-ppa",
                        name_vi=f"Sở Cảnh sát {vi_half} Gyeonggi",
                        name_en=f"Gyeonggi {half.title()} Provincial Police Agency",
                        name_zh=None,
                        name_ko=f"경기도{ko_half}경찰청",
                        country="KR",
                        level=AgencyLevel.PROVINCE.value,
                        aliases=tuple(dict.fromkeys(forms)),
                        parent="kr-knpa",
                        place=p.key,
                    )
                )
            return
        if p.kind == "special_self_governing_city":
            key, en = f"kr-{slug}-pa", f"{p.name} Special Self-Governing City Police Agency"
        elif city:
            key, en = f"kr-{slug}-mpa", f"{p.name} Metropolitan Police Agency"
        else:
            key, en = f"kr-{slug}-ppa", f"{p.name} Provincial Police Agency"
        forms = self._forms(spec, heads)
        self._add_agency(
            Agency(
                key=key,
                name_vi=f"Sở Cảnh sát {_prefixes(p)[0]} {p.name}",
                name_en=en,
                name_zh=None,
                name_ko=f"{ko}경찰청",
                country="KR",
                level=AgencyLevel.CITY.value if city else AgencyLevel.PROVINCE.value,
                aliases=tuple(dict.fromkeys(forms)),
                parent="kr-knpa",
                place=p.key,
            )
        )

    def _la_police(self, spec: _PlaceSpec) -> None:
        p = spec.place
        capital = p.kind == "capital"
        heads = ("Bộ Chỉ huy An ninh", "Công an", "Sở An ninh", "An ninh")
        forms = self._forms(spec, heads, bare=False)
        self._add_agency(
            Agency(
                key=f"{p.key}-security",
                name_vi=f"Bộ Chỉ huy An ninh {_prefixes(p)[0]} {p.name}",
                name_en=f"{p.name_en} {'' if capital else 'Province '}Public Security Command",
                name_zh=None,
                name_ko=None,
                country="LA",
                level=AgencyLevel.CITY.value if capital else AgencyLevel.PROVINCE.value,
                aliases=tuple(dict.fromkeys(forms)),
                parent="la-mps",
                place=p.key,
            )
        )

    def _kh_police(self, spec: _PlaceSpec) -> None:
        p = spec.place
        capital = p.kind == "capital"
        heads = ("Cảnh sát", "Ty Cảnh sát", "Sở Cảnh sát", "Công an", "Sở Công an")
        forms = self._forms(spec, heads, bare=False)
        forms += [f"Cảnh sát {core}" for core in spec.cores]
        kind_en = "Municipal" if capital else "Provincial"
        self._add_agency(
            Agency(
                key=f"{p.key}-police",
                name_vi=f"Cảnh sát {_prefixes(p)[0]} {p.name}",
                name_en=f"{p.name_en} {kind_en} Police Commissariat",
                name_zh=None,
                name_ko=None,
                country="KH",
                level=AgencyLevel.CITY.value if capital else AgencyLevel.PROVINCE.value,
                aliases=tuple(dict.fromkeys(forms)),
                parent="kh-national-police",
                place=p.key,
            )
        )

    def _load_titles(self) -> None:
        for vi, en in RANKS:
            self.ranks[vi] = en
        ranks = _load("ranks.yaml")
        for vi, en in ranks["ranks"]:
            self.ranks[str(vi)] = str(en)
        for vi in self.ranks:
            self._title_trie.add(vi, RANK, vi)
        positions = _load("positions.yaml")
        for vi, en in positions["positions"]:
            self.positions[str(vi)] = str(en)
            self._title_trie.add(str(vi), POSITION, str(vi))
        for stop in (*ranks["stop"], *positions["stop"]):
            self._title_trie.add(str(stop), _STOP, "")


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
