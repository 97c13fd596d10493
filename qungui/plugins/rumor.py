"""传播谣言: an unverified claim pushed to spread, or a sensational one stated as fact.

Four ways in:

* hearsay pushed on: a hearsay word (听说, 网传) and an urge to forward
  (赶紧转发), the stronger when the content is alarming;
* a sensational claim stated as fact, with or without either: a disaster
  foretold (明天有8级地震, 水库要垮了), a health or food scare (疫苗有毒,
  自来水被污染了), a crime scare (学校门口抢孩子), policy hearsay (工资停发,
  要封城), an official said to be taken away by the discipline bodies
  (那个副县长已经被双开了), a toll of dead or hurt counted with no source
  (冒顶埋了五个, 十几个孩子都送医院了), a cover-up alleged (医院在压消息);
* price hype: a price said, as fact, to be about to soar, with an urge to
  buy, hoard or lock it in now (钢材下周涨20%……赶紧囤);
* policy hearsay: a sweeping change (一律免职, 全部作废, 不再受理, 三年免查,
  暂停提拔) beside a hearsay word or a change said to be settled or decided
  by some official body (已经开会定了, 刚发文, 亲口讲的, 国家宗教局说了,
  已经表态了).

Each stands down where the message is a refutation, an official notice or
work report (经核查……已处置), or asks whether it is true; and a claim denied
or made hypothetical in its own clause (不会封城, 如果水库溃坝), asked about
(要封城吗？) or quoted (“要封城”的说法) is not stated as fact. A denial before
a 的 (没证的账号一律封禁) qualifies whom the claim is about and denies nothing.
"""

from __future__ import annotations

import re

from qungui.core.matcher import Hit, Spans
from qungui.core.plugin import Context, Plugin, RuleSpec, register
from qungui.plugins._common import (close_pairs, countered, cue_hits, has_cue,
                                    pattern_hits, quote)

# (subject, what is said of it, how many characters of the original text
# may lie between them in one clause): the lexicon's pairs of sections
PAIRS = (("food", "tainted", 8), ("works", "failing", 8), ("livelihood", "cut", 8),
         ("seize", "livelihood", 8), ("forecast", "quake", 12),
         ("figure", "punished", 10))
# people said to have died or been hurt, counted, in a report that does not
# say how it knows: the toll after the verb (死了三个人, 摔死了三个游客,
# 冒顶埋了五个) or after the people (二十多个娃送县医院了, 5人死亡). A count
# needs its measure word, so that 死了三天 is no toll (nor 累死了两个月);
# burying and trapping need the people or the clause's end (埋了五个管子 is
# work).
_COUNT = r"(?:[\d一二两三四五六七八九十百千几]{1,4}|好几|好多|十几|几十|上百)"
_PEOPLE = r"(?:人|学生|孩子|小孩|娃|工人|矿工|村民|老人|游客|乘客|产妇|骑车的|行人)"
_TOLL = re.compile(
    r"(?:[撞烧砸淹炸毒打压摔踩咬电]?死)了?\s{0,2}" + _COUNT + r"\s{0,2}多?\s{0,2}(?:个|名|口|位|人|百|千)"
    r"(?!多?(?:月|小时|钟头|星期|礼拜|晚上|通宵))"
    r"|(?:埋|困)了?\s{0,2}" + _COUNT + r"\s{0,2}(?:个|名|位)" + _PEOPLE + r"?(?=[，,。！!？?；;\s]|$)"
    r"|" + _COUNT + r"\s{0,2}多?\s{0,2}(?:个|名|位)?" + _PEOPLE
    + r"(?:都|已经|已|全)?(?:被)?(?:送[^，,。！!？?；;\s]{0,3}医院|进了?医院|住院了|死亡|遇难|身亡|丧生"
      r"|没了|中毒|被埋|被困|猝死|得了怪病|得怪病"
      r"|脑梗|得癌|得了癌|白血病)")
# a sweeping change to everyone's rules or money, the shape policy hearsay
# takes (全部作废, 直接取消, 一律不合格, 资金全冻结, 缴费直接涨到600): stated
# as fact only beside a hearsay word (听说, 朋友亲口说的, 刚得到准信) or a
# change said to be settled with no notice behind it (已经开会定了)
_SWEEPING = re.compile(
    r"(?:全部|一律|全面|统一|直接|全都|全|一刀切|统统)(?:要|会|被|给)?"
    r"(?:取消|作废|撤掉|撤销|强拆|冻结|停发|停掉|清退|裁掉|砍掉|涨到|上涨|翻倍|减半|降薪|"
    r"压减|扣|不合格|取缔|关停|收回|没收|重新考试|重新竞聘|限价|免职|撤职|封禁|封号|暂停|清理|"
    r"停业|吊销|移交|解聘)"
    # a cut to people or money that needs no 全部: 人员分流, 从3000降到1000,
    # 一半人下社区, 从工资里扣; or a favour for everyone (前三名直接给事业编)
    r"|一个不留|人员分流|分流下|降到\d+|砍一半|开除一批|(?<!仲)裁员|下岗|一半(?:的)?人(?:要|都)?(?:下|分流|转岗)"
    r"|工资里扣|扣工资|直接(?:给|进|入|转)(?:事业编|编制)"
    # or a service said to stop for everyone (法院不再直接受理, 地方不再管了)
    r"|不再(?:直接)?(?:受理|管了|发放|报销|审批|办理)"
    # or a penalty or a reprieve for everyone of a kind (一律当非法…处理,
    # 三年免查, 倒查十年, 一分都不给, 公园改收费); not 一律不得, 一律按规定处理
    # or 一票否决, which relay standing rules as often as they invent new ones
    r"|一律当[^，,。！!？?；;\n]{0,10}(?:处理|对待|论处)"
    r"|免查|倒查[\d一二三四五六七八九十]{1,3}年|一分(?:钱)?都不给|改收费"
    # or a career made or broken by it (直接定不称职, 暂停提拔, 前十名直接提拔)
    r"|直接(?:定为?不称职|列为重点|调整岗位|提拔)|暂停提拔"
    # or pay docked by a sum or a share (每人扣3000绩效, 全员绩效扣20%, 年终奖也取消)
    r"|扣[\d一二三四五六七八九十百千两]{1,5}(?:元|块)?绩效"
    r"|绩效(?:全|都|一律)?扣[\d一二三四五六七八九十两]{1,3}(?:[%％]|成)"
    r"|(?:年终奖|绩效奖|奖金)(?:也|全|都|一律)?(?:取消|停发|没了)")
# a rise by a share or a sum (涨20%, 涨三成, 涨三百): the price hype's figure beside the
# lexicon's words (暴涨, 翻倍, 冲到)
_SURGE = re.compile(r"涨\s{0,2}(?:\d{1,3}(?:\.\d{1,2})?\s{0,2}[%％]|[一二三四五六七八九两]成"
                    # or by a sum (每箱涨三百, 涨200块)
                    r"|[\d一二三四五六七八九两十百千]{1,5}\s{0,2}(?:块|元|百|千|万))"
                    # or to a sum (一箱要到三百)
                    r"|要到\s{0,2}[\d一二三四五六七八九两十百千]{1,5}\s{0,2}(?:块|元|百|千|万)")
_QUALIFIES = re.compile("的")
# what follows a claim up to the end of its clause, read to see if it is a question
_CLAUSE_REST = re.compile(r"[^，,。！？!?；;\n]{0,12}([，,。！？!?；;\n]?)")
_QUESTION_WORDS = ("吗", "么", "嘛")
# a quoted span: the claim is mentioned, not made (“自来水被污染”的说法)
_QUOTED = re.compile(r"“[^”\n]{0,40}”|「[^」\n]{0,40}」|\"[^\"\n]{0,40}\"")


@register
class Rumor(Plugin):
    # an internal matter let out by one who knows it (「刚才会上定了，今年要问责的是
    # 东湖区……名单下周才发」) is a leak, not an unverified claim: beside a
    # standing classified finding, a rumour finding the model added is dropped,
    # unless hearsay voices it (听一个老同学说)
    spec = RuleSpec(id="rumor", title="传播谣言", gravity=7,
                    harmless_cues=("debunk", "ask"), stance_cues=("debunk", "ask"),
                    names_subject=True, added_yields_to=("classified",),
                    voice_cues=("claim",))

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "debunk"):
            # 辟谣 notices and 「请勿转发未经核实的消息」
            return self.clear("辟谣或提醒勿传")
        claims = cue_hits(ctx, self.name, "claim")
        pushes = cue_hits(ctx, self.name, "urgency")
        scare = self._scare(ctx)
        if claims and pushes:
            if any(h.start > claims[0].start for h in cue_hits(ctx, self.name, "official")):
                # 「网上有人说……，经查……，请转告」: the hearsay answered by a check
                return self.clear("转述传言后给出核查结果")
            alarms = cue_hits(ctx, self.name, "alarm")
            score = 0.9 if alarms or scare else 0.65
            claim, push = claims[0], pushes[-1]
            what = (f"，内容涉及“{quote(ctx, *scare)}”" if scare
                    else f"，内容涉及“{alarms[0].quote}”" if alarms else "")
            return self.hit(score, quote(ctx, claim, push),
                            f"以“{claim.quote}”传播未经核实的消息并催促“{push.quote}”{what}")
        if scare:
            # 「马上要决堤」: an urgency word inside the claim urges nothing
            pushes = [p for p in pushes if p.end <= scare[0].start or p.start >= scare[-1].end]
            if has_cue(ctx, self.name, "official"):
                return self.clear("官方通知或工作报告中的事件")
            if has_cue(ctx, self.name, "ask"):
                return self.clear("询问消息是否属实")
            said = quote(ctx, *scare)
            if claims:
                return self.hit(0.8, quote(ctx, claims[0], *scare),
                                f"以“{claims[0].quote}”传播耸人听闻的未经证实说法“{said}”")
            if pushes:
                return self.hit(0.8, quote(ctx, *scare, pushes[-1]),
                                f"传播耸人听闻的未经证实说法“{said}”并催促“{pushes[-1].quote}”")
            return self.hit(0.7, said, f"把耸人听闻的未经证实说法“{said}”当作事实发布")
        hype = self._hype(ctx)
        if hype:
            surge, hoard = hype
            return self.hit(0.7, quote(ctx, surge, hoard),
                            f"把“{surge.quote}”的未经证实行情当作事实并催促“{hoard.quote}”")
        claims = claims or cue_hits(ctx, self.name, "assured")
        if not claims:
            return self.clear("无传言用语")
        policy = self._first_stated(ctx, [(h,) for h in pattern_hits(ctx, _SWEEPING, self.name, "scare")])
        # 「省厅刚发文，要求各县一律暂停……请各单位报送」: a document relayed with
        # the work it asks for, not hearsay
        if policy and not has_cue(ctx, self.name, "official", "ask", "relay"):
            said = policy[0].quote
            return self.hit(0.7, quote(ctx, claims[0], *policy),
                            f"以“{claims[0].quote}”传播未经证实的政策消息“{said}”")
        return self.clear("传言未催促转发")

    def _hype(self, ctx: Context) -> tuple[Hit, Hit] | None:
        """Price hype: a price or value said, as fact, to be about to soar
        (下个月铁定冲到800, 下周涨20%, 要翻三倍) and an urge to buy, hoard or
        lock it in now (赶紧囤, 锁价最划算, 稳赚, 错过再等三年); not in a notice
        or a question."""
        hoards = cue_hits(ctx, self.name, "hoard")
        if not hoards or has_cue(ctx, self.name, "official", "ask"):
            return None
        surges = [(h,) for h in cue_hits(ctx, self.name, "surge")]
        surges += [(h,) for h in pattern_hits(ctx, _SURGE, self.name, "surge")]
        stated = self._first_stated(ctx, surges)
        return (stated[0], hoards[-1]) if stated else None

    def _scare(self, ctx: Context) -> tuple[Hit, ...]:
        """The first sensational claim stated as fact: its hit(s), or ()."""
        cues = ctx.cues(self.name)
        candidates: list[tuple[Hit, ...]] = [(h,) for h in cues.get("scare", ())]
        candidates += [(h,) for h in pattern_hits(ctx, _TOLL, self.name, "scare")]
        for subject, said, gap in PAIRS:
            candidates += close_pairs(ctx, cues.get(subject, ()), cues.get(said, ()), gap)
        return self._first_stated(ctx, candidates)

    def _first_stated(self, ctx: Context, candidates: list[tuple[Hit, ...]]) -> tuple[Hit, ...]:
        """The first of ``candidates`` stated as fact: not denied or made
        hypothetical in its clause, not quoted, not asked about; or ()."""
        if not candidates:
            return ()
        candidates.sort(key=lambda c: c[0].start)
        # 没证的账号一律封禁, 不交的全部清退: a denial before a 的 qualifies who
        # the claim is about, it does not deny it
        governed = countered(ctx, self.name, unless=_QUALIFIES)
        quoted = Spans(_Span(m.start(), m.end()) for m in _QUOTED.finditer(ctx.text))
        for claim in candidates:
            first, last = claim[0], claim[-1]
            # 不会封城, 自来水没有被污染: the denial may stand before the
            # subject or between it and what is said of it
            if governed(last) or quoted.covers(first.start, last.end):
                continue
            if self._asked(ctx.text, last.end):
                continue
            return claim
        return ()

    @staticmethod
    def _asked(text: str, end: int) -> bool:
        """The clause ends, within a few characters, as a question (要封城了吗？)."""
        m = _CLAUSE_REST.match(text, end)
        rest = m.group()
        return m.group(1) in ("?", "？") or any(w in rest for w in _QUESTION_WORDS)


class _Span:
    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int):
        self.start, self.end = start, end
