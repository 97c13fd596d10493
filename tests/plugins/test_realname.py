import pytest

from qungui.core.events import Member


@pytest.mark.parametrize("alias", ["张伟-商务局-科员", "欧阳小芳-县委办-副主任",
                                   "李明－商务局－局长", "阿依古丽·买买提-民宗局-科员"])
def test_real_names_pass(join, alias):
    assert join(Member("u9", "x", alias)) == []


@pytest.mark.parametrize("alias, name", [("小王", "小王"), ("", "Tony"), ("张伟 商务局", ""),
                                         ("张伟-商务局", "")])
def test_bad_nicknames_are_flagged(join, alias, name):
    [f] = join(Member("u9", name, alias))
    assert f.rule == "realname" and f.score == 1.0
    assert "张伟-商务局-科员" in f.reason
    assert f.evidence == (alias or name)


def test_name_is_used_when_alias_missing(join):
    assert join(Member("u9", "张伟-商务局-科员", "")) == []


def test_rulebook_pattern_and_example(join):
    params = {"pattern": r"^[\u4e00-\u9fa5]{2,4}-\d{4}$", "example": "张伟-2025"}
    assert join(Member("u9", "", "张伟-2025"), rule_params=params) == []
    [f] = join(Member("u9", "", "张伟-商务局-科员"), rule_params=params)
    assert "张伟-2025" in f.reason
