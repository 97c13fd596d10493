"""涉密信息: 密级标志, internal-material labels, unpublished internal matters.

A marked document is the strongest finding (0.9 and above). Unmarked
internal matters score about 0.7, enough for the owner to be told: personnel
decisions before they are announced, exam questions and answers before the
exam, tender base prices and bidders before the opening, inspection and
audit scores before release, case files and whistle-blowers' identities,
the time and place of an unannounced inspection or operation, what a closed
meeting said, and citizens' records looked up in an internal system or
passed on here. Each needs a sign that it is being let out (still
unpublished, got hold of, passed on here, looked up, an operation's hour);
secrecy reminders, another's post asked back (请立即撤回) and published
matters (已公示, 已公布) stay clean.

Evidence never carries the text: only the marking and a hash (core.plugin.redact).

The marking scan reads the whole message, however long: a 密级标志 after
the first ``MAX_TEXT`` characters (which the other rules inspect) is still
found. Its patterns are linear (no two adjacent repetitions can share a
character), and past the cap it reads the plain view alone (``PlainView``).
"""

from __future__ import annotations

import re

from qungui.core import nlp
from qungui.core.matcher import Spans
from qungui.core.plugin import RECORDED, Context, Param, Plugin, RuleSpec, redact, register
from qungui.core.text import PlainView
from qungui.plugins._common import (FAMILIAR_NAME, SURNAMES, Near, clause_ends, clause_of,
                                   cue_hits, has_cue, named_people, one_clause, own_words)

_SEP = r"[\s_·.\-@#/|~+=]*"                     # separators inserted to dodge a filter
# the lexicon's words for material handed over, passed on here or found out
_TOLD_CUES = ("handover", "shared", "obtained")


_INSTRUCTION = re.compile(r"要|请|务必|应当|必须|一律|注意")
# a reminder that heads the message (提醒：行动时间和路线不要外传): a rule, where nothing is told
_REMINDER_HEAD = re.compile(r"\s*提醒\s*[:：]")
# a marking quoted and called a 字样 (a notice describing a case), not one
# heading the material itself
_DESCRIBED = re.compile(r"\s*(?:[”\"'’」』]\s*)?(?:等)?字样")
# a ban on posting into this group (别在群里发, 不要截图发群里, 也不要发在群里,
# 不要往微信群发): a rule for what members post, said to members. One who lets
# a matter out tags it the other way (自己知道就行, 别外传, 别往别的群里转: not
# into another group, 的/其他/村民群).
# The words that forbid, here and in ``_FORBIDDEN``: 能不能……发一份 asks for
# the material, its 不能 no ban; the dialect's 莫 (莫发群里) only before the act, not a
# name (老莫, 小莫).
_BAN_WORDS = r"不得|严禁|禁止|不准|(?<!能)不能|不要|切勿|请勿|勿|(?<![老小])莫(?=发|往|转|截)"
_KEEP_OUT = re.compile(r"(?:别|不许|(?<![要怎么])不发|" + _BAN_WORDS + r")[^，,。！!？?；;\n]{0,8}?"
                       r"(?:(?<![的他它民长友外])(?:群里|群内|群中)|微信群|工作群|本群|上群|"
                       r"(?<=发)群(?=[啊哈呀哦]?(?:$|[，,。！!？?；;、\s])))")
# a rule for a kind of material, not a label on this one: 「旅客信息只能在系统内
# 查询，严禁截图外发」, 「征求意见一律书面反馈」, 「名单只用于制证，请勿转发」,
# 「船员信息属于工作秘密，不得截图外发」, 「工资数据属于内部数据，不得截图外传」,
# 「考察材料属于组织工作内部材料，不发群里」
_SCOPE = re.compile(r"只能|只用于|一律|任何人|任何单位|均不得|属于(?:工作|国家|商业)秘密|属于[^，,。！!？?；;\n]{0,6}?(?:内部|未公开)(?:资料|材料|数据|文件)|"
                    r"属于(?:公民)?个人信息|属于个人隐私|谁都不(?:得|能|许|准)(?:外传|带出|拿走)|不(?:得|许|准)?带出|不(?:得|能)?复印|"
                    r"(?:到|去|在)[^，,。！!？?；;\n]{0,6}?(?:保密室|机要室|机要柜|保密柜)(?:查阅|阅|看|签收|签领)")
# the channel material goes by (机要交通, 专人送, 单独移交, 当面点交, 密封档案袋):
# a rule for it only where nothing is handed over or told of it
_CHANNEL_RULE = re.compile(r"机要交通|专人(?:送|递送|传递)|单独移交|当面点交|密封(?:档案)?袋")


# a label right after the time it holds until (开标前不得外传, 公示前，请勿外传;
# not 目前, 之前, 提前, 此前), followed by the end or by what members are to do
_TIME_BEFORE = re.compile(r"(?<![目之提此])前[，,]?\s?$")
_THEN_WORK = re.compile(r"[^，,。！!？?；;\n]{0,4}(?:[。！!；;\s]*$|[，,。！!？?；;\n]\s*(?:各|请|按|要|务必|大家|以|有|公示|正式|群里))")
# a label followed in its clause by a ban, and nothing after (内部讨论稿不要引用。): a
# rule for a kind of material that ends the message, heading nothing
_RULE_ENDS = re.compile(r"[^，,。！!？?；;\n]{0,4}?(?:" + _BAN_WORDS + r")[^，,。！!？?；;\n]{1,8}[。！!；;\s]*$")
_LIST_RULE = re.compile(r"以下|下列|一律")
# a label that is itself a ban (不要外发, 请勿转发, 先别外传), and what may follow it when
# it is a rule: the end, why (涉及个人信息), or what members are to do
_BAN_LABEL = re.compile(r"(?:先)?(?:" + _BAN_WORDS + r"|别|不宜|未经)")
_RULE_THEN = re.compile(r"\s{0,4}(?:[。！!；;]?\s{0,4}$|[，,。；;]\s{0,2}(?:涉及|因为|含有|包含|里面有|各|请|按|要|务必|大家|以|等))")
# a label followed by what it labels: 「内部资料，不要外传：…」, 「（仅供内部掌握）：…」
_OPENS = re.compile(r"\s{0,2}[)）\]】]?\s{0,2}[:：]")
# a label counted as a kind of document (到了两份机要件, 有几份是内部资料): documents
# named, not a header on this text
_COUNTED = re.compile(r"[\d一二两三四五六七八九十几]\s{0,2}(?:份|个|件|本|页|张)(?:是|为|属于)?$")
# a label quoted as what material bears (会议材料里印有“内部文件 注意保存”的)
_BORNE = re.compile(r"(?:印有|印着|标有|标着|标了|写着|注明|盖有)\s{0,2}[“\"「『'‘]$")
# what kind a document is said to be, of whose (检查通报是内部文件, 雷达原始数据是
# 空管内部资料, 是指挥部内部资料): 是 with its subject before it
_IS_KIND = re.compile(r"[^，,。！!？?；;\n\s:：]是(?:[\u4e00-\u9fff]{1,4}(?<![的了]))?$")
# a label's clause going on to tell what the material says (内部文件的意思是……)
# (秘密级调度令里说……)
_GOES_ON = re.compile(r"[^，,。！!？?；;\n]{0,4}?(?:的意思|意思是|内容是|说的是|写的是|讲的是|里面?(?:说|讲|提到))")
# the message ending on asking leave to tell (能不能先口头跟学生说？, 可以先通知本人吗？,
# 我发群里方便大家对照行不行？)
# leave asked before the act (能不能, 可不可以) or after it (行不行？, 可以吗？)
_MAY = r"(?:能不能|可不可以|能否|是否可以|可以不可以)"
_MAY_AFTER = r"(?:行不行|可以吗|可不可以|好不好|合适吗|行吗|方便吗)"
# (not one done: 我已经发群里了……行不行？)
_TELL = r"(?<!已经)(?:说|讲|告诉|通知|透露|转达|公布|发)(?![^，,。！!？?；;\n\s]{0,3}[了过])"
_ASKS_LEAVE = re.compile(r"(?:" + _MAY + r"|可以)[^，,。！!？?；;\n]{0,16}?" + _TELL
                         + r"[^，,。！!？?；;\n]{0,10}?[吗么]?\s{0,2}[？?]\s*$"
                         r"|" + _TELL + r"[^，,。！!？?；;\n]{0,12}?" + _MAY_AFTER + r"\s{0,2}[？?]\s*$")
_CLAUSES = re.compile(r"[，,。！!？?；;\n]")
# a clause that tells a figure, a rank or what a matter is (标底368万还没公开)
_FIGURES = re.compile(r"\d|[一二两三四五六七八九十百千万]\s{0,2}(?:万|元|名|分|票|个|家)|第[一二三四五六七八九十\d]|是|为|排")
_VOCATIVE_CLAUSE = re.compile(r"[@＠]\S{1,12}|\S{0,3}(?:主任|科长|局长|处长|书记|老师|经理|股长|部长|所长|站长|院长|"
                              r"队长|组长|县长|市长|校长|主席|总|局|处|科|股|姐|哥)")
# a name followed by the comma that makes it the one addressed (彭主任，…)
_VOCATIVE = re.compile(r"\s{0,2}[，,：:]")
# a message that opens by addressing a member (@方涛 …)
_ADDRESSED = re.compile(r"\s*[@＠]")
# a document's title: 「关于全市干部调整的请示」 is the document itself
_TITLE = re.compile(r"关于[^，,。！!？?；;\n]{2,40}的(?:请示|通知|报告|方案|意见|纪要|批复|函)")


# a person's identity numbers said to be in what is attached (身份证号银行卡号都在
# 上面, 带身份证号和银行卡号的): the records themselves handed over
_IDENTIFIERS_IN = re.compile(
    r"身份证号[^，,。！!？?；;\n]{0,10}?(?:都在|全在|在上面|在里面|都有)"
    r"|(?:带|含|附)(?:有|着)?身份证号")
# ... unless they are a form's columns to fill in, hidden, or kept out
_BLANKED = re.compile(r"隐去|脱敏|打码|填|模板|样表|空白|栏|不要出现|不能出现|别出现")
# how members mark an attachment sent with their words ([表格] 花名册…, [文件]
# ….pdf 大家参考); not one inside a quoted message (「王芳：[图片]」), which is
# someone else's
_ATTACHED = re.compile(r"\[(?:文件|表格|图片|截图|附件|照片)\]")


def _no_header(ctx: Context, hit, before: str) -> bool:
    """A label that heads nothing: counted as documents (到了两份机要件),
    naming a kind (材料袋里的内部材料), saying what kind a document is
    (检查通报是内部文件; not 「……，是内部材料，明年要合并两个科室」, with no
    subject), or quoted as what material bears (印有“内部文件”的); none of
    them where the label's clause goes on to tell (两份内部文件的意思是……)."""
    text = ctx.text
    if _GOES_ON.match(text, hit.end):
        return False
    return (before == "的" or _IS_KIND.search(text, max(0, hit.start - 6), hit.start) is not None
            or _COUNTED.search(text, max(0, hit.start - 6), hit.start) is not None
            or _BORNE.search(text, max(0, hit.start - 6), hit.start) is not None)


def _named_beyond_address(ctx: Context) -> bool:
    """Someone named (老王, 张局), other than the member the message opens by
    addressing (「彭主任，……」)."""
    plain = ctx.norm.plain
    return any(not (m.start() == 0 and _VOCATIVE.match(plain, m.end()))
               for m in named_people(plain))


def _clause_spans(text: str):
    """(start, end) of each clause of ``text``, from ``_common.clause_ends``."""
    start = 0
    for end in (*clause_ends(text), len(text)):
        yield start, end
        start = end + 1


def _named_as_content(ctx: Context) -> bool:
    """Someone named other than the member addressed, those the material
    goes to or stays with (只发杜主任, 段科那有一份) and the sender's companions
    (我和田主任去)."""
    plain = ctx.norm.plain
    return any(not ((m.start() == 0 and _VOCATIVE.match(plain, m.end()))
                    or _RECIPIENT_BEFORE.search(plain, max(0, m.start() - 3), m.start())
                    or _WITH_ME_BEFORE.search(plain, max(0, m.start() - 2), m.start())
                    or _KEEPER_AFTER.match(plain, m.end()))
               for m in named_people(plain))


def _told_anything(ctx: Context) -> bool:
    """Something of a matter told: a figure, what the material says or what
    was decided, or someone named as part of it (read once per message)."""
    return ctx.once("classified.told", lambda c: bool(_TOLD.search(c.text)) or _named_as_content(c))


# not-yet-out words that say only when a decision comes out (纪要还没发, 下周宣布, 先心里
# 有数): a sign of a leak only beside something told of it (「会议纪要还没发，大家等通知」
# tells nothing)
_PENDING = frozenset({"纪要还没发", "纪要还没出", "下周宣布", "下周才宣布", "公示还得", "先心里有数"})


# material handed back or logged after reading (交回机要室, 谁借谁还): a secrecy rule only
# where nothing of a matter is told and no figure or hour stands beside it (not 标底是368万，
# ……材料用完交回保密室)
_HANDED_BACK = frozenset({"交回机要室", "交回保密室", "交机要室", "严格登记", "谁借谁还"})
_DIGIT = re.compile(r"\d")


# a value right after a matter's 是/为/定了: a sum of money (标底是368万), or a full
# name closing its clause (考察对象定了张强，; 定了：张强、李娜); not a date, a count or a
# share (标底是3月5日开标前才定, 拟提拔人选为3名, 100%保密), a kind (是保密的), a question
# (是谁) or a time to come (定了以后再公示)
_MONEY = re.compile(r"[\s　]{0,2}\d[\d,，.]*\s{0,2}(?:万|元|亿|千)")
_FULL_NAME = re.compile(rf"[\s　:：]{{0,3}}((?:欧阳|司马|上官|诸葛|皇甫|慕容|司徒|端木)[\u4e00-\u9fff]{{1,2}}"
                        rf"|[{SURNAMES}][\u4e00-\u9fff]{{1,2}}?)(?=$|[，,。；;、\s]|和|同志)")
# a common word that opens with a surname's character (范围, 方向, 时间, 党员, 关键):
# as often in jieba's dictionary as few names are
_COMMON_WORD = 100


def _value_told(ctx: Context) -> bool:
    """A matter that can be given away (标底, 考察对象 …) told with its value."""
    text = ctx.text
    for cue, _, gives_away in _MATTERS:
        if "disclosed" not in gives_away:
            continue
        for hit in cue_hits(ctx, "classified", cue):
            m = _DISCLOSED.match(text, hit.end)
            if m is None:
                continue
            if _MONEY.match(text, m.end()):
                return True
            name = _FULL_NAME.match(text, m.end())
            if name and nlp.frequency(name.group(1)) < _COMMON_WORD:
                return True
    return False


def _not_to_tell(ctx: Context) -> bool:
    """A rule against telling or asking (谁来打听都不能说, 之前不要外传), or the
    matter said to be relayed later (会后按程序传达) (read once per message)."""
    return ctx.once("classified.not_to_tell", lambda c: bool(
        _TELLING_BANNED.search(c.text) or _BEFORE_BAN.search(c.text) or _RELAYED_LATER.search(c.text)))


def _asks_leave(ctx: Context) -> re.Match | None:
    """The message only asks whether a matter not yet out may be told: a
    question asking leave (能不能先口头跟学生说？) ending it, one clause at most
    before it (the matter and that it is not out) besides an address, no
    one named, nothing handed over or found out (read once per message)."""
    return ctx.once("classified.leave", _read_leave)


def _leave_asked(ctx: Context) -> re.Match | None:
    """The question asking leave to tell that ends the message, however much
    else it tells (searched once per message)."""
    return ctx.once("classified.leave_asked", lambda c: _ASKS_LEAVE.search(c.text))


def _read_leave(ctx: Context) -> re.Match | None:
    text = ctx.text
    leave = _leave_asked(ctx)
    if leave is None or _sent(ctx) or _named_beyond_address(ctx):
        return None
    # the clauses before the question's own (its head, 学院那边问, is part of it)
    clauses = [c for c in _CLAUSES.split(text[:leave.start()])[:-1] if c.strip()]
    if clauses and _VOCATIVE_CLAUSE.fullmatch(clauses[0].strip()):
        clauses = clauses[1:]         # 「彭主任，」 the one addressed
    told = cue_hits(ctx, "classified", *_TOLD_CUES)
    # (the posting asked leave for, 我发群里……行不行？, is no posting)
    if (len(clauses) > 1 or any(h.start < leave.start() for h in told)
            or any(_FIGURES.search(c) for c in clauses)):
        return None
    return leave


def _matter_named(ctx: Context) -> bool:
    """An unpublished internal matter's word in the message (考察对象, 标底, 笔录 …)."""
    return ctx.once("classified.matter", lambda c: any(
        has_cue(c, "classified", cue) for cue, _, _ in _MATTERS))


def _scoped(ctx: Context) -> bool:
    """The message states a rule for a kind of material (searched once)."""
    return ctx.once("classified.scope", _read_scope)


def _read_scope(ctx: Context) -> bool:
    if _SCOPE.search(ctx.text):
        return True
    return (_CHANNEL_RULE.search(ctx.text) is not None
            and not cue_hits(ctx, "classified", *_TOLD_CUES)
            and not _CONTENT_TOLD.search(ctx.text) and not _sent(ctx))


def _sent(ctx: Context) -> bool:
    """The message is a file or a picture: material handed over by itself."""
    return ctx.message.type.value in ("file", "image")


def _shared(ctx: Context) -> bool:
    """A file or a picture, or words that say one is sent with them."""
    return _sent(ctx) or ctx.once("classified.attached", _attached)


def _attached(ctx: Context) -> bool:
    return _ATTACHED.search(own_words(ctx)) is not None


# 内部 naming an institution's own function or procedure (《内部审计管理办法》, 内部控制,
# 按内部发文程序印发), not
# a matter kept inside; a telling forbidden right before it (谁来问都别私下说)
_OWN_FUNCTION = re.compile(r"审计|控制|管理|培训|招聘|装修|结构|(?:发文)?(?:程序|流程)")
_FORBIDDEN_BEFORE = re.compile(r"(?:别|勿|不要|不得|不能|不许|不准)$")
_IS_RULE = re.compile(r"\s{0,2}(?:铁|硬|死)?(?:纪律|规矩|规定|要求|红线|底线|原则)\s{0,2}(?:[。！!，,；;]|$)")


def _unpublished(ctx: Context) -> tuple:
    """The words saying a matter is not yet public, less those that do not
    (read once per message)."""
    return ctx.once("classified.unpublished", _read_unpublished)


def _read_unpublished(ctx: Context) -> tuple:
    text = ctx.text
    return tuple(h for h in cue_hits(ctx, "classified", "unpublished")
                 if not (h.term == "内部" and _OWN_FUNCTION.match(text, h.end))
                 and not _FORBIDDEN_BEFORE.search(text, max(0, h.start - 2), h.start))


def _posted(ctx: Context) -> tuple:
    """The words saying material is passed on here (发群里, 发给大家), each
    within one clause (「纪要还没发，大家等通知」 posts nothing) and not a
    posting asked leave for (我能不能直接发群里让许佳帮忙核一下？) (read once)."""
    return ctx.once("classified.posted", _read_posted)


def _read_posted(ctx: Context) -> tuple:
    text = ctx.text
    return tuple(h for h in cue_hits(ctx, "classified", "shared") if one_clause(h)
                 and (_DONE_POSTING.search(text, max(0, h.start - 3), h.end + 1)
                      or not ((_LEAVE_BEFORE.search(text, max(0, h.start - 6), h.start)
                               and _CLAUSE_ASKS.match(text, h.end))
                              or _LEAVE_AFTER.match(text, h.end))))


def _identifiers_handed(ctx: Context) -> bool:
    """A person's identity numbers said to be in the file or picture shared."""
    own = own_words(ctx)
    return _shared(ctx) and _IDENTIFIERS_IN.search(own) is not None and not _BLANKED.search(own)


def _spaced(word: str) -> str:
    return _SEP.join(map(re.escape, word))


_LEVEL = "(?:" + "|".join(_spaced(w) for w in ("绝密", "机密", "秘密")) + ")"
_PERIOD = r"(?:[\d一二三四五六七八九十两]+\s*(?:年|个月|月)|长期|启用前|公布前|会议结束前|解密前)"
# 机密★1年 / 绝密★启用前 / 秘密*长期
MARKING_STAR = re.compile(_LEVEL + r"\s*[★☆*✱✲✳⭐]\s*" + _PERIOD + "?")
# jm★1年, mm★6个月: the level in pinyin initials (机密/绝密 jm, 秘密 mm), a
# filter dodged; with its star and its period, never anything else
MARKING_PINYIN = re.compile(r"(?<![A-Za-z])(?:[jJ][mM]|[mM][mM])\s*[★☆*✱✲✳⭐]\s*" + _PERIOD)
# 秘密 保密期限：1年
MARKING_TERM = re.compile(_LEVEL + r"[\s,，、]*(?:保密期限|保密期)\s*(?:[:：]\s*)?" + _PERIOD)
# 【秘密】 / [机密] as a label in a title or file name
MARKING_BRACKET = re.compile(r"[【\[〔(（]\s*" + _LEVEL + r"\s*[】\]〕)）]")
# a picture or file described as bearing a marking: 页眉标注“秘密”, 盖有机密章,
# 印着“绝密”字样的首页 (what a caption says the shared material shows)
# (标 alone before a quote: 标“机密”的方案, not 目标 or 投标; the spaces
# between are bounded, so that a run of them is read once, not split three ways)
MARKING_DESCRIBED = re.compile(r"(?:标注|标有|标着|标明|注明|印有|印着|盖有|盖着|写着|打着"
                               r"|(?<![目投招商指坐路达夺锦])标(?=了?\s{0,3}[“\"「『'‘])"
                               # (运行方式单标了秘密：…)
                               r"|(?<![目投招商指坐路达夺锦])标(?=了\s{0,2}" + _LEVEL + r"\s{0,2}[:：]))了?"
                               r"\s{0,3}(?:密级)?\s{0,3}[“\"「『'‘]?\s{0,3}(" + _LEVEL + ")")
# how to handle marked material asked (是直接跟普通文件一起移交，还是走单独流程？)
_CONTENT_TOLD = re.compile(r"里面|里写|写着|写明|写的|说|提到|内容")
_HANDLING_ASKED = re.compile(r"(?:还是|怎么|如何|是否|要不要)[^，,。！!？?；;\n]{0,12}(?:移交|归档|处理|流程|登记|销毁|保管)"
                             r"[^，,。！!？?；;\n]{0,6}[？?]\s*$")
# what forbids rather than tells: 标有“秘密”字样的文件不得上传
_FORBIDDEN = re.compile(_BAN_WORDS)
# a described marking on shared material, and in words only (「那份标着机密的
# 文件我放共享盘了」): the second is said of a document, not shown
DESCRIBED_SHARED, DESCRIBED_TOLD = 0.95, 0.75
# what in a file name betrays the content: 内部 (not 内部控制/审计), 涉密, 密件
_FILE_WORDS = re.compile(r"涉密|密件|内部(?!控制|审计|管理|装修|结构|培训|招聘)|绝密|机密")
# what in a file name names an internal matter not yet out: 未公开/未公示, a
# case's interview record (询问笔录), a Party group meeting's minutes, the
# candidates for a post, exam questions, a tender's base price, surveying
# control points and large-scale topographic maps
_FILE_MATTERS = re.compile(r"未公开|未公布|未公示|暂不公开|笔录|控制点成果|(?:党组|常委)会议?纪要|"
                           r"拟任人选|拟提拔|初步人选|人选(?:名单|考察|的意见)|考察材料|考题|试题|"
                           r"题库|标底|底价|招标控制价|地形图")
_FILE_OUT = re.compile(r"公开版|已公开|已公示|已公布|空白|模板|样表|申报表|推荐表")
# secrecy training and education material is not itself secret
_FILE_BENIGN = re.compile(r"培训|教育|宣传|知识|自查|承诺书|课件|警示")
# Past the cap the scan starts this many characters before it, so that a
# marking the cut runs through is read whole.
OVERLAP = 64
# what follows an internal matter and gives it away: 考察对象是…, 标底是3260万,
# 拟提拔名单出来了：…, 投标单位有三家 (read on the few characters after the matter;
# 投标单位有保密资质 is a requirement, nothing given away; 评标专家是谁？ asks)
_DISCLOSED = re.compile(r"(?<=价)[\s　]{0,2}\d|[\s　]{0,2}(?:是(?!否|不是|(?:谁|哪[个位些里]?|什么)\s{0,2}(?:$|[？?，,。！!；;\n]))|[为:：]|有(?:[:：]|[\d一二两三四五六七八九十几]{1,3}\s{0,2}"
                        r"(?:家|个|位|人|名))|定的是|(?:已经|基本|差不多)?(?:定了|定下来了|出来了)|"
                        r"已定|定在|如下|包括|一共|分别是)")
# a whistle-blower named or located: 举报人是…, 举报人的电话… (举报人姓名 alone is a
# kind of information; 举报人姓王, 举报人姓名是… a person)
_NAMED = re.compile(r"[\s　]{0,2}(?:的)?(?:是|叫|姓名\s{0,2}(?:是|叫|为|[:：])|姓(?!名)|就是|"
                    r"电话|手机|住址|家住|身份证|单位|工作单位)")
# 「公布前请勿」, 「公开前不得」: the time before announcement, with a ban on it,
# or right after it (公示前不要打听评审进度)
_FORBIDS = re.compile(r"请勿|不得|不要|别")
_BANNED_AFTER = re.compile(r"\s{0,2}[，,]?\s{0,2}(?:一律|任何人|大家|都|也)?(?:" + _BAN_WORDS + r"|别)")
_CHANNEL_BEFORE = re.compile(r"(?:只|走|仅)$|(?:只能|只限|仅限|仅能)[^，,。！!？?；;\n]{0,8}$")
# what tells something of a matter: a figure (not the hour or the day of a meeting, 19点,
# 9:30, 5号前, nor a wait, 5个工作日), a count or a rank (not 第一时间); what the
# material says (里面写着, 说是, 提到); what was decided (定了, 要调, 撤并, 拍板; not a
# decision still to come, 定了我单独通知, 定了再通知)
# (是 too, but not 是内部的, 是工作秘密: what kind it is)
_TOLD = re.compile(r"(?<![\d:：])\d++(?!\s{0,2}(?:点|时(?!间)|[:：]\d|号|日|个?工作日|天|小时|分钟))|[一二两三四五六七八九十百千万几半]\s{0,2}(?:万|亿|元|块|名|分|票|个|家|人|位|项|条|户|吨|成)"
                   r"|第(?!一时间)[一二三四五六七八九十\d]|里面|里写|写着|写明|写的|提到|内容是|(?:^|[，,。：:\s])说|说(?:是|要|了)"
                   r"|据说|听说|定了(?!再(?:通知|说|告诉)|[^，,。！!？?；;\n]{0,4}通知)|(?:内部|已经|刚|上面|会上)定的|定的是|决定|定下|研究了|通过了|同意了|抽中|要调|调走|撤并|合并|撤销|拍板|要换|换人|砍|口径"
                   r"|排(?:名|第|在|倒数)|倒数|垫底|超标|点名|比(?:去年|上月|上年|同期|预期)|重点(?:查|盯|检查)"
                   r"|先去[^，,。！!？?；;\n]{1,8}再去"
                   # (是 what a matter is; not 是否, 还是, 但是, 就是, nor what kind it is or that
                   # it is drawn at random, 是随机抽取的; who was drawn, 抽中, is told)
                   r"|(?<![还但就只总要凡若如倒可于或])是(?!否|不是|随机|[^，,。！!？?；;\n]{0,8}?(?:内部|秘密|保密|机密))"
                   # (a list opened: 拟提拔人员：张伟、刘洋; full names listed: 张建国和李四)
                   r"|[:：][^，,。！!？?；;\n]{1,12}、"
                   rf"|[{SURNAMES}][\u4e00-\u9fff]{{2}}(?:、|和|跟)[{SURNAMES}][\u4e00-\u9fff]{{1,2}}(?:$|[、，,。和])")
# a message opening with the material's name alone, as its caption (村书记拟任人选清单，未经
# 公示，……): the material itself presented
_CAPTION = re.compile(r"\s{0,4}[^，,。！!？?；;\n是属为在已还要了说]{2,30}(?:名单|清单|方案|纪要|材料|报告|意见|初稿|草案|名册|汇总表|情况表)"
                      r"\s{0,2}[，,：:]")
# a label said of something: what kind it is (属于内部掌握, 是内部材料) or of what was
# said before (这个, 那个, 今天说的事, 刚才那个)
_SAID_OF = re.compile(r"属于?\s{0,2}$|是\s{0,2}$|涉及[^，,。！!？?；;\n]{0,10}$|^\s{0,2}(?:这个|那个|这事|那事|这些|刚才|今天说的|会上说的|下午说的)"
                      r"|(?:这个|那个|说的事|说的那个)[^，,。！!？?；;\n]{0,8}(?:属于?|是)")
# the material asked for or offered (谁有麻烦发我, 我这有, 需要的我发)
_ASKED_FOR = re.compile(r"谁有|发我|发一份|给我发|我这有|需要的我|要的私")
# a rule against telling whoever asks, or against asking (谁来打听都不能说, 谁问都不要讲, 不要
# 打听, 不打听不传); not the leaker's own tags (别往外说, 先别说, 别说出去)
_TELLING_BANNED = re.compile(r"(?:打听|问)[^，,。！!？?；;\n]{0,4}(?:都|也)(?:不能|不要|别|不)(?:说|讲|透露)"
                             r"|(?:不要|别|不许|不准|不得|不)打听"
                             # (or against talking it over here: 群里就不讨论了)
                             r"|(?:群里)?(?:就)?不(?:讨论|展开|细说)了")
# ... or a ban for the time before (审定再公示，之前不要外传; 报告没定稿不得外传)
_BEFORE_BAN = re.compile(r"(?:前|(?:没|未)(?:定稿|公布|公开|公示|发布|印发))[，,]?\s?(?:都|也)?"
                         r"(?:不要|别|不得|请勿|切勿|勿|不准|不许)(?:外传|外发|对外|说|讲|透露)")
# ... or the matter said to be relayed later, through the channel (会议内容会后按程序传达,
# 会议情况明天上午内部传达)
_RELAYED_LATER = re.compile(r"(?:会后|明天|明早|下周|回头|之后|以后|后续|另行|届时|再)[^，,。！!？?；;\n]{0,6}传达")
# someone named as who receives or keeps the material (只发杜主任, 交贾科长, 段科那有一份)
_RECIPIENT_BEFORE = re.compile(r"(?:发|交|报|联系|送|转|找)(?:给)?$")
_KEEPER_AFTER = re.compile(r"那(?:里|儿|边)?有")
# ... and the sender's companions (我和田主任去参加)
_WITH_ME_BEFORE = re.compile(r"我(?:和|跟|与|陪)$")
# how internal material is handled (不对企业发, 不拍照, 到法规科调阅登记, 机要室签收); not 别外传,
# which those who let a matter out say too
_HANDLED = re.compile(r"不对(?:外|企业|社会)|不拍照|调阅登记|签收阅读|(?:机要室|保密室)(?:签收|查阅|调阅)")
_LEAVE_BEFORE = re.compile(_MAY + r"[^，,。！!？?；;\n]{0,4}$")
_CLAUSE_ASKS = re.compile(r"[^，,。！!？?；;\n]{0,20}[吗么]?\s{0,2}[？?]")
# ... or with the leave asked at the clause's end (我发群里方便大家对照行不行？)
_DONE_POSTING = re.compile(r"已经|[发说][^，,。！!？?；;\n]{0,4}[了过]")
_LEAVE_AFTER = re.compile(r"[^，,。！!？?；;\n]{0,20}" + _MAY_AFTER + r"\s{0,2}[？?]")
# 内部 described as what a document bears (报告标着内部的), then what the document says
# told (里面说去年多计了43万): the content of internal material let out
_MARKED_INTERNAL = re.compile(r"(?:标着|标了|标有|标注|印着|印有)\s{0,2}[“\"「『'‘]?\s{0,2}内部")
_SAYS = re.compile(r"[^。！!？?；;\n]{0,12}?(?:里面?(?:说|写|讲|提到)|上面(?:说|写)|写着|内容是)"
                   r"(?!着?\s{0,2}(?:份号|编号|页码|阅后|收回|密级))")
# 内部 in brackets on a document's title (《数据开放负面清单（内部）》), with the document
# sent here (发个……的截图)
_BRACKET_INTERNAL = re.compile(r"[（(【\[〔]\s{0,2}内部(?:资料|材料|文件|稿|版|件)?\s{0,2}[）)】\]〕]")
_SENDS = re.compile(r"发(?:个|一下|一份|给|你|大家)|截图|照片|扫描件")
# a figure told (迁改费是1.37亿, 基站退服412个, 缺口37万千瓦) and then said not to be out, or
# told differently outside (这个数没对外说过, 对外还说充足, 只有我们几个知道): internal
# figures let out; not the time before (检查前不对外, 之前不对外表态), how material is kept
# (不对外提供), or a rule for what is said outside (对外口径以省里通报为准)
# (each run of digits read once: a search starts only where a run begins, and the
# run is taken whole)
_FIGURE = re.compile(r"(?<![\d.])\d++(?:\.\d++)?\s{0,2}(?:万|亿)?\s{0,2}(?:千瓦|千伏安|元|块|吨|个|件|条|户|家|人|台|艘|辆|起|%|亩)"
                     r"|(?<![\d.])\d++(?:\.\d++)?\s{0,2}(?:万|亿)")
_NOT_OUT = re.compile(r"还没对外|没对外(?:说|讲|公布|通报|发布)|未对外(?:公布|发布|通报)|对外口径还没|对外只说|对外还说"
                      r"|不对外(?!表态|提供|发|开放|营业|出租|出售|借)|只有我们几个知道")
# ... or in words that say only that something is not out, opening their clause or after
# 这个, 结果 (比去年低了两个点，还没发布; 结果还没出文; not 岗位表还没公布, which names its own
# subject)
_NOT_OUT_WEAK = re.compile(r"(?:^|[，,。；;！!\s])\s{0,2}(?:这个数?|这|数据|结果|目前|暂时|都|也"
                           r"|[\u4e00-\u9fff]{1,3}(?:局|厅|委|办)|市里|县里|区里|省里|部里|上面)?\s{0,2}"
                           r"(还没公布|还没公开|才公开|还没发布|还没出文|还没正式公布|暂不公开|尚未公开|尚未公布)")
_TIME_BEFORE_OUT = re.compile(r"前[^，,。！!？?；;\n]{0,3}$")
# Score of an unmarked internal matter: below a marked document, above the
# rulebook's bar, so that the owner is told and reviews it.
INTERNAL_SCORE = 0.7
# internal material named in one clause: 内部 said of a list, a file, a plan or a figure
# (县里内部那份……名单, 内部测算表, 内部排名), opening its clause or said of a higher
# level's (县里, 上级); not a unit's or a thing's inside (局内部的考勤表, 管道内部检测报告),
# its own function, facilities or talk (内部审计报告, 内部食堂就餐表, 内部讨论的时候), a form
# handed out to be filled in (内部竞聘报名表), what is put up for all (内部公示名单), nor
# across a doer (我们内部先把数据核一遍)
_INTERNAL_MATERIAL = re.compile(
    r"(?:^|(?<=[，,。！!？?；;\s：:“\"（(【\[])|(?<=县里|市里|省里|区里|上面|上级|部里|厅里|那份|这份))"
    r"内部(?!控制|审计|管理|培训|招聘|装修|结构|程序|流程|发文|食堂|通讯录|联络|网站|邮箱|停车|就餐|宿舍|讨论|会议|"
    r"道路|设施|职工|人员|员工)"
    r"[^，,。！!？?；;\n我你他她说时先把核填]{0,8}?"
    r"(?<!报名|登记|审批|申请|签到|体检|出入|请假|公示|公开|公布|征稿)"
    r"(?:名单|清单|名册|文件|材料|资料|方案|纪要|报告|台账|数据|测算|通报|稿|表|排名|口径|测评结果|得分)"
    r"(?!模板|样表|的?(?:征稿|征集|通知|目录|格式))")
_NOT_DONE = re.compile(r"(?:没有?|不会|不)$")
_TIME_BEFORE_POST = re.compile(r"之?前")
# a form or plan handed out to be filled in or signed up for (各中队报名, 按模板填)
_FILL_IN = re.compile(r"报名|填|按这个|按格式|按模板")
# said to be out already (已经在OA公布了, 已公开出版)
_ALREADY_OUT = re.compile(r"已(?:经)?[^，,。！!？?；;\n]{0,8}?(?:公布|公开|印发|出版|公示|发布)")
_BANNED = re.compile(r"别|" + _BAN_WORDS)
# matters weighty before they are out, besides the lexicon's (a sanction, an
# accountability decision, an unannounced visit, an inquiry's result, scores)
_WEIGHTY = re.compile(r"处分|处理决定|问责|暗访|调查结果|调查结论|成绩|分数|排名|标底|中标|任免|提拔")
# one told ahead: a person by a familiar name (老王, 小李), kin (他家里, 他爸), the press, a
# bidder or a business (几家投标单位, 宏达那边, 酒店老板), another party (市场管理方, 对方); not a
# body of the procedure (纪委那边, 信访局那边, 他单位那边), the buyer or its agent (采购方)
_OFFERED = re.compile(
    r"(?:跟|给|和|向|告诉)\s{0,2}(?P<to>" + FAMILIAR_NAME
    + r"|[他她]?(?:家里|家属|家人|老婆|爱人|媳妇|老公|丈夫|爸|妈|父母|孩子|亲戚|朋友|同学)"
    r"|[\u4e00-\u9fff]{0,6}?(?:记者|媒体|投标(?:单位|人|方)|公司|老板)"
    r"|(?!采购方|甲方|代理)[\u4e00-\u9fff]{1,6}?(?<![局委办部科室组处厅县乡镇区市省务政位])(?:那边|方)"
    r"|对方|企业)")
# what is asked to be told is the work's own step (when it comes out, its rules, the
# work to prepare), not the matter
_ONLY_STEPS = re.compile(r"时间|几点|进度|规则|流程|录入|准备")
# a posting said to come later (等公示了我再发群里, 公示后我发群里, 到时候我转到群里,
# 第一时间发群里, 会发群里的)
_LATER_POSTING = re.compile(r"(?:再|后|会|到时候?|第一时间|回头|晚点|有消息了?)[^，,。！!？?；;\n]{0,3}$")
# (matter cue, what it is called, which signs give it away): "unpublished"
# (还没公示), "obtained" (搞到了), "shared" (发群里), "lookup" (查了一下系统),
# "disclosed" (_DISCLOSED right after it), "named" (_NAMED right after it),
# "timed" (_WHEN near it); a tuple of signs gives it away only with all of them
# near it ("posted_now": a posting done here, not one said to come)
_MATTERS = (
    ("personnel", "人事信息", ("unpublished", "obtained", "disclosed")),
    ("exam", "考试题目或答案", ("unpublished", "obtained")),
    ("tender", "招投标信息（标底、投标人）", ("unpublished", "obtained", "disclosed")),
    # (a notice names a tender's winning candidates: posting them tells nothing
    # once it is out, so both a posting and the words saying it is not yet out)
    ("candidates", "招投标信息（中标候选人）", (("posted_now", "unpublished"),)),
    ("scores", "考核、督查或审计结果", ("unpublished", "obtained")),
    ("case", "案件材料", ("unpublished", "obtained", "shared")),
    ("raid", "暗访、突击检查或执法行动的安排", ("unpublished", "obtained", "disclosed", "timed")),
    ("meeting", "内部会议的内容", ("unpublished", "obtained")),
    ("informant", "举报人身份", ("named",)),
    ("records", "公民个人信息", ("lookup", "shared")),
)
_AFTER = {"disclosed": _DISCLOSED, "named": _NAMED}
# what kind a matter is said to be (暗访安排是评审组的工作秘密): nothing given away by
# itself, where nothing else is told
_KIND_AFTER = re.compile(r"[\s　]{0,2}是[^，,。！!？?；;\n]{0,8}?(?:秘密|内部|保密|机密)"
                         # ... or how it is chosen (评标专家是随机抽取的，谁也递不了话)
                         r"|[\s　]{0,2}是随机")
# the hour or day an unannounced operation starts, near it (周四凌晨两点……收网,
# 明天上午9点半到, 下周二起): its plan, not its announcement
_WHEN = re.compile(r"凌晨\s{0,2}[\d一二三四五六两]{1,2}\s{0,2}点|\d{1,2}\s{0,2}点|"
                   r"(?:早上|上午|下午|晚上|今晚|明晚|明早)\s{0,2}[一二三四五六七八九十两]{1,3}\s{0,2}点"
                   # or its day (下周二起, 明早, 周四城南……): a plan's date
                   r"|(?:下|本|这)?(?:周|星期|礼拜)[一二三四五六日天]|明早|明天一早")
# how far from the operation its hour or day is looked for
WHEN_REACH = 30


@register
class Classified(Plugin):
    spec = RuleSpec(
        id="classified", title="涉密信息", gravity=12,
        params={
            # a label counts as a header if it starts within this many characters
            "header_chars": Param(12, help="an internal-material label starting within this "
                                           "many characters counts as a header", minimum=0),
        },
        room_allow=False, secret=True, temper=False,
        harmless_cues=("reminder", "recalled", "published", "kept"), stance_cues=("recalled",))

    def inspect(self, ctx: Context):
        # a ban on posting into this group, searched once: a reminder, and
        # (with nothing handed over) the rule's recorded reading
        keep_out = _KEEP_OUT.search(ctx.norm.plain)
        # (a ban tagged on a matter's value told is no reminder: 「标底是368万，别发群里
        # 哈」「考察对象定了张强，别截图发群」 are leaks that ask to go no further)
        reminded = (self._reminded(ctx)
                    or (keep_out is not None and not _value_told(ctx)))
        found = self._marking(ctx, reminded) or self._file_name(ctx)
        published = self._published(ctx)
        if not found and not published:
            # a label on shared material, or an internal matter let out: the
            # stronger; neither on what is said to be published (a draft for
            # public comment 已在网站公开挂网 labels nothing secret)
            found = max(filter(None, (self._label(ctx, reminded),
                                      None if reminded else self._internal(ctx),
                                      None if reminded else self._internal_marked(ctx),
                                      None if reminded else self._figure_not_out(ctx),
                                      None if reminded else self._internal_posted(ctx),
                                      None if reminded else self._offered_ahead(ctx))),
                        key=lambda f: f[0], default=None)
        if not found:
            kept_out = (keep_out if keep_out and reminded and not _sent(ctx)
                        and not self._told(ctx, keep_out) else None)
            if kept_out:
                # 「别往微信群里发」 with nothing handed over or found out: the
                # message keeps the material out of the group; the rule's
                # reading, recorded so that the decision stage does not find a
                # leak in it (「我打听到的……别在科室群里说」 is still weighed)
                said = ctx.norm.quote_plain(kept_out.start(), kept_out.end())
                return self.hit(RECORDED, redact(ctx.norm.original, said),
                                f"“{said}”是不许发到群里的提醒，不是所发的材料")
            kept = cue_hits(ctx, self.name, "kept")
            if (kept and not _sent(ctx) and not self._told(ctx, None) and not _matter_named(ctx)
                    and not _unpublished(ctx)):
                # 「谈话名单……放保密柜第二层」「原表只走政务内网」: where the
                # material is kept or how it travels, nothing of it told here;
                # recorded, so that the decision stage does not find a leak in it
                return self.hit(RECORDED, redact(ctx.norm.original, kept[0].quote),
                                f"“{kept[0].quote}”说的是材料的存放或传递渠道，不是所发的材料")
            leave = _asks_leave(ctx)
            if leave and (_matter_named(ctx) or _unpublished(ctx)):
                # 「处分决定还没公布，学院那边问能不能先口头跟学生说？」: asks
                # whether a matter not yet out may be told, tells nothing of it;
                # recorded, so that the decision stage does not find a leak in it
                said = leave.group().strip()
                return self.hit(RECORDED, redact(ctx.norm.original, said),
                                f"“{said}”是询问能否告知，未透露事项内容")
            if reminded:
                return self.clear("保密提醒或通报，无密级标志")
            if published:
                return self.clear("已公示或已公布的事项")
            return self.clear("无密级标志、内部材料标注或未公开的内部事项")
        score, marking, reason = found
        return self.hit(score, redact(ctx.norm.original, marking), reason)

    def _told(self, ctx: Context, keep_out: re.Match | None) -> bool:
        """Something handed over, passed on or found out, outside the ban
        itself (if any): in 「别截屏发群里」 the 发群里 is what is banned, not done."""
        told = cue_hits(ctx, self.name, *_TOLD_CUES)
        if keep_out is None:
            return bool(told)
        a, b = ctx.norm.plain_span(keep_out.start(), keep_out.end())
        return any(not (a <= h.start and h.end <= b) for h in told)

    @staticmethod
    def _views(ctx: Context):
        """(plain view, quote of a plain span) of what the marking scan reads:
        the inspected text, then what the cap left out of a long message."""
        yield ctx.norm.plain, ctx.norm.quote_plain
        if ctx.truncated:
            rest = PlainView.of(ctx.message.text[max(0, ctx.max_text - OVERLAP):])
            yield rest.plain, rest.quote

    def _marking(self, ctx: Context, reminded: bool):
        views = list(self._views(ctx))
        for pattern in (MARKING_STAR, MARKING_TERM, MARKING_PINYIN):
            for plain, quote in views:
                m = pattern.search(plain)
                if m:
                    marking = quote(m.start(), m.end()).strip()
                    if _DESCRIBED.match(plain, m.end(), m.end() + 4) and reminded:
                        # 【通报】……将标有“机密★1年”字样的文件…: a case, not the document
                        return 0.45, marking, f"通报中提及密级标志“{marking}”"
                    complete = bool(re.search(_PERIOD + "$", m.group()))
                    return (0.97 if complete else 0.9, marking, f"消息含密级标志“{marking}”")
        for plain, quote in views:
            m = MARKING_BRACKET.search(plain)
            if m:
                marking = quote(m.start(), m.end()).strip()
                return 0.95, marking, f"消息或附件标注密级“{marking}”"
        if not reminded:
            for plain, quote in views:
                m = MARKING_DESCRIBED.search(plain)
                if m and not (_INSTRUCTION.search(plain, 0, m.start()) or _FORBIDDEN.search(plain)
                              or (not _shared(ctx) and _HANDLING_ASKED.search(plain)
                                  and not _CONTENT_TOLD.search(plain, m.end()))):
                    level = quote(m.start(1), m.end(1)).strip()
                    if _shared(ctx):
                        return DESCRIBED_SHARED, level, f"图片或附件标有密级“{level}”"
                    return DESCRIBED_TOLD, level, f"提及标有密级“{level}”的材料"
        return None

    def _file_name(self, ctx: Context):
        name = ctx.message.file_name
        if not name:
            return None
        plain = ctx.file_name_plain      # cut from the context's view, not normalized again
        m = _FILE_WORDS.search(plain)
        if m and not _FILE_BENIGN.search(plain):
            word = m.group()
            return 0.9, word, f"附件“文件名”标注“{word}”，疑似涉密或内部文件"
        m = _FILE_MATTERS.search(plain)
        if m and not (_FILE_BENIGN.search(plain) or _FILE_OUT.search(plain)):
            word = m.group()
            return INTERNAL_SCORE, word, f"附件文件名显示为未公开的内部事项（“{word}”）"
        return None

    def _reminded(self, ctx: Context) -> bool:
        """A reminder or notice about secrecy, not inside a label (内部通报 is
        a label) nor inside a word saying it is not out yet (还没通报)."""
        reminders = cue_hits(ctx, self.name, "reminder", "recalled")
        if any(h.term in _HANDED_BACK for h in reminders) and (_told_anything(ctx)
                                                               or _DIGIT.search(ctx.text)):
            reminders = [h for h in reminders if h.term not in _HANDED_BACK]
        if reminders:
            inside = Spans(cue_hits(ctx, self.name, "label", "unpublished"))
            if any(not inside.covers(r.start, r.end) for r in reminders):
                return True
        return False

    def _label(self, ctx: Context, reminded: bool):
        labels = cue_hits(ctx, self.name, "label")
        cautions = cue_hits(ctx, self.name, "caution")
        if not (labels or cautions) or reminded:
            return None
        header = self.param(ctx, "header_chars")
        material_hits = cue_hits(ctx, self.name, "material")
        materials = Near(ctx, material_hits)
        shared = _shared(ctx)
        # 「注意保密」 alone is a reminder; on material being shared (a file or a
        # picture itself, not words with an attachment's tag), a label
        labels = labels + [h for h in cautions
                           if _sent(ctx) or materials.partner(h, max_gap=1) is not None]
        if not labels:
            return None
        # material handed over here (附件, 如下, 发给大家, 透露一下, a document's
        # title), a matter said to be unpublished (还没公开; not 「公示前不要外传」,
        # a rule for the time before), or the label opening what follows it
        # (「不要外传：…」)
        handed = shared or self._handed(ctx, labels)
        # a label opening what follows it (「内部资料，任何人不得外传：…」) heads
        # the material, whatever rule it states
        # (not a rule for a list of kinds: 「以下材料一律不得外传：会议纪要、…」)
        opens = (any(_OPENS.match(ctx.text, h.end) for h in labels)
                 and not _LIST_RULE.search(ctx.text, 0, labels[0].start))
        scope = _scoped(ctx)
        # nothing told beside the label: no internal matter, nobody named
        quiet = not (_matter_named(ctx) or _named_as_content(ctx))
        best = None
        for hit in labels:
            before = ctx.text[max(0, hit.start - 1):hit.start]
            # a header opens the message; 「举报人信息要严格保密，严禁泄露」 is an
            # instruction about a kind of information, not a label on one, and
            # 「@方涛 暗访的事不要外传」 is said to a member about what they said
            opening = (hit.start <= header and not _INSTRUCTION.search(ctx.text, 0, hit.start)
                       and not (_REMINDER_HEAD.match(ctx.text) and not _told_anything(ctx))
                       and not _ADDRESSED.match(ctx.text)
                       and not (quiet and (_no_header(ctx, hit, before)
                                           or _RULE_ENDS.match(ctx.text, hit.end)))
                       # 「开标前不得外传，各单位按通知……」: a rule for the time
                       # before, not a header (with something told after it, a header)
                       and not (_TIME_BEFORE.search(ctx.text, max(0, hit.start - 4), hit.start)
                                and _THEN_WORK.match(ctx.text, hit.end))
                       # 「大屏监控画面截图不要外发」: a ban said of the material named
                       # right before it, a rule for it, not a tag on what was told
                       and not (_BAN_LABEL.match(hit.term) and _RULE_THEN.match(ctx.text, hit.end)
                                and any(0 <= hit.start - m.end <= 1 for m in material_hits))
                       # 「这个情况属于内部掌握，大家注意就行，别外传」: a label said of
                       # something (属于, 是; 这个, 今天说的事) with nothing told, handed over
                       # or opened here heads nothing in this message (material passed
                       # round, asked for or captioned is told of: 内部传阅, 谁有麻烦发我,
                       # 候选人考察情况汇总表，……; a label heading a clause of its own,
                       # 「内部掌握，老城区改造项目黄了」, heads what follows)
                       and not (_SAID_OF.search(ctx.text, 0, hit.start)
                                and not (shared or handed or opens or _told_anything(ctx)
                                         or "传阅" in hit.term or _ASKED_FOR.search(ctx.text)
                                         or _CAPTION.match(ctx.text))))
            # 【内部资料】 at the top of what is shared; not a bracketed label on a document
            # to be read where it is kept, nothing of it told (「上级来文（密件）已到，请……
            # 到办公室机要柜查阅，不得复印拍照」)
            if before in ("【", "[", "（", "(", "《", "〔") and not (scope and not shared
                                                                   and not _told_anything(ctx)):
                score = 0.9
            elif not (shared or opens) and scope:
                score = 0.45         # a standing rule on handling such material
            elif opening:
                score = 0.9
            elif handed:
                score = 0.75         # 「讲话稿发给大家，请勿外传」
            else:
                # 「专家审查意见也不要外发」: a rule for material, none handed over
                score = 0.45
            if best is None or score > best[0]:
                best = (score, hit.quote)
        score, marking = best
        if score < 0.5 and not shared:
            kind = "一类" if scope else ""
            return score, marking, f"“{marking}”是对{kind}材料的处理要求，未见所发的内部材料"
        return score, marking, f"转发标注“{marking}”的内部材料"

    def _internal_marked(self, ctx: Context):
        """内部 on a document, said in words (标着内部的) with what the document
        says told after it, or in brackets on its title with the document sent
        here; not where the message bans anything (the rule for such material)."""
        text = ctx.text
        if "内部" not in text:
            return None
        m = _MARKED_INTERNAL.search(text)
        if m and _SAYS.match(text, m.end()) and not _FORBIDDEN.search(text):
            return DESCRIBED_TOLD, "内部", "说出标有“内部”的材料的内容"
        m = _BRACKET_INTERNAL.search(text)
        if m is None:
            return None
        # (a ban after the title may be the content's: 对照一下哪些不能上; a sending banned
        # is none: 不要拍照截图; each clause read once)
        sends = any(_SENDS.search(text, a, b) and not _FORBIDDEN.search(text, a, b)
                    for a, b in _clause_spans(text))
        if (not _FORBIDDEN.search(text, 0, m.start())
                and (_shared(ctx) or sends or has_cue(ctx, self.name, "handover"))):
            marking = m.group()
            return 0.9, marking, f"转发标注“{marking}”的内部材料"
        return None

    @staticmethod
    def _internal_posted(ctx: Context):
        """Internal material (县里内部那份……名单, 内部测算表) in a clause, said to
        be posted here (我发群里了, 发给大家看看); not a posting banned in its
        clause (内部资料别截图发群 is a reminder, read before), nor material
        said to be out already or handed out to be filled in."""
        text = ctx.text
        if "内部" not in text:
            return None
        m = _INTERNAL_MATERIAL.search(text)
        if m is None or _ALREADY_OUT.search(text) or _FILL_IN.search(text):
            return None
        for h in _posted(ctx):
            a, b = clause_of(text, h.start, h.end)
            # (not 没发群里, 不会发群里, nor asked: 我发群里了吗？, nor a rule for the time
            # before: 发群里之前先脱敏)
            if not (_BANNED.search(text, a, b)
                    or _NOT_DONE.search(text, max(a, h.start - 3), h.start)
                    or _CLAUSE_ASKS.match(text, h.end) or _TIME_BEFORE_POST.match(text, h.end)):
                return INTERNAL_SCORE, "内部", "把内部材料发到群里"
        return None

    @staticmethod
    def _offered_ahead(ctx: Context):
        """A matter said not to be out yet, and leave asked to tell it ahead to
        one outside the work (先跟老王说, 跟他家里说一声, 跟宏达那边说): a telling
        offered, not asked about in general (先口头跟学生说 is the procedure's
        question; 跟王局说 tells a leader)."""
        leave = _leave_asked(ctx)
        m = leave and _OFFERED.search(ctx.text, leave.start(), leave.end())
        if not m or _ONLY_STEPS.search(ctx.text, m.end(), leave.end()):
            return None
        if not ((_matter_named(ctx) or _WEIGHTY.search(ctx.text))
                and any("前" not in h.term and h.term != "内部" for h in _unpublished(ctx))):
            return None
        return INTERNAL_SCORE, m.group("to"), "提出把未公开的事项提前告诉他人"

    @staticmethod
    def _figure_not_out(ctx: Context):
        """A figure told, then said not to be out (or told otherwise outside)."""
        text = ctx.text
        figure = _FIGURE.search(text)      # the first figure, found once
        if figure is None:
            return None
        for m in (*_NOT_OUT.finditer(text), *_NOT_OUT_WEAK.finditer(text)):
            start = m.start(m.lastindex or 0)
            if (not _TIME_BEFORE_OUT.search(text, max(0, start - 4), start)
                    and figure.end() <= start):
                said = m.group(m.lastindex or 0)
                return INTERNAL_SCORE, said, f"疑似泄露未公开的内部数据（“{said}”）"
        return None

    def _handed(self, ctx: Context, labels) -> bool:
        """Material handed over, or a matter told, beside the ``labels``."""
        label_spans = Spans(labels)
        unpublished = _unpublished(ctx)
        # 未公开 inside 未公开前不得外传 is the time before, like the rest of it
        # (and 没公示 in 没公示前不要对外说)
        before = Spans(h for h in unpublished if "前" in h.term)
        # (nor where nothing is told and telling is ruled out: 「行程还没最终定，定了我
        # 单独通知，大家别打听也别外传」; nor, where nothing is told, a word that says only
        # when it comes out)
        if unpublished and not _told_anything(ctx):
            unpublished = () if _not_to_tell(ctx) else [h for h in unpublished if h.term not in _PENDING]
        # (not one banned right before it: 不要拍照发朋友圈 hands nothing over; nor 这是 said
        # of the rule: 不得外传，这是铁纪律)
        return (any(not (_FORBIDDEN_BEFORE.search(ctx.text, max(0, h.start - 2), h.start)
                         or (h.term == "这是" and _IS_RULE.match(ctx.text, h.end)))
                    for h in cue_hits(ctx, self.name, *_TOLD_CUES))
                or any("前" not in h.term and h.term != "内部"
                       and not ctx.text.startswith("前", h.end)
                       and not label_spans.covers(h.start, h.end)
                       and not before.covers(h.start, h.end)
                       for h in unpublished)
                or _TITLE.search(ctx.text) is not None
                or any(_OPENS.match(ctx.text, h.end) for h in labels))

    def _published(self, ctx: Context) -> bool:
        """Said to be announced (已公示, 已开标), and nowhere said not to be."""
        return (has_cue(ctx, self.name, "published")
                and not has_cue(ctx, self.name, "unpublished"))

    def _internal(self, ctx: Context):
        """An unmarked internal matter with a sign that it is being let out
        (asked only where no reminder is given and nothing said published)."""
        matters = [(what, gives_away, cue_hits(ctx, self.name, cue))
                   for cue, what, gives_away in _MATTERS]
        if not any(hits for _, _, hits in matters):
            return None          # no internal matter named (most messages)
        hits = {sign: cue_hits(ctx, self.name, sign) for sign in ("obtained", "lookup")}
        hits["shared"] = list(_posted(ctx))
        hits["unpublished"] = _unpublished(ctx)
        if (_scoped(ctx) and _FORBIDDEN.search(ctx.text)
                and not (hits["obtained"] or hits["shared"] or _shared(ctx))):
            # 「会议纪要、未公开的人事信息一律不得在公众号发布」: a rule for
            # kinds of material, none of them told
            return None
        labels = cue_hits(ctx, self.name, "label")
        if labels:
            # 「公示前任何人不得外传」: a rule for the time before, no matter told;
            # 「案卷里的内部信息不要对外说」: a kind of information, none told
            told = _shared(ctx) or self._handed(ctx, labels)
            hits["unpublished"] = [h for h in hits["unpublished"] if "前" not in h.term
                                   and (told or h.term != "内部")]
        if _asks_leave(ctx):
            hits["unpublished"] = []    # only asking whether it may be told
        if (hits["unpublished"] and _HANDLED.search(ctx.text)
                and not (hits["obtained"] or hits["shared"] or _shared(ctx))):
            # 「纪要是内部的，不对企业发」「要看内部卷宗的到法规科调阅登记」: 内部 says
            # what kind the material is, beside how it is handled, nothing told
            hits["unpublished"] = [h for h in hits["unpublished"] if h.term != "内部"]
        if (hits["unpublished"] and not (hits["obtained"] or hits["shared"] or _shared(ctx))
                and not (_told_anything(ctx) or has_cue(ctx, self.name, "handover")
                         or _CAPTION.match(ctx.text))):
            # nothing of the matter told (no figure or rank, nobody named but who
            # receives it, nothing said of what it says or what was decided, nothing
            # found out or posted): 内部 says what kind the material is (「党组会纪要是
            # 内部件，到办公室找我查阅」「标了内部的不外传」), and with a ban on telling
            # or asking, or with the matter said to be relayed later, the not-yet-out
            # words state a rule (「还没开标，谁来打听都不能说」「审定再公示，之前不要
            # 外传」「小范围的闭门会……会议内容会后按程序传达」)
            hits["unpublished"] = ([] if _not_to_tell(ctx)
                                   else [h for h in hits["unpublished"]
                                         if h.term != "内部" and h.term not in _PENDING])
        hits["unpublished"] = [h for h in hits["unpublished"]
                               if not ("前" in h.term and (_FORBIDS.search(h.term)
                                                          or _BANNED_AFTER.match(ctx.text, h.end)))]
        # the system named as where records stay (只在系统里核, 走政务内网发你), not
        # where they were looked up
        hits["lookup"] = [h for h in hits["lookup"]
                          if not _CHANNEL_BEFORE.search(ctx.text, max(0, h.start - 10), h.start)]
        # (a posting still to come, 公示了我再发群里, 有消息了我发群里, posts nothing yet)
        hits["posted_now"] = [h for h in hits["shared"]
                              if not _LATER_POSTING.search(ctx.text, max(0, h.start - 8), h.start)]
        signs = {sign: Near(ctx, found) for sign, found in hits.items()}
        for what, gives_away, hits in matters:
            for hit in hits:
                for sign in gives_away:
                    pattern = _AFTER.get(sign)
                    if sign == "timed":
                        told = _WHEN.search(ctx.text, max(0, hit.start - WHEN_REACH),
                                            hit.end + WHEN_REACH) is not None
                    elif pattern is not None:
                        told = (pattern.match(ctx.text, hit.end) is not None
                                and not (sign == "disclosed" and _KIND_AFTER.match(ctx.text, hit.end)
                                         and not _told_anything(ctx)))
                    else:
                        told = all(signs[s].partner(hit, max_gap=1) is not None
                                   for s in (sign if isinstance(sign, tuple) else (sign,)))
                        # a person's identifiers said to be in what is attached
                        told = told or (sign == "shared" and ctx.once(
                            "classified.identifiers", _identifiers_handed))
                    if told:
                        # the lexicon's word, not the sender's: nothing of the text
                        return (INTERNAL_SCORE, hit.term, f"疑似泄露未公开的{what}（“{hit.term}”）")
        return None
