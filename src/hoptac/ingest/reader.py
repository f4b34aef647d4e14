"""Reading an article: bytes in, the text with its header, blocks and sentences out.

The text is decoded (UTF-8 only) and NFC-normalised once; every offset anywhere in ingest
refers to that text (`Article.text`), so that a fact can point at its passage.

Blocks are lines, each with a kind:
- `header`: `url:`, `title:`, `date:` lines at the top, or a leading `date 2024-06`;
- `title`: the first line, when short and unpunctuated (and no header title was given);
- `boilerplate`: audio-player menus ("0:00 / 0:00", "Nam miền Bắc"), share/print lines;
- `source`: a bylined source ("Nguồn: ...", "Theo ...", a trailing "PV" or outlet name);
- `caption`: a photo caption — a short unpunctuated line between paragraphs, or a line
  said twice; captions may name people, but no event, date or commitment is read in one;
- `text`: everything else.
A leading outlet tag ("(PLO)-", "ANTD.VN - ") on a text line is cut off as `source`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser

from hoptac.errors import InvalidInput
from hoptac.types import PartialDate

MAX_BYTES = 1_000_000  # an article, even a long report, is far below this
FACT_KINDS = ("title", "text")  # blocks events, dates and commitments are read from


class IngestError(InvalidInput):
    """The input cannot be read as a Vietnamese article; nothing is stored."""


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    kind: str  # the kind of its block


@dataclass
class Article:
    text: str
    url: str | None = None
    title: str | None = None
    published: PartialDate | None = None
    blocks: list[Block] = field(default_factory=list)

    @cached_property
    def sentences(self) -> list[Sentence]:
        """Sentences of the title, text and caption blocks, in order."""
        out = []
        for b in self.blocks:
            if b.kind not in (*FACT_KINDS, "caption"):
                continue
            for start, end in _split(self.text, b.start, b.end):
                out.append(Sentence(start, end, self.text[start:end], b.kind))
        return out


_HEADER = re.compile(r"^\s*(url|title|date|published|source)\s*:\s*(.*?)\s*$", re.I)
_LEADING_DATE = re.compile(r"^\s*date\s+(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)\s*", re.I)
_PLAYER = re.compile(
    r"^\s*(?:\d{1,2}:\d{2}(?:\s*/\s*\d{1,2}:\d{2})?"
    r"|[•·\-–]?\s*(?:Nam|Nữ)\s+miền\s+(?:Bắc|Nam|Trung)"
    r"|(?:Chia sẻ|In bài|Bình luận|Lưu bài|Nghe bài|Theo dõi|Xem thêm|Tin liên quan|Share)"
    r"\b.{0,40})\s*$",
    re.I,
)
_SOURCE_LINE = re.compile(
    r"^\s*(?:Nguồn\b.*|Theo\s+[^.,;]{2,60}|\(?(?:PV|CTV|TTXVN|Báo\s+[^.,;]{2,40})\)?\.?)\s*$",
    re.I,
)
_OUTLET_TAG = re.compile(
    r"\s*(?:\((?:[A-ZĐ][A-Za-zĐ.]{1,15})\)\s*[-–—]\s*|[A-ZĐ][A-Z.]{2,15}(?:\.VN|\.vn)\s*[-–—]\s*)"
)
_URL = re.compile(r"https?://\S+")
_PHOTO = re.compile(r"\bảnh\s*\d+", re.I)
_END_PUNCT = '.!?…:;"”)»'
CAPTION_MAX = 220  # characters


def decode(data: bytes | str, name: str = "input") -> str:
    """The text of a file, or a clear refusal (empty, too large, binary, not UTF-8)."""
    if isinstance(data, str):
        raw_len = len(data.encode("utf-8", errors="replace"))
        text = data
    else:
        raw_len = len(data)
        if raw_len > MAX_BYTES:
            raise IngestError(
                f"{name}: {raw_len:,} bytes is too large for an article (at most {MAX_BYTES:,})"
            )
        if b"\x00" in data[:4096]:
            raise IngestError(f"{name}: a binary file, not a text article")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{name}: not UTF-8 text (byte {exc.start}); save the article as UTF-8"
            ) from None
    if raw_len > MAX_BYTES:
        raise IngestError(
            f"{name}: {raw_len:,} bytes is too large for an article (at most {MAX_BYTES:,})"
        )
    if not text.strip():
        raise IngestError(f"{name}: empty, there is no article to read")
    control = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if control > len(text) // 100 + 2:
        raise IngestError(f"{name}: a binary file, not a text article")
    text = strip_markup(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise IngestError(f"{name}: empty, there is no article to read")
    return unicodedata.normalize("NFC", text)


# Markup pasted with web text: a tag (`<b>`, `</p>`, `<img src=...>`, `<!-- -->`) or an
# entity (`&nbsp;`, `&#7871;`). Plain text with a lone "<" or "&" is left alone.
_MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--|&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});"
)
_BLOCK_TAGS = frozenset(
    "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote section article header footer "
    "figure figcaption pre hr dd dt".split()
)
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})


class _TextOnly(HTMLParser):
    """The text of an HTML fragment: tags dropped (block tags end a line), entities
    resolved, the content of script/style/head dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def strip_markup(text: str) -> str:
    """The text without HTML tags and entities (pasted web text often carries them); text
    without markup is returned as it is. Non-breaking spaces become spaces, runs of blank
    lines one blank line."""
    if not _MARKUP.search(text):
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    out = "".join(parser.parts).replace("\u00a0", " ")
    out = re.sub(r"[ \t]+\n", "\n", out)
    out = re.sub(r"\n[ \t]+", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip("\n")


# Frequent Vietnamese words (with their diacritics): an article has many.
_VI_WORDS = frozenset(
    "của và các được với trong cho những đã là có này một không người về tại công an "
    "để từ đến khi hai bên đoàn ngày năm tỉnh thành phố việt nam hợp tác tội phạm".split()
)


def check_vietnamese(text: str, name: str = "input") -> None:
    words = re.findall(r"\w+", text.lower())
    if not words:
        raise IngestError(f"{name}: no words to read")
    share = sum(1 for w in words if w in _VI_WORDS) / len(words)
    if share < 0.08:
        raise IngestError(
            f"{name}: this does not read as Vietnamese ({share:.0%} common Vietnamese words); "
            "ingest reads Vietnamese articles and reports"
        )


def read(data: bytes | str, name: str = "input") -> Article:
    """An article from a file's bytes (or text): header, blocks, checked to be Vietnamese."""
    text = decode(data, name)
    article = Article(text)
    lines = _lines(text)
    body_start = _header(article, lines)
    body = [(s, e) for s, e in lines if e > body_start]
    _classify(article, body, body_start)
    facts = " ".join(text[b.start : b.end] for b in article.blocks if b.kind in FACT_KINDS)
    check_vietnamese(facts or text, name)
    return article


def _lines(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in re.finditer(r"\n", text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def _header(article: Article, lines: list[tuple[int, int]]) -> int:
    """Read header lines; returns where the body starts."""
    text = article.text
    end = 0
    for s, e in lines:
        line = text[s:e]
        if not line.strip() and end == 0:
            continue
        m = _HEADER.match(line)
        if not m:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key == "url":
            article.url = value or None
        elif key == "title":
            article.title = value or None
        elif key in ("date", "published"):
            article.published = _published(value)
        article.blocks.append(Block(s, e, "header"))
        end = e + 1
    if end == 0 and (m := _LEADING_DATE.match(text)):
        article.published = _published(m.group(1))
        article.blocks.append(Block(0, m.end(), "header"))
        end = m.end()
    return end


def _published(value: str) -> PartialDate | None:
    m = re.search(r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}", value)
    if not m:
        return None
    try:
        return PartialDate.parse(m.group(0))
    except ValueError:
        return None


def _published_in_url(url: str) -> PartialDate | None:
    """News sites put the month in the path: /202312/, /2024/06/, -20240615."""
    for pattern in (r"/(20\d\d)(0[1-9]|1[0-2])/", r"/(20\d\d)/(0[1-9]|1[0-2])/"):
        if m := re.search(pattern, url):
            return PartialDate(int(m.group(1)), int(m.group(2)))
    return None


def _classify(article: Article, lines: list[tuple[int, int]], body_start: int) -> None:
    text = article.text
    stripped = [(s, e, text[s:e].strip()) for s, e in lines]
    seen: dict[str, int] = {}
    for _, _, t in stripped:
        if t:
            seen[t] = seen.get(t, 0) + 1
    first = True
    for i, (s, e, line) in enumerate(stripped):
        if s < body_start:
            s = body_start
            line = text[s:e].strip()
        if not line:
            continue
        lead = s + (len(text[s:e]) - len(text[s:e].lstrip()))
        end = lead + len(line)
        kind = _kind(line, stripped, i, seen, first and article.title is None)
        if first and kind == "title":
            article.title = line
        first = False
        if kind == "text" and (tag := _OUTLET_TAG.match(text, lead, end)):
            article.blocks.append(Block(lead, tag.end(), "source"))
            lead = tag.end()
        article.blocks.append(Block(lead, end, kind))
        if kind == "source" and article.url is None and (url := _URL.search(line)):
            article.url = url.group(0)
    if article.published is None and article.url:
        article.published = _published_in_url(article.url)


def _kind(
    line: str,
    lines: list[tuple[int, int, str]],
    i: int,
    seen: dict[str, int],
    may_be_title: bool,
) -> str:
    if _PLAYER.match(line):
        return "boilerplate"
    if _SOURCE_LINE.match(line) and (i >= len(lines) - 3 or len(line) < 40):
        return "source"
    short = len(line) <= CAPTION_MAX and not line.endswith(tuple(_END_PUNCT))
    if may_be_title and len(line) <= CAPTION_MAX and not line.endswith(tuple(".!?…:;")):
        return "title"
    if (seen.get(line, 0) > 1 and len(line) <= CAPTION_MAX) or _PHOTO.search(line[:40]):
        return "caption"
    if short and len(line.split()) >= 3:
        return "caption"
    return "text"


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]?\s+(?=[\"“«(]?[A-ZÀ-ỸĐ0-9])")


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], cut after . ! ? … before a capital or digit
    (not inside an abbreviation such as TP.HCM, which has no space after the dot)."""
    out, s = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        out.append((s, m.start() + len(m.group(0).rstrip())))
        s = m.end()
    if s < end:
        out.append((s, end))
    return [(a, b) for a, b in out if text[a:b].strip()]
