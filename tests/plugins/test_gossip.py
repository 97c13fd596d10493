import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    # a report named as what happened to him, not a notice: 被通报了还能当,
    "古渡镇温站长去年执法检查被通报了还能当站长，他老丈人是县人大的，这关系硬得很",
    "那个局长就是个草包，什么都不懂",
    "老王是靠关系上位的，大家心里都有数",
    "听说张局作风有问题，外面有小三",
    "新来的副主任就是个马屁精",
    "她離婚了，老公跑了",                                   # traditional
    "小李这人就是个马·屁·精",                               # separators
    "老刘外面有人了，他老婆都闹到单位来了",
    # a colleague's marriage, pay or money, talked over
    "郑处是不是要离了？上周在民政局门口看见她排队",
    "综合科小詹的科长换了辆五十多万的车，哪来这么多钱，家里怕是有矿",
    "一科科长工资比主任还高吧，人家评了译审",
    "古科长今天说话这么冲，估计在家受气了",
    "秦校长今年绩效拿的是咱们三倍，难怪开会老讲奉献",
    # a colleague's career talked over
    "包主任这回提拔没戏了，听说上面有人告他状，悬了",
    "鲁老师天天往主任办公室跑，马屁拍得啪啪响",
    # a colleague's marriage and home talked over
    "麦局今年肯定要退二线了，听说身体不行，家里也不太平",
    "财务科小冯都三十五了还没结婚，听说眼光高得很",
    "办公室那个小张，写个材料错字连篇，真不知道怎么考进来的",    # how he got in, doubted
    "城关所那个老郑，天天端个保温杯装老干部，检查就站着指挥，活全是年轻人干的，哈哈哈",
    "林科这人吧，业务不咋地，全靠上面有人罩着，这次评先进肯定又有他。",
])
def test_disparaging_or_private_gossip(inspect, text):
    [f] = inspect("gossip", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "老王这个材料写得很好，大家参考",
    "李局今天去市里开会了，下午回来",
    "小张请假了，材料由我报送",
    "这位群众来咨询离婚了以后低保怎么办理",
    "其他同志没水平的地方，我们培训时再讲",
    "同事们辛苦了，项目顺利签约",
    "这个方案没水平，重写一版",
    # what people outside say, asked about: no lover on the side
    "@戴局 外面有人传安和基金会善款亏空，这个属实吗？需不需要暂停拨付？",
    # a judgement forbidden, passed on no one
    "转达王局要求：窗口负责人每天带班，群众排队超过半小时要加开窗口，不得推诿扯皮。",
    "各位领导要带头杜绝官僚主义和懒政怠政",
    # a complaint against him handled as casework
    "有群众实名举报，告他状的材料已转纪委",
    "这周第三次加班了，家里那位说我比当兵的时候还忙😂",          # one's own spouse, of oneself
    # thanks for handling a citizen: no judgement of a colleague
    "谢谢马姐今天帮我接了那位情绪激动的大爷，不然我真不知道怎么收场😓",
    "廖科太拼了，南港也是，昨晚整材料到两点，早上我媳妇问我是不是外面有人了，我说有，一堆台账😂",
    "王科长不是光站着指挥的人，大家别误会",
    "昨晚老王被他老婆送到医院了，急性阑尾炎，这两天的值班我替他",
])
def test_neutral_work_talk_is_clean(inspect, text):
    assert top(inspect("gossip", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "那个新来的科长写个总结都狗屁不通",                     # incompetence
    "那个新来的主任怪不得啥也不会，原来是空降的",           # 不得 inside a word
    "听说那位副主任是靠老丈人上去的",                       # got there by connections
    "那个处长台上一套台下一套，大家心里有数",               # two-faced
])
def test_derogatory_families_are_gossip(inspect, text):
    assert top(inspect("gossip", text)) >= THRESHOLD


def test_a_warning_against_gossip_is_not_gossip(inspect):
    text = "有人在群里议论领导私生活，违反群纪律，请立即停止"
    assert top(inspect("gossip", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "内部消息：交通局那个局长被留置了，好像牵扯一大批人",
    "听朋友讲某集团老板被带走了，咱们那个项目要黄",
])
def test_news_of_a_detention_is_not_private_life_gossip(inspect, text):
    # an unverified case report is the rumour rule's business, not a slur on a colleague
    assert top(inspect("gossip", text)) < THRESHOLD
