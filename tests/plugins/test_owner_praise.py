import pytest

from qungui.core.events import Member, Room
from tests.plugins.conftest import OWNER, THRESHOLD, message, top


@pytest.mark.parametrize("text", [
    "李局高瞻远瞩，我们都跟着您干！",
    "李局长的讲话太精彩了，字字珠玑",
    "领导英明！",
    "学习了领导的指示，深受教育",
    "群主运筹帷幄，佩服得五体投地",
    "李 局 英 明 ！",                  # separators inserted
    "李局長高瞻遠矚",                   # traditional characters
    "李局太有思路了",                   # the same word raised
    "李局太拼了，嗓子都哑了，头功就是李局的，向李局致敬！",   # the credit and a salute
    "李局那段脱稿发言气场全开，感觉李局当市长都绰绰有余",   # a talent said to outgrow the post
    "李局那幅字挂在大厅，这水平完全可以开个人书法展了",
    "李局今天主持得太漂亮了，比电视台主持人还好看，那气质绝了",   # looks past a star's
    "李局亲自下田拔草，以身作则，这格局一般人真比不了",
    "李局讲得太到位了，我们都要好好学习",             # 到位 said of the owner's words
    "李局这一年为咱们事业操碎了心，我提议元旦大家一起敬李局一杯",   # the owner's cares
])
def test_flattery_of_owner(inspect, text):
    [f] = inspect("owner_praise", text)
    assert f.score >= THRESHOLD
    assert f.evidence and f.evidence in text


def test_named_owner_scores_higher_than_generic_address(inspect):
    named = top(inspect("owner_praise", "李局高瞻远瞩"))
    generic = top(inspect("owner_praise", "领导高瞻远瞩"))
    assert named >= 0.9 and THRESHOLD <= generic < named


def test_mention_of_owner(inspect):
    msg = message("@李明-商务局-局长 英明决策，为您点赞", mentions=(OWNER.id,))
    assert top(inspect("owner_praise", msg)) >= 0.9


def test_owner_without_alias_title(inspect, room):
    bare = Room(id="r2", topic=room.topic, purpose=room.purpose, owner_id="u7",
                members={"u7": Member("u7", "周红", ""), **room.members})
    assert top(inspect("owner_praise", "周红同志高瞻远瞩", room=bare)) >= 0.9
    assert top(inspect("owner_praise", "书记英明", room=bare)) >= THRESHOLD


def test_a_title_with_a_bracketed_post_still_names_the_owner(inspect, room):
    """副书记（专班组长）: the group calls its owner 顾书记."""
    gu = Room(id="r3", topic=room.topic, purpose=room.purpose, owner_id="u8",
              members={"u8": Member("u8", "顾长林", "顾长林-市委政法委-副书记（专班组长）"),
                       **room.members})
    assert top(inspect("owner_praise", "今晚庆功宴我先干为敬，敬顾书记运筹帷幄", room=gu)) >= 0.9


@pytest.mark.parametrize("alias, text", [
    ("崔振华-省公安厅治安总队-总队长", "专项战果排全国前列全靠崔总队英明决策"),
    ("邱建-市交警支队-副支队长", "邱支队这思路太有高度了，句句说到点子上"),
    ("林海-市农商银行-行长", "林行长高瞻远瞩，大家都服"),
])
def test_a_corps_or_bank_head_is_named_as_the_group_says_it(inspect, room, alias, text):
    """总队长 / 支队长 are 崔总队 / 邱支队 to their men; 行长 is 林行长."""
    head = Room(id="r4", topic=room.topic, purpose=room.purpose, owner_id="u9",
                members={"u9": Member("u9", alias.split("-")[0], alias), **room.members})
    assert top(inspect("owner_praise", text, room=head)) >= 0.9


def test_all_success_owed_to_the_owner_is_flattery(inspect):
    assert top(inspect("owner_praise", "大家一起敬李局一杯，没有李局就没有咱们今年这么漂亮的成绩")) >= 0.9


def test_borderline_thanks_stays_below_threshold(inspect):
    assert THRESHOLD > top(inspect("owner_praise", "辛苦了领导")) > 0


@pytest.mark.parametrize("text", [
    "收到，书记",
    "好的李局",
    "谢谢李局帮忙协调场地，周三上午签约仪式照常进行",
    "张书记的讲话高屋建瓴，大家认真学习",        # praise of a third party
    "各位领导辛苦了，材料已经全部报送",
    "基层干部辛苦了，为大家点赞",
    "王主任这次调研报告写得很到位",
    "请李局审阅项目合同",
    "您辛苦了，早点休息",
    "县委书记在调研时强调，要高瞻远瞩谋划产业布局",
    "谢谢李局帮我们联系了设计院，排水改造的问题有思路了",    # 有X了: a change of state
    "向奋战在防汛一线的同志们致敬",                            # a salute to a body of people
    # 到位 said of things put in place, not of the owner
    "谢谢李局协调，我们单位的会议桌椅今天调剂到位了，省了一大笔采购经费",
    "李局，这次征集的作品里有一幅苍劲有力的隶书，建议作为展览主图",   # an entrant's hand
])
def test_clean_near_misses(inspect, text):
    assert top(inspect("owner_praise", text)) < THRESHOLD


def test_owner_is_never_praising_themself(inspect):
    assert inspect("owner_praise", "领导英明，跟着我干", sender=OWNER.id) == []


def test_room_without_owner(inspect, room):
    ownerless = Room(id="r3", topic=room.topic, members=room.members)
    assert inspect("owner_praise", "领导英明", room=ownerless) == []


def test_a_warning_that_quotes_flattery_is_not_flattery(inspect):
    text = "警示教育：有干部在工作群对李局肉麻吹捧，“英明神武”“跟着您干是福气”，请引以为戒"
    assert top(inspect("owner_praise", text)) < THRESHOLD
