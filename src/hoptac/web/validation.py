"""What a person is told when a page's request does not pass validation (a search of
10,000 characters, a number typed into an id): the field and the rule, in the reader's
language, not pydantic's English."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_VI = {
    "string_too_long": "«{field}»: tối đa {max_length} ký tự",
    "string_too_short": "«{field}»: ít nhất {min_length} ký tự",
    "less_than_equal": "«{field}»: không lớn hơn {le}",
    "greater_than_equal": "«{field}»: không nhỏ hơn {ge}",
    "less_than": "«{field}»: nhỏ hơn {lt}",
    "greater_than": "«{field}»: lớn hơn {gt}",
    "int_parsing": "«{field}»: phải là một số nguyên",
    "float_parsing": "«{field}»: phải là một số",
    "date_from_datetime_parsing": "«{field}»: phải là một ngày",
    "date_parsing": "«{field}»: phải là một ngày",
    "missing": "«{field}»: chưa điền",
    "string_pattern_mismatch": "«{field}»: giá trị không hợp lệ",
}
_EN = {
    "string_too_long": "'{field}': at most {max_length} characters",
    "string_too_short": "'{field}': at least {min_length} characters",
    "less_than_equal": "'{field}': at most {le}",
    "greater_than_equal": "'{field}': at least {ge}",
    "less_than": "'{field}': less than {lt}",
    "greater_than": "'{field}': more than {gt}",
    "int_parsing": "'{field}': must be a whole number",
    "float_parsing": "'{field}': must be a number",
    "date_from_datetime_parsing": "'{field}': must be a date",
    "date_parsing": "'{field}': must be a date",
    "missing": "'{field}': required",
    "string_pattern_mismatch": "'{field}': not a valid value",
}
_OTHER = {"vi": "«{field}»: giá trị không hợp lệ", "en": "'{field}': not a valid value"}
_LEAD = {"vi": "Yêu cầu không hợp lệ — ", "en": "The request is not valid — "}


def describe(errors: Sequence[Any], lang: str) -> str:
    """One sentence naming each field refused and why (at most three), for a page."""
    table = _VI if lang == "vi" else _EN
    parts = []
    for err in errors[:3]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(loc) or "?"
        template = table.get(str(err.get("type")), _OTHER["vi" if lang == "vi" else "en"])
        try:
            parts.append(template.format(field=field, **(err.get("ctx") or {})))
        except (KeyError, IndexError):
            parts.append(_OTHER["vi" if lang == "vi" else "en"].format(field=field))
    return _LEAD["vi" if lang == "vi" else "en"] + "; ".join(parts) + "."
