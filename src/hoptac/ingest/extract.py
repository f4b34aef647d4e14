"""Facts from an article: people, agencies, engagements, agreements, commitments, topics.

Rules over the gazetteers (`gazetteer`), dates (`dates`) and the article's blocks
(`reader`); every fact carries the span of the passage it was read from. Captions may name
people and agencies; events, dates, agreements and commitments are read from the title
and the text only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hoptac.ingest import dates as date_rules
from hoptac.ingest.gazetteer import Gazetteer, Match, gazetteer
from hoptac.ingest.reader import FACT_KINDS, Article, Sentence
from hoptac.types import PartialDate

EVENT_KINDS = (
    "visit",
    "talks",
    "agreement_signing",
    "conference",
    "joint_operation",
    "handover",
    "other",
)

# Cue words per event kind, strongest first; the title and lead count double.
_EVENT_CUES: dict[str, tuple[str, ...]] = {
    "agreement_signing": (
        "lễ ký kết", "ký kết chương trình", "ký kết biên bản", "ký kết bản ghi nhớ",
        "ký kết thỏa thuận", "ký kết hiệp định", "ký biên bản", "lễ ký",
    ),
    "talks": ("hội đàm", "hội kiến", "tọa đàm"),
    "conference": ("hội nghị", "hội thảo", "diễn đàn", "đại hội"),
    "joint_operation": ("chuyên án", "đợt cao điểm", "triệt phá", "truy bắt", "phối hợp bắt",
                        "bắt giữ", "chiến dịch"),
    "handover": (
        "bàn giao đối tượng", "bàn giao phạm nhân", "bàn giao công dân", "trao trả",
        "dẫn độ", "tiếp nhận đối tượng", "bàn giao cho phía", "bàn giao người",
    ),
    "visit": ("thăm và làm việc", "thăm, làm việc", "chuyến thăm", "chuyến công tác",
              "đoàn công tác", "đoàn đại biểu", "sang thăm", "đến thăm", "thăm chính thức"),
}  # fmt: skip

_TOPIC_CUES: dict[str, tuple[str, ...]] = {
    "drugs": ("ma túy", "ma tuý", "chất cấm"),
    "transnational_crime": ("xuyên quốc gia", "tội phạm quốc tế", "xuyên biên giới"),
    "high_tech_crime": ("công nghệ cao", "tội phạm mạng", "không gian mạng", "an ninh mạng"),
    "human_trafficking": ("mua bán người", "buôn bán người", "buôn người"),
    "terrorism": ("khủng bố",),
    "fraud": ("lừa đảo", "chiếm đoạt tài sản"),
    "money_laundering": ("rửa tiền",),
    "citizen_protection": (
        "bảo hộ công dân", "kiều dân", "công dân hai nước", "quyền lợi hợp pháp của công dân",
        "người nước ngoài và du khách", "bảo vệ công dân",
    ),
    "traffic": ("giao thông",),
    "immigration": ("xuất nhập cảnh", "xuất cảnh", "nhập cảnh", "cư trú", "di cư"),
    "wanted_persons": ("truy nã", "truy bắt", "đối tượng bỏ trốn", "lẩn trốn"),
    "training": ("đào tạo", "bồi dưỡng", "tập huấn", "huấn luyện"),
    "equipment": ("trang thiết bị", "thiết bị", "phương tiện", "trường bắn"),
    "mutual_legal_assistance": ("tương trợ tư pháp", "dẫn độ", "tương trợ"),
}  # fmt: skip

_AGREEMENT_KINDS: tuple[tuple[str, str], ...] = (
    ("biên bản ghi nhớ", "mou"),
    ("bản ghi nhớ", "mou"),
    ("chương trình phối hợp", "coordination_program"),
    ("kế hoạch phối hợp", "coordination_program"),
    ("quy chế phối hợp", "coordination_program"),
    ("biên bản hội đàm", "talks_minutes"),
    ("biên bản làm việc", "talks_minutes"),
    ("thỏa thuận", "agreement"),
    ("thoả thuận", "agreement"),
    ("hiệp định", "treaty"),
)
_AGREEMENT = re.compile("|".join(re.escape(k) for k, _ in _AGREEMENT_KINDS), re.I)
_ANNIVERSARY = re.compile(r"kỷ niệm\s+(\d{1,3})\s+năm", re.I)
_SIGNED = re.compile(r"\bký(?:\s*kết)?\b", re.I)
_HANDED_OVER = re.compile(
    r"\b(?:bàn giao|tiếp nhận|trao trả|dẫn độ)\s+(?:\d+\s+|các\s+|những\s+)?"
    r"(?:đối tượng|công dân|phạm nhân|nghi phạm|người)"
)
_ANNIVERSARY_PHRASE = re.compile(r"kỷ niệm\s+\d{1,3}\s+năm[^,.;]*", re.I)
_AT_THE_EVENT = re.compile(
    r"\b(?:tại buổi|nhân dịp này|dịp này|tại lễ|buổi lễ|kết thúc buổi|trong khuôn khổ"
    r"|tại hội nghị)",
    re.I,
)

_COMMITMENT_CUES = re.compile(
    r"\b(?:sẽ|thống nhất|nhất trí|cam kết|tiếp tục|nhận lời|hứa|hẹn)\b", re.I
)
_NOT_A_PROMISE = re.compile(
    r"\b(?:hy vọng|mong muốn|mong rằng|đề nghị|trân trọng mời|theo lịch trình)\b", re.I
)
_SCHEDULE = re.compile(
    r"^\s*(?:Theo lịch trình|Trong ngày \d|Ngày \d{1,2}[/-]\d{1,2},? (?:Đoàn|đoàn))"
)
_AGREED = re.compile(r"\b(?:thống nhất|nhất trí|thỏa thuận|cam kết)\b[^.]*:\s*$", re.I)
# Verbs an item of an agreed list starts with ("Tiếp tục ...", "Tăng cường ...").
_ACTION = re.compile(
    r"^(?:Đồng thời,\s*|Ngoài ra,\s*|Bên cạnh đó,\s*|Đặc biệt,?\s*)?(?:[Hh]ai bên\s+)?(?:sẽ\s+)?"
    r"(?:Tiếp tục|Tăng cường|Bảo đảm|Đảm bảo|Đẩy mạnh|Nghiên cứu|Thiết lập|Phối hợp|Hỗ trợ|"
    r"Trao đổi|Duy trì|Triển khai|Xây dựng|Nâng cao|Tổ chức|Chia sẻ|Thúc đẩy|Tập trung|"
    r"tiếp tục|tăng cường|bảo đảm|đảm bảo|đẩy mạnh|nghiên cứu|thiết lập|phối hợp|hỗ trợ|"
    r"trao đổi|duy trì|triển khai|xây dựng|nâng cao|tổ chức|chia sẻ|thúc đẩy|tập trung)\b"
)
_CONTINUES = re.compile(r"^(?:Đặc biệt|Đồng thời|Ngoài ra|Bên cạnh đó)\b")
_FUTURE = re.compile(
    r"\b(?:sẽ|thời gian tới|sắp tới|trong năm \d{4}|thời điểm thích hợp|tiếp tục)\b", re.I
)

# A person's name: 2-4 capitalised syllables (Vietnamese, Sino-Vietnamese or romanised).
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Words that cannot start a name, and words that end one (an agency or title follows).
_NOT_NAME_START = frozenset(
    "Công Bộ Sở Cục Ban Đoàn Ủy Uỷ Phòng Cơ Tổng Văn Thành Tỉnh Quận Huyện Hội Trung Đảng "
    "Nhà Chính Quốc Cảnh An Lễ Đại Thượng Thiếu Phó Giám Trưởng Thủ Chủ Bí Tham Viện Tòa "
    "Học Trường Sư Hải Biên Lực Việt Hàn Nhật Lào Cam Thái Mỹ Nga Ngày Tháng Năm Trong Theo "
    "Đồng Ông Bà Ngài Các Những Hai Tại Với Đây Sau Trước Qua Khi Nhân Thay".split()
)
# Family names that open a name written after a long title ("Thủ tướng Quốc vụ viện Trung
# Quốc Lý Cường"): the commonest Vietnamese ones, Sino-Vietnamese readings of Chinese ones,
# and romanised Korean ones.
_SURNAMES = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đoàn Trịnh "
    "Lương Mai Tô Tạ Lưu Vương Tập Kỳ Từ Chu Cao Lâm Đào Thái Tăng Triệu Quách Tôn Khổng Mạc "
    "Lục Hứa Tưởng Giang Châu Kim Trương Hàn Hầu Mã Viên Diệp Khương Thân Nghiêm La Lã Văn "
    "Lô Lò Hà Thào Giàng Vàng Sùng Mùa Cầm Lường Quàng "
    "Park Lee Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Yoo Hong "
    "Woo".split()
)
_HONORIFICS = re.compile(r"(?<!\w)(?:[Đđ]ồng chí|[Ôô]ng|[Bb]à|[Nn]gài|[Cc]hị|[Aa]nh|[Cc]háu)\s+")
# A Vietnamese name anywhere: a family name, then Văn or Thị, then 1-2 more words.
_VIETNAMESE_NAME = re.compile(r"(?<!\w)([A-ZĐ][^\W\d_]*) (?:Văn|Thị) [A-ZĐ]")
_NAMED_AFTER = re.compile(
    r"(?:tượng đài|tượng|lăng|đường|phố|quảng trường|cầu|trường|bảo tàng|khu di tích|"
    r"Công an|Cục|Sở|Ty|Bộ|tỉnh|thành phố|huyện|quận|xã|châu|Châu)"
    r"(?:\s+(?:Chủ tịch|Đại tướng|Bác))?\s*$",
    re.I,
)
_NAME_END = frozenset(
    "Công Bộ Sở Cục Ban Đoàn Ủy Uỷ Phòng Cơ Tổng Giám Phó Trưởng Thủ Chủ Bí Tham Chính "
    "Thứ Tại Và Cùng".split()
)
_POSITION_STOP = re.compile(
    r"\s(?:làm trưởng đoàn|làm Trưởng đoàn|dẫn đầu|cùng|đã|và|phát biểu|cho biết|tặng|trao|"
    r"chủ trì|đồng chủ trì|tiếp|nhấn mạnh|khẳng định|bày tỏ|chúc mừng|chụp ảnh|đến|sang|để|"
    r"nhân dịp|trong|về việc|khi|thì|là)\b|\.(?=\s|$)|[;:()\n]"
)


@dataclass
class Fact:
    start: int
    end: int

    def span(self) -> list[int]:
        return [self.start, self.end]


@dataclass
class AgencyFact(Fact):
    name: str
    canonical: str
    country: str | None


@dataclass
class PersonFact(Fact):
    name: str
    rank: str | None = None
    position: str | None = None
    agency: str | None = None
    # a Chinese person's name: candidate characters per syllable and their pinyin readings
    hanzi: list[list[str]] | None = None
    pinyin: list[list[str]] | None = None


@dataclass
class EngagementFact(Fact):
    kind: str
    date_start: PartialDate | None
    date_end: PartialDate | None
    hosts: list[str] = field(default_factory=list)
    visitors: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


@dataclass
class AgreementFact(Fact):
    type: str
    title: str
    parties: list[str]
    signed: PartialDate | None


@dataclass
class CommitmentFact(Fact):
    text: str
    owner: str | None
    due: PartialDate | None


@dataclass
class Extraction:
    article: Article
    agencies: list[AgencyFact]
    people: list[PersonFact]
    engagements: list[EngagementFact]
    agreements: list[AgreementFact]
    commitments: list[CommitmentFact]
    topics: list[str]
    locations: list[str]

    @property
    def main(self) -> EngagementFact | None:
        return self.engagements[0] if self.engagements else None

    def to_json(self) -> dict[str, Any]:
        a, main = self.article, self.main

        def iso(d: PartialDate | None) -> str | None:
            return d.iso() if d else None

        def quote(f: Fact) -> str:
            return a.text[f.start : f.end]

        return {
            "source": {
                "url": a.url,
                "title": a.title,
                "published": iso(a.published),
            },
            "event_type": main.kind if main else None,
            "date_start": iso(main.date_start) if main else None,
            "date_end": iso(main.date_end) if main else None,
            "agencies": [
                {"name": f.name, "canonical": f.canonical, "country": f.country, "span": f.span()}
                for f in self.agencies
            ],
            "people": [
                {
                    "name": f.name,
                    "rank": f.rank,
                    "position": f.position,
                    "agency": f.agency,
                    "span": f.span(),
                    **({"hanzi": f.hanzi, "pinyin": f.pinyin} if f.hanzi else {}),
                }
                for f in self.people
            ],
            "locations": self.locations,
            "agreements": [
                {
                    "type": f.type,
                    "title": f.title,
                    "parties": f.parties,
                    "signed": iso(f.signed),
                    "span": f.span(),
                    "quote": quote(f),
                }
                for f in self.agreements
            ],
            "commitments": [
                {"text": f.text, "owner": f.owner, "due": iso(f.due), "span": f.span()}
                for f in self.commitments
            ],
            "topics": self.topics,
            "engagements": [
                {
                    "kind": f.kind,
                    "date_start": iso(f.date_start),
                    "date_end": iso(f.date_end),
                    "hosts": f.hosts,
                    "visitors": f.visitors,
                    "places": f.places,
                    "topics": f.topics,
                    "span": f.span(),
                    "quote": quote(f),
                }
                for f in self.engagements
            ],
        }


def extract(article: Article, gaz: Gazetteer | None = None) -> Extraction:
    gaz = gaz or gazetteer()
    text = article.text
    sentences = article.sentences
    ref = date_rules.reference(article.published, text)
    agencies, mentions = _agencies(article, gaz)
    home = _home_agency(article, mentions)
    people = _people(article, gaz, mentions, home)
    topics = _topics(text, sentences)
    engagements = _engagements(article, gaz, mentions, ref, topics, home)
    main = engagements[0] if engagements else None
    agreements = _agreements(
        article, mentions, ref, [*main.hosts, *main.visitors] if main else [], main
    )
    commitments = _commitments(article, mentions, ref, home)
    locations = _locations(article, gaz)
    return Extraction(
        article, agencies, people, engagements, agreements, commitments, topics, locations
    )


# ---- agencies ----------------------------------------------------------------------------


def _agencies(article: Article, gaz: Gazetteer) -> tuple[list[AgencyFact], list[Match]]:
    """Each agency once (its first mention), and every resolved mention in order."""
    mentions: list[Match] = []
    partner = _partner_country(article, gaz)
    for s in article.sentences:
        for m in gaz.agencies_in(s.text, partner):
            if m.key:
                mentions.append(Match(s.start + m.start, s.start + m.end, m.text, m.kind, m.key))
    seen: dict[str, AgencyFact] = {}
    for m in mentions:
        if m.key not in seen:
            entry = gaz.agency(m.key)
            seen[m.key] = AgencyFact(m.start, m.end, m.text, m.key, entry.country)
    return list(seen.values()), mentions


def _partner_country(article: Article, gaz: Gazetteer) -> str | None:
    """The foreign country the article names most (countries, places and listed agencies
    of the title and text): where an unknown foreign police is taken to be."""
    counts: dict[str, int] = {}
    for s in article.sentences:
        if s.kind not in FACT_KINDS:
            continue
        for g in gaz.geo_in(s.text):
            iso = g.key if g.kind == "country" else gaz.place(g.key).country
            counts[iso] = counts.get(iso, 0) + 1
        for a in gaz.listed_agencies_in(s.text):
            if a.key:
                iso = gaz.agency(a.key).country
                counts[iso] = counts.get(iso, 0) + 1
    foreign = {k: v for k, v in counts.items() if k not in ("VN", "ZZ")}
    return max(foreign, key=lambda k: foreign[k]) if foreign else None


def _home_agency(article: Article, mentions: list[Match]) -> str | None:
    """The Vietnamese agency the article is about: the first Vietnamese agency named in
    the title or lead (what a bare `CATP` or `Công an tỉnh` refers to)."""
    for m in mentions:
        if m.key.startswith("vn-"):
            return m.key
    return mentions[0].key if mentions else None


def _agency_in(mentions: list[Match], start: int, end: int) -> str | None:
    for m in mentions:
        if start <= m.start < end:
            return m.key
    return None


# ---- people --------------------------------------------------------------------------------


def _people(
    article: Article, gaz: Gazetteer, mentions: list[Match], home: str | None
) -> list[PersonFact]:
    text = article.text
    found: dict[str, PersonFact] = {}
    for s in article.sentences:
        ranks = gaz.ranks_in(s.text)
        positions = gaz.positions_in(s.text)
        anchors: list[tuple[int, str | None, str | None]] = []  # (name start, rank, position)
        for r in ranks:
            anchors.append((s.start + r.end, r.key, None))
        for p in positions:
            anchors.append((s.start + p.end, None, s.text[p.start : p.end]))
        for m in _HONORIFICS.finditer(s.text):
            anchors.append((s.start + m.end(), None, None))
        for m in _VIETNAMESE_NAME.finditer(s.text):
            if m.group(1) in _SURNAMES:
                anchors.append((s.start + m.start(), None, None))
        for at, rank, lead_position in anchors:
            person = _name_at(text, at, s.end, gaz)
            if person is None and lead_position:
                person = _name_after_title(text, at, s.end, gaz)
                if person is not None:
                    lead_position = (lead_position + text[at : person[1] - len(person[0])]).strip()
            if person is None:
                continue
            name, name_end = person
            position, agency, pos_end = _position_after(text, name_end, s.end, gaz, mentions)
            if position is None and lead_position:
                position = lead_position
                agency = _agency_in(mentions, name_end, min(s.end, name_end + 60)) or agency
            if (
                position
                and agency is None
                and re.search(r"\b(?:CATP|Công an tỉnh|Công an thành phố)$", position)
            ):
                agency = home
            if rank is None:
                rank = _rank_before(text, at, gaz)
            fact = found.get(name)
            if fact is None:
                begin = name_end - len(name)
                found[name] = PersonFact(
                    begin, max(pos_end, name_end), name, rank, position, agency
                )
            else:
                fact.rank = fact.rank or rank
                fact.position = fact.position or position
                fact.agency = fact.agency or agency
    people = sorted(found.values(), key=lambda f: f.start)
    for fact in people:
        chinese = fact.agency and gaz.agency(fact.agency).country in ("CN", "TW", "HK", "MO")
        if chinese or re.search(r"Trung (?:Quốc|Hoa)", fact.position or ""):
            fact.hanzi, fact.pinyin = _chinese_forms(fact.name)
    return people


def _chinese_forms(name: str) -> tuple[list[list[str]] | None, list[list[str]] | None]:
    """A Sino-Vietnamese name's candidate characters per syllable (four, commonest first)
    and their pinyin readings, from the reading tables of `hoptac.names`: Lý Phong is
    [李 …][風 风 …], li feng. Candidates, not an answer: a syllable has many characters."""
    from hoptac.names import readings

    def weight(c: str) -> int:
        r = readings.of(c)
        return r.weight if r else 0

    chars: list[list[str]] = []
    spelled: list[list[str]] = []
    for syllable in name.split():
        found = sorted(
            readings.chars_for_vietnamese(syllable.lower()), key=lambda c: (-weight(c), c)
        )
        if not found:
            return None, None
        chars.append(found[:4])
        spelled.append(
            list(dict.fromkeys(p for c in found[:4] if (r := readings.of(c)) for p in r.pinyin[:1]))
        )
    return chars, spelled


def _name_at(text: str, at: int, limit: int, gaz: Gazetteer) -> tuple[str, int] | None:
    """The person's name starting at `at`: 2-4 capitalised words (hyphenated romanised
    syllables count as one: Park Ji-hoon), not a place or a country."""
    while at < limit and text[at] == " ":
        at += 1
    words: list[tuple[int, int]] = []
    pos = at
    while len(words) < 4:
        m = _WORD.match(text, pos, limit)
        if not m or not m.group(0)[0].isupper() or (len(m.group(0)) > 1 and m.group(0).isupper()):
            break
        word = m.group(0)
        if words and word in _NAME_END:
            break
        words.append((m.start(), m.end()))
        if m.end() < limit and text[m.end()] == " ":
            pos = m.end() + 1
        else:
            break
    if len(words) < 2 or text[words[0][0] : words[0][1]] in _NOT_NAME_START:
        return None
    name = text[words[0][0] : words[-1][1]]
    if any(m.start == 0 and m.end == len(name) for m in gaz.geo_in(name)):
        return None  # Hoa Kỳ, Quảng Ninh
    if _NAMED_AFTER.search(text[max(0, at - 30) : at]):
        return None  # "tượng đài Chủ tịch Hồ Chí Minh", "đường Lê Duẩn": a thing, not a person
    return name, words[-1][1]


def _name_after_title(text: str, at: int, limit: int, gaz: Gazetteer) -> tuple[str, int] | None:
    """A name that ends a long title: the first known family name within 90 characters
    that opens 2-4 capitalised words followed by punctuation or a lower-case word."""
    window_end = min(limit, at + 90)
    for m in re.finditer(r"[^\W\d_]+", text[at:window_end]):
        if m.group(0) not in _SURNAMES or m.start() == 0:
            continue
        found = _name_at(text, at + m.start(), limit, gaz)
        if found is None:
            continue
        end = found[1]
        after = text[end : end + 2]
        if not after or after[0] in ",.;:)…!?" or (after[0] == " " and after[1:2].islower()):
            return found
    return None


def _rank_before(text: str, at: int, gaz: Gazetteer) -> str | None:
    window = text[max(0, at - 40) : at]
    ranks = gaz.ranks_in(window)
    if ranks and window[ranks[-1].end :].strip() == "":
        return ranks[-1].key
    return None


def _position_after(
    text: str, at: int, limit: int, gaz: Gazetteer, mentions: list[Match]
) -> tuple[str | None, str | None, int]:
    """`, Phó Giám đốc Công an TPHCM,` or ` - Bí thư Đảng ủy, Giám đốc Công an tỉnh`."""
    m = re.match(r"\s*(?:,|-|–|—)\s*", text[at:limit])
    if not m:
        return None, None, at
    start = at + m.end()
    positions = gaz.positions_in(text[start:limit])
    if not positions or positions[0].start != 0:
        return None, None, at
    end = start
    while True:
        stop = _POSITION_STOP.search(text, end, limit)
        seg_end = stop.start() if stop else limit
        comma = text.find(",", end, seg_end)
        if comma == -1:
            end = seg_end
            break
        nxt = text[comma + 1 : seg_end].lstrip()
        follows = gaz.positions_in(nxt)
        if follows and follows[0].start == 0:  # another title: "Bí thư Đảng ủy, Giám đốc ..."
            end = comma + 1 + (len(text[comma + 1 : seg_end]) - len(nxt)) + follows[0].end
            continue
        end = comma
        break
    position = text[start:end].strip(" ,-–")
    agency = _agency_in(mentions, start, end)
    return position or None, agency, end


# ---- topics, places ---------------------------------------------------------------------------


def topics_in(text: str) -> frozenset[str]:
    """The topics whose cues a text names (none if none): what a sentence is about."""
    low = text.lower()
    return frozenset(t for t, cues in _TOPIC_CUES.items() if any(c in low for c in cues))


def _topics(text: str, sentences: list[Sentence]) -> list[str]:
    body = " ".join(s.text for s in sentences if s.kind in FACT_KINDS).lower()
    found = [t for t, cues in _TOPIC_CUES.items() if any(c in body for c in cues)]
    return found or ["other"]


def _locations(article: Article, gaz: Gazetteer) -> list[str]:
    out: list[str] = []
    for s in article.sentences:
        if s.kind not in FACT_KINDS:
            continue
        for m in gaz.places_in(s.text):
            name = s.text[m.start : m.end]
            if name not in out:
                out.append(name)
    return out


# ---- engagements -------------------------------------------------------------------------------


def _event_kind(text: str) -> tuple[str | None, int]:
    """The kind whose cues weigh most: a visit is the frame of most events (a delegation
    travels to hold talks, sign, confer), so its cues count half."""
    low = _ANNIVERSARY_PHRASE.sub(" ", text).lower()
    best, score = None, 0.0
    for kind, cues in _EVENT_CUES.items():
        hits = sum(low.count(c) for c in cues) * (0.5 if kind == "visit" else 1.0)
        if kind == "handover":  # people handed over: "tiếp nhận 3 đối tượng truy nã"
            hits += 1.5 * len(_HANDED_OVER.findall(low))
        if hits > score:
            best, score = kind, hits
    return best, int(score * 2)


def _engagements(
    article: Article,
    gaz: Gazetteer,
    mentions: list[Match],
    ref: PartialDate | None,
    topics: list[str],
    home: str | None,
) -> list[EngagementFact]:
    facts = [s for s in article.sentences if s.kind in FACT_KINDS]
    if not facts:
        return []
    lead = facts[:3]
    # what the article reports, not what is planned: itineraries and "sẽ" do not count
    reported = [
        s for s in lead if not re.search(r"\bsẽ\b|^\s*Theo (?:lịch trình|chương trình)", s.text)
    ]
    lead_text = " ".join(s.text for s in reported or lead)
    found_kind, _ = _event_kind((article.title or "") + " " + lead_text)
    if found_kind is None:
        found_kind, _ = _event_kind(" ".join(s.text for s in facts))
    kind = found_kind or "other"
    # the main engagement's dates: the first date (a range preferred) in the lead
    when: date_rules.DateMention | None = None
    where: Sentence = lead[0]
    for s in facts[:6]:
        found = date_rules.find_dates(article.text, ref, s.start, s.end)
        ranged = [d for d in found if d.is_range]
        pick = (ranged or found)[0] if found else None
        if pick is not None and (when is None or (pick.is_range and not when.is_range)):
            when, where = pick, s
        if when is not None and when.is_range:
            break
    hosts, visitors = _sides(article, mentions, lead, home, kind)
    main = EngagementFact(
        where.start,
        where.end,
        kind,
        when.first if when else None,
        when.last if when else None,
        hosts,
        visitors,
        [],
        topics,
    )
    return [main, *_program(article, gaz, mentions, ref, main, facts)]


def _program(
    article: Article,
    gaz: Gazetteer,
    mentions: list[Match],
    ref: PartialDate | None,
    main: EngagementFact,
    facts: list[Sentence],
) -> list[EngagementFact]:
    """The rest of a delegation's trip (the modelling convention of hoptac/demo/seeds.yaml: one
    engagement per trip and per receiving agency). When the article gives the main event
    one day, other days of the same trip widen it: a day of talks before the signing, a
    later day touring the host's units ("ngày 10/12, Đoàn ... thăm Công an quận Tây Hồ",
    whose units become its places) or seeing the host's province. A later day at another
    agency ("Ngày 11/12, Đoàn ... làm việc với Công an tỉnh Quảng Ninh") is another visit by
    the same delegation."""
    if main.kind not in ("visit", "talks", "agreement_signing") or not main.hosts:
        return []  # a programme is a delegation's
    if main.date_start is None or main.date_start.precision.value != "day" or main.date_end:
        return []  # no day, or the article gave the trip's span itself
    first = main.date_start.first_day
    more: list[EngagementFact] = []
    for s in facts:
        if not re.search(r"\b[Đđ]oàn\b|hội đàm|làm việc|thăm|tham quan|ký kết|\blễ\b", s.text):
            continue
        found = [
            d for d in date_rules.find_dates(article.text, ref, s.start, s.end) if not d.is_range
        ]
        if len(found) != 1 or found[0].first.precision.value != "day":
            continue
        day = found[0].first
        gap = (day.first_day - first).days
        if not -3 <= gap <= 7 or gap == 0:
            continue
        visited = [m.key for m in mentions if s.start <= m.start < s.end]
        units = [k for k in visited if gaz.agency(k).parent in main.hosts]
        others = [
            k for k in visited if k not in units and k not in main.hosts and k not in main.visitors
        ]
        if not others:
            for k in units:
                if gaz.agency(k).name_vi not in main.places:
                    main.places.append(gaz.agency(k).name_vi)
            if day < main.date_start:
                main.date_end = main.date_end or main.date_start
                main.date_start = day
            elif main.date_end is None or day > main.date_end:
                main.date_end = day
        elif gap > 0 and re.search(r"thăm|làm việc", s.text):
            more.append(
                EngagementFact(
                    s.start, s.end, "visit", day, None, others[:1], list(main.visitors), [], []
                )
            )
    return more


def _sides(
    article: Article, mentions: list[Match], lead: list[Sentence], home: str | None, kind: str
) -> tuple[list[str], list[str]]:
    """Hosts and visitors: a delegation ("đoàn ... <agency>") visits the agency it goes to
    ("thăm, làm việc với <agency>", "tại trụ sở <agency>"); "cùng đoàn ..." is the host's
    own delegation."""
    text = article.text
    visitors: list[str] = []
    hosts: list[str] = []
    for s in lead:
        for m in mentions:
            if not s.start <= m.start < s.end:
                continue
            before = text[max(s.start, m.start - 45) : m.start].lower()
            host_cue = re.search(
                r"(?:tại trụ sở|tiếp|thăm|làm việc|hội đàm|với|tại)[^,.]{0,25}$", before
            )
            delegation = re.search(
                r"đoàn (?:đại biểu|công tác)(?: cấp cao)?\s*(?:của\s*)?$", before
            )
            if delegation and not re.search(r"cùng\s+đoàn[^,.]*$", before):
                if m.key not in visitors and m.key not in hosts:
                    visitors.append(m.key)
            elif host_cue and m.key not in hosts and m.key not in visitors:
                hosts.append(m.key)
    if kind == "agreement_signing" and not hosts:
        hosts = list(
            dict.fromkeys(m.key for m in mentions if lead[0].start <= m.start < lead[0].end)
        )
    if not hosts and not visitors and home:
        hosts = [home]
    return hosts, visitors


# ---- agreements ---------------------------------------------------------------------------------


def _agreements(
    article: Article,
    mentions: list[Match],
    ref: PartialDate | None,
    sides: list[str],
    main: EngagementFact | None = None,
) -> list[AgreementFact]:
    text = article.text
    out: list[AgreementFact] = []
    for s in article.sentences:
        if s.kind not in FACT_KINDS:
            continue
        for m in _AGREEMENT.finditer(s.text):
            if not m.group(0)[0].isupper():
                continue  # a title is capitalised: "Biên bản ghi nhớ", not "biên bản"
            if re.search(
                r"\bsẽ\b[^,.;]{0,40}\bký|\bxây dựng,? ký kết|\btiến tới ký", s.text[: m.start()]
            ):
                continue  # to be signed: a commitment, not an agreement
            start = s.start + m.start()
            title_end = _title_end(text, start, s.end)
            title = text[start:title_end].strip(" ,")
            if any(a.title.lower() == title.lower() for a in out):
                continue
            kind = next(k for w, k in _AGREEMENT_KINDS if w == m.group(0).lower())
            if kind == "talks_minutes" and not _SIGNED.search(s.text):
                continue
            parties = list(dict.fromkeys(x.key for x in mentions if s.start <= x.start < s.end))
            signed = _signed(s, ref)
            pairs = _pairs_named(text[start : s.end], sides)
            if pairs:  # "giữa Bộ Công an hai nước, ... Công an hai Thành phố": one each
                for pair in pairs[1:]:
                    out.append(AgreementFact(s.start, s.end, kind, title, pair, signed))
                parties = pairs[0]
            elif len(parties) < 2:  # "công an 2 đơn vị ký kết": the engagement's two sides
                parties = list(dict.fromkeys([*parties, *sides]))
            if (
                signed is None
                and main is not None
                and _SIGNED.search(s.text)
                and not _ANNIVERSARY.search(s.text)
                and (_AT_THE_EVENT.search(s.text) or main.kind == "agreement_signing")
            ):
                signed = main.date_start  # signed at the event the article reports
            out.append(AgreementFact(s.start, s.end, kind, title, parties[:4], signed))
    return out


def _pairs_named(after_title: str, sides: list[str]) -> list[list[str]]:
    """Parties written as pairs: "Bộ Công an hai nước" (the two sides' ministries) and
    "Công an hai Thành phố / tỉnh / Thủ đô" (the two sides themselves)."""
    gaz = gazetteer()
    pairs: list[list[str]] = []
    if re.search(r"Bộ Công an hai nước", after_title):
        countries = list(dict.fromkeys(gaz.agency(k).country for k in sides))
        ministries = [f"{c.lower()}-mps" for c in countries]
        if len(ministries) == 2 and all(_known(gaz, k) for k in ministries):
            pairs.append(ministries)
    two = re.search(r"Công an hai (?:Thành phố|thành phố|tỉnh|Thủ đô|địa phương)", after_title)
    if two and len(sides) >= 2:
        pairs.append(sides[:2])
    return pairs


def _known(gaz: Gazetteer, key: str) -> bool:
    try:
        gaz.agency(key)
    except KeyError:
        return False
    return True


def _title_end(text: str, start: int, limit: int) -> int:
    stop = re.compile(r"[,.;:()]|\s(?:đã|được|giữa hai|nhằm|với|vào|ngày|năm)\s")
    m = stop.search(text, start + 5, limit)
    return m.start() if m else limit


def _signed(s: Sentence, ref: PartialDate | None) -> PartialDate | None:
    anniversary = _ANNIVERSARY.search(s.text)
    if anniversary and ref is not None:
        years = int(anniversary.group(1))
        year_in = re.search(r"\b(?:Năm|năm)\s+((?:19|20)\d\d)\b", s.text)
        base = int(year_in.group(1)) if year_in else ref.year
        return PartialDate(base - years)
    verb = _SIGNED.search(s.text)
    if not verb:
        return None
    found = date_rules.find_dates(s.text, ref)
    # the date that follows the signing ("... ký năm 2019, ...") before any other
    after = [d for d in found if 0 <= d.start - verb.end() <= 30]
    return (after or found)[0].first if found else None


# ---- commitments ---------------------------------------------------------------------------------


def _commitments(
    article: Article, mentions: list[Match], ref: PartialDate | None, home: str | None
) -> list[CommitmentFact]:
    """Promises: a sentence whose main verb is future or agreed ("sẽ", "thống nhất",
    "tiếp tục", "nhận lời ... sẽ sang thăm"), not a wish, a request or an itinerary; the
    items of an agreed list ("... đã thống nhất:" then "Tiếp tục ...", "Tăng cường ...;
    nghiên cứu ..."), clause by clause; and a sentence that carries one on ("Đặc biệt ...")."""
    out: list[CommitmentFact] = []
    facts = [s for s in article.sentences if s.kind in FACT_KINDS]
    in_list = 0  # sentences left in an agreed list
    previous: CommitmentFact | None = None
    for s in facts:
        text = s.text.strip()
        if in_list and _ACTION.match(text):
            for start, end in _clauses(article.text, s.start, s.end):
                out.append(_commitment(article, start, end, mentions, ref, home, listed=True))
            previous = out[-1]
            in_list -= 1
            continue
        in_list = 0
        if _AGREED.search(text):
            in_list = 12
            previous = None
            continue
        if previous is not None and _CONTINUES.match(text) and _ACTION.search(text[:40]):
            out.append(
                _commitment(article, s.start, s.end, mentions, ref, home, owner=previous.owner)
            )
            previous = out[-1]
            continue
        previous = None
        if _SCHEDULE.match(text) or (_NOT_A_PROMISE.search(text) and "nhận lời" not in text):
            continue
        cue = _COMMITMENT_CUES.search(text)
        if cue is None or (
            not _FUTURE.search(text) and not re.search(r"thống nhất|nhất trí|cam kết", text, re.I)
        ):
            continue
        head = text[: cue.start()]
        if re.search(r"\bđã\b", head):
            continue  # "... đã tiếp nhận ...": something done, not promised
        out.append(_commitment(article, s.start, s.end, mentions, ref, home))
        previous = out[-1]
    return out


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A list item's clauses: "Tăng cường ...; nghiên cứu, đề xuất ..." is two promises."""
    out, s = [], start
    for m in re.finditer(r";\s+", text[start:end]):
        out.append((s, start + m.start()))
        s = start + m.end()
    out.append((s, end))
    return [(a, b) for a, b in out if b - a > 15]


def _commitment(
    article: Article,
    start: int,
    end: int,
    mentions: list[Match],
    ref: PartialDate | None,
    home: str | None,
    owner: str | None = None,
    listed: bool = False,
) -> CommitmentFact:
    text = article.text[start:end].strip()
    sentence = Sentence(start, end, text, "text")
    if owner is None:
        owner = (
            home
            if listed and not _starts_with_agency(sentence, mentions)
            else _owner(article, sentence, mentions, home)
        )
    due = None
    for d in date_rules.find_dates(text, ref):
        if re.search(
            r"(?:trong|vào|đến|trước|cuối)\s+(?:thời điểm thích hợp trong\s+)?"
            + re.escape(text[d.start : d.end]),
            text,
        ):
            due = d.last or d.first
    return CommitmentFact(start, end, text, owner, due)


def _partner(mentions: list[Match], home: str | None, side: str) -> str | None:
    """The agency "phía bạn" (the partner side) or "phía Hàn Quốc" means: the first
    agency of that country named in the article, or the first not of the home country."""
    gaz = gazetteer()
    home_country = gaz.agency(home).country if home else "VN"
    wanted = None
    if side != "bạn":
        found = gaz.countries_in(side)
        wanted = found[0].key if found else None
    for m in mentions:
        country = gaz.agency(m.key).country
        if (wanted and country == wanted) or (not wanted and country != home_country):
            return m.key
    return home


def _starts_with_agency(s: Sentence, mentions: list[Match]) -> bool:
    return any(s.start <= m.start < s.start + 12 for m in mentions)


def _owner(article: Article, s: Sentence, mentions: list[Match], home: str | None) -> str | None:
    """Who owes it: the first agency named before the verb (the subject); "hai bên" (both
    sides) is recorded as owed by the article's Vietnamese agency."""
    cue = _COMMITMENT_CUES.search(s.text)
    head = s.text[: cue.start()] if cue else s.text
    if re.search(
        r"\bhai (?:bên|đơn vị|Bên|Thủ đô|Thành phố|tỉnh)\b|\b2 (?:bên|đơn vị)\b", head, re.I
    ):
        return home
    inside = [m for m in mentions if s.start <= m.start < s.start + len(head)]
    if inside:
        return inside[0].key
    side = re.search(r"\bphía (bạn|[A-ZĐ][^\s,.;]*(?: [A-ZĐ][^\s,.;]*)?)", head)
    if side:
        return _partner(mentions, home, side.group(1))
    return home
