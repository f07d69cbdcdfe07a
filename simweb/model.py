"""The data model of the simulated Jiujiang web: sites, columns, planted defects.

Everything here is plain data. `simweb.build` turns it into pages (through `simweb.layouts`) and derives the
ground truth from what it generated, so the truth and the pages cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

AS_OF = dt.date(2021, 12, 20)  # a Monday; no Chinese public holiday between 2021-11-01 and 2021-12-31
SEED = "govaudit-simweb-1"
ZONE = "jj.test"
GONE_HOST = "gone.jj.test"  # linked from one site, has no DNS record

# Freshness limits the ground truth is judged with (the checks' defaults, 国办秘函〔2019〕19号 + 2015 普查).
LIMITS = {"news": 14, "notice": 180, "personnel": 365, "other": 365}  # other: 德安 default (应更新长期未更新)
EARLY_WARNING_DAYS = 30  # a column within 30 days of its limit is in the early-warning band (limits >= 180 only)
EXECUTION_LIMIT, EXECUTION_WARN_FROM = 180, 160
HOMEPAGE_LIMIT = 14
ENFORCEMENT_WORKDAYS = 7

# Column classes: news (动态/要闻), notice (通知公告/政策文件), personnel (人事/规划计划), other (not judged by
# stale-columns except for blankness), execution (执行公开), enforcement (行政许可/处罚), annual (年报 lists),
# stats (行政执法统计年报), field (基层政务公开 领域 page).


@dataclass
class ColumnSpec:
    key: str  # ascii slug, unique within a site
    name: str
    klass: str
    section: str  # key of the section page that lists it
    count: int = 20  # number of entries (0 = blank column)
    newest_age: int = 3  # days before AS_OF of the newest entry
    spacing: int = 5  # mean gap in days between entries
    kind: str = "article"  # article | normative | annual | stats | field
    js: bool = False  # drawn by script from JSON data (one column in the web)


@dataclass
class SectionSpec:
    key: str
    name: str
    parent: str | None  # None = child of the home page


# The 26 基层政务公开 fields (standards.md §3.3) with ascii slugs and local synonyms.
FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("zdjsxm", "重大建设项目", ()),
    ("ggzyjy", "公共资源交易", ()),
    ("czyjsly", "财政预决算", ()),
    ("aqsc", "安全生产", ()),
    ("ssgl", "税收管理", ()),
    ("zdbc", "征地补偿", ()),
    ("fwzs", "国有土地上房屋征收与补偿", ()),
    ("ncwfgz", "农村危房改造", ()),
    ("fp", "扶贫", ("乡村振兴",)),
    ("jz", "救灾", ()),
    ("shjz", "社会救助", ()),
    ("ylfw", "养老服务", ()),
    ("ggflfw", "公共法律服务", ()),
    ("hjgl", "户籍管理", ()),
    ("snbt", "涉农补贴", ()),
    ("jy", "就业", ("就业创业",)),
    ("shbx", "社会保险", ()),
    ("ywjy", "义务教育", ()),
    ("wsjk", "医疗卫生", ("卫生健康",)),
    ("spyp", "食品药品监管", ()),
    ("hjbh", "环境保护", ("生态环境",)),
    ("ggwhfw", "公共文化服务", ()),
    ("cxgh", "城乡规划", ()),
    ("szfw", "市政服务", ()),
    ("bzxzf", "保障性住房", ("住房保障",)),
    ("cszhzf", "城市综合执法", ()),
]

DIRECTORY_HEADERS = ["序号", "公开事项", "公开内容（要素）", "公开依据", "公开时限", "公开主体", "公开渠道和载体",
                     "公开对象", "公开方式", "公开层级"]


@dataclass
class Site:
    id: str
    host: str
    name: str  # site name (网站名称)
    level: str  # municipal | county | department
    unit: str  # 主办单位 (the government or department)
    short: str  # short place/unit name used in titles: 浔阳区, 市发改委
    site_code: str
    layout: str  # trs | hanweb | cluster | legacy
    charset: str = "utf-8"  # utf-8 | gbk | gb2312 (declared in <meta> only)
    doc_prefix: str = "浔府发"  # 文号 prefix
    icp: str = "赣ICP备05004321号-1"
    psb: str = "赣公网安备 36040302000123号"
    parent: str | None = "jiujiang"
    suffix: str = ""  # numeric channel suffix of TRS department sub-sites (/zwgk_205/)
    slug: str = ""  # cluster-layout site slug (/jjlxq/...)
    # network behaviour
    ipv6: str = "dual"  # dual | v4only | v6diff (AAAA present, the v6 server answers another page)
    down: bool = False  # resolves, but the server closes every connection
    page_query: bool = False  # pagination by ?page=N with a 下一页 link (hanweb layout only)
    # real-page hard structures
    iframe_block: bool = False  # the home page's 政府信息公开 block sits in an iframe
    script_footer: bool = False  # the footer (with its markings) is written by an external script
    image_topic_link: bool = False  # the 基层政务公开 专题 is linked by an image with alt text only
    home_mmdd: bool = False  # home-page dates printed MM-dd without a year
    # labels (local variants)
    label_fdzd: str = "法定主动公开内容"
    label_nb: str = "政府信息公开年报"
    label_zfgs: str = "行政执法公示"
    label_news_section: str = "政务动态"
    field_synonyms: bool = False  # use the local synonyms of the 26 field names
    footer_variant: int = 0
    # planted defects and per-column overrides
    overrides: dict[str, dict] = field(default_factory=dict)
    missing_parts: tuple[str, ...] = ()  # disclosure parts left out: guide | rules | catalogue | annual
    annual_years: tuple[int, ...] = (2015, 2016, 2017, 2018, 2019, 2020)
    stats_years: tuple[int, ...] = (2018, 2019, 2020)
    missing_fields: tuple[str, ...] = ()  # field slugs left out of the 专题
    fields_without_table: tuple[str, ...] = ()  # field pages with no 标准目录 table
    normative_defects: dict[int, str] = field(default_factory=dict)  # entry index -> no_validity | no_docno
    normative_in_list: bool = False  # 文号/日期/有效性 shown in the list rows (else on the article's metadata table)
    footer_missing: tuple[str, ...] = ()  # icp | psb | code | badge
    broken: tuple[tuple[str, str, int | None], ...] = ()  # (where, target path or URL, status)
    extra_columns: tuple[ColumnSpec, ...] = ()
    defects: tuple[str, ...] = ()  # human summary of the planted defects (ground truth `planted`)
    task_defects: tuple[str, ...] = ()  # issue 13's planted defects (simweb/tasks_web.py DEFECTS)

    @property
    def is_county(self) -> bool:
        return self.level == "county"

    @property
    def is_dept(self) -> bool:
        return self.level == "department"


SITES: list[Site] = [
    Site(
        id="jiujiang", host="www.jiujiang.jj.test", name="中国·九江", level="municipal", unit="九江市人民政府",
        short="九江市", site_code="3604000001", layout="trs", doc_prefix="九府发", parent=None,
        icp="赣ICP备05004117号-1", psb="赣公网安备 36040202000001号", label_zfgs="双公示",
        label_news_section="政务资讯",
        broken=(("notice-article", "/zfxxgk/fdzdgknr/xxgkml/", 500),),
        defects=("一篇通知公告正文链接到返回 500 的页面",),
    ),
    Site(
        id="xunyang", host="www.xunyang.jj.test", name="浔阳区人民政府", level="county", unit="浔阳区人民政府",
        short="浔阳区", site_code="3604030001", layout="trs", doc_prefix="浔府发", normative_in_list=True,
        icp="赣ICP备05004321号-1", psb="赣公网安备 36040302000123号", field_synonyms=True,
        defects=(),
    ),
    Site(
        id="lianxi", host="www.lianxi.jj.test", name="濂溪区人民政府", level="county", unit="濂溪区人民政府",
        short="濂溪区", site_code="3604020001", layout="cluster", slug="jjlxq", doc_prefix="濂府发",
        icp="赣ICP备05006543号-2", psb="赣公网安备 36040202000087号", image_topic_link=True, home_mmdd=True,
        label_fdzd="政府信息公开目录", label_nb="年度报告", footer_variant=1,
        defects=(),
    ),
    Site(
        id="wuning", host="www.wuning.jj.test", name="武宁县人民政府", level="county", unit="武宁县人民政府",
        short="武宁县", site_code="3604230001", layout="hanweb", charset="gbk", doc_prefix="武府发",
        icp="赣ICP备05001234号-1", psb="赣公网安备 36042302000011号", ipv6="v4only", footer_variant=2,
        overrides={"tzgg": {"newest_age": 220, "spacing": 30, "count": 12}},
        defects=("无 AAAA 记录（仅 IPv4）", "通知公告 220 天未更新"),
        task_defects=("no_backlink",),
    ),
    Site(
        id="xiushui", host="www.xiushui.jj.test", name="修水县人民政府", level="county", unit="修水县人民政府",
        short="修水县", site_code="3604240001", layout="hanweb", charset="gbk", doc_prefix="修府发",
        icp="赣ICP备05007788号-1", psb="赣公网安备 36042402000031号", ipv6="v6diff", page_query=True,
        label_nb="年度报告", annual_years=(2015, 2016, 2017, 2018, 2019), field_synonyms=True,
        defects=("IPv6 返回与 IPv4 不同的首页", "缺 2020 年政府信息公开工作年度报告"),
        task_defects=("no_plan_interpretation",),
    ),
    Site(
        id="dean", host="www.dean.jj.test", name="德安县人民政府", level="county", unit="德安县人民政府",
        short="德安县", site_code="3604260001", layout="cluster", slug="daxrmzf", doc_prefix="德府发",
        icp="赣ICP备05002468号-1", psb="赣公网安备 36042602000046号", label_fdzd="目录",
        missing_fields=("ssgl", "hjgl", "szfw", "cszhzf"), fields_without_table=("shjz", "ylfw"),
        broken=(("news-article", "/daxrmzf/gzdt/202110/0a1b2c3d4e5f60718293a4b5c6d7e8f9.shtml", 404),
                ("home", f"http://{GONE_HOST}/", None)),
        defects=("基层政务公开专题缺 4 个领域、2 个领域页无标准目录", "一条站内链接 404，一条链接指向不存在的域名"),
        task_defects=("catalogue_no_time", "short_consultation"),
    ),
    Site(
        id="duchang", host="www.duchang.jj.test", name="都昌县人民政府", level="county", unit="都昌县人民政府",
        short="都昌县", site_code="3604280001", layout="trs", doc_prefix="都府发", normative_in_list=True,
        icp="赣ICP备05003579号-1", psb="赣公网安备 36042802000019号",
        overrides={
            "gzdt": {"newest_age": 30, "spacing": 6},
            "bmdt": {"newest_age": 41, "spacing": 8},
            "xzdt": {"newest_age": 55, "spacing": 9},
            "tzgg": {"newest_age": 200, "spacing": 25, "count": 10},
            "zcwj": {"newest_age": 240, "spacing": 40, "count": 8},
        },
        defects=("首页最新信息 30 天前", "5 个动态/通知类栏目超期未更新（单项否决）"),
    ),
    Site(
        id="hukou", host="www.hukou.jj.test", name="湖口县人民政府", level="county", unit="湖口县人民政府",
        short="湖口县", site_code="3604290001", layout="legacy", charset="gb2312", doc_prefix="湖府发",
        icp="赣ICP备05009753号-1", psb="赣公网安备 36042902000052号", script_footer=True, home_mmdd=True,
        overrides={"xzcf": {"newest_age": 31, "spacing": 12, "count": 10},
                   "msss": {"newest_age": 170, "spacing": 45, "count": 6}},
        defects=("行政处罚最新一条超过 7 个工作日", "民生实事推进 170 天未更新（预警）", "页脚由脚本写出"),
        task_defects=("no_final_accounts",),
    ),
    Site(
        id="pengze", host="www.pengze.jj.test", name="彭泽县人民政府", level="county", unit="彭泽县人民政府",
        short="彭泽县", site_code="3604300001", layout="trs", doc_prefix="彭府发", down=True,
        icp="赣ICP备05008642号-1", psb="赣公网安备 36043002000077号",
        defects=("站点无法访问：服务器立即关闭连接",),
    ),
    Site(
        id="fgw", host="fgw.jiujiang.jj.test", name="九江市发展和改革委员会", level="department",
        unit="九江市发展和改革委员会", short="市发改委", site_code="3604000012", layout="trs", suffix="_205",
        doc_prefix="九发改规", icp="赣ICP备05004117号-3", psb="赣公网安备 36040202000012号", ipv6="v4only",
        normative_in_list=True, normative_defects={1: "no_validity", 4: "no_validity", 6: "no_docno"},
        overrides={"tzgg": {"js": True, "count": 12}}, label_zfgs="双公示",
        defects=("规范性文件 2 条缺有效性、1 条缺文号", "部门网站仅 IPv4（不计分）"),
    ),
    Site(
        id="czj", host="czj.jiujiang.jj.test", name="九江市财政局", level="department", unit="九江市财政局",
        short="市财政局", site_code="3604000015", layout="legacy", charset="gb2312", doc_prefix="九财规",
        icp="赣ICP备05004117号-5", psb="赣公网安备 36040202000015号", ipv6="v4only", footer_missing=("icp", "psb"),
        overrides={"zdgz": {"newest_age": 210, "spacing": 40, "count": 6}},
        defects=("页脚缺 ICP 备案号和公网安备号", "重点工作落实情况 210 天未更新", "部门网站仅 IPv4（不计分）"),
    ),
    Site(
        id="sthjj", host="sthjj.jiujiang.jj.test", name="九江市生态环境局", level="department", unit="九江市生态环境局",
        short="市生态环境局", site_code="3604000021", layout="cluster", slug="jjssthjj", doc_prefix="九环规",
        icp="赣ICP备05004117号-8", psb="赣公网安备 36040202000021号", missing_parts=("rules",),
        stats_years=(2018, 2019), footer_variant=1,
        overrides={"ghjh": {"count": 0}},
        defects=("政府信息公开缺“政府信息公开制度”", "规划计划为空白栏目", "缺 2020 年行政执法统计年报"),
        task_defects=("no_statement",),
    ),
    Site(
        id="rsj", host="rsj.jiujiang.jj.test", name="九江市人力资源和社会保障局", level="department",
        unit="九江市人力资源和社会保障局", short="市人社局", site_code="3604000018", layout="trs", suffix="_210",
        doc_prefix="九人社规", icp="赣ICP备05004117号-6", psb="赣公网安备 36040202000018号", iframe_block=True,
        overrides={"rsxx": {"newest_age": 345, "spacing": 60, "count": 6}}, footer_variant=2,
        defects=("人事信息 345 天未更新（一年期限预警）", "首页政府信息公开区块在 iframe 中"),
        task_defects=("late_statement",),
    ),
]

SITE_BY_ID = {s.id: s for s in SITES}


def sections_for(site: Site) -> list[SectionSpec]:
    out = [
        SectionSpec("xwzx", site.label_news_section, None),
        SectionSpec("zfxxgk", "政府信息公开", None),
        SectionSpec("fdzdgknr", site.label_fdzd, "zfxxgk"),
        SectionSpec("zxgk", "执行公开", "fdzdgknr"),
        SectionSpec("xzzfgs", site.label_zfgs, "fdzdgknr"),
    ]
    if site.is_county:
        out.append(SectionSpec("jczwgk", "基层政务公开标准化规范化", None))
    return out


def columns_for(site: Site) -> list[ColumnSpec]:
    """The site's columns before per-site overrides (order = navigation order)."""
    cols = [ColumnSpec("gzdt", "工作动态", "news", "xwzx", count=48, newest_age=0, spacing=2)]
    if site.level == "municipal":
        cols.append(ColumnSpec("xqdt", "县区动态", "news", "xwzx", count=36, newest_age=1, spacing=2))
        cols.append(ColumnSpec("bmdt", "部门动态", "news", "xwzx", count=36, newest_age=0, spacing=2))
    elif site.is_county:
        cols.append(ColumnSpec("bmdt", "部门动态", "news", "xwzx", count=30, newest_age=1, spacing=3))
        cols.append(ColumnSpec("xzdt", "乡镇动态", "news", "xwzx", count=30, newest_age=2, spacing=3))
    else:
        cols.append(ColumnSpec("xqdt", "县区动态", "news", "xwzx", count=24, newest_age=2, spacing=4))
    cols.append(ColumnSpec("tzgg", "通知公告", "notice", "xwzx", count=24, newest_age=6, spacing=9))
    if "rules" not in site.missing_parts:
        cols.append(ColumnSpec("zfxxgkzd", "政府信息公开制度", "other", "zfxxgk", count=4, newest_age=120,
                               spacing=90))
    cols += [
        ColumnSpec("gfxwj", "规范性文件", "notice", "fdzdgknr", count=18, newest_age=24, spacing=45,
                   kind="normative"),
        ColumnSpec("zcwj", "政策文件", "notice", "fdzdgknr", count=20, newest_age=9, spacing=12),
        ColumnSpec("rsxx", "人事信息", "personnel", "fdzdgknr", count=12, newest_age=35, spacing=30),
        ColumnSpec("ghjh", "规划计划", "personnel", "fdzdgknr", count=8, newest_age=60, spacing=50),
        ColumnSpec("czyjs", "财政预决算", "other", "fdzdgknr", count=8, newest_age=80, spacing=60),
        ColumnSpec("zdgz", "重点工作落实情况", "execution", "zxgk", count=10, newest_age=12, spacing=20),
        ColumnSpec("zczx", "政策执行情况", "execution", "zxgk", count=8, newest_age=20, spacing=25),
    ]
    if not site.is_dept:
        cols += [
            ColumnSpec("msss", "民生实事推进", "execution", "zxgk", count=8, newest_age=16, spacing=30),
            ColumnSpec("dcdb", "督查督办", "execution", "zxgk", count=8, newest_age=27, spacing=30),
            # the three items the 2021 政务公开 notice asks 落实情况 for (standards.md §8)
            ColumnSpec("gbzsc", "高标准市场体系建设", "execution", "zxgk", count=5, newest_age=33, spacing=45),
            ColumnSpec("hhzz", "河湖长制落实情况", "execution", "zxgk", count=6, newest_age=21, spacing=30),
            ColumnSpec("zdzj", "直达资金落实情况", "execution", "zxgk", count=6, newest_age=45, spacing=30),
        ]
    cols += [
        ColumnSpec("jyta", "建议提案办理", "execution", "zxgk", count=10, newest_age=40, spacing=10),
        ColumnSpec("xzxk", "行政许可", "enforcement", "xzzfgs", count=30, newest_age=3, spacing=3),
        ColumnSpec("xzcf", "行政处罚", "enforcement", "xzzfgs", count=20, newest_age=5, spacing=6),
        ColumnSpec("zftjnb", "行政执法统计年报", "stats", "xzzfgs", kind="stats"),
    ]
    if "annual" not in site.missing_parts:
        cols.append(ColumnSpec("zfxxgknb", site.label_nb, "annual", "zfxxgk", kind="annual"))
    if site.is_county:
        for slug, name, synonyms in FIELDS:
            if slug in site.missing_fields:
                continue
            label = synonyms[0] if (site.field_synonyms and synonyms) else name
            cols.append(ColumnSpec(slug, label, "field", "jczwgk", count=3, newest_age=10, spacing=40,
                                   kind="field"))
    cols += list(site.extra_columns)
    for col in cols:
        for k, v in site.overrides.get(col.key, {}).items():
            setattr(col, k, v)
    return cols
