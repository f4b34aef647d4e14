"""Person-name handling: normalisation and cross-script matching (Vietnamese, Chinese,
Korean, Latin). Pure functions over the shipped reading table; no database.

    >>> from hoptac.names import compare
    >>> compare("Vương Kiện", "Wang Jian").match
    True
"""

from hoptac.names.fold import fold, search_key, tokens
from hoptac.names.match import MATCH_THRESHOLD, Comparison, compare
from hoptac.names.parse import ParsedName, parse

__all__ = [
    "MATCH_THRESHOLD",
    "Comparison",
    "ParsedName",
    "compare",
    "fold",
    "parse",
    "search_key",
    "tokens",
]
