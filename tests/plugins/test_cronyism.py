import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    # an official asked to a businessman's table, a matter of his raised there,
    "杨局，我们董事长想约您和几位领导周末去山庄坐一坐，一起聊聊明年奖补的事",
    "周六老乡会，王老板也来，以后项目上互相关照",
    "扣的那条船船主是我们镇一个人大代表的亲戚，能不能从轻，罚款意思意思就行",   # a penalty asked down
    "都是同学会的自己人，这个工程你打个招呼就行",
    "战友会上说好了，他提拔的事大家帮忙",
    "新来的得先去拜码头",
    "咱們這個圈子，有好處大家分",                       # traditional
    # a relative's firm put forward for the work, a check asked to go easy
    "会场摆渡车就用我老表的客运公司吧，车新，价格好谈",
    "我小舅子做苗木生意，想按内部结算价拿一批桂花，您批个条子？",
    "天恒测绘的王总是我老同学，这回要是抽中，检查组松一松",
    "欧阳主任，我一老乡今晚要过海，车上拉着年货，麻烦给插个前面的班次",
    "我是您老同学小孙的表哥，这次检查的时候能不能手下留情",
    # a hometown gathering of officials, a circle of its own
    "周末我张罗个老乡聚会，都是咱县出来的，回头拉个小群常走动",
    # a relative's vehicle stopped, a word asked for; work handed over without a tender
    "郑局，我表哥的两台车在芦溪站被查了，能不能跟站里说一声这次先教育放行？",
    "我一个老乡的车在K32点位被拍了超限，能不能在系统里帮他撤了？",
    "我有个老同学开传媒公司的，宣传片要不直接给他，省得招标麻烦",
    "集体婚礼的鲜花布置能不能给我表姐那家花店做，价格咱们内部商量",
    # the open procedure named only to be got round
    "走个正常程序就行，我已经跟王局打过招呼了，你小舅子的标稳了",
    "正规渠道太慢，你找你老乡王局打个招呼",
    # a refusal that is no end of it: the favour asked after it
    "先婉拒一下做做样子，回头私下给他办，他是我老乡，你多关照",
    "他们要求公开比选我没同意，那个工程给我老乡做，你帮忙打个招呼",
    "直接让他走绿色通道，他是张局的小舅子，我打过招呼了",
    # a refusal of another's approach beside one's own tie, a refusal negated or feigned
    "我老乡在规划局，审批的事让他帮忙打个招呼，别人托我的我都婉拒了",
    "我小舅子那个岗位你直接安排一下，不用走招聘流程",
    "我老乡找我打招呼，先婉拒一下做做样子回头再关照他",
    # the addressee's tie named, the favour still done or one's own tie behind it
    "你老乡的事你回避，我来跟评委打招呼",
    "你表弟的事我不打招呼，你让他直接找王局，就说是我老乡",
    # access brokered for a reward, with no tie named
    "有家保洁公司想通过你认识几个小区的物业经理，你帮忙牵个线，回头少不了你的好处",
    "钱大队，驾校那边想在交通安全宣传进校园活动里挂个名搞合作，您帮牵个线，他说亏待不了大家",
    # the addressee's tie, the favour told as done or the refusal feigned or undone after it
    "你表弟那个项目我已经跟局长打过招呼了，让他去平台注册走个流程就行",
    "这家企业老板是你老同学，名额我给他留好了，评审的时候你回避一下，免得被人说闲话",
    "你表哥的公司这次中标我已经安排好了，开会时你按规定回避一下做做样子",
    "你老乡的事我不打招呼，你让他直接报我名字就行",
    "你帮宏达跟评委打个招呼，局里不会亏待你",
    "你帮忙把宏达列进短名单，不会亏待你的",
    # an inspection held off for the tie; the open procedure named, then a favour asked
    "郑支，我同学厂里那口井证过期了，延续材料还在补，你们先别去查，给个面子",
    "我老同学做管材的，一切按程序，你们照顾下",
    # ... not where the tie is named again after the refusal, or a favour asked
    "我老乡想进项目，我回绝了，你们看着办吧，都是老乡",
    "我表弟想承包食堂，我拒绝了，不过你们看着照顾一下",
    # the open procedure described, not answered; a refusal by another, or of others
    "有个亲戚想进咱们下属公司，人事那边帮忙打个招呼，走公开招聘",
    "有个老乡想申请今年的奖补，李科您帮忙关照一下，让他按程序自己申请",
    "有家企业老板是我们书记的战友，这个项目就给他们做，面上走公开招标程序",
    "有个老同学在做物流，想接咱们园区的配送项目，麻烦大家多关照，一切按程序来就行",
    "我表哥承包的那段路验收时多照顾，其他人求情我一律回绝了",
    "王科，我表弟那个项目您关照一下，他自己去申请被窗口回绝了",
    "有家公司老板是我同学，想让我牵线认识王局，我拒绝了，你们谁熟帮他引荐一下",
    "有家企业老板是我同学，你们照顾一下，看招标公告就行",
    "检查的时候多偏着点我们这边，毕竟都是老乡",
    "执法队那边我表哥说了算，让他先别查我们店",
    "李部，私下说个事，市里某领导的朋友想在高铁站附近拿个点，领导那边已经打过招呼了，勘查麻烦照顾一下",
    "何哥，向阳路那家是我小姨子开的，你们组去之前跟我吱一声，小问题就别往本子上记了哈",
    # the open procedure named as cover, the favour after it
    "我战友找我想要这个项目，我告诉他跟其他企业一样，你们评审时稍微倾斜一点",
    "我同学找到我想接这个工程，我跟他说一样排队，你们审核的时候留意一下他们家",
    # the open procedure or a dinner declined, named as cover beside one's own tie
    "我小舅子找我说想接这个项目，标书已经按他家资质改好了，对外一律公开招标",
    "你们评审时给我老乡的公司多关照，他找我好几次了，饭局也没去",
    # a classmate from the party school; a favour of leniency in an inspection
    "肖组长，我们院长跟您是党校同班的，他让我带句话，这次去了有些小毛病能不能手下留情，口头提提就行，别写进通报",
    # another's refusal is no refusal of the sender's; colleagues promised a share
    "我战友让我帮他在招标里打个招呼，评委没答应，只能拜托王局了",
    "我们几个兄弟都跟着张书记，以后有什么好处少不了大家的",
    # students of one teacher; a refusal opening a reply that a favour follows
    "甘庭，冒昧说一句，我们总监跟您是政法大学同门师兄妹，下月那几件案子您多费心关照下",
    "@李大山 这个不行，不过你表弟那个项目，我跟评审的老同学说说，让他关照一下",
    "@王科 不行的话，你找找你那个在人社局的老乡，让他帮忙打个招呼，我们这边不能打招呼",
    # 所有……负责人 is no approach to the sender
    "所有科室负责人，你老乡的事我已经安排好了，不能打招呼的话就别声张",
    # a place or a number kept back for the tie
    "我老同学找我帮忙，我让他正常预约，明天上午你们给他留个号",
])
def test_networking_for_gain(inspect, text):
    [f] = inspect("cronyism", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text or "……" in f.evidence


@pytest.mark.parametrize("text", [
    # a hometown gathering declined,
    "老乡会我不参加。三期项目按政府采购程序走。",
    "明天下午招商项目对接会，请相关企业老板准时参加",
    "构建亲清政商关系，优化营商环境",
    "周末同学会，好久不见了",
    "坚决反对圈子文化和码头文化",
    "请帮忙把项目材料报送一下",
    "同学会上碰到市场监管局的老同学，他说可以帮忙咨询一下注册流程",
    "我表弟来问低保怎么办，我让他去社区窗口交材料了，大家不用特殊照顾",   # a favour declined
    "今年苗木调拨按市财政核定的内部结算价执行，价格表已公示",
    # people gathered, no gathering of officials (the key view folds 聚聚 to 聚)
    "村里老乡聚在村部门口等着办证，请窗口加派人手",
    # a queue kept for everyone, leniency asked of no one through a tie
    "老乡们别插个前面的队，按号办理",
    "对初次轻微违法的企业，执法检查手下留情也要依法依规，不能一罚了之",
    # the favour refused in so many words
    "校友来参观欢迎，但免票住宿局里安排不了，申报评审的事不搞这一套",
    # a favour asked of the sender through a tie, turned down or sent to the open procedure
    "有居民说他亲戚做门窗的想承接窗户更换，我跟他讲了项目部不指定，统一用招标确定的供应商",
    "有业主托关系想把他亲戚安排进我们保安队，我按公司规定让他走招聘流程了",
    "有户说他外甥在区里某局上班，让我们“关照”一下多算点面积，我跟他讲了面积只认测绘报告，谁家亲戚都一样",
    "刚有个企业托人找我'打个招呼'问环评能不能快点，我直接让他走窗口正常程序了，也跟纪检组报备了",
    "有人托关系说那家电镀厂老板是他亲戚，我明确拒绝了，照常立案",
    "有家企业老板托我想跟代表团吃个饭“认识一下”，我说一律走招商局正式渠道报外办，没答应",
    "有运营商同行想请中心吃个饭“联络感情”，我跟他们说了，有事协调会上说，别搞这一套",
    "有个码头老板说他跟市里谁谁很熟，让我们“高抬贵手”，我直接按程序立案了",
    "有亲戚来找我说他朋友的船想“走个后门”快点签，我让他们按窗口流程排队，谁都一样",
    "有个投标企业老板托人找我，说想认识一下县信用办的领导，我直接回了，有事走窗口",
    "有企业找我问能不能认识一下审批局领导，我说所有事项都在大厅窗口办，不用认识谁",
    # the addressee's tie sent to the open procedure, the word refused, a recusal asked
    "范局，这个不行。土方分包按招标走，你表弟有意向就让他自己去交易平台报名，我这边不打招呼。",
    "潘科，这个招呼我不能打。切位是航司自己的商业行为，让你老乡直接找航司销售部按市场价谈。",
    "邵科，应急物资走政府采购平台，你战友可以去平台注册参与竞价，这个事我不会打招呼。",
    "夜景项目还没立项，立项后公开招标，让你同学关注公告就行，饭就不吃了。",
    "万处，之前跟您说的那家企业想请我们吃饭谈校招合作，我婉拒了，让他们直接走就业中心校企合作流程。",
    "@阮子豪 报备按流程审，没有关照一说。你跟企业负责人是同学，后面这家的检查你回避",
    # 好处费 in a notice; a share of the canteen's food for help with the work
    "群众反映有人以帮忙办低保为名索要好处费，请各村核查后报镇纪委",
    "这个活你帮忙干完，食堂少不了你的一份",
    # a reward the unit promises for extra work, help with no door opened
    "防汛这几天大家辛苦帮忙顶一下，单位不会亏待大家的",
    "周末大家帮忙加个班把台账补齐，年终考核不会亏待大家",
    "新同事入职，大家多帮忙带一带，我不会亏待你们的",
    "有个申请人说他表哥在市里上班，想让我帮他往前挪挪，我直接回了，按顺序号来，谁打招呼都没用。",
    "你同学那家公司的事我不能帮，评审名单早就定好了，让他关注公告",
    # another's approach sent to the open procedure in other words (一切按程序, 等公开招标,
    # 谁来都一样), and an approach by a business named with its trade (有砂场老板说)
    "有个港资老板说是某领导的老同学，想让我们在清单审查上给他项目“放一放”，我已经告诉他一切按清单和程序办",
    "有个老同学做管材的，问配套工程后面还有没有采购，我让他自己盯公共资源交易网的公告",
    "有个朋友做管材的托我问能不能供二期，我告诉他等公开招标，我这边不好插手",
    "有个项目老板说是马站的老乡，想让验收时宽松点，我说按标准来，谁来都一样",
    "有砂场老板说跟黄主任是战友，想请我们吃个饭，我没答应",
    # the sender's own tie turned down in so many words
    "青石有家被举报的企业老板是我初中同学，想让我跟核查的同事打个招呼轻点处理，我回绝了，他要是找到你们，一样按规定办",
    "我老乡想让我帮他进项目，我回绝了",
    "有户人家的亲戚找到我，想让我跟镇里说一声把他家列进去拿补助，我让他按程序自己申请",
    "有个拉面店老板想托我给他侄子在街道找个临时岗，我让他看公开招聘公告自己报",
    "有施工企业老板说跟我是老乡，想约出来谈项目，我回他按公开招标程序报名",
    "有家管件厂老板想让我帮他产品进集团应急物资库，说事成给提成，我直接拒了",
    # a wharf and a hill that are places, work held off for the weather
    "三号码头今天风太大，巡查先别去查了，等风停了再去",
    "老乡返乡创业贷款贴息，政策上对困难户多偏着点",
    "有家信息化公司老板说认识局里领导，想直接进医共体平台项目，我让他去看县公共资源交易中心的招标公告",
    "我老乡开沙场的，想让执法队高抬贵手，我回绝了",
    "我表哥想让我帮他在招标时打个招呼，被我拒了",
    "有老乡找我想安排孩子进咱们单位，让他等公开招聘",
    # refusals in other words: 直接拒绝, 没理会, 我说不方便; the sender's own tie who asked sent
    # to the procedure in the sender's words
    "有个在县里包工程的老乡找我，想知道哪几个乡镇要合并，好提前去租地，我直接拒绝了，也提醒他别再打听。",
    "今天检查时有个商户老板说跟马局是老乡，让我们通融一下，我们没理会，照常开了责令整改通知书。",
    "田园那个老板是我老乡，昨天找到我，我让他在系统里正常预约消防验收，跟其他企业一样排队。",
    "光明路那家老板刚才打电话说想请咱们吃个饭认识一下，我说不方便，让他有问题打中心的咨询电话。",
    "我小姨子下周结婚，请个假",
    "我一个亲戚的孩子今年毕业想来深圳，托我问站里能不能安排，我跟他说站里不招人，让他自己投简历。",
    # a discipline warning that findings go into the bulletin
    "纪委提醒：谁再找老乡、同学说情照顾，直接写进通报",
    # a reply that opens by turning down what the member named asked
    "@李大山 这个不行，施工单位招人是企业自己的事，我们不能打招呼。孩子可以关注县人社局的招聘公告，凭本事考",
    # an approach by a body's head answered with its procedure
    "有侨团负责人私下问明年能不能给他亲戚家孩子留个名额，我答复统一按侨团推荐、侨办审核的程序报名",
])
def test_official_work_and_plain_reunions_are_clean(inspect, text):
    assert top(inspect("cronyism", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "有个老乡打电话想让我帮他公司进项目库，我让他按申报指南报，该怎么审就怎么审。",
    "有老乡托我介绍他儿子来厂里做临时工，我让他看厂里的招聘公告走程序。",
])
def test_a_favour_sent_to_the_published_procedure_is_refused(inspect, text):
    """Recorded as a refusal, so that the decision stage does not find the tie used."""
    [f] = inspect("cronyism", text)
    assert f.score < THRESHOLD and "正常程序" in f.reason


@pytest.mark.parametrize("text", [
    "有老乡托我介绍他儿子来厂里，我已经跟人事科打过招呼了，我让他看招聘公告报名就行",
    "有老战友托我给他公司的项目说说话，名额给他留好了，我跟他说按申报指南报",
    "有同学找我问他那个项目能不能过，评审专家那边我已经跟老刘通过气了，让他按申报指南报",
])
def test_a_favour_told_as_done_is_no_refusal_whatever_procedure_is_named(inspect, text):
    assert top(inspect("cronyism", text)) >= THRESHOLD


def test_a_word_denied_having_been_put_in_is_the_refusal_told_again(inspect):
    [f] = inspect("cronyism", "有老乡托我找人事科打招呼，我拒绝了，从来没打过招呼，让他看招聘公告")
    assert f.score < THRESHOLD
