"""The shared presentation vocabulary (qungui.review.labels)."""

from __future__ import annotations

import pytest

from qungui.core.outcomes import Act
from qungui.review.labels import ACTION_CN, STATUS_CN
from qungui.storage.review import STATUSES


def test_every_act_has_a_chinese_name():
    assert set(ACTION_CN) == set(Act)
    assert all(isinstance(k, Act) for k in ACTION_CN)


def test_plain_stored_strings_find_the_same_name():
    assert ACTION_CN.get("warn") == ACTION_CN[Act.WARN] == "群内提醒"
    assert ACTION_CN.get("log") == "仅记录（不重复提醒）"


def test_every_status_has_a_chinese_name():
    assert set(STATUS_CN) == set(STATUSES)


def test_cli_and_web_use_the_same_vocabulary():
    from qungui.cli import log
    from qungui.web import labels

    assert log.ACTION_CN is labels.ACTION_CN is ACTION_CN
    assert log.STATUS_CN is labels.STATUS_CN is STATUS_CN


def test_the_app_needs_rule_titles():
    from qungui.web import create_app

    with pytest.raises(TypeError):
        create_app(None)   # no silent default: the caller passes the plugins' titles
