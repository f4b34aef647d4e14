"""Diacritic- and case-insensitive folding used by every name search."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_ascii_text_folds_as_the_unicode_steps_fold_it(text: str) -> None:
    """`fold`'s shortcut for ASCII text (lower case, punctuation to spaces) gives what its
    full steps (NFD, marks dropped, casefold, special letters) give."""
    import unicodedata

    from hoptac.names.fold import _NON_WORD, _SPECIAL

    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    full = " ".join(_NON_WORD.sub(" ", stripped.casefold().translate(_SPECIAL)).split())
    assert fold(text) == full
