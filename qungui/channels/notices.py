"""WeChat's system notices as chat exports carry them: who joined a group.

A system notice (type 10000 in WeChat's database) is nobody's words. The
exports write it as WeChat stored it, either as plain text::

    "李明"邀请"孙丽、周强"加入了群聊
    "小王"通过扫描"陈静"分享的二维码加入群聊

or as a ``<sysmsg type="sysmsgtemplate">`` whose ``<template>`` names
``$links$`` filled from a ``<link_list>`` of members (username and
nickname). chatlog writes the template already filled, each member as
``nickname(username)``, which is how a member's contact id can be known.
``joined`` reads all of these; any other notice (a recall, 拍一拍, 领取了…的红包,
a group rename) reads as ``None`` and the caller skips it.

Every step is a bounded number of ``str.find`` calls over a notice cut at
``MAX_NOTICE`` characters: no pattern, no nested loop over the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from qungui.channels.cards import xml_field

MAX_NOTICE = 64_000    # a notice naming a hundred members is far shorter; past this, cut
MAX_LINKS = 50         # <link> elements of a template read
MAX_NAMES = 200        # members one notice can name (a group holds at most 500 invitees at once)
_QUOTES = "\"“”'‘’ \u3000"
_SELF = ("你", "您")    # WeChat's word for the account that exported the chat


@dataclass(frozen=True)
class Named:
    """A member as a notice names them: the contact id only when it says."""

    name: str
    id: str | None = None


@dataclass(frozen=True)
class Joined:
    members: tuple[Named, ...]
    inviter: Named | None = None


def joined(text: str) -> Joined | None:
    """The members a join notice says joined, and who invited them; None for
    any other notice. The exporting account itself (你) is never among them."""
    text = (text or "")[:MAX_NOTICE].strip()
    if text.startswith("<"):
        text = fill_template(text)
    if "\n" in text:
        text = text[:text.find("\n")]
    # "小王"通过扫描"陈静"分享的二维码加入群聊
    end = text.find("分享的二维码加入群聊")
    if end != -1:
        scan = text.find("通过扫描")
        if scan == -1 or scan > end:
            return None
        return _joined(text[:scan], text[scan + 4:end])
    # "李明"邀请"孙丽、周强"加入了群聊 / 你邀请… / "李明"邀请你和"孙丽"加入了群聊
    end = text.find("加入了群聊")
    if end == -1:
        return None
    invite = text.find("邀请", _after_quoted(text))
    if invite == -1 or invite > end:
        # "孙丽"加入了群聊: only when the text before is one quoted name
        head = text[:end].strip()
        return _joined(head, "") if head[:1] in "\"“" and head[-1:] in "\"”" else None
    return _joined(text[invite + 2:end], text[:invite])


def _after_quoted(text: str) -> int:
    """Where the text's leading quoted name ends (0 when it starts with none):
    a name may itself hold 邀请."""
    if text[:1] not in "\"“":
        return 0
    close = text.find("”" if text[0] == "“" else "\"", 1)
    return close + 1 if close != -1 else 0


def _joined(members: str, inviter: str) -> Joined | None:
    names = tuple(n for n in _names(members) if n.name not in _SELF)
    if not names:
        return None
    who = _names(inviter)
    by = who[0] if len(who) == 1 and who[0].name not in _SELF else None
    return Joined(names, by)


def _names(part: str) -> list[Named]:
    """``"孙丽、周强"`` or ``"孙丽(wxid_sunli)"、"周强"`` as names and, where given, ids."""
    part = part.strip(_QUOTES)
    if part.startswith(_SELF) and part[1:2] == "和":     # 你和"孙丽"
        part = part[2:].strip(_QUOTES)
    found = []
    for piece in part.split("、", MAX_NAMES)[:MAX_NAMES]:
        piece = piece.strip(_QUOTES)
        if not piece:
            continue
        open_at = piece.rfind("(")
        if piece.endswith(")") and open_at > 0 and _is_id(piece[open_at + 1:-1]):
            found.append(Named(piece[:open_at].strip(_QUOTES), piece[open_at + 1:-1]))
        else:
            found.append(Named(piece))
    return found


def _is_id(value: str) -> bool:
    """A WeChat contact id: ASCII letters, digits, ``_``, ``-``, ``@`` and ``.``."""
    return 0 < len(value) <= 64 and value.isascii() and all(
        c.isalnum() or c in "_-@." for c in value)


def fill_template(xml: str) -> str:
    """A ``sysmsgtemplate`` notice as text, its ``$name$`` links filled as
    chatlog fills them (members as ``nickname(username)``, joined by the
    link's separator or 、); "" when the XML holds no template."""
    xml = xml[:MAX_NOTICE]
    template = xml_field(xml, "template")
    if not template:
        return ""
    pos = 0
    for _ in range(MAX_LINKS):
        start = xml.find("<link ", pos)
        if start == -1:
            break
        head_end = xml.find(">", start)
        end = xml.find("</link>", head_end)
        if head_end == -1 or end == -1:
            break
        head, body = xml[start:head_end], xml[head_end + 1:end]
        pos = end + len("</link>")
        name = _attribute(head, "name")
        if not name:
            continue
        if _attribute(head, "type") == "link_profile":
            value = (xml_field(body, "separator") or "、").join(_members(body))
        else:
            value = xml_field(body, "title")
        template = template.replace(f"${name}$", value)
    return template


def _members(body: str) -> list[str]:
    found, pos = [], 0
    while len(found) < MAX_NAMES:
        start = body.find("<member>", pos)
        if start == -1:
            break
        end = body.find("</member>", start)
        if end == -1:
            break
        member = body[start:end]
        pos = end + len("</member>")
        nickname, username = xml_field(member, "nickname"), xml_field(member, "username")
        if nickname:
            found.append(f"{nickname}({username})" if username else nickname)
    return found


def _attribute(head: str, name: str) -> str:
    start = head.find(f' {name}="')
    if start == -1:
        return ""
    start += len(name) + 3
    end = head.find('"', start)
    return head[start:end] if end != -1 else ""


def is_pat(text: str) -> bool:
    """A 拍一拍 as chatlog writes it from the sender's account
    (``"${wxid_a}" 拍了拍 "${wxid_b}"`` or ``"赵磊" 拍了拍 "李明"``)."""
    text = (text or "").strip()
    return (len(text) <= 200 and "\n" not in text and "拍了拍" in text
            and text.startswith(("\"", "“", "${", "我拍了拍", "你拍了拍")))
