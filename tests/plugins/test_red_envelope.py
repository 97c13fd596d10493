import pytest

from qungui.core.events import MessageType
from tests.plugins.conftest import THRESHOLD, message, top


def test_red_envelope_message(inspect):
    [f] = inspect("red_envelope", message("恭喜发财，大吉大利", type=MessageType.RED_ENVELOPE, amount=200))
    assert f.score == 1.0
    assert f.evidence == "红包 200元"


def test_transfer_without_amount(inspect):
    [f] = inspect("red_envelope", message("", type=MessageType.TRANSFER))
    assert f.score == 1.0 and "转账" in f.evidence


@pytest.mark.parametrize("text, quoted", [
    ("项目签下来了，李局发个红包庆祝一下吧", "发个红包"),
    ("今晚八点红包接龙，大家准备好", "红包接龙"),
    ("搶紅包啦！", "搶紅包"),                       # traditional
    ("我先转·账·给·你，回头再说", "转·账·给·你"),   # separators inserted
    ("手慢了没抢到，再来一波", "没抢到，再来"),
    ("昨天那个没抢到，老赵再发一个嘛", "没抢到，老赵再发一个"),
    ("上一个我就抢了0.32", "抢了0.32"),
    # a gift pressed on a leader
    ("詹主任调研辛苦了，学校准备了点特产和一点小心意，等会让司机放您车上", "一点小心意"),
    # money pooled in the group (每人150先转我)
    ("两会结束翻译组聚餐，每人150先转我，多退少补", "先转我"),
    ("孙主任下个月退休，每人凑200买个纪念品，转我就行", "转我就行"),
    ("明天中午那顿饭我先垫着，每人40，回来大家群里转我哈", "群里转我"),
    ("张老师退休，每人出300，我来收，微信转账就行", "微信转账就"),
    ("我直接微信转账给你吧，省得跑一趟", "微信转账给"),
    # money called by another name: 茶水钱, 手气包, 发个小意思, 包个大的
    ("点位都验收了，我们公司给大家准备了点茶水钱，一会转过来哈", "茶水钱"),
    ("今天我生日，群里发几个手气包，先发200", "手气包"),
    ("兄弟们跑村走访太辛苦了，我在群里发个小意思，大家抢着玩", "发个小意思"),
    ("过年的时候咱们几个单位凑点，给您包个大的，辛苦一年了", "包个大的"),
    ("方案终于通过，我来发个大的庆祝一下", "发个大的"),
    ("名册终于核完了，每人转二十块奶茶钱，大家点一下收款哈", "奶茶钱"),
    ("马院长今天高升了，大家起哄让他在群里发一波", "群里发一波"),
    ("案子破了，兄弟们辛苦，我先发一个，手快有手慢无", "手快有"),
    ("等顺利起爆后给各位协调的同志每人封一个，图个吉利，到时候我在群里发", "图个吉利"),
    ("这次抢修兄弟们都辛苦，我在群里意思一下，手慢无😄", "群里意思一下"),
    ("熬了三个通宵终于收工，给大家发点辛苦费，谁手气最好谁请夜宵", "发点辛苦费"),
    ("今天我们公司周年庆，给群里各位老师发点喜糖钱，请笑纳", "发点喜糖钱"),
    ("签约成功，老板说请各位领导喝茶，我在群里撒一波", "群里撒一波"),
    # the red-envelope emoji typed with the text
    ("开学大吉🧧🧧 各位老师手慢无", "🧧"),
    ("刚到远岭，初来乍到，给大家发个见面礼🧧以后多多关照！", "🧧"),
    ("金桥街道这次排查干得漂亮，我代表科里给几位同事每人发个88的，别嫌少🧧", "🧧"),
    ("今天我生日，给大家发🧧", "🧧"),
    ("🧧 见者有份", "🧧"),
    # money sent without a sum, or shared out by head
    ("两位主任，今年招生还得多仰仗，刚私下给二位转了点茶水，千万别推", "私下给二位转了点"),
    ("七一快到了，各位支部书记辛苦，我给大家每人转了点，买点水果", "每人转了点"),
    ("进口商非要表示一下，钱到我微信了，我按人头转给大家了，查收下哈", "按人头转给大家"),
    ("我转了一笔辛苦费给你，收一下", "转了一笔辛苦费"),
    # a red envelope or a transfer as members' own words mark one sent
    ("订单班娃们表现不错，我表示一下，让班长领了给大家买点吃的[红包]", "[红包]"),
    ("这一期学员结业，大家都辛苦了，一定收下[转账]", "[转账]"),
    ("[转账] 88.00 @张国强 前天半夜送我们去高铁站，买包烟，千万别点退回啊🙏", "[转账]"),
    ("这批桌椅搬得利索，每人发了个88的，记得点一下啊🧧", "🧧"),
    ("清明接待顺利结束🎉 大家辛苦了，抢个包乐呵乐呵", "抢个包"),
    ("感谢各位一直关照，群里意思意思🧧", "群里意思意思"),
    # a refusal or a recall followed by the act itself
    ("张总说的我婉拒了，但节日红包还是要发的，一会儿我在群里发个大的大家抢", "发个大的"),
    ("刚才发错群了麻烦收回，我重新私发红包给各位科长，每人500", "发红包"),
    ("王总那个转账我婉拒了，[红包] 大家中秋快乐，手慢无", "[红包]"),
    ("今晚大家发个红包热闹一下，小刘你就不许领了", "发个红包"),
    # the envelope first, after a verb across a sentence; a member addressed, then the act
    ("今天谁生日来着？hb安排上啊，不发不让下班", "hb安排上"),
    ("@老王 包个红包给大家", "包个红包"),
    ("我说不行，但还是给大家发个红包", "发个红包"),
    ("迟到性质很严重啊哈哈，罚你发个红包给大家压压惊！", "发个红包"),
    ("@王哥发个红包呗", "发个红包"),
    ("谢谢老板！红包收到了", "红包收到了"),
    ("他说要在群里发个红包，我说不行，太小气了，至少发个200的", "发个红包"),
    ("刚才那个发错了请撤回，我再发个红包", "发个红包"),
    ("这是什么性质？过节嘛，老板给大家发个红包，快抢", "发个红包"),
    # 案例 is the work's own word, not a discipline notice; money sent without 红包's name
    ("案例初稿都交齐了，发个小红包犒劳下大家，手慢无😄", "发个小红包"),
    ("项目签了！今晚我请客，来不了的我直接微信转账，每人188", "我直接微信转账，每人"),
    ("端午快到了，我在群里包了个粽子钱，每人一份，点开就行", "群里包了个粽子钱"),
    ("今晚又扣了一条船，弟兄们辛苦，宵夜钱我群里发了，手快的多抢点", "手快的多抢点"),
    ("第一阶段测试收官！刚发了个，手气最好的下周请大家喝咖啡哈", "手气最好的"),
    ("首单落地了，大家辛苦！我在群里转了五百，今晚聚餐就不用AA了", "群里转了五"),
    ("线路这段时间全靠各位守着，我个人给大家转点辛苦费，别嫌少", "我个人给大家转点辛苦费"),
    ("我没要求大家发红包，但发个红包也行", "发红包"),
    ("我说不用，还是发个红包吧", "发个红包"),
    # money sent without the word: 喜气, 喜钱, 撒点钱, a small treat, a luck pot, the 💰 beside
    # a red envelope's own words, a tag that names the amount
    ("明天咱专班成立一周年，我往群里甩了点喜气，手慢无哈😄", "甩了点喜气"),
    ("冷库顺利封顶，今晚给大家发点喜气，见者有份，别嫌少😄", "发点喜气"),
    ("乔迁新居，今晚给大家撒点钱，手快的拿去买奶茶🎉", "撒点钱"),
    ("今天我闺女满月，感谢各位平时照顾，在群里撒点喜钱，大家沾沾喜气👶", "撒点喜钱"),
    ("考核结束大家都辛苦了，我这有个好彩头放群里，手气好的拿大头🎁", "手气好的拿大头"),
    ("今天教师节，祝各位领导节日快乐！发几个小包大家乐呵乐呵🧧🧧", "发几个小包"),
    ("今天我生日🎂谢谢大家！群里来抢个喜气🧧", "抢个喜气"),
    ("开赛首日系统零故障！技术部兄弟们太拼了，我来犒劳一下，大家点一点，见者有份💰", "💰"),
    ("今天是何局生日，我先敬何局一份心意，大家也跟上啊🎂[转账200元]", "[转账200元]"),
    # a decline's word that is no decline (原封不动 hands it on)
    ("老板给的红包我原封不动发群里了，大家抢🧧", "给的红包"),
    # a decline's words beside the act itself
    ("老板说给每个人包个红包，找谁都没用，反正人人有份", "包个红包"),
    ("群里发个红包庆祝一下，李局那份他当场回了，其他人快抢", "发个红包"),
    ("今天桐河零推送，高兴！给兄弟们发个大吉大利，手慢无～", "发个大吉大利"),
    # 不得 asking for one, not forbidding it; money pooled as 份子
    ("海涛局高升了不得表示表示？群里整个大的🧧🧧 手气王负责请奶茶哈哈", "手气王"),
    ("牛啊！严总这不得来一波犒劳犒劳？拼手气的也行，我们也想沾沾光😁💰", "拼手气"),
    ("周六来不了的兄弟也没事，扫这个码随个份子就行，心意到了就好😊", "随个份子就行"),
])
def test_soliciting_red_envelopes(inspect, text, quoted):
    [f] = inspect("red_envelope", text)
    assert 0.7 <= f.score < 1.0
    assert f.evidence == quoted


@pytest.mark.parametrize("text", [
    # grabbing something else
    "双十一大家抢到啥了？我抢到一台扫地机器人",
    "演唱会的票抢到了吗？",
    "抢到3张票了",
    "名额没抢到，下次再来",
    # work asked again, too late for something
    "麻烦再发一个通知到各村群里",
    "刚才的表格格式乱了，再发一个",
    "下周检查再来一波，大家准备好材料",
    "这次手慢了，报名已经满了",
    # transfers talked about, not made (a rule asked about, a claim about tax)
    "刚好有朋友问我这个“微信转账超5000要交个税”的说法，我们对外怎么回应比较准确？",
    "收到的微信转账超过5000都要补个税，是真的吗",
    # 转 and 我 in two sentences: a rumour held back, not money asked for
    "是不是抖音上外省那个视频？先别在群里转，我去问下指挥中心",
    "这条消息先别转，我核实一下再说",
    # a tag inside a quoted message is someone else's; money and work turned another way
    "「王芳：[红包]」这个是谁发的？工作群不要发这个",
    "工作转了点方向，下周再议",
    "社保多转了点，已经联系退回",
    "慰问金按人头转到各户账户",
    "食堂今天去晚了，抢个包子都难",
    # WeChat's [红包] emoji in a greeting, a tag quoted with its sender's name
    "祝大家新春快乐[红包][福]",
    "王芳：[红包] 这条是谁发的？请撤回",
    # no need to send money (不用转账给我)
    "工作餐由局财务月底统一结算，个人不用转账给我，也不用给区里交钱",
    "今年工会会费统一从工资代扣，不用个人转账给我，有疑问私聊",
    "@曹勇 曹科，群规不让发红包哈，麻烦撤回一下，生日快乐我们当面说😄",
    # forwarding, not transferring
    "我给你转发一下通知，请查收",
    "文件我转给你们科室了",
    "这个消息转给你们村的网格员看看",
    "这个说法不对，政策没有变化。@何静 请撤回，也跟转给你的人说明一下。",
    # 利是 ending another word
    "数字孪生水利是落实数字中国部署的具体抓手，资料按技术导则归档",
    "工会今年的中秋福利是每人一盒月饼，已经放到各科室了",
    "曹主任，站里进人都走人社局公开招聘，公告出来我转你，让孩子按程序报名。",
    "工会的春节慰问金红包安排上了，请各位查收银行卡",
    "工会的红包收到了吗？没收到的找小李",
    # a reimbursement the finance office pays is no transfer between members
    "财务直接转账给各位，报销款请查收",
])
def test_grabbing_asking_again_or_forwarding_is_not_a_red_envelope(inspect, text):
    assert top(inspect("red_envelope", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "关于违规收受微信红包问题的通报",
    "严禁在工作群发红包，请大家自觉遵守",
    "节前廉洁提醒：不得收受红包礼金",
    "大家的心意领了，东西都拿回去，按规定不收任何礼品",
    "请各单位本周五前报送项目进度表",
    "春节将至，严禁在工作群发🧧，请大家自觉遵守",
    "请勿在工作群发🧧，心意大家领了",
    "工作群不得来回转发红包截图，已领的退回",
    "再提醒一下，工作群严禁凑份子，份子钱一律不收",
    "提醒一下，节日期间工作群不得来个🧧接龙，上次巡察点过名。",
    "村里红白理事会章程规定，随个份子不超过100元，请各村宣传到户",
])
def test_discipline_notices_are_clean(inspect, text):
    assert top(inspect("red_envelope", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "谢谢江主任，红包我退了，工作群不兴这个😄 本职工作而已",
    "收到，红包那个是我不对",
    "论证费用按合同走对公账户，专家劳务费由我们按标准发放，个人红包一律退回。",
    "供应商硬塞的红包已原路退回，并向纪委报备",
    "有个老板加我发红包表示感谢，我没收，已退回",
    "提醒：家长逢年过节发红包、送购物卡的，一律婉拒，已收的交办公室登记退回",
    "节前收到的礼金红包已上交机关纪委",
    "刚才那几个红包我都退回去了，心意领了，群里以后不许发红包",
    # handed back or turned down on the spot
    "@孔丽 谢谢社区，但红包请收回，群里任何人都不许领。活动当天工作餐按区里标准安排就行。",
    "上午有个群众硬塞给小周一个红包说感谢，小周当场退了，我登记了，大家遇到一样处理",
    "@沈洁 谢谢沈部长，红包咱们都没领，支队有规定。志愿者的水和早餐支队已经安排了",
    "上次有个厂家来镇上说给我“一点心意”让我在验收单上先签字，我拒了，当场报给了祝科",
    "有个投诉人问题解决后非要给执法人员发红包表示感谢，我们婉拒了，说这是应该做的",
    "伤者单位想给领事处和医院送锦旗和“感谢红包”，我跟他们说了红包绝对不收，锦旗可以",
    "@薛梅 谢谢好意，红包我们都不领，麻烦收回。支教老师补助按文件由财政发放。",
    "刚才碧水一个大爷硬塞给我两百块说是茶水费，我当场还给他了，跟大家说一声",
    "@谢东升 红包已退。中心不收任何单位的红包和吃请，下不为例",
    "有居民想给医生塞红包表示感谢的，大家婉拒，跟他们解释义诊全免费",
    "谁都不许领。窦鹏把红包退给企业，写个情况说明给我。招商不能收企业任何好处。",
    "@包国华 红包谁都别领，包经理收回去。合同约定的运费按程序结算，别的一概不收",
    "@戴欣 心意收到，红包我退回了，大家也都别领哈",
    "七监区有个罪犯过生日，家属想通过我给他转个红包，说在微信上发给我我代转，我说不行让她走个人账户汇款，没错吧？",
    "龙校长，红包必须撤回！监督组的人收红包性质很严重，家长那边你要解释清楚",
    "谢谢郝工，红包我没领哈，群里不能发这个，心意收到了😊",
    "提醒下，昨天有同事在群里私发红包谢食堂师傅，已经让他撤回了。大家真想表达可以写封表扬信交后勤中心",
    "@卢家豪 立即撤回！企业给督导组发红包，这是什么性质？龚组长，请登记。",
    "任经理，服务商在工作群发红包不合适，请撤回，大家也都别领。",
    "有干部在工作群里抢企业老板发的红包，性质很严重，纪委已介入",
    "他要在群里给大家发红包，我说不行。",
    "@包国华，红包谁都别领",
    "谢谢贺老师，红包我们不能收，已经退回了，这都是分内的活哈",
    "台胞周先生又来了，硬塞个红包说谢谢帮他办好居住证，我们当面退了，已登记",
    "实习生结业时非要给带教老师发微信红包，老师没收退回了，这次岗前培训提醒一下",
    "侄子要给我包个红包谢谢帮忙寻亲，我没要，跟他说这是我们该做的",
    "调解成功后想给许老师转红包表示感谢，许老师当场拒了，我们做了登记",
    "光伏项目施工方塞了个信封给我说是辛苦费，当场拒了，已报站里",
    "今天有个申请人加我微信，说办完给我包个红包，我直接说不用，窗口不收任何费用",
    "本来想发个红包感谢一下，想想群规还是算了，改天当面道谢😄",
    "群里刚才有人发红包，已经撤回了，请大家注意",
    "红包大家别抢了啊，已经领的退回去😅",
    "外包公司过节说要给大家发红包，我跟龚经理讲清楚了一律不收",
    "今天柳坪镇有干部自己凑钱要给驻村同志发慰问红包，我叫停了，慰问走工会渠道",
    "有个老板私下给我发了个88的红包说谢谢指导，我没点，直接退回了",
    "社区有位老人想给工作人员包个红包表示感谢，我们跟他讲清楚了，补贴是国家给的，一分钱都不能收",
    "有家属要给讲解员塞红包，谢她帮着找到了墓，肖丹没收，他就买了束花放墓前",
    "有家长私信说孩子想上节目给我发红包，没领，让他走海选报名",
    "有个劳务班组长想给我转点钱，让考勤上通融几个人，拒了，考勤只认人脸识别",
    "华院长的拼手气我就不抢了，工作群里领红包不合适",
    "上周一个被查的棋牌室老板往我车里塞了个信封，我当场扔回去了，已报支队纪检。",
    "昨天有个设备商说要给发改局的同志'表示表示'，我当场回了，跟他说所有对接走公开程序。",
    "有个站主私信我，说愿意“表示表示”让我把他那的单场限额调高，我回他：限额全省统一，找谁都没用。聊天记录已交纪检。",
    "有个想进驻的商户找到我说要表示表示，我让他直接去公司招商平台报名，什么都不收",
    "收到。前两天有人拉我进一个“抢红包群”，我已经退了，大家也注意别被乱拉进去。",
    "@任静 收到，今晚派人测压，应该是调压箱的问题。物业说要给维修师傅包个“辛苦费”，已经交代师傅们不能收。",
])
def test_a_refused_and_reported_gift_is_clean(inspect, text):
    assert top(inspect("red_envelope", text)) < THRESHOLD



@pytest.mark.parametrize("text", [
    "@陈刚 请撤回，群里不允许发红包，维保单位和监管人员之间更不能有这种往来，下不为例",
    "工作群里不收发红包，刚才那个请撤回，私人心意也别在群里搞",
    "群里不允许发红包🧧，刚才那个请撤回",
])
def test_a_ban_in_the_messages_own_words_is_recorded_as_the_rules_reading(inspect, text):
    from qungui.core.plugin import RECORDED
    [f] = inspect("red_envelope", text)
    assert f.score == RECORDED and "不许发红包" in f.reason


@pytest.mark.parametrize("text", [
    # the emoji as a greeting's decoration, nothing given or grabbed
    "新春快乐🧧🧧，祝各位领导同事马年大吉！",
    "收到🧧",
    "新年快乐🧧发个祝福",
    "发个通知：春节值班安排如下🧧",
    "马年大吉🧧 抢抓机遇 加快发展",
    "🧧意思是大家辛苦了",
    "🧧新年好！请大家初八准时到岗",
    # words of money or luck that are work
    "桥面结冰，再撒一波融雪剂",
    "摇号抽签，手气好的先选",
    "组里喜糖钱我已经收齐交给工会了",
    # the money bag beside no red envelope's words
    "工资已发💰，请大家查收",
    "今年预算又省了不少💰",
])
def test_a_greeting_with_the_emoji_or_luck_at_work_is_no_red_envelope(inspect, text):
    assert top(inspect("red_envelope", text)) < THRESHOLD


def test_a_reminder_to_send_one_is_no_ban(inspect):
    [f] = inspect("red_envelope", "别忘了发红包，今天是老王生日")
    assert f.score >= THRESHOLD


@pytest.mark.parametrize("text", [
    # a decline insisted past, or told of another time while one is sent now
    "项目签约了，我给大家发个红包，谁要是说不用就是不给我面子",
    "给大家发了个红包，上次李科说不用，这次一定要领",
    "开工大吉发个红包，一律不收的规矩今天破个例",
    "刚发了个红包，已经领的退回去就见外了啊",
    "我发的红包大家领一下，上回王局叫停了，这回是我个人心意",
    "辛苦大家加班，我发个红包，小王你上次直接退回了，这次必须收",
    "给大家发个红包，本来想发大点的还是算了，意思一下",
    "大家辛苦了，每人转了200茶水钱，领导说不用，但心意得到",
    "年底了发个红包热闹热闹，上次那个已经撤回了",
    "发个红包大家抢，上回我没点成功",
    "城西区整改今天验收通过了，专班各位辛苦，转个小红包请大家喝奶茶",
    # not received is no decline
    "红包没收到，老王再发一个红包",
    # not yet received or declined, or chased; the giver's own; 免单 no sanction
    "我给大家发了个红包，还有几个人没领，抓紧",
    "王科，给你发的红包怎么还没收？",
    "刚给你转了500，你又拒了，收下吧",
    "群里领红包不合适，我私聊发给大家",
    "张姐生日，群里转了500，大家一起给她买蛋糕",
    "我给大家转点奶茶费",
    "我在群里包了一个，大家抢",
    "上次吃饭被免单了，今天我发个红包请大家",
])
def test_a_decline_insisted_past_or_of_another_time_is_no_decline(inspect, text):
    assert top(inspect("red_envelope", text)) >= THRESHOLD


@pytest.mark.parametrize("text", [
    # material or a message passed on, a share counted in times, a negated transfer
    "我给大家转点学习资料，是省商务厅的招商政策汇编",
    "我给你们转些材料，下午会上要用",
    "这个谣言在业主群里转了三天了，我们已经发了辟谣声明",
    "那条视频在群里转了3000多次，舆情科已经在处理",
    "昨天的督办通知我发在工作群里，转了三个部门都没人回",
    "培训费多收的部分财务会原路退，不是我转账给大家",
    # luck and grabbing that are not envelopes, a bus hired, a case with its sanction
    "消费券今天10点开抢，手快的多抢几张，这是我们局的惠民活动",
    "今天汇报抽签我手气最好，第一个上",
    "下午去园区，开发区群里包了个中巴，大家一点半门口集合",
    "看到个案例，有个科长过年在下属群里发红包，后来被免职了",
    "上次有个老板给我发红包，我直接退回了，大家遇到一样处理",
    "有企业给我发红包，我已经退回了，以后一定要注意",
    "企业老板在群里发红包，我已经退回了，这次就算了",
    "客户给我发了个红包，我直接退回了，但还是要跟大家提个醒",
    "有企业给我发红包，我跟以前一样直接退回了",
    "刘总要给大家发红包，我说不用",
    # gift money surveyed or declined, joy shared as sweets, a union's handout, a refund to
    # check, goods in small packs, a draw's luck
    "村里办酒席收喜钱的情况请各村摸排上报",
    "婚礼的喜钱大家别破费了，人到就行",
    "下周我结婚，喜糖放在办公室了，给大家发点喜气",
    "工会在群里发个小福利通知：每人一桶油，到工会领取",
    "报销款已打到各位卡上💰，大家点一点核对金额，有问题找财务",
    "防汛物资请各乡镇发几个小包装的到村里",
    "年会抽奖手气好的拿一等奖，大家踊跃参加",
    "新年第一天，给大家发个大吉大利的表情包",
])
def test_money_words_that_send_no_money_are_clean(inspect, text):
    assert top(inspect("red_envelope", text)) < THRESHOLD


def test_a_ban_put_on_not_giving_demands_the_envelope(inspect):
    """「不发不准下山」 is no ban on envelopes but a condition put on not
    giving one: the envelope asked for earlier in the message stands; a ban
    in the group's rules still clears it."""
    [f] = inspect("red_envelope", "样地全部搞定，按老规矩谁最后交数据谁发红包哈，@彭浩 你最后一个，"
                                  "赶紧的 不发不准下山")
    assert f.score >= THRESHOLD
    assert top(inspect("red_envelope", "按规矩工作群不准发红包，谁发谁退回")) < THRESHOLD


@pytest.mark.parametrize("text", [
    "群众反映有的医生不给红包不准排手术，卫健委马上查",
    "对不给红包不准办事的窗口人员，一经查实严肃处理",
    "有的村婚宴还是不包红包不准上桌，这种陋习下一步要重点整治",
])
def test_an_envelope_extorted_by_others_and_told_of_is_no_demand(inspect, text):
    assert top(inspect("red_envelope", text)) < THRESHOLD


def test_a_document_passed_on_is_no_transfer(inspect):
    """「科普文章，我转给你」 passes the article on; with money named anywhere
    the same words send money."""
    assert top(inspect("red_envelope", "没有科学依据，市局之前发过科普文章，我转给你，按那个口径回复。")) < THRESHOLD
    for text in ("材料看完了，辛苦费我转给你", "通知收到了，份子钱我转给你"):
        assert top(inspect("red_envelope", text)) >= THRESHOLD, text
