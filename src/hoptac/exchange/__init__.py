"""The exchange: node identity, signed and encrypted envelopes, the outbox and inbox, and the
hotline built on them. See docs/exchange-protocol.md."""
