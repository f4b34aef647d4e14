"""In a real browser (Debian's chromium): a 10,000-letter word wraps instead of widening the
page; the phone's menu folds; the hotline's set-up command stays inside its card.
Screenshots go to $HOPTAC_SHOTS when it is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hoptac.db import migrate
from hoptac.db.engine import make_engine, make_sessionmaker, transaction
from hoptac.db.models import Commitment
from hoptac.registry import demo
from hoptac.settings import Settings
from hoptac.types import CommitmentStatus
from hoptac.web.app import create_app
from tests.helpers.browser import CHROMIUM, sign_in
from tests.helpers.live import serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
WORD = "A" * 10_000
VIEWPORTS = {"laptop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def long_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The demo, plus a commitment whose description is one 10,000-letter word (stored
    before the limits existed: the pages must still hold it). No hotline identity."""
    home = tmp_path_factory.mktemp("ui")
    url = f"sqlite:///{home / 'app.db'}"
    migrate.upgrade(url)
    with transaction(make_sessionmaker(make_engine(url))) as session:
        demo.load(session)
        c = session.scalar(sa.select(Commitment).order_by(Commitment.id))
        assert c is not None
        long = Commitment(
            description=WORD,
            owed_by_id=c.owed_by_id,
            owner_agency_id=c.owner_agency_id,
            sharing=c.sharing,
            status=CommitmentStatus.OPEN,
            evidence=WORD,
        )
        session.add(long)
        session.flush()
        long_id = long.id
    with serve(create_app(Settings(home=home, database_url=url, exchange_sender=False))) as url_:
        yield url_, long_id


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("HOPTAC_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_ten_thousand_letter_word_wraps(
    long_server: tuple[str, int], browser: Any, viewport: str
) -> None:
    base, long_id = long_server
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}/login")
    sign_in(page)
    for path in (f"/commitments/{long_id}", "/commitments", "/", f"/commitments/{long_id}/edit"):
        page.goto(base + path)
        name = path.strip("/").replace("/", "-") or "dashboard"
        _shot(page, f"long-{name}-{viewport}")
        assert _width(page) <= width, (path, _width(page))
    # a search of 10,000 letters: the box takes no more than the server accepts
    page.goto(f"{base}/people")
    box = page.locator('input[name="q"]')
    box.fill(WORD)
    assert len(box.input_value()) == 200
    context.close()


def test_the_phone_menu_is_one_row(long_server: tuple[str, int], browser: Any) -> None:
    """On a phone the menu is one row that scrolls sideways, the current page's link in
    view; the whole top bar takes less than 120 of the 844 px."""
    base, _ = long_server
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{base}/login")
    sign_in(page)
    page.goto(f"{base}/registers")
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] < 120, header
    tops = page.evaluate(
        "[...document.querySelectorAll('.mainnav a')].map(a => a.getBoundingClientRect().top)"
    )
    assert len(tops) >= 10 and len(set(tops)) == 1, tops
    current = page.locator(".mainnav a[aria-current]").bounding_box()
    assert current is not None and current["x"] >= 0 and current["x"] + current["width"] <= 390
    _shot(page, "menu-phone")
    page.get_by_role("link", name="Cam kết").click()
    page.wait_for_url("**/commitments")
    assert _width(page) <= 390
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_hotline_setup_command_stays_in_its_card(
    long_server: tuple[str, int], browser: Any, viewport: str, lang: str
) -> None:
    base, _ = long_server
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}/login")
    sign_in(page)
    page.goto(f"{base}/lang/{lang}?next=/hotline")
    answer = page.request.get(f"{base}/hotline")
    assert answer.status == 200
    cmd = page.locator("pre.cmd")
    assert "hoptac init" in cmd.inner_text()
    fits = page.evaluate(
        "() => { const c = document.querySelector('pre.cmd'); const card = c.closest('.card');"
        " const a = c.getBoundingClientRect(), b = card.getBoundingClientRect();"
        " return c.scrollWidth <= c.clientWidth && a.right <= b.right + 0.5; }"
    )
    _shot(page, f"hotline-setup-{lang}-{viewport}")
    assert fits
    assert _width(page) <= width
    context.close()
