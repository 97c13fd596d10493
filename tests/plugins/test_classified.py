import pytest

from qungui.core.events import MessageType
from tests.plugins.conftest import THRESHOLD, message, top

BODY = "关于某项目的谈判底价为三点二亿元"


@pytest.mark.parametrize("text, marking", [
    (f"机密★1年\n{BODY}", "机密★1年"),
    (f"绝密★启用前 {BODY}", "绝密★启用前"),
    (f"秘密 保密期限：1年\n{BODY}", "秘密 保密期限：1年"),
    (f"機密☆長期 {BODY}", "機密☆長期"),                 # traditional characters
    (f"机 密＊10年 {BODY}", "机 密＊10年"),               # spaced, full-width star
    (f"jm★1年 {BODY}", "jm★1年"),                         # the level in pinyin initials
    (f"MM*6个月 {BODY}", "MM*6个月"),
])
def test_marking_is_found_and_body_is_redacted(inspect, text, marking):
    [f] = inspect("classified", text)
    assert f.score >= 0.95
    assert f.evidence.startswith(marking)
    assert BODY not in f.evidence and "底价" not in f.evidence
    assert "sha256:" in f.evidence
    assert marking in f.reason and BODY not in f.reason


def test_marking_in_attachment_name(inspect):
    msg = message("", type=MessageType.FILE, file_name="机密★5年 招商谈判方案.docx")
    [f] = inspect("classified", msg)
    assert f.score >= 0.95 and "招商谈判方案" not in f.evidence


def test_internal_file_name(inspect):
    msg = message("大家看一下", type=MessageType.FILE, file_name="（内部）干部考核结果汇总.xlsx")
    [f] = inspect("classified", msg)
    assert f.score >= THRESHOLD and "干部考核结果" not in f.evidence


@pytest.mark.parametrize("text", [
    "【内部资料】2027年重点项目储备清单：一、……二、……",
    "内部资料 注意保密\n全县财政收支情况如下：……",
    "明天会上的讲话稿发给大家先看看，请勿外传",
    "@张科 内部资料，不要外传：这批考察对象是老王和小李",
    # an attachment written into the text, as WeChat quotes one or a member marks it
    "[文件] 江川省种质资源保护利用规划（征求意见稿 内部资料 注意保存）.pdf 大家参考",
    "东浦古厝修缮二期的控制价和几家意向单位的报价我整理了，内部参考一下[图片]",
    # a person's identifiers named on what is attached
    "[表格] 全县制种农户花名册，身份证号银行卡号都在上面，各镇自己下载核对",
    "这批务工人员花名册导出来了，带身份证号和银行卡号的，企业要的话我直接群里发[文件]",
    # an inspection's bulletin (督查通报) is a document, not a notice about secrecy
    "刚出来的专班督查通报，排名靠后的三个街道是……算了我直接发吧[文件]《督查情况通报（内部资料 请勿外传）》.pdf",
    # a label counted, naming a kind or closing the message, with the matter told beside it
    "组织部的内部资料，拟提拔人员：张伟、刘洋、陈静",
    "这两份是内部资料，老王去财政局，小李去发改委",
    "老王提局长了，不要外传哈",
    "内部资料：标底3260万，原件不上微信",
    "区里准备撤并三个街道，先别外传",
    "刚开完会，是内部材料，明年要合并两个科室",
    "两份内部文件的意思是明年撤并三个街道",
])
def test_internal_label_on_shared_material(inspect, text):
    [f] = inspect("classified", text)
    assert f.score >= THRESHOLD
    assert not any(w in f.evidence for w in ("重点项目", "财政收支", "花名册", "报价"))


def test_unpublished_personnel_list(inspect):
    [f] = inspect("classified", "这次干部调整方案还没公布，拟任人选有张某、王某，先别外传")
    assert f.score >= THRESHOLD
    assert "张某" not in f.evidence


@pytest.mark.parametrize("text", [
    "请大家注意保密纪律，涉密文件不得上传微信群",
    "上网不涉密，涉密不上网，请各单位严格落实",
    "局里下周举办保密知识培训，请各科室报名",
    "这个不是秘密，大家都知道明天开会",
    "领导说的小秘密，周五有加餐",
    "干部任前公示已在县政府网站发布，请大家监督",
    "请把内部控制制度修订稿报给办公室",
    # a standing rule for a kind of material, not a label on something shared
    "不动产档案只能在内网调阅，严禁截图外发，有疑问电话联系",
    "各科室注意，患者病历严禁截图外传，调阅一律走系统",
    "涉密材料严禁通过微信传输，刚才发错的同志请立即撤回",
    "好，周四准时开。涉密材料会后统一交回机要室，别带出会商室",
    "收到。各科室涉密文件阅办严格登记，谁借谁还",
])
def test_reminders_and_everyday_words_are_clean(inspect, text):
    assert top(inspect("classified", text)) < THRESHOLD


def test_a_label_on_shared_material_stays_a_label_beside_a_standing_rule(inspect):
    # the same words on material actually shared: a label, whatever else is said
    text = "【内部资料】2027年干部考察安排，一律按此执行，严禁截图外传"
    assert top(inspect("classified", text)) >= 0.9
    msg = message("一律按此执行，严禁截图", type=MessageType.IMAGE)
    assert top(inspect("classified", msg)) >= THRESHOLD


@pytest.mark.parametrize("file_name", [
    "盗采案嫌疑人询问笔录（第3页）.jpg",
    "2024年非煤矿山执法检查问题清单（未公开）.xlsx",
    "局党组会议纪要（关于科室负责人人选的意见）.jpg",
    "2025年中层干部拟任人选名单（讨论稿）.docx",
    "城南片区1:2000地形图及控制点成果.zip",
])
def test_a_file_named_for_an_internal_matter_is_for_review(inspect, file_name):
    msg = message("", type=MessageType.FILE, file_name=file_name)
    [f] = inspect("classified", msg)
    assert 0.6 <= f.score < 0.9                 # no marking: the owner reviews it


@pytest.mark.parametrize("file_name", [
    "2025年优秀党员推荐人选申报表.docx",        # a blank form to fill in
    "拟任人选任前公示（已公示）.pdf",
    "标准地图公开版地形图.pdf",
    "笔录制作规范培训课件.pptx",                # training material
    "6月道路养护巡查问题清单（已派单）.xlsx",
])
def test_a_file_named_for_ordinary_work_is_clean(inspect, file_name):
    msg = message("", type=MessageType.FILE, file_name=file_name)
    assert top(inspect("classified", msg)) < THRESHOLD


def test_secrecy_training_attachment_is_clean(inspect):
    msg = message("培训课件", type=MessageType.FILE, file_name="涉密人员保密教育培训课件.pptx")
    assert top(inspect("classified", msg)) < THRESHOLD


def test_bracketed_level_in_file_name_is_a_marking(inspect):
    from qungui.core.events import MessageType
    from tests.conftest import Clock
    msg = Clock().msg("", type=MessageType.FILE, file_name="【秘密】2027年干部调整考察名单.docx")
    found = inspect("classified", msg)
    assert found and found[0].score >= 0.9
    assert "干部调整" not in found[0].evidence and "【秘密】" in found[0].evidence


@pytest.mark.parametrize("text", ["收到jm★", "hmm★好的", "这个jm文件夹★标一下"])
def test_pinyin_initials_without_a_period_are_no_marking(inspect, text):
    assert top(inspect("classified", text)) < THRESHOLD


def test_secret_in_everyday_use_is_not_a_marking(inspect):
    assert not [f for f in inspect("classified", "这个不是什么秘密，大家都知道") if f.score >= 0.6]


def test_a_notice_describing_a_marking_is_not_a_leak(inspect):
    text = "【通报】某单位干部将标有“机密★1年”字样的文件拍照上传工作群，给予警告处分"
    assert top(inspect("classified", text)) < THRESHOLD
    # the same marking heading the material itself still is
    assert top(inspect("classified", f"机密★1年 {BODY}，请大家注意保密")) >= 0.95


@pytest.mark.parametrize("text", [
    "省里下发的那份文件是密件，已在机要室登记，需要阅看的领导请到机要室，不在群里传",
    "这份内部资料不要在群里发，需要的同志到机要室查阅",
    # a ban on posting a kind of material here, however worded
    "提醒各乡镇：农户身份证号、银行卡号这些信息别在群里发，需要核对的走政务内网",
    "提醒各班组，配电自动化系统截图属于内部资料，不要往微信群发，要看的用内网工作站",
    "强调一下：用户姓名电话住址不要截图发群里，工单在系统里流转",
    "提醒：考察谈话记录、民主测评结果是内部材料，不要在群里讨论，也不要截图",
    # a standing rule on a kind of data, and a rebuke for what was posted and recalled
    "提醒：社保系统里的参保人明细属于个人信息，不得截图外传，核对在系统内完成",
    "刚才那张会议纪要截图是内部材料，已撤回，请大家不要转发",
])
def test_material_kept_out_of_the_group_is_not_a_leak(inspect, text):
    assert top(inspect("classified", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    # a rule for how material is to be handled, with nothing handed over
    "提醒各起草组：送审稿在正式发布前请勿在公众号、论文中提前使用，专家审查意见也不要外发，一切按程序来。",
    "缺陷调查过程中企业提供的技术资料属于商业秘密，调查报告未经审核不得外发，请各位注意。",
    "审核期间请专家对片源文件严格保管，不得转发、不得下载到个人网盘，审核意见以市局正式函件为准。",
    "陪同人员注意：内部材料不要带到采访现场，手机不要连酒店公共WiFi处理工作文件。",
    "检查时拍的企业内部资料照片请只上传执法系统，不要存个人手机，更不要发群。",
    "再次强调评审纪律：评审员不得与申报组织私下接触，评分结果在公示前严格保密。",
    # the time before announcement, with a ban on telling: a rule, no matter told
    "考评得分经领导小组审定后统一公示，公示前任何人不得外传，也不要四处打听名次。",
    # 先别外传 beside a question, nothing handed over
    "群里有人问是不是要取消午休值班，我没见到文件，先别外传，等办公室确认。",
    # a kind of information (内部信息), none told
    "复议决定已在政府网站公开，申请人可以自己去查，卷宗里的内部信息不要对外说。",
    # a refutation asking that a rumour not be passed on
    "安和基金会的情况局里已核实，其年度审计报告无异常，网传“亏空两千万”无事实依据，请勿转发。",
    # a telling forbidden (别私下说), an institution's own function (内部审计), paper
    # material no one may take out
    "说一下：三标段招标控制价在开标前不得外传，我们审计组也只在内网系统看，谁来问都别私下说。",
    "对照《公立医院内部审计管理办法》自查了一下，审计结果运用机制还没建起来，正在完善。",
    "秘书处文件袋里有内部材料，会后由机要员统一回收，谁都不许带出会场",
    "候选人预备人选考察材料属于组织工作内部材料，不发群里，各支部书记到机关党委办公室查阅",
    "各位注意，以下材料一律不得外传：会议纪要、考察材料、人事方案",     # kinds listed, none told
    # a rule for the time before (X前请勿外传), at the head of the message
    "督查安排未正式发文前请勿外传，各单位按通知要求派员即可。",
    "公示前请勿外传，各单位按通知要求做好准备。",
    # a label with the rule for it and nothing after; the time before with a ban and the end
    "涉密材料到局保密室查阅登记，不复印不带出。仲所长需要的话提前一天预约",
    "已公开的可以直接引用，内部讨论稿不要引用。",
    "袁局，拟聘人员名单公示前不得外传。",
    "提醒：雷达原始数据是空管内部资料，大家需要的话我出个摘要，原始数据不往外传。",
    "涉密文件不走顺路捎带，必须机要交通或专人送，魏科你那份要是有密级就别放车上。",
    "涉密文件单独移交，用密封档案袋，填《涉密档案移交清单》，当面点交，不经过收发室",
    # the posting banned right before it is no handing over
    "提醒各行：企业走访记录表里有财务数据，要妥善保管，不要拍照发朋友圈做宣传",
])
def test_a_rule_for_handling_material_is_not_a_label_on_it(inspect, text):
    assert top(inspect("classified", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    # the same labels on material handed over or a matter told: a leak
    "关于全市干部调整的请示（讨论稿），仅供常委参阅，请勿扩散",
    "拟推荐市级劳模名单（未公示，仅供内部掌握）：李强、王秀英、陈家豪、杜明",
    "这是跟华远集团谈判的底价方案，仅限领导班子阅，不得外传。地价最低可以让到每亩18万",
    "何局让转一下，这是还没公开的景区门票调价方案，内部文件，先别往外说",
    "专家审查意见附后，大家看看，不要外发",
    # a matter told (说个事, 才上会, 正式的还没), then 先别外传
    "说个事，局党组昨天定了，办公室副主任由档案科老周接任，下周才上会，先别外传",
    "刚看到初步的考核打分，我们街道排倒数第三，正式的还没出，先别外传",
    "市里对咱们的暗访打分出来了，只有81分，垃圾分类扣得最多，大家先别外传",
    "恒远运输的整改复查分我先透一下哈：动态监控62，安全管理55，别外传",
    # a label opening what follows it, whatever rule it states
    "内部资料，任何人不得外传：拟提拔人选名单如下，张三任局长，李四任副局长",
    "内部资料，谁都不要外传：拟提拔人选名单如下，张三任局长，李四任副局长",
    "开标前不得外传：控制价3260万，拟邀请单位华远、恒泰",
    # a time before, a rule or a kind named, with the matter told after it
    "发文前不要外发，这次调整的是王建国和李四",
    "内部资料，要不发群里大家都看看：拟提拔名单是王建国、李四",
    "这属于我们局内部消息，不要外传，标底是3260万",
    "内部掌握，谁都不要说，标底是3260万",
    # a document said to bear a marking, with what it says told; 内部 in brackets on a
    # title sent here
    "区审计报告初稿出来了，标着内部的，里面说去年翠苑改造多计了43万工程量，要追回",
    "省公司发的秘密级调度令里说，港城变水位超过1.2米就主动停运，全县东片会全停",
    "运行方式单标了秘密：7月16日到18日东郊变两回线全停，城东片区单电源运行",
    "发个我们局《数据开放负面清单（内部）》的截图，大家对照一下哪些不能上",
    # a ban said of the material named before it, with the matter told after it; the
    # time before, with a rank told
    "考察名单不要外传，张建国和李四",
    "考核结果出来了，我们第三，公示前不要外传",
    "党组会内部定了撤并科室，别外传",
    "暗访安排是明天上午9点，别外传",
    # a label heading a clause of its own heads what follows, however it is told
    "内部掌握，老城区改造项目黄了，开发商要撤资",
    "不要外传，县医院院长被带走了",
    "仅限内部掌握，工业园那家企业下个月要关停",
    "别外传，纪委要处分住建局那个副局长",
    # decided, with what was decided told: not a decision still to come
    "中标单位定了再公布，宏达公司稳了，先别外传",
    "局长人选内部定了后天上会，是从市里派下来的，先别外传",
    # the channel named beside what the document says; a reminder heading what is told
    "密件渠道下发的文件，内容是明年防汛资金压缩30%，先别外传",
    "提醒：以下为内部资料，请勿外传。县委常委会研究决定，河口镇和城关镇合并",
])
def test_a_label_on_material_handed_over_is_a_leak(inspect, text):
    assert top(inspect("classified", text)) >= THRESHOLD


def test_a_marking_is_a_leak_whatever_the_message_promises(inspect):
    [f] = inspect("classified", "附件（机密★1年）请各位阅处，不在群里传")
    assert f.score >= THRESHOLD


def test_a_marking_past_the_cap_is_found(inspect):
    """The other rules read the first max_text characters; the marking scan reads it all."""
    filler = "今天下午三点开会，请准时参加。" * 20
    [f] = inspect("classified", filler + "机密★1年 干部调整方案", max_text=50)
    assert f.score >= 0.95 and f.evidence.startswith("机密★1年")
    [f] = inspect("classified", filler + "〔秘 密〕", max_text=50)
    assert f.evidence.startswith("〔秘 密〕")


def test_a_marking_the_cap_cuts_is_read_whole(inspect):
    text = "请审阅。" * 11 + "机密★1年 干部调整方案"        # the cut falls inside the marking
    [f] = inspect("classified", text, max_text=46)
    assert f.evidence.startswith("机密★")


# --- unmarked internal matters let out ------------------------------------

@pytest.mark.parametrize("text, secret", [
    # its day (下周二起, 明早) and targets, not announced to them,
    ("跟大家通个气，下周二起税务和科技局联合对恒拓电子、新锐材料三家不打招呼上门核查研发费用", "恒拓"),
    ("下周突击检查安排：周二澄峰湖音乐节，周三万达店庆，都不打招呼", "澄峰湖"),
    # personnel decisions before they are announced
    ("这次的考察对象是老王和小李，组织部下周来谈话", "老王"),
    ("还没公示的任免：刘某任办公室主任，陈某调任信访局", "刘某"),
    ("听说这次干部调整拟任人选已经定了，我把名单发群里", "干部调整"),
    ("部里刚定的，这批提拔人选有咱们科的小周，还没公示，先别声张", "小周"),
    # exam questions and answers before the exam
    ("明天公务员面试的题目我搞到了，要的私聊", "公务员"),
    ("下周职称考试的答案我这有一份，发群里大家看看", "职称"),
    ("这次遴选笔试的试题提前拿到了，第一题是乡村振兴", "乡村振兴"),
    # tender base prices and bidders before the opening
    ("那个道路项目的标底是3260万，大家报价往这靠", "3260"),
    ("污水厂项目拦标价定的是1.2亿，还没开标，别外传", "1.2亿"),
    ("投标单位一共四家，鑫源、宏达、永安、华泰", "鑫源"),
    ("投标单位有三家：鑫源、宏达和外省一家", "鑫源"),
    # a case file or an exam paper in hand, passed round
    ("我们院在办的那个案子，我把起诉意见书拍了几页上来", "案子"),
    ("上期学员那儿有套结业考题，说题库没换", "结业"),
    # inspection and audit scores before release
    ("年度考核分数还没公布，咱们单位排第三，先别外传", "第三"),
    ("省里暗访的打分结果我提前看到了，我们县倒数第二", "倒数"),
    ("督查排名还没通报，咱们镇这次第二", "咱们镇"),
    ("年度考核分数出来了，咱们局排倒数第三，正式通报还没下，先别往外说", "倒数"),
    # case files and whistle-blowers
    ("这是王某受贿案的案卷，拍照发给大家看一下", "受贿"),
    ("纪委那边的问题线索我整理好了，附件发群里", "纪委"),
    ("举报人是城关镇的老刘，他老婆在财政局上班", "老刘"),
    ("举报人姓王，住在河西村三组", "河西村"),
    ("举报人姓名是刘建军，在财政局上班", "刘建军"),
    # kept from another group, not from this one: a leak's own tag
    ("考察对象定了，是老王和小李，别往别的群里转", "老王"),
    ("年度考核分数还没公布，咱们单位排第三，别往其他群里发", "第三"),
    # a leak is a leak after a friendly opener
    ("提醒各位，明天考试的题目我搞到了，第三题是论述题", "论述题"),
    # citizens' records looked up in an internal system
    ("我查了一下系统，这个人户籍在河西村，身份证号320102199001011234", "320102"),
    ("刚在公安内网查了，他名下有三套房两台车", "三套房"),
    ("查了下他的开房记录，上个月跟一个女的住了三次", "三次"),
    # an unannounced inspection or operation: when and where, before it happens
    ("演习时间我打听到了，定在10月22号上午，不提前打招呼直接拉警报", "10月22号"),
    ("透露个事，这次实战拉练是双盲，实际时间定的下周四晚上8点", "周四"),
    ("明天凌晨四点公安对城南两个会馆收网，这事就咱们几个知道", "城南"),
    # its plan, hour and all
    ("这周四凌晨两点对站前那几家黑旅馆收网，参战警力60人，点位：建设路18号", "建设路"),
    ("明天上午省里飞检组要来，先去永泰再去金丰，9点半左右到", "永泰"),
    # a surprise visit planned (打算突击, 别让企业知道) or the points of a joint operation
    ("下周三去查恒远化工偷排的事，打算突击，早上7点出发，别让企业知道", "恒远"),
    ("下周二凌晨联合执法的点位：东关桥头黑加油点、西街两家无证作坊，4点半集合，别外传", "东关"),
    # what a closed meeting said, written down or photographed
    ("昨天专班闭门会我记了几条：一是城投可能违约，二是准备动用平准基金兜底", "平准基金"),
    ("我把昨天常委会上讨论安置的那段记录拍下来了，重点是明年资金要压缩", "压缩"),
    # a citizen's papers photographed into the group
    ("这个孩子情况特殊，我把他病历和家里户口本拍了发群里，大家看看", "孩子"),
    # asked to be let out before it happens (透个风, 透一下)
    ("夏老师，下一轮暗访抽哪几个县能不能透个风？我们好提前安排", "几个县"),
    ("白老师，这回理论题是不是又换了？要不你透一下今年重点考哪几章", "几章"),
    ("结业考的卷子我在教务室瞄到了，选择题第3题是土地承包经营权流转期限", "流转期限"),
    # the matter told beside a plea not to ask, a sentence that says how, a handling word
    ("考察对象定了，是王芳和赵强，大家别到处打听了", "王芳"),
    ("考察对象是从发改委调过来的王芳", "王芳"),
    ("拟提拔名单张伟、刘洋、陈静，按内部材料掌握，不要外传", "张伟"),
    # a plea to keep it out, a promise to recall it, a later de-identified copy: still told
    ("考察对象定了是老王，别发群了，自己知道就行", "老王"),
    ("考察对象是老王，大家看完我都撤回", "老王"),
    ("考察对象定了是老王，名单脱敏后再发正式的", "老王"),
    ("评标专家是随机抽取的，这回抽中了老周和老吴", "老周"),
    ("评标专家是谁？我打听了，是老周和老吴", "老周"),
    ("考察对象定了是老王，具体的群里就不说了，私聊", "老王"),
    # not yet out in other words (还没最后定)
    ("考核等次建议名单已经报领导小组了：优秀8个，一般3个，交通局、文旅局、松岭县，还没最后定", "松岭县"),
    ("我在系统里查了一下，他名下有三套房", "三套房"),
    ("导出的老人名单里有身份证号，我直接发群里了，许佳帮忙核一下", "老人名单"),
    # a figure told, then said not to be out or told otherwise outside
    ("今天午高峰全市实际缺口是37万千瓦，调控中心内部统计的，对外口径还没出", "37万"),
    ("内部算了下，新时段执行后全市工商业用户一年电费要多出2.3亿，这个数没对外说过", "2.3亿"),
    ("城南那台主变实际能开放的容量只剩3200千伏安了，调度内部核的，对外还说充足", "3200"),
    # what kind the minutes are, with a matter told
    ("纪要是内部的，刘局下月调市里", "刘局"),
    # the leaker's own tags beside a matter told: a rank, the bidders, the route, the post
    ("督查考核结果还没公布，咱们区排倒数，别往外说", "倒数"),
    ("投标单位就宏达跟恒远，还没开标，别往外说", "宏达"),
    ("暗访的路线还没通知，先去开发区再去高新区，别说出去", "开发区"),
    ("考察对象还没公示，这个位置最后给李强，先别往外说", "李强"),
    ("暗访安排是工作秘密，这次重点查城东批发市场和北关夜市", "城东"),
    ("暗访点是内部定的，城东菜市场和北关夜市", "城东"),
    ("拟提拔人选有你，先别声张", "有你"),
    ("今年全县GDP增速4.2%，统计局还没发布", "4.2%"),
    ("一季度招商引资到位资金只有3.2亿，市里还没公开", "3.2亿"),
    # a meeting's decision told before its minutes; a bidder picked before the notice; a
    # discipline decision before it is announced; a post before its notice
    ("今天两省厅闭门会商已经定了，大坳那段争议线按河道中心线走，界牌乡三个村民小组划到我们这边，纪要还没发", "界牌乡"),
    ("遥测终端集中采购下午开标了，入围的是华测、水信科技、江河电子三家，华测报价最低，公示还得三天", "华测"),
    ("悄悄说一句，昨天中心党委会定了，去年那次应急出队迟到的事要给老丁一个警告处分，估计下周宣布", "老丁"),
    ("听组织部的朋友说，林局下个月要调去乡镇当书记，还没公示", "乡镇当书记"),
    ("技术部这边能查到每个站点的购彩记录，城东有个老彩民上个月一个人买了18万，身份证号4201……", "18万"),
    ("党组会议上防汛指挥部要撤销，会后按程序传达，还没公开", "撤销"),
    # a reserve price, an investigation's conclusion, a post's holder before the notice
    ("血站新冷链库招标底价860万，医院设备科朋友说的，有认识做冷链公司的可以参考一下", "860万"),
    ("那起不安全事件局方的调查结论其实已经出来了，是机组没按程序联系，处理意见是机长停飞半年，下周才发文。", "停飞半年"),
    ("区委刚定了，林会长年底去区政协当副主席，会里要换人，公示还得等两周", "政协"),
    # 只是 (just) before a lookup is no channel; an expert named after how experts are drawn
    ("我只是在公安内网查了一下，他家住城南花园3栋502，老婆在县医院上班", "502"),
    ("评标专家是按规定抽取的，这次抽中了老周和老吴", "老周"),
])
def test_unmarked_internal_matters_are_for_review(inspect, text, secret):
    [f] = inspect("classified", text)
    assert 0.6 <= f.score < 0.9                 # the owner reviews it; a marking is stronger
    assert secret not in f.evidence and secret not in f.reason
    assert "sha256:" in f.evidence


def test_material_handed_back_is_a_rule_only_where_nothing_is_told(inspect):
    """交回机要室, 谁借谁还 state how material is handled; beside a figure or an
    hour told they hide no leak."""
    assert top(inspect("classified", "好，周四准时开。涉密材料会后统一交回机要室，别带出会商室")) < THRESHOLD
    assert top(inspect("classified", "标底是368万，还没开标，材料用完交回保密室")) >= THRESHOLD
    assert top(inspect("classified", "巡察组下周二上午9点突击检查城关镇，这份安排看完交机要室")) >= THRESHOLD


def test_a_marked_document_outranks_an_unmarked_matter(inspect):
    unmarked = top(inspect("classified", "拟提拔名单出来了：张三、李四，还没公示"))
    marked = top(inspect("classified", "机密★1年 拟提拔名单出来了：张三、李四，还没公示"))
    assert THRESHOLD <= unmarked < 0.9 <= marked


@pytest.mark.parametrize("text", [
    "@孙浩 预审意见是内部掌握的，这个群里有企业联络员，撤回，走OA。",
    "这个是内部论证材料，还没上会，群里有企业和外单位的同志，麻烦先撤回，走内网发。",
    # secrecy reminders
    "涉密材料不要发群里，请大家注意保密",
    "注意保密",
    "大家注意保密",
    "提醒大家：干部考察期间要严守纪律，注意保密，不得打听和泄露考察情况",
    "请各单位不得在工作群内传输考试试题和标底等敏感信息",
    "举报人信息要严格保密，严禁泄露",
    "转办举报件时请隐去举报人姓名和电话，不要直接截图发群",
    "提醒各位：报名表里有身份证号，只用于办证，请勿转发到其他群",
    "船员个人信息属于工作秘密，不得截图外发",
    "为保护个人隐私，请不要在群里发身份证号",
    # published or announced
    "拟提拔干部任前公示已在县委组织部网站发布，请大家监督",
    "年度考核结果已公示，请各单位查看",
    "本次招标开标结果已公布，第一中标候选人为华泰建设",
    "考试已经结束，参考答案已在官网公布",
    "《城市绿化条例（修订草案）》征求意见稿已在市人大网站公开挂网，请把链接转给各小区物业",
    # ordinary work about the same matters
    "请各单位于周五前报送拟提拔人选的推荐材料",
    "请考察对象于周四上午到组织部谈话，带好个人有关事项报告表",
    "明天考试的考场安排已发群里，请考生带好准考证",
    "本周五组织全体干部进行党规党纪知识测试，试卷现场发放",
    "投标人须知见招标文件第二章",
    "请各科室报送参会人员姓名、身份证号",
    "案卷归档工作请于月底前完成",
    "今年共受理问题线索23件，已办结18件",
    "请各村做好户籍人口信息核对工作",
    "社保系统今天升级，暂停办理业务",
    # a draft sent round for comment is the way drafts are meant to travel
    "物业服务收费办法征求意见稿已发各街道，请周五前书面反馈修改意见",
    # what was downloaded is to be deleted, the material read offline
    "这是内部稿，刚才下载的同志立即删除，后续委里组织线下传阅",
    # a rule for kinds of material, none told; inspections announced in the open
    "提醒各单位，内部文件、会议纪要、未公开的人事信息一律不得在公众号发布",
    "明天省里暗访组可能下来，驻村队员务必在岗",
    "医保飞检下周进驻，请各科室自查病历和收费",
    "会议纪要已印发，请各单位对照落实",
    "内部纪要也不要拍照上群，需要的我线下传达",
    "检测数据在报告签发前不得外传，特别不能跟企业透露，这是纪律",
    "职工身份证号、银行卡号是从系统导出来的，不许截图发群，要核对的到统计员电脑上查",
    "突击检查的时间地点不在微信里说，明早8点队里会议室当面布置",
    "拟处罚名单是内部资料，各组长明天到会计科线下传阅签字，已下载的立即删除",
    "比对名单里有身份证号和家庭住址，只在内网处理，别往微信群里发，有问题打电话沟通",
    "提醒各位：群众身份证号、银行卡号一律不能在群里发，核对走政务内网",
    # another's post asked back or gone: a reaction, never a leak
    "李主任，扫描报告是内部资料，群里不合适，麻烦撤回一下，需要的我线下给纸质版",
    "名单未公示前不得外传，已删除，比对请走平台接口",
    "@小陈 考察人选还没公示，谁让你在群里说的？马上撤掉",
    "小方，纪要是内部的，撤回吧，正式答复走书面文件",
    # said to a member about what they said: a rebuke, not a header
    "@方涛 暗访的事不要外传。各单位平时就按标准办，不需要提前准备什么",
    "@邵航 撤回！复核安排未公开前不得外传，各基地按标准正常准备即可",
    # a requirement on bidders is not a list of them
    "外包按政府采购程序公开招标，涉密项目要求投标单位有保密资质",
    "提醒：专项抽查名单在审计机构进场前不对外公布，请各位不要打听，局里也不会提前透露。",
    "网上有人卖所谓的“押题卷”，说是内部流出，纯属诈骗，提醒考生不要上当",
    "暗访点位按规定不提前透露，具体安排以正式通知为准。",          # what will not be let out
    "提醒各位：突击检查计划属于工作秘密，任何人不得提前透露，请自觉遵守纪律。",
    "具体人员信息表走政务内网，群里不要出现身份证号和前科情况。",
    # a reply quoting someone else's picture: nothing handed over by the sender
    "「王芳：[图片]」\n- - - - - - - - - - - - - - -\n收到，注意保密",
    "「王芳：[图片]\n这是花名册」\n- - - - - - - - - - - - - - -\n收到，身份证号都在上面，我核对过了",
    # a reminder beside a picture's tag
    "[图片] 会议期间注意保密，手机统一存放",
    "[图片] 住址栏请写到门牌号",
    # documents counted, not a header on this text
    "人才办今天到了两份机要件，各单位来取要带介绍信",
    "复审申报材料里有几份是内部资料，我放涉密柜了，要查阅的来办公室，不外传不拍照",
    # who the experts are, asked about
    "大厅有个投标单位的人一直在打听今天评标专家是谁，我让他离开了，要不要登记一下？",
    # a test report obtained for one's own station; a ban on the medium; a label naming a kind
    "谢谢吴站长上周帮忙联系供电所，油站的防雷检测报告拿到了",
    "别截图，审计报告是内部材料不上微信。明天上午在503会议室拿纸质版对",
    "材料袋里的内部材料标了“会后收回”，会务组在出口统一收",
    # what kind a document is, and the label material bears, told with its handling
    "下月网络安全检查通报是内部文件，收到后由信息科科长组织学习，不扫描、不拍照",
    "会议材料里印有“内部文件 注意保存”的，会后统一回收，各组联络员核对回收数量。",
    # kept in the case system, posting it banned with a particle after 发群
    "解放路那起无照经营的案子，当事人信息和询问笔录我都录进办案系统了，要看的走系统调，别拍照发群啊",
    # the internal procedure a document goes by
    "联席会纪要正在审签，按内部发文程序印发各成员单位，涉及案件的部分只发到承办处室。",
    # posting into the group banned with 、 after 发群; a list kept in its channel; a
    # post asked back from the group; the time before with a ban right after it
    "提醒：标段划分和控制价资料是指挥部内部资料，没公开之前不得发群、不得转给施工单位以外的人。",
    "杨警官，名单我走政务内网发你，不在微信传，里面全是孩子身份证号。",
    "这两天核报名信息一千多条，现在闭眼都是身份证号前六位😵 大家放心，信息只在系统里核，不导出。",
    "黎科，这个我不能接收，请在系统里走批量变更，含身份证号的表也请从群里撤回。",
    "人社这边再提醒一句，评审结果公示前不要打听评审进度，评委名单也不对外，有问题打人社专技股电话。",
    # posting asked leave for, not done
    "北塘有3家食堂人脸识别机坏了，导出的老人名单里有身份证号，我能不能直接发群里让许佳帮忙核一下？",
    # asking whether the one concerned may be told, nothing of the matter told
    "彭主任，考察对象还没最后定，可以先通知本人准备材料吗？",
    "年度考核结果等公示了再说，大家别着急",
    # internal material with how it is handled; a marked document's handling asked; a post recalled
    "纪要是内部的，不对企业发。企业问就说按已公开的《人才安居实施细则》执行，分配结果公示后再反馈。",
    "已起诉的15件逾期案件，判决书公开部分可以在裁判文书网查，要看内部卷宗的到法规科调阅登记。",
    "专班第一次调度会纪要已印发，内部件，请各成员单位到中心稽核科机要室签收阅读，不拍照、不外传。",
    "文电科这边有一批标“机密”的来文已经办结，是直接跟普通文件一起移交，还是走单独流程？",
    # what is said outside as a rule, the time before, a figure with nothing kept in
    "本月全市查获走私冻品案件3起，数据已报省打私办，对外口径以省里通报为准。",
    "今天6条线索全部办结，核查结果没出来之前不对外表态",
    "双随机抽查比例不低于20%，抽中名单检查前不对外",
    "中标结果以县公共资源交易中心公示为准，没公示前不要对外说",
    # what kind the material is (是内部的, 标了内部的), nothing of it told
    "协调会纪要是内部的，原件在我办公室柜子里，要看的找我，别拍照",
    "指挥部周例会纪要是内部的，只发各单位联络人，请不要转到施工班组群",
    "会议纪要会后在OA发，标了内部的不外传，群里只通知时间地点",
    "专班会议纪要OA已发，标内部的部分请勿截图",
    "联防联控工作会的会议记录是内部的，我整理好发各单位邮箱，群里就不贴了",
    # a rule for a marked document (不能复印, read at the confidential cabinet), a title cited
    "不能复印，那是涉密件，吴书记到海防办机要柜阅，阅后登记",
    "请大家学习《保密管理规定（内部）》，不要外传",
    # a ban said of the material named right before it, with why; the time before 公示
    "大屏监控画面截图不要外发，涉及个人信息",
    "考核结果要先经领导小组审定再公示，之前不要外传，公示时会在县政府网站发",
    # nothing of the matter told: 内部 as what kind the minutes are, whoever keeps them
    "市政府收储资金那次会议纪要已经印发，标的是内部，各区到办公室领纸质件，别扫描",
    "管委会主任办公会纪要是内部的，段科那有一份，需要看找她",
    "市长专题会纪要清欠那部分我摘录了，没有密级，但只限内部，在OA里看",
    "党组会纪要是内部件，需要了解的到办公室找我查阅",
    "昨天调度会纪要初稿整理好了，属内部纪要，放共享盘加密文件夹了，群里就不发了",
    # ... and with a ban on telling or asking, the not-yet-out words are a rule
    "物业公司招标评分细则还没开标，这个阶段谁来打听都不能说，大家注意",
    "考核结果初稿先经主任办公会审定再公示，公示前各单位不要打听",
    # what kind an arrangement is (是……工作秘密), a label beside who receives the material
    "暗访安排是评审组的工作秘密，我们不打听不传，按全域标准准备",
    "各单位采购合同价格是内部材料，汇总表只发杜主任，不要群发",
    # a figure beside a document of its own not out; 不对外营业; a handling note; a ban on
    # sending; the matter's own name (拟提拔人选) told of nothing
    "今年事业单位计划招30人，岗位表还没公布，大家留意人社局官网",
    "机关食堂下周起午餐12元一份，不对外营业，外来办事人员请到对面餐厅",
    "那份标注内部的材料上面写着份号，大家核对一下自己手里那份的份号",
    "《年度工作要点（内部）》纸质版已放各科室，大家抓紧看，不要拍照截图",
    "到了两份内部文件里面写着阅后收回，看完请交回办公室",
    "讲话稿初稿请李局过目，定稿前不要外传",
    "拟提拔人选的考察材料是内部的，原件在组织科",
    # a label on talk referred back to, of which nothing is told here
    "这个情况属于内部掌握，大家注意就行，别外传",
    "评议会发言记录属内部材料，不入群、不外传",
    "今天说的事是内部的，大家别外传",
    "迎检自评分表是内部材料，各单位填好直接交双拥办，不要相互传",
    "党组会纪要是内部的，是否需要打印请告诉办公室",
    "局务会纪要是内部的，查阅的时间和方式，另行通知",
    "专题会纪要是内部的，我先去打印，大家再去会议室看",
    "会议纪要是内部的，需要查阅的找王主任",
    "干部考察名单还没公示，谁问起来也不要说",
    # a ban said of the draft named before it; a label a rule is conditioned on (涉及……的);
    # the time before, then a rule for the group
    "对，书面报，征求意见稿不要外传",
    "上传材料涉及个人信息或者涉密文件的，脱敏或者线下报送，不要直接传群",
    "认定的评审意见公示前不要外传，群里也别讨论",
    # a decision still to come, with asking ruled out; a closed meeting whose content is to
    # be relayed later; minutes not out yet, nothing of them told; a notice 通报一下
    "督导组的具体行程和检查点位还没最终定，定了我单独通知，大家别打听也别外传。",
    "今天下午三点有个小范围的闭门会，只通知了科长以上，其他同志正常值班，会议内容会后按程序传达。",
    "今晚19点我和田主任去省防指参加闭门会商，会议情况明天上午内部传达，在此之前大家不要打听。",
    "会议纪要还没发，大家等通知",
    "通报一下，明天上午九点召开全局大会，请准时参加",
    "下午开标了，入围的三家名单已在交易中心网站公示",
    # a date, a wait, 第一时间 and a sign-up count tell nothing; a reminder not to look
    # people up; an election's result still to come
    "今年的评优名单要党委会研究后才公布，请各科室5号前报推荐人选",
    "党组会议纪要还没发，第一时间转发各科室",
    "党委会纪要还没发，请各支部书记3号前把会议记录报送过来",
    "拟提拔人选公示还得5个工作日，公示期满无异议再发文",
    "户籍信息在公安系统里能查到，但必须经审批，不得私查",
    "培训报名的有32人，还没报的科室抓紧，名单还没定",
    "党员大会接任书记的选举结果下周宣布，请各位党员8点到会",
    "考核分数要月底才公布，第一名有奖励，大家加油",
    # a bracketed level on a document to be read where it is kept; a recycling network
    "上级来文（密件）已到，请相关同志到办公室机要柜查阅，不得复印拍照。",
    "各位，今年区里给我们的任务是新建规范化回收网点40个，目前建成23个。下周一调度会各街道网点负责人参加。",
    "招标控制价已在交易中心网站公布，底价不设",
    # a conclusion not out, sent through the channel, not talked over here
    "有一篇涉及某企业安全事故调查情况的信息，调查结论还没公开，已转内网通道报送，群里就不讨论了。",
    # the channel named; a reminder's own rule; a rule for records; how experts are drawn
    "收到。考核细则已按密件渠道下发，请各区县攻坚办主任本周内到市攻坚办机要室签领。",
    "提醒：行动时间和路线不要外传，家属也别说，之前有过走漏消息扑空的情况。",
    "考生名单含身份证号、联系电话，仅限工作人员在内网查看，严禁外传。",
    "@詹伟 评标专家是随机抽取的，谁也递不了话，让他按公告正常报名就行。",
])
def test_reminders_published_matters_and_work_are_clean(inspect, text):
    assert top(inspect("classified", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "上级下达的本年度任务数分配表（页眉标注“秘密”），各乡镇任务数一览",
    "标注“秘密”字样的《关于近期有关情况的报告》首页照片",
    "盖有机密章的会议纪要第二页",
])
def test_a_picture_described_as_marked_is_a_leak(inspect, text):
    [f] = inspect("classified", message(text, type=MessageType.IMAGE))
    assert f.score >= 0.95
    assert "分配表" not in f.evidence and "会议纪要" not in f.evidence


def test_a_label_on_material_not_yet_published_is_still_a_leak(inspect):
    [f] = inspect("classified", message("征求意见稿，官网公布前请勿转发", type=MessageType.FILE,
                                        file_name="城市绿化条例（修订草案）征求意见稿.docx"))
    assert f.score >= THRESHOLD


@pytest.mark.parametrize("text", [
    "那份标着机密的文件我放共享盘了，大家自己下",
    # asked for: 能不能……发一份 is an ask, not a ban
    "钟主任，省里下来的那份标着“秘密”的人防工程分布图，能不能也给我们发一份？",
    # 标 and the level in quotes
    "厅里转来那份标'机密'的处置方案，谁手上有，麻烦发我一份",
])
def test_a_marking_described_in_words(inspect, text):
    [f] = inspect("classified", text)
    assert THRESHOLD <= f.score < 0.95


@pytest.mark.parametrize("text", [
    "那份机密文件谁手上有发我一份",
    "县卫健局发的那个秘密级的评审材料，我这有电子版，谁要学习的我发",
    "省里那份加了密级的勘界坐标成果表我导出来了，需要的我直接发群里",
])
def test_a_level_named_on_material_asked_for_or_offered_is_a_leak(inspect, text):
    assert top(inspect("classified", text)) >= THRESHOLD


@pytest.mark.parametrize("text", [
    "标注“秘密”字样的文件一律不得拍照上传到群里",
    "提醒：凡标有机密字样的材料严禁在微信群传输",
    "请注意，印有绝密的文件要按规定登记",
    # a level named on material in a reminder, a recall or a case
    "机密文件请到机要室查阅，不要拍照，不要带出",
    "@饶晓芳 饶科，机密级文件按规定走机要渠道，群里请撤回。",
    "通报一起失泄密典型案例：某干部将机密文件拍照发至微信群，被给予党内警告处分",
])
def test_a_rule_about_marked_material_is_clean(inspect, text):
    assert top(inspect("classified", text)) < THRESHOLD


def test_keeping_material_out_of_the_group_is_recorded_unless_something_is_told(inspect):
    """「别往微信群里发」 with nothing handed over: the rule's reading,
    recorded (the decision stage adds no leak against it); with a matter
    found out and told (打听到的), the message is weighed as it was."""
    from qungui.core.plugin import RECORDED
    [f] = inspect("classified", "比对名单里有身份证号，只在内网处理，别往微信群里发")
    assert f.score == RECORDED and "不许发到群里" in f.reason
    told = inspect("classified", "我从医保局打听到的，飞检抽查名单里有咱们骨科，别在科室群里说")
    assert all(f.score != RECORDED for f in told)
    # the ban's own 截图发群里 is what is banned, not something handed over
    [f] = inspect("classified", "职工身份证号、银行卡号不要截图发群里，要核对的到统计员电脑上查")
    assert f.score == RECORDED
    # 能不能……发群里 asks for it: no ban
    asked = inspect("classified", "那份检查意见还没正式反馈，能不能先把初稿发群里我们看看？")
    assert all(f.score != RECORDED for f in asked)


def test_a_leak_that_asks_to_be_deleted_after_reading_is_still_a_leak(inspect):
    """「看完请删除」, 「看完立即删除」 are the leaker's own tag (a label: the
    reaction word inside it is no reminder); another's post asked back
    (请立即撤回), to be deleted (请删除, 立即删除) or gone (已删除) is a
    reaction."""
    assert top(inspect("classified", "【内部资料】拟调整干部名单发大家，看完请删除")) >= THRESHOLD
    assert top(inspect("classified", "【内部资料】拟调整干部名单发大家，看完立即删除")) >= THRESHOLD
    assert top(inspect("classified", "【内部资料】拟调整干部名单怎么发群里了？请立即撤回")) < THRESHOLD
    assert top(inspect("classified", "刚才那份【内部资料】各位立即删除")) < THRESHOLD
    assert top(inspect("classified", "刚才那份【内部资料】已下载的同志请删除")) < THRESHOLD


def test_identifiers_said_to_be_in_a_file_are_records_let_out(inspect):
    msg = message("身份证号银行卡号都在上面，各镇自己下载核对", type=MessageType.FILE,
                  file_name="制种农户花名册.xlsx")
    [f] = inspect("classified", msg)
    assert f.score >= THRESHOLD and "花名册" not in f.evidence


@pytest.mark.parametrize("text, file_name", [
    # the columns of a form to fill in, identifiers said hidden or kept out, a
    # list to check one's own entry in
    ("报名表填姓名、岗位、单位、手机号就行，身份证号不要填", "集训报名表.docx"),
    ("请各村按附件格式填报低保户姓名、身份证号、家庭住址，带身份证号的一栏必填", "低保户信息统计表.xlsx"),
    ("三季度补助核发表已出（身份证号已隐去），请各分队长核对出勤天数", "补助核发表.xlsx"),
    ("注意：材料里不要出现身份证号和家庭住址，含住址的一律删掉", "材料要求.docx"),
    ("附件是防汛值班表，请核对各自的住址和手机号", "防汛值班表.xlsx"),
    ("请核对，身份证号是否完整", "人员名单.xlsx"),
    ("身份证号齐全的请打勾", "人员名单.xlsx"),
    ("春节慰问名单，住址都在上面，按地址送到家", "慰问名单.xlsx"),
    ("下周二省卫健委飞行检查，重点看病历书写，各科自查表周五前交医务科", "自查表.docx"),
])
def test_identifiers_named_on_a_blank_or_hidden_attachment_are_clean(inspect, text, file_name):
    msg = message(text, type=MessageType.FILE, file_name=file_name)
    assert top(inspect("classified", msg)) < THRESHOLD
    # and written into the text with an attachment's tag
    assert top(inspect("classified", "[文件] " + text)) < THRESHOLD


def test_the_dialects_ban_keeps_material_out_of_the_group(inspect):
    """「私发我，莫发群里」: 莫 forbids as 别 does, right before the act; not
    a name (老莫在群里说了) nor inside a word (莫名其妙)."""
    from qungui.core.plugin import RECORDED
    [f] = inspect("classified", "还没报的今晚前报给我，要身份证后四位和一卡通账号，私发我，莫发群里。")
    assert f.score == RECORDED and "莫发群里" in f.reason
    for text in ("莫名其妙发到群里的那张图是什么", "老莫发群里的那张表大家看一下格式"):
        assert not any("莫" in f.reason for f in inspect("classified", text)), text
    [f] = inspect("classified", "老莫在群里说了，这次考察对象是王强和刘敏")
    assert f.score >= THRESHOLD



@pytest.mark.parametrize("text, leak", [
    # a matter's value told (a sum, a full name) and then kept out of the group: a
    # leak that asks to go no further
    ("标底是368万，别发群里哈", True),
    ("标底价为3,680,000元，别发群里", True),
    ("考察对象定了张强，别截图发群", True),
    ("考察对象是王浩和李敏，先别往群里发", True),
    ("考察对象定了：张强、李娜，别发群里", True),
    ("考察对象是欧阳娜娜，别发群里", True),
    # the matter named, nothing of it told: a reminder (a kind, a date, a count, a
    # share, a common word that opens with a surname's character)
    ("标底别发群里", False),
    ("标底是保密的，别发群里", False),
    ("考察对象名单别截图发群", False),
    ("考察对象为科级干部，名单别发群", False),
    ("拟提拔人选是下周常委会定，别打听也别发群", False),
    ("标底是3月5日开标前才定，到时候别发群里", False),
    ("拟提拔人选为3名，具体名单别发群里", False),
    ("标底为100%保密内容，别发群里", False),
    ("考察对象定了范围，名单别发群里", False),
    ("拟提拔人选定了时间，别往群里发", False),
    ("考察对象是党员，名单别截图发群", False),
    ("标底是关键，千万别发群里", False),
])
def test_a_ban_tagged_on_a_value_told_is_still_a_leak(inspect, text, leak):
    assert (top(inspect("classified", text)) >= THRESHOLD) == leak


@pytest.mark.parametrize("text, leak", [
    # internal material said to be posted here, by the rule itself
    ("县里内部那份重点盯防矿山名单，我发群里了，大家对照", True),
    ("内部数据发群里了，大家对照看看自己乡镇的", True),
    ("内部那份考核排名表我已经发给大家了", True),
    ("市里内部的排查名单我先发群里，大家抓紧核", True),
    ("县里内部那份名单已上传群文件，大家自己下", True),
    ("内部测算表丢群里了，大家看", True),
    ("内部排名发群里了，大家看看自己乡镇", True),
    ("内部名单我转到群里了", True),
    # asked leave for, asked whether done, not done, banned
    ("股长，县里内部那份重点盯防矿山名单，我发群里方便大家对照行不行？", False),
    ("内部测算表我发群里了吗？好像没有", False),
    ("县里内部那份名单不能发群里，我已经撤了", False),
    ("提醒一下，整改清单目前是内部工作稿，对外宣传统一用区政府公告的版本，工作稿别截图发朋友圈。", False),
    # 内部 as a unit's scope, its own function or facilities, or its talk
    ("单位内部的值班表我发群里了，大家看看自己哪天", False),
    ("科室内部分工方案我发群里了，大家对照", False),
    ("局内部的考勤统计表发群里了，请各科室核对", False),
    ("项目内部验收报告我发群里了，问题清单大家对照整改", False),
    ("内部培训课件我发群里了，大家自学", False),
    ("内部通讯录更新了，我发群里了", False),
    ("我们内部先把数据核一遍，核完我发群里", False),
    ("内部讨论的时候我说过这个方案不行，现在报告发群里了", False),
    # a thing's inside; a unit's scope by any name; forms to fill in; put up for all;
    # already out; a rule for the time before; a notice about material
    ("管道内部检测报告我发群里了，问题段请施工方整改", False),
    ("园区内部道路改造方案我发群里了，大家提提意见", False),
    ("街道内部的值班表我发群里了，大家看看自己哪天", False),
    ("我镇内部的人员分工方案我发群里了", False),
    ("内部竞聘报名表我发群里了，有意向的填一下周五前交", False),
    ("内部练兵比武方案我发群里了，各中队报名", False),
    ("内部公示名单我发群里了，大家监督，有意见找纪检", False),
    ("内部竞聘方案已经在OA公布了，我也发群里了，大家看看", False),
    ("内部数据发群里之前先脱敏处理", False),
    ("内部交流材料的征稿通知我发群里了，月底截稿", False),
    # written in traditional characters, read the same
    ("內部名單我轉到群裏了", True),
    ("縣裏內部那份重點盯防礦山名單，我發群裏了，大家對照", True),
    ("單位內部的值班表我發群裏了，大家看看自己哪天", False),
    ("縣裏內部那份名單不能發群裏，我已經撤了", False),
    ("內部交流材料的徵稿通知我發羣裏了，月底截稿", False),
])
def test_internal_material_announced_as_posted_is_a_leak(inspect, text, leak):
    assert (top(inspect("classified", text)) >= THRESHOLD) == leak


@pytest.mark.parametrize("text, leak", [
    # a tender's winning candidates posted here before their notice
    ("中标候选人名单还没公示 我发群里了大家核一下行不行？", True),
    ("中标候选人名单我已经发群里了，还没公示，大家先看看", True),
    # the notice out or to come; a rule for the time before; what a notice
    # names; the procedure
    ("第三批电缆框架协议的中标候选人已经在平台公示了，公示期3天", False),
    ("市公共资源交易中心今天已公示二期项目中标候选人，公示期3天", False),
    ("中标候选人下周公示，公示期三天", False),
    ("中标候选人名单还没公示，大家别打听", False),
    ("第一中标候选人为宏达建设，第二中标候选人为路桥集团", False),
    ("中标候选人名单发群里了，交易中心昨天已公示", False),
    # posted, nothing said of its notice; not out, nothing posted; a posting to come
    ("中标候选人名单我发群里了，大家核一下", False),
    ("中标候选人还没公示，请大家耐心等待", False),
    ("中标候选人还没公示，等公示了我再发群里", False),
    ("中标候选人名单还没公示，公示后我发群里", False),
    ("交易中心网站还没公示中标候选人，有消息了我发群里", False),
    ("中标候选人还没公示，交易中心说明天挂网，到时候我转到群里", False),
    ("中标候选人要等评标报告出来才定，大家别急", False),
    ("评标委员会推荐中标候选人的表决环节全程录音录像，见证员注意提醒专家独立表决", False),
])
def test_a_tenders_winning_candidates_before_their_notice(inspect, text, leak):
    assert (top(inspect("classified", text)) >= THRESHOLD) == leak


@pytest.mark.parametrize("text, leak", [
    # a weighty matter not yet out, leave asked to tell it ahead to one outside the work
    ("处分决定还没公布，能不能先跟老王说？", True),
    ("处分决定还没公布，是降级，能不能先跟他家里说一声？", True),
    ("这次暗访定在周三，查城东菜市场，还没对外公布，可以先跟市场管理方说一下吗？", True),
    ("调查结果还没公布，能不能先跟举报人那边说一声？", True),
    ("标底还没公开，能不能先跟几家投标单位说一下？", True),
    ("面试成绩还没公布，能不能先跟他爸说一声？", True),
    ("调查结论还没公布，能不能先跟记者说一下？", True),
    ("處分決定還沒公布，能不能先跟老王說？", True),
    # the procedure's question, a leader told, a matter already out, a time before
    ("彭主任，上周那个违规用电的处分决定还没公布，学院那边问能不能先口头跟学生说？", False),
    ("处分决定还没公布，我能不能先跟王局汇报一下？", False),
    ("处分决定已经公布了，能不能先跟老王说？", False),
    ("處分決定已經公布了，能不能先跟老王說？", False),
    ("处分决定还没公布前，能不能先跟当事人谈话？", False),
    # matters that are no secret before they are out
    ("放假安排还没公布，能不能先跟家里说一声？", False),
    ("活动方案还没公布，能不能先跟老李说让他准备场地？", False),
    ("会议通知还没发，能不能先跟各乡镇那边说一声时间？", False),
    ("方案还没定稿，能不能先跟施工方说一下大概进度？", False),
    # the procedure's own bodies, the buyer, or only the work's steps told
    ("处分决定还没公布，能不能先跟纪委那边说一下？", False),
    ("调查结果还没公布，能不能先跟信访局那边说一声？", False),
    ("中标结果还没公示，能不能先跟采购方说一下？", False),
    ("处分决定还没公布，能不能先跟他单位那边说一下？", False),
    ("成绩还没公布，能不能先跟老李说一下明天几点公布？", False),
    ("排名还没公布，能不能先跟各县那边说一下排名规则？", False),
])
def test_a_weighty_matter_offered_ahead_to_one_outside_is_a_leak(inspect, text, leak):
    assert (top(inspect("classified", text)) >= THRESHOLD) == leak


@pytest.mark.parametrize("text, leak", [
    # a ban for the time before the report is final: a rule, nothing told
    ("@孙晓 @钱明 两位会后留下。报告没定稿不得外传，这是铁纪律。明天反馈会前8点组内碰头，带上检查底稿。", False),
    # the same ban heading what it says, or what it lists
    ("报告没定稿不得外传，里面写了要撤并三个乡镇", True),
    ("名单还没公布，不要外传：张强、李娜", True),
    ("名单未公示不要外传，有三个人：王强、李明、赵刚", True),
    ("人事方案没定稿不得外传，要调整的是财政局和住建局的一把手", True),
    # 这是 said of the rule hands nothing over; 这是 running on into what it heads does
    ("内部资料不要外传，这是要求整改的名单：金鑫、宏发", True),
])
def test_a_ban_until_a_matter_is_out_is_a_rule(inspect, text, leak):
    assert (top(inspect("classified", text)) >= THRESHOLD) == leak
