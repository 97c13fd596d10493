import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text, contact", [
    ("韩国正品面膜代购，需要的加微信 abc123", "abc123"),      # the WeChat id itself
    ("招兼职，日赚300，加V：abc123456", "abc123456"),
    ("自家产的茶叶，88元一盒，电话13812345678", "13812345678"),
    ("招代理！零成本创业，加v详聊", "加v"),
    ("特價燕窩，私聊", "私聊"),                                    # traditional
    ("酱香白酒团购，联系一三八一二三四五六七八", "一三八一二三四五六七八"),  # numerals spelled out
])
def test_sales_with_contact(inspect, text, contact):
    [f] = inspect("ads", text)
    assert f.score >= 0.8
    assert contact in f.evidence


def test_sale_with_price_only(inspect):
    [f] = inspect("ads", "新到的土特产，¥99包邮")
    assert THRESHOLD <= f.score < 0.9 and "¥99" in f.evidence


@pytest.mark.parametrize("text", [
    # a phone's launch reported with its price (起售价): news, not a sale,
    "苹果发布新系列手机，Pro Max起售价9999元，首周预售量同比增长20%",
    "政府采购公告：县商务局办公设备采购项目，预算金额50万元，联系电话13812345678",
    "消费券第二轮发放，每人可领100元，请广泛宣传",
    "工会会员普惠：凭会员卡在指定商户消费享九折，名单见工会公众号",
    # a complaint about selling, a commendation, a student-loan notice
    "近期收到用户投诉3起，反映业务员承诺保证降价诱导签零售合同，结算后价格反而高了",
    "表扬护理员陈彩霞，连续三个月上门服务零投诉，家属专门打电话来感谢",
    "资助中心通知：助学贷款每年最高20000元，在校期间利息财政全额贴息",
    "落实招商优惠政策，企业可享受税收优惠",
    "请各单位报送项目进度，联系人张伟，电话13812345678",
    "这次团购的价格怎么样？",
    "河道保洁经费由县财政预算批复，每公里每年6000元拨付乡镇，专款专用",
    "零售经营许可条件以应急局文件为准，不清楚的打危化股电话13812345678确认",
    "这个面膜生产线项目的投资价格比较合理，企业联系电话13812345678",
    # a product's launch reported, with its price and no way to buy
    "新款坦克500亮相车展，搭载2.0T插电混动系统，预售价33.5万元起",
    "新一代纯电轿跑正式上市，官方指导价25.99万至32.99万元，首月订单突破5万台",
    "小米新车型发布，百公里加速2.78秒，预售价21.59万起，发布会后24小时锁单突破5万台",
    # a warning against the pitch, with the number to report it to
    "请各街道张贴海报：凡是以“高额返利”“以房养老”为名要老人投钱的，都要提高警惕，及时报警或打区处非办电话",
    # the shops and links an inspection took down
    "本周在种子电商平台排查店铺120家，下架涉嫌侵权商品链接37个。",
    # a call taken, not a number offered; guidance on keeping a story from being an advert
    "有个志愿者家长打电话问孩子服务时候的安全问题，我把保险覆盖范围跟她解释了一遍，家长放心了",
    "@石峰 可以，稿子只讲创业故事，不出现店铺链接、价格和二维码，别写成广告",
    # a supplier the unit itself pays for the work
    "晒图的打印店电话133 5821 0967，图纸加急可以找他们，局里签了协议价，开票走单位",
    "村口打印店电话135 2207 6614，下周要印500份意愿表，已经联系好了，村委直接结算",
    "搬家的住户问有没有正规搬家公司，指挥部公示栏有区里的服务名录，可以照上面电话自己选",
])
def test_procurement_and_policy_are_clean(inspect, text):
    assert top(inspect("ads", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "用单位经费买办公用品的找我，批发价，微信abc12345",
    "办理食品经营许可证找我，包过，加微信zz8888",
    # the unit's own purchase words in a seller's offer
    "我们店跟好几个局都签了协议价，茶叶礼盒198一盒，需要的加我微信，开票走单位报销没问题",
    "新到的有机大米，入选服务名录的供应商，5斤装68元，私聊下单",
    "本公司承接各类办公家具维修，签了协议价的单位更便宜，联系电话13912345678",
    "家政保洁团队已入选区里服务名录，一次只要99元，电话15812345678",
])
def test_a_sale_beside_a_word_of_public_money_or_licences_is_an_advert(inspect, text):
    assert top(inspect("ads", text)) >= THRESHOLD


def test_a_launch_report_with_a_way_to_buy_is_an_advert(inspect):
    [f] = inspect("ads", "新款电动车正式上市，预售价3999元，订购请加微信 abc12345")
    assert f.score >= THRESHOLD


@pytest.mark.parametrize("text", [
    "执法记录仪、对讲机、强光手电原厂正品，拍下立减，点这里",          # discount and a link
    "二建考前冲刺班开班啦！名师押题，团报三人以上立减800，扫码咨询",
    "出两套正版CAD授权，公司注销了用不上，原价两万五，八千出",          # a price in numerals
    "劳保鞋满300减50，要的私我",
    # a call asked for is a way to buy, with or without the number
    "新到一批意外保险，有需要的打电话咨询",
    "自家果园的冰糖橙熟了，有需要的打电话139xxxx5678",
    "承接各类装修，质量保证，有需要的打电话",
])
def test_discounts_and_prices_in_numerals_are_read(inspect, text):
    assert top(inspect("ads", text)) >= THRESHOLD


@pytest.mark.parametrize("text, shop", [
    ("我媳妇做的卤味，鸭脖鸭翅鸭锁骨，群里下单满50送到监控中心🦆", "我媳妇做的"),
    ("我姑父在南郊开了个农家乐，有鱼塘有包厢，单位团建都行，报我名字送条鱼", "我姑父在南郊开了个"),
    ("我小舅子在义乌做跨境物流，价格好商量，谁要发货我把他微信推给你", "我小舅子在义乌做"),
    ("我小姨子开了家财税代理，做账报税一条龙，身边有企业需要的可以推一下，报我名字有优惠", "小姨子开了家"),
    ("我朋友开的广告公司户外大牌、电梯屏都能做，价格好商量，有企业问的可以介绍过去", "朋友开的"),
    ("我老公刚开了家全屋定制门店，专班同事装修可以找他，出厂价", "老公刚开了家"),
    ("家里开了个小饭馆，同事来吃打八折，欢迎光临", "家里开了个"),
])
def test_a_relatives_or_friends_business_offered_to_the_group_is_an_advert(inspect, text, shop):
    """The group's own trade words (企业, 专班) do not make a relative's shop
    the group's business."""
    [f] = inspect("ads", text)
    assert f.score >= THRESHOLD and shop in f.evidence


@pytest.mark.parametrize("text", [
    # a favour asked of an official for it (打过招呼, 照顾点) is cronyism's,
    "我朋友开的康复中心想进定点名单，理事长那儿我打过招呼了，评估时照顾点",
    # a favour asked of an official for that business: cronyism's
    "梁所，我表弟开了个农资店，所里明年的肥料能不能从他那进，价格不会比别人高",
    "孙局，我表弟开了个中介门店，刚被约谈了，您看能不能跟区里说一声",
    # or the work itself asked for them
    "顾主任，我小舅子开了个搭建公司，终点区临时机房的棚子让他来做吧，价格好说",
    "郭经理，我表弟在澜海做钢结构的，县中学风雨操场那块分包给他吧，价格好说，自己人放心",
    # a relative's shop told of, nothing offered
    "我朋友开的饭店上周被通报了，后厨确实不规范",
])
def test_a_relatives_business_without_an_offer_to_the_group_is_no_advert(inspect, text):
    assert top(inspect("ads", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    # a whole pitch with its price, no contact,
    "统计师考前押题班，往年通过率92%，统计系统同事报名立减300，名额有限👇",
    # a trade-in sale with its link: 以旧换新 and 补贴 make no notice of it,
    "双十二电器节，县城百汇电器城空调冰箱直降，以旧换新再补贴15%，活动链接发大家👉",
    "【年终理财】年化4.2%稳健型，起投5万，期限180天，额度有限先到先得",
    "【家庭燃气安全险】年缴38元保障50万，点击链接即可投保",
    "【课程】注册安全工程师考试冲刺班，保过班报名立减1000，名额有限",
    # a shop's own sale; a member's produce offered for the union's gifts
    "我们超市下周一周年店庆，全场满200减50，各位领导周末带家人来逛逛",
    "打个小广告哈，我们村的柑橘熟了，果园直发，10斤装45元，单位工会发福利可以团购，找我就行",
    # a whole pitch of selling words ("投资" inside 零投资 is the sale's own word)
    "招募代理！正品面膜一手货源，零投资零库存，宝妈上班族都能做，月入过万不是梦",
])
def test_financial_products_and_cram_courses_are_adverts(inspect, text):
    assert top(inspect("ads", text)) >= THRESHOLD


@pytest.mark.parametrize("text", [
    "评“最美代办员”网上投票开始了，我是9号，麻烦大家帮我拉拉票，投了截图私我，我给大家寄家乡腊肉",
    "“最美防汛人”评选开始了，我也在候选名单里，请大家点点我的名字支持一下，点了的私信我，请喝奶茶",
])
def test_a_canvass_with_its_reward_is_left_to_vote_buying(inspect, text):
    assert top(inspect("ads", text)) < THRESHOLD
    assert top(inspect("vote_buying", text)) >= THRESHOLD


def test_the_rooms_own_goods_and_prices_are_its_business(inspect, room):
    """What the room trades in, priced (批发价 in a wholesale market's
    group), is its work; the same words in another room sell."""
    from dataclasses import replace
    market = replace(room, topic="城北农产品批发市场快检工作群",
                     purpose="批发市场蔬菜水果快检、价格监测与入场票据查验")
    text = "今天豇豆批发价5.8一斤 比上周涨了1块多，货主要从海南过来，入场票据都齐的"
    assert top(inspect("ads", text, room=market)) < THRESHOLD
    assert top(inspect("ads", "豇豆批发价5.8一斤，要的私聊我", room=room)) >= THRESHOLD
