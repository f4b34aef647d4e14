"""Person-name handling: normalisation and cross-script matching (Vietnamese, Chinese,
Korean, Latin). Pure functions over the shipped reading table; no database.

    >>> from hoptac.names import compare
    >>> compare("Vương Kiện", "Wang Jian").match
    True
"""

from hoptac.names.fold import fold, search_key, tokens
from hoptac.names.match import THRESHOLD, Comparison, compare, keys
from hoptac.names.parse import ParsedName, parse

__all__ = [
    "THRESHOLD",
    "Comparison",
    "ParsedName",
    "compare",
    "fold",
    "keys",
    "parse",
    "search_key",
    "tokens",
]
