"""Person-name handling: normalisation and, later, cross-script matching.

Pure functions only; usable without a database.
"""

from hoptac.names.fold import fold, search_key, tokens

__all__ = ["fold", "search_key", "tokens"]
