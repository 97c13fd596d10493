"""群规助手 — the moderation bot for WeChat work groups."""

__version__ = "0.1.0"
