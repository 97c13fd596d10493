"""WeChat's system notices: joins read with their members' ids where given,
every other notice read as none, in time linear in the notice."""

from __future__ import annotations

import time

import pytest

from qungui.channels.notices import Joined, Named, fill_template, is_pat, joined

TEMPLATE = ('<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile">'
            '<plain><![CDATA[]]></plain><template><![CDATA["$username$"邀请"$names$"加入了群聊]]></template>'
            '<link_list><link name="username" type="link_profile"><memberlist><member><username>'
            '<![CDATA[wxid_liming]]></username><nickname><![CDATA[李明]]></nickname></member></memberlist>'
            '</link><link name="names" type="link_profile"><memberlist><member><username><![CDATA[wxid_sunli]]>'
            '</username><nickname><![CDATA[孙丽]]></nickname></member><member><username><![CDATA[wxid_zq]]>'
            '</username><nickname><![CDATA[周强]]></nickname></member></memberlist><separator><![CDATA[、]]>'
            '</separator></link></link_list></content_template></sysmsgtemplate></sysmsg>')


@pytest.mark.parametrize("text, expected", [
    ('"李明"邀请"孙丽"加入了群聊', Joined((Named("孙丽"),), Named("李明"))),
    ('"李明"邀请"孙丽、周强"加入了群聊', Joined((Named("孙丽"), Named("周强")), Named("李明"))),
    ('"李明(wxid_liming)"邀请"孙丽(wxid_sunli)"加入了群聊',
     Joined((Named("孙丽", "wxid_sunli"),), Named("李明", "wxid_liming"))),
    ('你邀请"孙丽"加入了群聊', Joined((Named("孙丽"),), None)),
    ('"李明"邀请你和"孙丽"加入了群聊', Joined((Named("孙丽"),), Named("李明"))),
    ('"小王"通过扫描"陈静"分享的二维码加入群聊', Joined((Named("小王"),), Named("陈静"))),
    ('"邀请函小组"邀请"孙丽"加入了群聊', Joined((Named("孙丽"),), Named("邀请函小组"))),
    ('"孙丽"加入了群聊', Joined((Named("孙丽"),), None)),
    (TEMPLATE, Joined((Named("孙丽", "wxid_sunli"), Named("周强", "wxid_zq")),
                      Named("李明", "wxid_liming"))),
])
def test_joins(text, expected):
    assert joined(text) == expected


@pytest.mark.parametrize("text", [
    '"李明"邀请你加入了群聊',                                   # the exporting account joined
    "你领取了赵磊的红包",
    '<img src="SystemMessages_HongbaoIcon.png"/>  赵磊领取了你的<_wc_custom_link_ href="x">红包'
    '</_wc_custom_link_>',
    '"周强" 撤回了一条消息',
    '"赵磊" 拍了拍 "李明"',
    '"李明"修改群名为“招商引资专项工作群”',
    '<sysmsg type="revokemsg"><revokemsg><replacemsg><![CDATA["周强" 撤回了一条消息]]></replacemsg>'
    '</revokemsg></sysmsg>',
    "",
])
def test_other_notices_are_no_join(text):
    assert joined(text) is None


def test_template_is_filled_as_chatlog_fills_it():
    assert fill_template(TEMPLATE) == '"李明(wxid_liming)"邀请"孙丽(wxid_sunli)、周强(wxid_zq)"加入了群聊'


def test_pats():
    assert is_pat('"${wxid_zhaolei}" 拍了拍 "${wxid_liming}"')
    assert is_pat('"赵磊" 拍了拍 "李明"')
    assert not is_pat("他拍了拍我的肩膀说加油")


def test_work_is_linear_in_the_notice():
    def cost(n):
        texts = ["<link " * n, "<member>" * n, '"' + "、" * n + '"邀请"' + "、" * n + '"加入了群聊',
                 "<template>$a$" * n + "</template>" + '<link name="a" type="x">' * n]
        start = time.perf_counter()
        for text in texts:
            joined(text)
            fill_template(text)
        return time.perf_counter() - start

    cost(1000)
    assert cost(200_000) < 2.0
