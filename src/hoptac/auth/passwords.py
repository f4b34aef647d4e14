"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hoptac.errors import InvalidInput

_hasher = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 1024

# A dummy hash verified when the user does not exist, so timing does not reveal usernames.
_DUMMY = _hasher.hash("hoptac-timing-equaliser")


@cache
def _common() -> frozenset[str]:
    """The 30,000 commonest passwords of leaked sets, as shipped by the zxcvbn package
    (lower case; read from its module, nothing is downloaded)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def validate(password: str, username: str | None = None) -> None:
    """Length 8-1024, any characters (spaces too; nothing is truncated), not a common
    password and not the username."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password must have at most {MAX_LENGTH} characters")
    folded = password.casefold()
    if folded in _common() or folded.replace(" ", "") in _common():
        raise InvalidInput(
            "this password is on a list of commonly used passwords; choose another "
            "(a phrase of several words is long and easy to remember)"
        )
    if username and folded == username.casefold():
        raise InvalidInput("the password must not be the username")


ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def one_time() -> str:
    """A random first password for an account an operator creates: 4 groups of 5 of 31
    characters (99 bits), read to its user once and changed at the first login."""
    chars = [secrets.choice(ONE_TIME_ALPHABET) for _ in range(20)]
    return "-".join("".join(chars[i : i + 5]) for i in range(0, 20, 5))


def hash_password(password: str, username: str | None = None) -> str:
    validate(password, username)
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
