"""Pasted web text: HTML tags and entities are stripped before the language is judged, and
the stored text is the clean text (finding: Vietnamese with a few `<b>`/`<img>` tags was
refused as "not Vietnamese")."""

from __future__ import annotations

import pytest

from hoptac import demofiles
from hoptac.ingest.extract import extract
from hoptac.ingest.reader import IngestError, read, strip_markup

ARTICLE = (demofiles.ARTICLES / "001_b52667d22c19e3db.txt").read_text(encoding="utf-8")


def _as_web_page(text: str) -> str:
    """The article as a browser's "copy" of the page gives it: every paragraph in <p>,
    bold names, images between paragraphs, entities, a script and a style block."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    body = "\n".join(
        f"<p>{p.replace('Đại tá', '<b>Đại tá</b>').replace(' và ', ' &amp;nbsp;và ')}</p>"
        f'<img src="https://x.vn/a{i}.jpg" alt="ảnh">'
        for i, p in enumerate(paragraphs)
    ).replace("&amp;nbsp;", "&nbsp;")
    return (
        "<html><head><title>Báo</title><style>p { color: red }</style></head><body>"
        f'<script>var tracker = "<b>x</b>";</script>{body}</body></html>'
    )


def test_a_few_tags_do_not_make_vietnamese_foreign() -> None:
    text = (
        "Đoàn công tác <b>Công an tỉnh Khánh Hòa</b> đã thăm và làm việc với Công an tỉnh "
        'Chiết Giang.<img src="https://baokhanhhoa.vn/a.jpg"> Hai bên thống nhất tăng cường '
        "hợp tác phòng, chống tội phạm xuyên quốc gia trong năm 2024."
    )
    article = read(text)
    assert "<" not in article.text and "Công an tỉnh Khánh Hòa đã thăm" in article.text
    keys = {a.canonical for a in extract(article).agencies}
    assert {"vn-khanh-hoa-police", "cn-zhejiang-psd"} <= keys


def test_a_pasted_web_page_reads_as_the_article() -> None:
    page = _as_web_page(ARTICLE)
    article = read(page.encode("utf-8"))
    plain = read(ARTICLE)
    assert "<" not in article.text and "&nbsp;" not in article.text
    assert "tracker" not in article.text and "color: red" not in article.text
    people = {p.name for p in extract(article).people}
    assert people == {p.name for p in extract(plain).people}
    assert {a.canonical for a in extract(article).agencies} == {
        a.canonical for a in extract(plain).agencies
    }


def test_strip_markup_keeps_text_and_drops_script_and_style() -> None:
    assert strip_markup("a <b>b</b> c&nbsp;d &amp; e &#7871;") == "a b c d & e ế"
    assert strip_markup("x<script>alert('<b>')</script>y<style>p{}</style>z") == "xyz"
    assert strip_markup("<p>một</p><p>hai</p>").split() == ["một", "hai"]
    # text without markup is left exactly as it is (a lone < or & is not markup)
    for plain in ("a < b và c & d", "Tỷ lệ <5% & tăng", "x -> y"):
        assert strip_markup(plain) == plain


def test_markup_alone_is_empty() -> None:
    with pytest.raises(IngestError, match="empty"):
        read("<p> </p><img src='a.jpg'><script>var a = 'Công an tỉnh';</script>")
