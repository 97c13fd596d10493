"""Contact finders: the ways an advert tells you how to buy."""

from __future__ import annotations

import pytest

from qungui.core import contacts
from qungui.core.text import normalize


def quotes(finder, text, *args):
    return [c.quote for c in finder(normalize(text), *args)]


@pytest.mark.parametrize("text, phone", [
    ("电话13812345678", "13812345678"),
    ("电话 138 1234 5678 同微信", "138 1234 5678"),
    ("联系一三八一二三四五六七八", "一三八一二三四五六七八"),
    ("call ①③⑧-1234-5678", "①③⑧-1234-5678"),
    ("订购热线 0571-88886666", "0571-88886666"),
    ("热线400-800-1234", "400-800-1234"),
])
def test_phone_numbers_however_written(text, phone):
    assert quotes(contacts.phones, text) == [phone]


def test_numbers_that_are_not_phones():
    assert quotes(contacts.phones, "项目总投资12亿元，编号2026112012") == []
    assert quotes(contacts.phones, "电话138123456789") == []     # twelve digits


@pytest.mark.parametrize("text, found", [
    ("加V：abc123456", ["abc123456"]),
    ("ⅴ❤：tea8888 新茶上市", ["tea8888"]),
    ("微信号 home_666", ["home_666"]),
    ("加Q群：987654321", ["987654321"]),
    ("QQ：123456789", ["123456789"]),
    ("vx真方便", []),                       # no id after the marker
])
def test_chat_ids(text, found):
    assert quotes(contacts.chat_ids, text) == found


def test_links_mail_and_file_names():
    assert quotes(contacts.urls, "点击 https://shop.example.com/xyz 下单") == ["https://shop.example.com/xyz"]
    assert quotes(contacts.urls, "见 www.gov.cn，或 gov.cn") == ["www.gov.cn", "gov.cn"]
    assert quotes(contacts.urls, "附件：方案.docx 和 名单.xlsx") == []
    assert quotes(contacts.emails, "发到 zhang.san@example.com 即可") == ["zhang.san@example.com"]
    assert quotes(contacts.urls, "发到 zhang.san@example.com 即可") == []
    assert quotes(contacts.ipv4, "访问 10.0.0.1。版本 1.2.3") == ["10.0.0.1"]


def test_contacts_in_text_order_without_overlaps():
    found = contacts.contacts(normalize("电话13812345678，微信同号，或加v: shop2026，网址 shop.example.com"))
    assert [c.kind for c in found] == [contacts.PHONE, contacts.WECHAT, contacts.URL]


@pytest.mark.parametrize("text, found", [
    ("邮箱 tea.shop@example.com", ["tea.shop@example.com"]),
    ("..abc@x.com", ["abc@x.com"]),                        # an address starts with a letter or digit
    ("a@b.cc.dd1x@y.zz", ["a@b.cc.dd", "1x@y.zz"]),        # the next one starts where the last ended
    ("a@b.c1x@y.zz", ["b.c1x@y.zz"]),
    ("abcdefghij" * 2000, []),                             # letters and no @
    ("x@" * 2000, []),
])
def test_emails(text, found):
    assert quotes(contacts.emails, text) == found


def test_many_contacts_keep_text_order_without_overlaps():
    text = "电话13812345678 座机0571-88886666 邮箱tea@shop.com 网址shop.example.com " * 500
    found = contacts.contacts(normalize(text))
    assert len(found) == 2000
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))
    assert [c.kind for c in found[:4]] == [contacts.PHONE, contacts.LANDLINE, contacts.EMAIL,
                                          contacts.URL]
