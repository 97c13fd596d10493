import pytest

from qungui.core.events import MessageType, Room
from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    "下周五我结婚，群里同事有空来喝喜酒啊😊 桤港万豪三楼",
    "大疆发布新一代航拍无人机 一英寸传感器 售价4788元起",
    "92号又涨了，八块二一升，加满一箱心疼死😭",
    # a launch told with a colon: 发布：展开 is no 布展 (a work word read across a clause),
    "某品牌新款折叠屏手机发布：展开厚度4.2毫米，重量215克，售价9999元起",
    "明天中午有人一起去万达新开的那家日料吗？团购券88一位",
    "今天下班接孩子，有人知道实验小学门口那个托管班怎么样吗",
    "今晚世界杯决赛，梅西能不能夺冠？",
    "大家帮我在拼多多砍一刀，谢谢！",
    "周末去吃火锅吗，新开的网红店",
    "今天A股大盘又跌停了，基金全绿",
    "今晚開黑打王者榮耀，誰來？",            # traditional characters
    "老人必看！隔夜菜致癌，转发给家人",
    "中秋快乐！祝大家身体健康，万事如意，心想事成",   # a greeting chain
    # a phone's or an appliance's launch, told in neutral words
    "某品牌新款折叠屏手机今天开售，重量不到240克，起售价7999元",
    "某品牌新一代扫地机器人上市，吸力12000Pa，首发价2999元",
    # a match report, a song, a pet, a dish
    "全国田径锦标赛男子100米决赛昨晚结束，冠军成绩9秒98",
    "给大家分享一首好歌，听了心情超好",
    "昨晚我家那只猫又跑丢了，找了两个小时",
    "城北新开的那家菜馆真不错，狮子头是一绝",
    "国庆去了趟大理，洱海真是绝了，发几张给大家看看",
    "今天又绿了😭 我那点钱全套在里面了，有懂的带带我",
    "艺人林某某与经纪公司解约一事持续发酵，目前已诉至法院",
    # a plain statement of private life: a family feast, a fee at home, an
    # operation, a driving test, a child's class
    "我家老二下个月办满月酒，定在镇上福满楼",
    "我们小区物业费下个月起每平米涨五毛",
    "我爸下周做白内障手术，省眼科医院的号排到了周三",
    "下个月去杭州学车，科目二已经约上了",
    "儿子暑假报了个机器人编程班，一个月三千八",
    "我下周一要去拔智齿。",
    "专班的兄弟们周末去钓鱼不？老地方烧烤，再整两箱啤酒",     # the task force's name, a day out
    # an invitation to play, whatever work words stand beside it; a chicken-soup article
    "兄弟们今晚王者开黑不，汛期值班熬得慌，差个辅助🎮",
    "分享个好东西：《人到中年，要学会放下》，写得太好了，转给大家看看🌹",
    "谁家要小狗？我家土狗下了六个崽，白送，要的赶紧来抱🐶",
    # a star's divorce told as news (two words of show business): chat, not gossip of a colleague
    "你们刷到没 那个顶流官宣离婚了🍉🍉 瓜太大了 我昨晚看到两点多",
])
def test_chit_chat_is_off_topic(inspect, text):
    [f] = inspect("off_topic", text)
    assert f.score >= THRESHOLD
    assert f.evidence


def test_shopping_link_scores_high(inspect):
    assert top(inspect("off_topic", "帮忙砍一刀！")) >= 0.9


@pytest.mark.parametrize("text", [
    # a shift swapped, an hour's leave: the work covered,
    "卓组长，我周三下午要去开孩子家长会，能跟洪涛换个班吗？",
    "我明天上午请两小时假去孩子学校开家长会，岗位跟小陈换了",
    "收到", "好的👍", "1", "👍👍", "收到，马上落实",
    "祝大家中秋快乐",                                    # a single greeting is manners
    "明天上午九点开会，会后一起吃饭",                    # work cue present
    "项目方代表今晚想请我们吃火锅，按规定婉拒了，材料照常报送",
    "产业基金投资协议明天签约",
    "请各单位周五前报送招商项目进度表",
    # a fee, a medical kit or a check-up report as work
    "办公楼物业费支付进度请财务科本周报一下",
    "医卫组血压计、血糖仪我明天带齐",
    "征兵体检报告明天上午统一发放到各乡镇",
    "我私你了",                                          # answered in private
    # thanks for work done in hard weather, clothes and all
    "感谢小陆这周顶着三十八度高温跑了六个基坑，衣服湿透了也没喊一声累👍",
    # leave or lateness for a family reason, the work covered
    "王局，明天孩子学校开家长会，我请半天假，日报让小周代报",
    "下午的分析会我可能晚到十分钟，要先去幼儿园接孩子",
    "@小李 油价没有官方发布不要乱发，撤回吧",             # keeping the group in order
    # the work itself, told lightly: a fire season, a roadshow, a field class
    "连值了一周夜班，我家娃视频都喊我叔叔了😂 还好明天开始下雨，火险降到三级",
    "哈哈连着三天项目路演，我现在做梦都是“请评委提问”😂",
    "明天降温到5度，去现场教学的同学多带件外套",
    "今天中午留守的同志我统一点外卖，吃啥报一下",            # lunch for those on duty
    # one's own field work counted, a night inspection, case files, time off in lieu
    "今天跑了四所学校，走了两万三千步，微信运动第一😂 这周健身房可以不去了",
    "今天一天讲了四场，嗓子哑了，回家我儿子问我“爸你是不是被诈骗了”😂",
    "夜查第三晚，我家娃已经问我是不是改上夜班了😂",
    "这周连看三本卷宗，每本都比砖头厚，感觉眼镜度数又涨了😂",
    "第九天了，我家娃都快不认识我了😂 等会开完我申请补休一天带他去动物园",
    # the work not to be held up
    "周末要去实地看公益广告点位，降温了记得带件外套，别冻感冒耽误事",
    # a ban on playing while on call
    "@包小龙 待命期间不准打游戏，手机保持畅通。",
    "值班期间不准开黑，手机保持畅通",
    "今晚值班三缺一，老王临时有事，谁来替一下",
    "撰写人生感悟类心得体会不少于1500字，周五前交党办",
    "今天巡河发现大坝下游有人野钓，已劝离并拍照留存",
    "我周六孩子中考，请个假，住建局派小李去。",
])
def test_acknowledgements_and_work_talk(inspect, text):
    assert top(inspect("off_topic", text)) < THRESHOLD


def test_topic_of_the_room_is_not_off_topic(inspect, room):
    union = Room(id="r4", topic="机关工会文体活动群", purpose="组织羽毛球比赛和健步走活动",
                 owner_id=room.owner_id, members=room.members)
    assert top(inspect("off_topic", "周六羽毛球比赛在体育馆", room=union)) < THRESHOLD
    assert top(inspect("off_topic", "周六羽毛球比赛在体育馆")) >= THRESHOLD


@pytest.mark.parametrize("text", [
    "下周末澜州马拉松有人跑吗？我中签了半马，找人组队拉练🏃‍♀️",
    "问下大家，桐溪哪家幼儿园口碑好点？孩子明年要上小班了",
])
def test_the_place_a_room_is_named_after_is_not_its_topic(inspect, room, text):
    """The city in a room's name is where its members live too: chat about
    that city is still chat; the room's own work words still clear it."""
    zone = Room(id="r5", topic="桐溪跨境电商综试区建设推进工作群",
                purpose="统筹澜州市跨境电商综试区和综合保税区建设", owner_id=room.owner_id,
                members=room.members)
    assert top(inspect("off_topic", text, room=zone)) >= THRESHOLD
    assert top(inspect("off_topic", "综试区周末有马拉松赛事保障任务，值班表见附件",
                       room=zone)) < THRESHOLD


@pytest.mark.parametrize("topic, text", [
    ("长江大保护工作群", "长江边夜钓的又多了，鱼竿都架满了"),
    ("城中村改造工作群", "城中村里好多烧烤摊占道经营"),
])
def test_a_river_or_a_district_a_room_is_about_is_its_topic(inspect, room, topic, text):
    """jieba tags 长江 and 城中村 as places too: the room's work, not its address."""
    there = Room(id="r6", topic=topic, purpose="", owner_id=room.owner_id, members=room.members)
    assert top(inspect("off_topic", text, room=there)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "昨晚追剧到两点，那个男主演技真绝",                 # series and stars
    "我那几只票又被套了，现在割肉还是补仓？",             # stock talk
    "周六去爬山吗？听说山顶花开了",                       # outings
    "在水库钓了条大鲤鱼，晚上红烧，谁来整两杯",           # food and drink
    "通关了没？最后那个boss太难打",                       # games
    "家里孩子的数学作业第五题谁会做，在线等",              # children's homework
    "谁家孩子暑假报了游泳班，哪个教练靠谱",
    # teeth, a birth, a race, a tip that beats medicine, a chain message
    "问下各位，县城哪家牙科实惠点？我家老爷子牙疼一个礼拜了",
    "问下谁知道哪家月子中心靠谱？我嫂子下个月生",
    "周末湖边半马有没有人去的？顺便求拼车，早上五点半出发",
    "[链接] 清晨一杯温水加这三样，比吃药还管用！转给家里老人看看",
    "【转发】明天是菩萨圣诞，转发此消息到10个群的人全家平安🙏🙏🙏",
    "周末跑了三个景点，腿都断了😂",                         # a trip counted, not field work
    "周末带娃跑了三所学校看学区房",                         # one's own errand
    "上个月跑了四场马拉松",
    "这周补休，带娃去三亚玩几天",
    # news of cars, matches and stars, with no chat word of the usual kind
    "新一代纯电轿跑正式上市，充电10分钟续航400公里，零百加速3.2秒",
    "中超联赛第28轮昨晚进行，主场2比0击败对手，外援前锋梅开二度",
    "某顶流男歌手今日官宣恋情，相关话题两小时内阅读量破十亿",
    # a vote word and private life in a match report or a star's story
    "NBA总决赛第七场主场击败对手，塔图姆砍下37分12个篮板当选总决赛MVP",
    "古装剧昨日收官，全网播放量突破30亿，女主角入围金鹰奖最佳女主角提名",
    "知名歌手周某某与妻子宣布离婚，此前网传二人早已分居",
    # a work word inside the story: the star's 工作室, the organiser's reminder
    "某顶流男歌手通过工作室官宣恋情，工作室同时宣布取消三场商演",
    "某当红女歌手今晚举办巡回演唱会，门票三分钟售罄，主办方提醒观众谨防假票",
    # a market report, its 北向资金 no work word
    "沪指今日收涨1.23%报3412点，两市成交额1.6万亿元，北向资金净买入52亿元",
    "今天终于把房贷提前还了一部分，月供少了一千多，开心",
    "今天家长群又吵起来了，你们孩子学校也这样吗",
    # a film award, a phone's battery, a holiday's feast
    "金鸡奖颁奖典礼昨晚举行，最佳男主角花落一位新晋影帝",
    "这手机用了半年电池健康掉到86%，售后说正常",
    "彝族年快到了，今年谁回老家杀年猪？",
])
def test_everyday_chat_families_are_off_topic(inspect, text):
    assert top(inspect("off_topic", text)) >= THRESHOLD


@pytest.mark.parametrize("kind", [MessageType.URL, MessageType.IMAGE, MessageType.VIDEO])
def test_a_shared_link_title_or_photo_caption_is_read(inspect, kind):
    # the title of a shared story, the caption of a holiday photo
    assert top(inspect("off_topic", "今晚追剧到两点，那个男主演技真绝", type=kind)) >= THRESHOLD
    assert top(inspect("off_topic", "请各单位周五前报送招商项目进度表", type=kind)) < THRESHOLD


@pytest.mark.parametrize("kind", [MessageType.FILE, MessageType.RED_ENVELOPE, MessageType.EMOTICON])
def test_file_names_payments_and_stickers_are_not_read_as_chat(inspect, kind):
    assert top(inspect("off_topic", "今晚追剧到两点，那个男主演技真绝", type=kind)) < THRESHOLD


def test_a_chat_word_inside_a_work_word_is_not_chat(inspect):
    # 理发 inside 处理发帖人
    assert top(inspect("off_topic", "造谣帖子已核实，公安机关已依法处理发帖人")) < THRESHOLD


@pytest.mark.parametrize("text", [
    "评优投票开始了，大家帮我投一票，周末请大家钓鱼",      # a canvass
    "黄主任是二婚吧？我看他朋友圈那娃跟他长得不太像啊[吃瓜]",  # talk of a colleague
])
def test_what_another_rule_is_about_is_left_to_it(inspect, text):
    assert top(inspect("off_topic", text)) < THRESHOLD


def test_a_chat_word_naming_an_office_is_the_office(inspect):
    """「旅游股知悉」: the tourism section answering, not travel; tourism
    shares rising, a card game (掼蛋局) and a card bought (办卡) are chat."""
    assert inspect("off_topic", "收到，旅游股知悉。") == []
    for text in ("旅游股今天涨停了，赚翻了", "周五掼蛋局，差一个", "健身办卡一年三千值不值"):
        assert top(inspect("off_topic", text)) >= THRESHOLD, text
