"""All configuration, read once from `HOPTAC_`-prefixed environment variables.

Nothing else in the package reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOPTAC_", extra="ignore")

    # The node's directory (`--data DIR` on the command line): its key files, and its
    # SQLite database unless HOPTAC_DATABASE_URL names another.
    home: Path = Path(".")
    database_url: str = ""
    # Sessions: idle timeout and absolute lifetime (seconds).
    session_idle_seconds: int = 30 * 60
    session_max_seconds: int = 12 * 60 * 60
    # API bearer tokens issued by POST /api/v1/auth/token.
    token_lifetime_seconds: int = 8 * 60 * 60
    # Mark cookies Secure and send HSTS. Off by default so that `make run` works over plain
    # HTTP on 127.0.0.1; a deployment behind TLS must set HOPTAC_SECURE_COOKIES=true.
    secure_cookies: bool = False
    # Largest request body accepted, in bytes.
    max_request_bytes: int = 2 * 1024 * 1024
    # Largest CSV upload (notices, register records), in bytes: the upload routes alone.
    max_upload_bytes: int = 64 * 1024 * 1024
    default_language: str = "vi"
    # POSTs a minute from one client address: sign-in (password and code steps), the API
    # token endpoint, the hotline inbox (partners send batches of envelopes).
    rate_login_per_minute: int = 20
    rate_token_per_minute: int = 20
    rate_inbox_per_minute: int = 120
    # ... except a pinned partner's: once its signature verifies, its POSTs count not there
    # but against its own allowance of envelopes a second (a minute's worth may come at
    # once). docs/exchange-protocol.md §8.
    rate_inbox_partner_envelopes_per_second: int = Field(default=1000, ge=1)
    # The hotline's sender: envelopes per POST, the longest wait between retries, and how
    # long it lets a burst gather into one POST once the outbox is idle (milliseconds).
    exchange_batch: int = Field(default=200, ge=1, le=1000)
    exchange_max_backoff_seconds: float = 30.0
    exchange_linger_ms: int = Field(default=25, ge=0, le=1000)
    # Run the hotline's background sender in the web app (off in tests that drive it).
    exchange_sender: bool = True

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'hoptac.db'}"
        return self

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
