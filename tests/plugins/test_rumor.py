import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    "听说下个月工资要停发，赶紧告诉家人！",
    "内部消息：明天就要封城，速转！",
    "網傳本地發生地震，趕緊轉發擴散",                  # traditional
    "据说机构马上要撤并，大家转·发一下",
    "听说要涨工资了，转给你们看看",                  # 转给你们 is no transfer, still a push
    # said to be everywhere online: 传疯了
    "有个男的离婚冷静期里把老婆杀了，网上都传疯了，就是在我们这边登记的",
    # hearsay owned to be hearsay and vouched for (八成是真的)
    "结业考核排名靠后的回去要调整岗位，我也是听来的，但八成是真的，大家互相转告",
    # a check claimed, then the scare pushed on
    "我核查过了，内部消息说下个月起全市停发退休工资，赶紧转给家里老人",
])
def test_unverified_claims_pushed_to_spread(inspect, text):
    [f] = inspect("rumor", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "辟谣：网传我县明天封城的消息不实，请勿转发",
    "请不要转发未经核实的消息",
    "听说明天会议改到下午了？",
    "请将通知转发到各村工作群",
    "据说这个项目下周签约",
    # the hearsay answered by a check, then passed on
    "群里有人说咱们县的大米被检出重金属超标，经查市场监管局抽检结果全部合格，请转告各村不要慌",
])
def test_rebuttals_and_ordinary_talk_are_clean(inspect, text):
    assert top(inspect("rumor", text)) < THRESHOLD


def test_harmless_claim_with_push_is_borderline(inspect):
    assert top(inspect("rumor", "听说明天开会，大家互相转告")) < 0.9


# --- sensational claims stated as fact, with no hearsay word --------------

@pytest.mark.parametrize("text", [
    # food said to carry disease, a quake foretold from an omen,
    "对面爆发口蹄疫了，过来的牛羊肉全带病毒，吃了要出事的",
    # a disease counted among people, with no source
    "变电站旁边那几个村这两年好多人得癌，就是辐射闹的",
    "平山昨晚又震了，起码4级，这是大震前兆，这周还有更大的要来",
    # disasters foretold or said to be happening
    "明天有8级地震，大家今晚别睡太死",
    "下礼拜二凌晨三点有六级地震，震中就在咱们县",
    "网上都在说本周六晚上咱们市要有6级地震，日本那个预言家说的，我感觉这次挺准的",
    "上游水库要垮了，下游的赶紧往高处跑",
    "卧槽 水库要跨了 快跑",                               # typo for 垮
    "南湖水库已经开始漏水，大坝撑不过今晚",
    "化工厂爆炸了，空气里全是毒气，千万别开窗",
    # health and food scares
    "某某疫苗有毒，好多小孩打了都发烧抽搐",
    "自来水被污染了，这几天别喝",
    "自来水有毒！！！别喝了",
    "超市卖的大米是塑料做的，千万别买",
    "一中食堂的饭菜被人下了毒，二十多个学生送医院了",
    "香蕉和酸奶一起吃会中毒，家里有老人小孩的注意",
    "咱县医院出了好几例怪病，发烧咳血，院方封锁消息了",
    # crime scares
    "有人在学校门口抢孩子，已经丢了两个了",
    "最近有一伙人贩子开着白色面包车专门偷小孩",
    "菜市场有人拿迷药喷人，喷了人就晕",
    # policy hearsay
    "下个月起工资停发，财政没钱了",
    "要封城了，赶紧去超市囤点菜",
    "养老金取消了，以后退休了没钱拿",
    "公务员工资从下个月开始打五折",
    "国家要收回所有农村宅基地",
    "從下月起，所有人醫保賬戶清零",                        # traditional
    # an official said to be taken away by the discipline bodies
    "受援县那个副县长已经被双开了 就是援疆项目上的事",
    "做空调的那个老板前天已经被纪委带走了 咱们手上那个案子估计要撤",
    "商会的秘书长昨天被纪委带走了，账上的钱对不上",
    # passing them on
    "转发：明天全市停水停电三天，大家做好准备",
    "扩散！学校门口有人贩子抢小孩",
    "扩散：XX路口昨天撞死了三个人，司机是领导儿子",
    # a toll counted with no source, and a cover-up alleged
    "景区的玻璃栈道塌了 摔死了两个游客",
    "化肥厂仓库着火 烧死了好几个工人",
    "隧道里塌方 困了七个 一直没出来",
    "幼儿园吃了过期牛奶 十几个孩子都送市医院了",
    "河里又淹死了三个学生",
    "卫生院治死了个老人，院里在压消息",
    "高架下面渣土车把电动车卷进去了，母子俩都没救过来",
    "江边有人电鱼把自己电死了，村里不让往外说",
    "工地昨天塔吊倒了出了人命，老板赔了钱把事压下来了",
    "敬老院好几个老人吃坏了肚子，院里压着不让家属往外说",
    "这回期中考试题已经泄露了，好几个班都拿到了",
    "有个医生给病人打错针，人没了，家属把院门都堵了",
    "工业园污水直排进江里了，死鱼一大片，这几天自来水别直接喝",
    # a cover-up alleged, a product said to be poison, a creature mutated
    "放流的鱼苗全死了，供苗的老板跟领导有关系所以压着",
    "市面上好多饲料都偷偷加了瘦肉精，吃猪肉等于吃毒药",
    "核电厂温排水把附近海里的鱼都搞变异了，有的长两个头",
    # a payment said to stop
    "明年省里病死猪补助就停了，改成养户自己掏钱",
    "箬山这周要发生5级以上地震，家里有老人的早点安排",   # 这周
    "上个月外省一个马拉松跑完有十几个人猝死，都是打过那个疫苗的",   # a toll of sudden deaths
    "今年小麦最低收购价要取消了，以后粮站只按市场价收",             # a support price said to go
    # the official account called not to be believed, the claim stated after it
    "大家别信官方那套说法，我朋友在医院说已经死了好几十人了，都瞒着呢",
    # matches said to be fixed
    "我听圈里朋友说，这届好几场已经被亚洲盘口操纵了，小组赛最后一轮基本都是默契球",
])
def test_sensational_claims_stated_as_fact(inspect, text):
    [f] = inspect("rumor", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "刚得到准信，省里要把各地市电子卖场全部撤掉，下个月我们这批入围的全部作废",
    "医保局的朋友亲口说的，明年个人缴费直接涨到600",
    "财政内部的人透露的，明年评价良以下的项目直接取消",
    "听说咱们体检排全省倒数，下半年项目资金全冻结",
    # said to be settled, with no notice behind it
    "明年计量科撤了并到标准化科，人员分流，已经开会定了",
    "明年家庭养老床位补贴从每张3000降到1000，已经定了，过几天就发文",
    "定了的，下季度起各单位公用经费一律压减30%，会上已经拍板了",
    "年底所有站所合并成两个中心，一半人下社区，就这么定了",
    "竞赛前三名直接给事业编，这是领导亲口说的",
    "合并以后全部重新竞聘，考不上的下村，刚开会定的",
    "财政紧张，下个月要从各单位工资里扣，每人五百，已经定了",
    "刚收到消息，下周起全省猪肉统一限价，每斤不能超过15块",
    # an official body said to have decided it (刚发文, 亲口讲的), the change
    # on whoever lacks something (没证的 qualifies, it denies nothing)
    "区里刚发文，以后所有网格员必须持证上岗，没证的一律清退",
    "县里定了，年底前考核不达标的站长一律免职，主任在会上亲口讲的",
    "从下月起社保转移全部改到市里办，区里不再受理了，已经开会定了",
    # words put in a distant body's mouth (已经表态了, 说了, 发话了)
    "省交通厅已经表态了，年底前没装北斗的货车一律当非法营运处理",
    "市纪委已经发话了，这次所有工程款都要倒查五年",
    "国家农业农村部说了，评上示范社的合作社三年免查",
    "市城管局都说了，广场下个月改收费，停车一小时十块",
    "组织部领导说了，这期结业考试排后五名的直接调整岗位",
    "县里刚定了，学时不够的一律暂停提拔两年",
    # pay docked by a sum or a share (扣3000绩效, 绩效扣20%, 年终奖也取消)
    "上面定了，普查没完成任务的乡镇站每人扣3000绩效，年终奖也取消",
    "市里刚定的，下周起周末必须到岗，缺一次扣200绩效",
    "排最后三名的单位全员年终绩效扣20%，已经上会定了",
    "我听说省里下半年要把三类坝水库的管理员一刀切清退，全换第三方",   # 一刀切
    "听说这次改革以后站里的临时工一个不留",
    "听人说明年检查站全撤，协检员统统解聘，改成全省联网的电子卡口",
])
def test_policy_hearsay_with_a_sweeping_change_is_a_rumour(inspect, text):
    """A source claimed (准信, 朋友亲口说的, 听说) for a sweeping change to
    everyone's rules or money, stated as fact: policy hearsay."""
    [f] = inspect("rumor", text)
    assert f.score >= THRESHOLD and "政策消息" in f.reason


@pytest.mark.parametrize("text", [
    "听说电子卖场要全部撤掉，是真的吗？",                   # asked
    "网上说明年缴费直接涨到600，经核实，系不实信息",           # refuted
    "听说资金不会全冻结，大家安心干",                         # denied in its clause
    "听说明年全部取消纸质审批，经研究，我局按省厅通知执行",     # answered by a notice
    "有没有准信，评价结果什么时候出",                         # asking for the news
    "听说明年要加强绩效评价，大家提前准备材料",                 # no sweeping change
    "会议时间已经定了，周三下午三点，请准时参加",               # settled, nothing cut
    "网传'市属国企全部裁员20%'不属实，国资委已发布澄清",          # refuted
    "新来的仲裁员小李听说是从法院调过来的",                      # 仲裁员 cuts no one
    # a document relayed with the work it asks for
    "省厅刚发文，要求各县一律暂停新项目审批，请各单位本周内报送自查情况",
    # a leader's instruction or a standing rule relayed: nothing sweeping made up
    "刘局说了，明天上午九点前各科一律把表报上来",
    "市纪委已经说了，公车一律不得私用，节假日封存",
    "县里已经明确了，安全生产实行一票否决，请各乡镇压实责任",
    "省厅已经说了，逾期未报的一律按违规处理",
    # a leak put right, not spread (开标前不能在群里说，赶紧撤回)
    "@小王 报名情况开标前一律不能在群里说，赶紧撤回",
    "领导说了，周五前各科把材料报上来，逾期的直接通报",
    # a standing assessment rule relayed, or pay docked without anyone said to have settled it
    "按市里定的考核办法，未按期完成的扣200绩效，请各单位抓紧",
    "绩效扣20%的那几家单位，整改报告周五前交",
    "刚定的值班表发群里了，大家看看",
    # hearsay brought to the group to be checked, the public told to wait for the document
    "有居民打电话问我，说听说明年老旧小区改造补助要取消了，这个有依据吗？我没见过正式文件，先让他等通知",
    "打印件不用打码，会后统一收回进碎纸机。电子版一律只在内网传。",    # 网传 inside 内网传
    # told not to believe it, the document named as what counts
    "网传“今年违法用地一律不罚款改为全部拆除”，大家别信，以省厅正式文件为准。",
])
def test_policy_hearsay_asked_answered_or_denied_stays_clean(inspect, text):
    assert top(inspect("rumor", text)) < THRESHOLD


# --- price hype: a price said to soar, with an urge to buy or hoard now ------

@pytest.mark.parametrize("text", [
    "水泥下个月还得翻一倍，工地都在囤，现在手里有货的稳赚",
    "黄金下周铁定冲到900一克，大家抓紧囤，晚了就没这个价",
    "饲料玉米年后要涨30%，赶紧多囤点，错过就亏大了",
    "学区房这波肯定暴涨，现在进场最划算",
    "钢筋下周每吨涨三百，工地赶紧订，晚了没货",         # a rise by a sum
    "苗木今年要翻倍，圃里的先压着等涨价，别往外调",
    "进口纸浆断供了，A4纸下月一箱要到三百，各单位赶紧囤",
    "灭火器下周起价格直接翻倍，要添的抓紧这几天买",
    "沙袋全市断货，一个从3块涨到30，下周还得涨，物业赶紧去囤",
    "杂交稻种缺口大，过了7月每斤要涨到80，手里有货的都别往外放",
    "省里马上统一定价，每页从8毛涨到3块，现在签合同还能按老价",
])
def test_price_hype_stated_as_fact_is_a_rumour(inspect, text):
    [f] = inspect("rumor", text)
    assert f.score >= THRESHOLD and "行情" in f.reason
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "水泥下个月要涨价，预算科抓紧把追加预算报上来",             # a rise, no hoarding
    "网传黄金下周要翻倍，大家赶紧囤，经核实系谣言，请勿转发",   # refuted
    "听说饲料要涨30%，是不是真的？要不要先囤点",                 # asked
    "储备粮轮换要锁价，合同价格按招标结果执行",                  # a hoarding word, no rise
    "涉密载体一律不得往外放，借阅按规定登记",                     # nothing said to rise
    "新价格下月执行，本月签的合同还能按老价结算",                   # a notice of a change, no rise
    "猪肉价格上涨，市里投放储备冻猪肉平抑物价，请各超市做好销售",  # a notice
])
def test_price_talk_without_hype_stays_clean(inspect, text):
    assert top(inspect("rumor", text)) < THRESHOLD


def test_passing_a_scare_on_scores_higher_than_stating_it(inspect):
    stated = top(inspect("rumor", "自来水被污染了，这几天别喝"))
    passed = top(inspect("rumor", "自来水被污染了，这几天别喝，大家都看看转发一下"))
    heard = top(inspect("rumor", "听说自来水被污染了"))
    assert THRESHOLD <= stated < passed and stated < heard


def test_an_urgency_word_inside_the_claim_is_no_push(inspect):
    [f] = inspect("rumor", "河堤马上要决堤了，全村都得撤")
    assert f.score == pytest.approx(0.7) and "催促" not in f.reason


@pytest.mark.parametrize("text", [
    # refutations
    "辟谣：网传我市明天有8级地震系谣言，请勿相信",
    "经核实，“自来水被污染”的说法不实，我市供水水质检测全部合格",
    "网传学校门口有人抢孩子，经公安机关核实，系谣言",
    "【辟谣】网传“南湖水库大坝溃坝”系不实信息，水库运行正常",
    # asking whether it is true
    "这个消息属实吗？请核实，说是下个月工资停发",
    "有没有人知道水库要垮了是不是真的？",
    "刚看到一条说养老金取消的，这个靠谱吗",
    "明天真的有地震吗？",
    "要封城了吗？",
    "大家帮忙核实一下，说是城东有人抢孩子，不知道是不是真的",
    # official notices and work reports of real incidents
    "经核查，XX路发生一起交通事故，已处置，无人员伤亡",
    "县应急局通报：今日14时城东化工园区一储罐发生泄漏，现已处置完毕，未造成人员伤亡",
    "今天下午开展地震应急疏散演练，请各班主任组织学生有序撤离",
    "本周六开展地震应急疏散演练",
    "这周末有地震科普讲座，欢迎参加",
    "按照县里统一安排，明天开展防汛应急演练，模拟水库溃坝场景",
    "公安局开展打击拐卖儿童犯罪专项行动，请各派出所加强巡逻",
    "防汛办：南湖水库水位接近汛限，请各镇做好巡堤查险，发现险情立即上报",
    "据省纪委监委网站消息，原副县长张某被双开",
    "那个副县长被双开了吗？",
    "网上说局长被纪委带走了，这是谣言",
    "关于全市绩效停发的传言，局里已经跟人社核实，没有这回事，别转发",
    "网上传的龙舟翻船的事，8名队员已全部上岸，请大家不要再转发",
    "那个车队老板的车今天又被查了，超载五吨",
    # denied, hypothetical or quoted
    "张局长不会被双开的，别瞎猜",
    "水质检测合格，自来水没有被污染，大家放心喝",
    "明天不会封城，请大家不要恐慌囤货",
    "如果大坝出现溃口，下游群众按预案转移到二中操场",
    "一中食堂昨天发生集体食物中毒，经初步调查系食材变质，学生已全部出院",
    # ordinary talk
    "冬季注意预防一氧化碳中毒",
    "今天开会说下个月工资按时发，大家放心",
    "这批疫苗已经到货，请各接种点按时领取",
    "这个月工资推迟到15号发，财务那边说系统升级",
    "新闻上说邻省昨晚发生了4.5级地震，震感不强",
    "昨晚做梦梦见地震了，吓醒了哈哈",
    "李家坝那段路塌了，车过不去，绕303省道走",
    "【换届纪律】严禁拉票贿选！对拉票的，一律取消候选人资格",
    "我的银行卡被冻结了，有谁知道怎么解冻",
    # counts that are no toll, and tolls in a work report
    "那几头猪死了三天才报上来，检疫站要追责",
    "迎检这阵子把大家累死了两个多月，周末都歇歇",
    "管网改造这周埋了五个检查井",
    "接报：S205线发生一起交通事故，造成2人死亡，交警已到现场",
    "矿井透水，3名矿工被困，救援正在进行，请各单位做好保障",
    "今天住院部新收5名患者住院，床位紧张",
    "严防试题泄露，试卷交接必须双人签字",
    "不要压着不报，有情况第一时间报到值班室",
    "散会了会议室人没了吗？我去拿个本子",
    "管网冲洗期间自来水别直接喝的说法不实，水质检测全部合格",
    # the hearsay called mistaken or already refuted, the body named never said it
    "双河有村民说杨家冲水库要垮，我和管护员刚上坝看过，坝体没渗漏没裂缝，是误传",
    "这周要做地震应急疏散演练，各科室提前熟悉路线",         # 这周, a drill
    "网上传的“后天有冰雹”那张截图是去年的旧图，以县气象台今天发布的为准",   # an old picture
    "调价要走成本监审和听证，现在都没启动，这种话别在群里说，容易被截图传出去",
    "这个“快递迷药”的说法网上传了好多年，公安早就辟过谣，咱们群里就别扩散了",
    "网上传“港区今晚风暴潮倒灌要全部撤离”，区防指没发过这个通知，以气象台和防指正式发布为准，请转告一线别慌。",
    "市场监管局将联合体育局开展打假球专项整治，严查赛事赌博",
    "另外群众里有人在传北岙水库要垮，情绪有点紧张，请水利局给个权威说法，我们好做安抚。",
    "有个传言说锅炉改完今年冬天天然气要限供，企业都慌了，有谁知道真假吗？",
])
def test_refutations_questions_reports_and_talk_stay_clean(inspect, text):
    assert top(inspect("rumor", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "明天早上8点有8级地震，大家提前做好准备",
    "城南水库大坝已经裂了，下游的赶紧撤",
    "下个月起全县机关事业单位工资停发三个月",
    "钢材下周涨20%，水泥跟着涨，项目部赶紧囤，晚了就没货",      # price hype
    "县委已经开会定了，完不成进度的站所长一律免职",           # a change said to be decided
])
def test_the_decision_stage_does_not_lower_a_stated_scare(rulebook, plugins, matcher, text):
    """The model weighs the rule's findings (trained on rumours stated as
    fact as well as hearsay pushed on): it keeps a stated scare."""
    from qungui.core.events import Message, Room
    from qungui.pipeline.engine import Moderator
    from qungui.pipeline.evaluation import T0
    moderator = Moderator(None, rulebook, plugins, matcher)
    room = Room(id="r", topic="防汛抗旱指挥部工作群", purpose="汛情通报、值班调度", owner_id="o")
    findings, _ = moderator.inspect(Message(id="m", room_id="r", sender_id="u", ts=T0, text=text), room)
    assert any(f.rule == "rumor" and f.score >= THRESHOLD for f in findings)
