"""Issue 17's acceptance, in a real browser (Debian's chromium) across two real nodes
(`hoptac serve` processes on loopback whose senders deliver the signed envelopes):

1. Hanoi screens a hotel register against its notices (the commands an operator runs);
   its officer confirms the hit in the review queue.
2. From the hit, "Ask the partner…": the form comes filled in; the officer makes it a
   hand-over (surrender) to Beijing with its legal basis, saves and submits it; a second
   person of Hanoi, an admin, validates it and it leaves.
3. Beijing's officer sees it arrive, acknowledges, accepts, starts, and records the
   handover at the Móng Cái border gate with the form on the request's page.
   Hanoi had sent the notice to Beijing from its page, so Beijing's copy of it (read-only
   there) is linked from the request's person.
4. Hanoi reads the request answered, with the handover card, and its notice executed;
   Beijing's copy of the notice shows "executed" too (Hanoi's node sent the change).
5. Hanoi opens a case, ties in the request, the hit and the notice; the case's timeline
   shows every step of the request, the hit's decision, the notice and the case's own
   events.

Screenshots at 1366 and 390 px (the request on Beijing with its handover form, on Hanoi
with its handover card, the case's timeline) go to tmp_path and /tmp/acceptance/."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM
from tests.helpers.browser_nodes import add_user, sign_in
from tests.helpers.nodes import NodeProcess, run_cli
from tests.helpers.screening import NOTICE_HEADER, REGISTER_HEADER

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
KINDS = "message,request,notice"
WIDTHS = {1366: 900, 390: 844}
SHARED = Path("/tmp/acceptance")  # for the engineer reading the screenshots
DELIVERY = 20.0  # seconds a step may take to reach the other node (it takes one or two)
BUDGET = 90.0  # seconds the whole flow may take

NOTICE = "王健"
NOTICES = f"""{NOTICE_HEADER}
HN-TN-2026-017,{NOTICE},Wang Jian,1985-03-07,M,CN,E12345678,Bộ Công an Trung Quốc,lừa đảo
"""
RECORD = "Vương Kiện"
REGISTER = f"""{REGISTER_HEADER}
KS-0042,{RECORD},1985-03-07,M,CN,E12345678,hotel,2026-01-10T22:10
"""
GATE = "Cửa khẩu quốc tế Móng Cái"
BASIS = "Hiệp ước dẫn độ giữa Việt Nam và Trung Quốc (2015), Điều 3"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """Hanoi (an officer and an admin) and Beijing (an officer), peered both ways for
    messages, requests and notices."""
    a = NodeProcess(tmp_path / "hanoi", "vn-hanoi-pd", "Công an thành phố Hà Nội")
    b = NodeProcess(tmp_path / "beijing", "cn-beijing-psb", "北京市公安局")
    for me, other in ((a, b), (b, a)):
        card = tmp_path / f"{other.node_id}.card.json"
        run_cli("peer", "card", "--data", str(other.home), "--output", str(card))
        run_cli(
            "peer", "add", str(card), "--data", str(me.home), "--yes",
            "--send", KINDS, "--receive", KINDS,
        )  # fmt: skip
    add_user(a, "hn_officer", "officer")
    add_user(a, "hn_admin", "admin")
    add_user(b, "bj_officer", "officer")
    a.start()
    b.start()
    yield a, b
    for node in (a, b):
        node.stop()


class Flow:
    """The browser side of the test: one context per person, each signing in once (a
    browser keeps cookies by host, not port, and both nodes are on 127.0.0.1), a deadline
    for the whole flow, and the screenshots."""

    def __init__(self, browser: Any, shots: Path) -> None:
        self.browser, self.shots = browser, shots
        self.deadline = time.monotonic() + BUDGET
        self.contexts: list[Any] = []
        shots.mkdir(parents=True, exist_ok=True)
        SHARED.mkdir(parents=True, exist_ok=True)

    def person(self, node: NodeProcess, username: str) -> Any:
        context = self.browser.new_context(
            viewport={"width": 1366, "height": 900}, locale="vi-VN", base_url=node.url
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        sign_in(page, username)
        return page

    def left(self) -> float:
        remaining = self.deadline - time.monotonic()
        assert remaining > 0, f"the flow took more than {BUDGET:.0f} s"
        return remaining

    def until_shown(self, page: Any, locator: Any, what: str) -> None:
        """Reload the page until `locator` shows (a step travelling between the nodes)."""
        from playwright.sync_api import expect

        deadline = time.monotonic() + min(DELIVERY, self.left())
        while True:
            try:
                expect(locator).to_be_visible(timeout=1_000)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {what} on {page.url}") from None
                page.reload()

    def shoot(self, page: Any, name: str) -> None:
        """The page, whole, at each width; nothing on it wider than the screen."""
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            path = self.shots / f"{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            shutil.copy(path, SHARED / path.name)
            scroll = int(page.evaluate("document.documentElement.scrollWidth"))
            assert scroll <= width, f"{name} is {scroll} px wide at {width} px"
        page.set_viewport_size({"width": 1366, "height": 900})

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _state(page: Any) -> Any:
    return page.locator(".request-head .badge").first


def _step(page: Any, button: str, state: str) -> None:
    """Take a step of the request with its button; the page then shows the new state."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Đã thực hiện")
    expect(_state(page)).to_have_text(state)


def _screen(a: NodeProcess, tmp_path: Path, register: int) -> None:
    """Hanoi's operator imports the notice and the register, and screens them."""
    notices, records = tmp_path / "notices.csv", tmp_path / "register.csv"
    notices.write_text(NOTICES, encoding="utf-8")
    records.write_text(REGISTER, encoding="utf-8")
    data = ["--data", str(a.home), "--user", "hn_officer"]
    out = run_cli("screening", "import-notices", str(notices), *data)
    assert "1 added" in out, out
    out = run_cli("screening", "import-records", str(register), str(records), *data)
    assert "1 added" in out, out
    out = run_cli("screening", "run", str(register), *data)
    assert "1 hits (1 to review)" in out, out


def test_a_confirmed_hit_becomes_a_handover_at_mong_cai_across_two_nodes(
    pair: tuple[NodeProcess, NodeProcess], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    a, b = pair
    flow = Flow(browser, tmp_path / "shots")
    try:
        # 1. Hanoi: a register, the screening run, the hit confirmed in the review queue
        hn = flow.person(a, "hn_officer")
        hn.goto("/registers/new")
        hn.locator("#name").fill("Lưu trú khách sạn quận Hoàn Kiếm")
        hn.locator("#kind").select_option("hotel")
        hn.get_by_role("button", name="Lưu", exact=True).click()
        hn.wait_for_url("**/registers/*?saved=1")
        register = int(hn.url.split("/registers/")[1].split("?")[0])
        _screen(a, tmp_path, register)
        hn.goto("/screening")
        hn.get_by_role("link", name="Hàng chờ xem xét").click()
        hn.get_by_role("link", name=NOTICE).click()
        hn.wait_for_url("**/screening/hits/*")
        hit = int(hn.url.rsplit("/", 1)[1])
        notice_href = hn.locator("table.cmp thead a").first.get_attribute("href")
        assert notice_href is not None and notice_href.startswith("/notices/")
        notice = int(notice_href.rsplit("/", 1)[1])
        reason = "Cùng số hộ chiếu E12345678 và ngày sinh 07/03/1985; ảnh khớp với hồ sơ."
        hn.get_by_label("Lý do").fill(reason)
        hn.get_by_role("button", name="Xác nhận: cùng một người").click()
        expect(hn.get_by_role("heading", name="Kết luận")).to_contain_text("Đã xác nhận")
        # ... and the notice goes to Beijing from its page
        hn.goto(f"/notices/{notice}")
        hn.locator(f'input[name="to"][value="{b.node_id}"]').check()
        hn.get_by_role("button", name="Gửi lệnh truy nã").click()
        hn.wait_for_url(f"**/notices/{notice}?sent=1")
        expect(hn.locator("section#partners")).to_contain_text(b.node_id)
        hn.goto(f"/screening/hits/{hit}")

        # 2. From the hit, a hand-over request, saved, submitted and validated by an admin
        hn.get_by_role("link", name="Đề nghị đối tác…").click()
        hn.wait_for_url(f"**/requests/new?hit={hit}")
        assert hn.locator('input[name="hit_id"]').input_value() == str(hit)
        assert hn.locator('input[name="notice_id"]').input_value() == str(notice)
        assert hn.locator("#title").input_value() == NOTICE
        assert hn.locator("#persons").input_value().startswith(f"{RECORD} | 1985-03-07")
        expect(hn.locator("#summary")).to_contain_text(reason)
        hn.locator("#to").select_option(b.node_id)
        hn.locator("#kind").select_option("surrender")
        expect(hn.locator("#kind option:checked")).to_contain_text("Bàn giao")
        hn.locator("#legal_basis").fill(BASIS)
        hn.get_by_role("button", name="Lưu bản nháp").click()
        hn.wait_for_url("**/requests/*?created=1")
        uid = hn.url.split("/requests/")[1].split("?")[0]
        expect(_state(hn)).to_have_text("Dự thảo")
        _step(hn, "Trình phê duyệt", "Chờ phê duyệt")
        # four eyes: the author may not validate
        expect(hn.get_by_role("button", name="Phê duyệt và gửi")).to_have_count(0)
        boss = flow.person(a, "hn_admin")
        boss.goto(f"/requests/{uid}")
        _step(boss, "Phê duyệt và gửi", "Đã gửi")

        # 3. Beijing: it arrives; acknowledged, accepted, started, handed over at Móng Cái
        bj = flow.person(b, "bj_officer")
        bj.goto("/requests")
        flow.until_shown(bj, bj.get_by_role("link", name=NOTICE), "the request on Beijing")
        bj.get_by_role("link", name=NOTICE).click()
        bj.wait_for_url(f"**/requests/{uid}")
        expect(bj.get_by_text(BASIS)).to_be_visible()
        expect(_state(bj)).to_have_text("Đã chuyển đến")
        copy_href = bj.locator('.msg-text ~ ul a[href^="/notices/"]').first.get_attribute("href")
        assert copy_href is not None, "the person is not linked to Beijing's copy of the notice"
        _step(bj, "Tiếp nhận", "Đã tiếp nhận")
        bj.locator("#accept-ref").fill("BJ-2026-0117")
        _step(bj, "Chấp nhận", "Đã chấp nhận")
        _step(bj, "Bắt đầu thực hiện", "Đang thực hiện")
        form = bj.locator("section#handover form")
        assert form.locator("#ho-persons").input_value() == RECORD
        assert form.locator("#ho-handing").input_value() == "北京市公安局"
        assert form.locator("#ho-receiving").input_value() == "Công an thành phố Hà Nội"
        at = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
        form.locator("#ho-place").fill(GATE)
        form.locator("#ho-at").fill(at.strftime("%Y-%m-%dT%H:%M"))
        form.locator("#ho-hofficers").fill("Trương Vĩ (张伟)\nLý Na (李娜)")
        form.locator("#ho-rofficers").fill("Thiếu tá Nguyễn Văn An\nĐại úy Trần Thị Bình")
        form.locator("#ho-documents").fill(
            "Biên bản bàn giao số 17/BB-2026\nHộ chiếu E12345678\nQuyết định dẫn độ"
        )
        form.locator("#ho-text").fill(f"Đã bàn giao {RECORD} tại {GATE}.")
        flow.shoot(bj, "beijing-request-handover-form")
        form.get_by_role("button", name="Ghi nhận bàn giao đối tượng").click()
        bj.wait_for_url("**?done=handover")
        expect(_state(bj)).to_have_text("Đã trả lời")
        expect(bj.locator("section#handover")).to_contain_text(GATE)

        # 4. Hanoi: answered, with the handover card; its notice executed
        hn.goto(f"/requests/{uid}")
        card = hn.locator("section#handover")
        flow.until_shown(hn, card.get_by_role("heading", name="Bàn giao đối tượng"), "handover")
        expect(_state(hn)).to_have_text("Đã trả lời")
        for text in (GATE, RECORD, "北京市公安局", "Đại úy Trần Thị Bình",
                     "Biên bản bàn giao số 17/BB-2026", "bj_officer"):  # fmt: skip
            expect(card).to_contain_text(text)
        expect(hn.locator(".request-head")).to_contain_text("BJ-2026-0117")  # their ref
        flow.shoot(hn, "hanoi-request-handover-card")
        hn.goto(f"/notices/{notice}")
        expect(hn.locator(".kicker .badge")).to_have_text("Đã bắt giữ / tìm thấy")
        # ... and on Beijing, its copy of Hanoi's notice, read-only there
        bj.goto(copy_href)
        executed = bj.locator(".kicker .badge", has_text="Đã bắt giữ / tìm thấy")
        flow.until_shown(bj, executed, "the executed notice on Beijing")
        expect(bj.locator(".notice-origin")).to_contain_text("Công an thành phố Hà Nội")
        expect(bj.locator('form[action$="/status"]')).to_have_count(0)
        flow.shoot(bj, "beijing-notice-executed")

        # 5. Hanoi: a case tying in the request, the hit and the notice; its timeline
        hn.goto("/cases")
        hn.locator("#case-title").fill(f"Dẫn độ {RECORD} ({NOTICE})")
        hn.locator("#case-summary").fill("Truy nã HN-TN-2026-017; bàn giao tại Móng Cái.")
        hn.get_by_role("button", name="Mở hồ sơ", exact=True).click()
        hn.wait_for_url("**/cases/*?done=opened")
        for kind, target in (("request", uid), ("hit", str(hit)), ("notice", str(notice))):
            hn.locator("#links summary").click()
            hn.locator("#link-kind").select_option(kind)
            hn.locator("#link-target").fill(target)
            hn.get_by_role("button", name="Liên kết", exact=True).click()
            hn.wait_for_url("**?done=linked#links")
        expect(hn.locator("#links .count")).to_have_text("3")
        timeline = hn.locator("#timeline")
        steps = timeline.locator("li:has(.src-request) strong").all_inner_texts()
        assert steps == [
            "Trả lời", "Bắt đầu thực hiện", "Chấp nhận", "Tiếp nhận",
            "Ghi nhận đã chuyển đến", "Phê duyệt và gửi", "Trình phê duyệt",
        ], steps  # fmt: skip
        own = timeline.locator("li:has(.src-case) strong").all_inner_texts()
        assert own == ["Liên kết bản ghi"] * 3 + ["Mở hồ sơ"], own
        expect(timeline.locator("li:has(.src-hit)")).to_contain_text("Đã xác nhận")
        expect(timeline.locator("li:has(.src-hit)")).to_contain_text(reason)
        expect(timeline.locator("li:has(.src-notice)")).to_contain_text("Đã bắt giữ / tìm thấy")
        answer = timeline.locator("li:has(.src-request)").first
        expect(answer).to_contain_text(f"{RECORD} · {GATE}")  # the handover, on the answer
        expect(answer).to_contain_text("bj_officer")
        flow.shoot(hn, "hanoi-case-timeline")
        flow.left()
    finally:
        flow.close()
