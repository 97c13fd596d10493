"""WeChat "cards" (files, links, mini programs, red envelopes, transfers)
arrive as XML, live or in an export. The engine gets only their
human-readable fields: a title, a description, a file name, an amount."""

from __future__ import annotations

import re

from qungui.core.events import MessageType

_AMOUNT = re.compile(r"[￥¥]\s*([0-9]+(?:\.[0-9]{1,2})?)")
_CDATA_OPEN, _CDATA_CLOSE = "<![CDATA[", "]]>"


def xml_field(text: str, name: str) -> str:
    """The text of the first ``<name>…</name>`` (CDATA unwrapped), or "".

    Found with two ``str.find`` calls: a lazy pattern searched from every
    ``<name>`` of a card with no closing tag would read the rest of the card
    once per opening tag."""
    opening, closing = f"<{name}>", f"</{name}>"
    start = text.find(opening)
    if start == -1:
        return ""
    start += len(opening)
    if text.startswith(_CDATA_OPEN, start):
        start += len(_CDATA_OPEN)
    end = text.find(closing, start)
    if end == -1:
        return ""
    if end - len(_CDATA_CLOSE) >= start and text.startswith(_CDATA_CLOSE, end - len(_CDATA_CLOSE)):
        end -= len(_CDATA_CLOSE)
    return text[start:end].strip()


def describe_payload(mtype: MessageType, text: str, filename: str) -> tuple[str, str | None, float | None]:
    """(text, file name, amount) for the engine. Cards (files, links, red
    envelopes, transfers) arrive as XML; only their human-readable fields are kept."""
    text = text or ""
    if mtype is MessageType.TEXT:
        return text, None, None
    is_xml = text.lstrip().startswith("<")
    readable = " ".join(filter(None, (xml_field(text, "title"), xml_field(text, "des")))) \
        if is_xml else text
    if mtype is MessageType.FILE:
        return "", filename or xml_field(text, "title") or None, None
    if mtype in (MessageType.RED_ENVELOPE, MessageType.TRANSFER):
        amount_src = xml_field(text, "feedesc") or text
        m = _AMOUNT.search(amount_src)
        label = xml_field(text, "receivertitle") or readable
        return label if is_xml else text, None, float(m.group(1)) if m else None
    if mtype in (MessageType.URL, MessageType.MINI_PROGRAM):
        return readable, None, None
    return ("" if is_xml else text), filename or None, None

