"""Diacritic- and case-insensitive folding used by every name search."""

import pytest

from hoptac.names import fold, search_key


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Hải Trung", "nguyen hai trung"),
        ("NGUYỄN HẢI TRUNG", "nguyen hai trung"),
        ("Đại tá Nguyễn Thế Hùng", "dai ta nguyen the hung"),
        ("Khánh Hòa", "khanh hoa"),
        ("Khánh Hoà", "khanh hoa"),  # old tone-mark placement
        ("Nguyê\u0303n", "nguyen"),  # decomposed input
        ("Park  Soo-Kwan", "park soo kwan"),
        ("王健", "王健"),  # other scripts pass through, unchanged
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_search_key_pads_tokens_for_prefix_matching() -> None:
    assert search_key("Lý Phong") == " ly phong "
