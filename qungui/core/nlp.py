"""jieba, loaded once per process (its dictionary takes about a second)."""

from __future__ import annotations

import logging
import threading

import jieba
import jieba.analyse

jieba.setLogLevel(logging.WARNING)
_lock = threading.Lock()
_ready = False


def init() -> None:
    global _ready
    with _lock:
        if not _ready:
            jieba.initialize()
            _ready = True


def cut(text: str) -> list[str]:
    init()
    return [w for w in jieba.lcut(text) if w.strip()]


def keywords(text: str, top: int = 20) -> list[str]:
    init()
    return jieba.analyse.extract_tags(text, topK=top)
