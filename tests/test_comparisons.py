"""Year over year (contracts/comparisons.py, assets/comparisons.py): cell changes, stock continuity, prose
reused, coverage, on a synthetic two-year corpus run through the whole pipeline and on small hand-made
frames."""
from __future__ import annotations

import csv
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import comparisons as C
from nianbao import template as T
from nianbao.formats import detect
from nianbao.parsers import to_text
from pipeline.definitions import resources
from pipeline.runner import materialize_all
from synth.generate import Options, generate

OUTPUTS = ("comparisons", "comparisons_stock", "comparisons_bodies", "coverage")
BROKEN = "000000"  # the body whose 2023 stock figure is edited: in_force of 行政规范性文件 +2
BLANKED = "000001"  # the body whose 2023 licensing decisions are printed as "—" (blank)


def _truth(folder: Path, name: str) -> dict:
    return json.loads((folder / "truth" / f"{name}.json").read_text(encoding="utf-8"))


def _d(v) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _truth_cells(t: dict) -> dict[tuple[str, str, str], Decimal | None]:
    """(table, row, column) → value of a synthetic report's truth (None: not printed)."""
    out = {}
    for item, cols in t["active_disclosure"].items():
        out.update({("active_disclosure", item, c): _d(v) for c, v in cols.items()})
    apps = t["applications"]
    apps = apps if isinstance(apps, dict) else eval(apps)  # noqa: S307 — the truth file's own repr
    for row, vals in apps.items():
        out.update({("applications", row, c): _d(v) for c, v in zip(T.APPLICANT_CODES, vals)})
    for group, vals in t["review_litigation"].items():
        out.update({("review_litigation", group, c): _d(v) for c, v in zip(T.REVIEW_CODES, vals)})
    return out


def _edit(path: Path, pattern: str, repl) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, repl, text, count=1)
    assert n == 1, (path, pattern)
    path.write_text(new, encoding="utf-8")


def _digests(wh: Path) -> dict[str, str]:
    return {str(p.relative_to(wh)): hashlib.sha256(p.read_bytes()).hexdigest()
            for name in OUTPUTS for p in sorted((wh / name).rglob("*.parquet"))}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """40 synthetic reports of 2022 and 2023 (bodies in both years, in 2022 only, in 2023 only), two edits."""
    out = tmp_path_factory.mktemp("synth")
    generate(Options(count=40, years=(2022, 2023), out=str(out), seed=5, formats=("txt",), error_rate=0.0, workers=1))
    manifest = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    # a stock break: 2023's in_force of 行政规范性文件 printed 2 higher than last year's + issued − repealed
    t = _truth(out, f"{BROKEN}-2023")["active_disclosure"]["normative_documents"]
    _edit(out / "raw" / "2023" / f"{BROKEN}-2023.txt",
          rf"(行政规范性文件\D*?{t['issued']}\D+?{t['repealed']}\D+?){t['in_force']}(?!\d)",
          lambda m: m.group(1) + str(t["in_force"] + 2))
    # a blank: 2023's 行政许可 decisions printed "—"
    d = _truth(out, f"{BLANKED}-2023")["active_disclosure"]["licensing"]["decisions"]
    _edit(out / "raw" / "2023" / f"{BLANKED}-2023.txt", rf"(行政许可\D*?){d}(?!\d)", lambda m: m.group(1) + "—")
    return out, manifest


@pytest.fixture(scope="module")
def run(corpus, tmp_path_factory):
    out, _ = corpus
    wh = tmp_path_factory.mktemp("warehouse")
    s = materialize_all(resources(str(out / "raw"), str(wh), workers=1))
    assert s.success and s.years == ["2022", "2023"]
    return wh, s


def _read(wh: Path, name: str, year: int) -> pl.DataFrame:
    return pl.read_parquet(wh / name / f"{year}" / "part-0.parquet")


def _ids(wh: Path, year: int) -> dict[str, str]:
    """body number (file name prefix) → report_id of the year."""
    r = _read(wh, "reports", year)
    return {s.split("-")[0]: rid for rid, s in r.select("report_id", "source").iter_rows()}


def _bodies(manifest: list[dict], year: int) -> dict[str, dict]:
    return {Path(m["file"]).name.split("-")[0]: m for m in manifest if int(m["year"]) == year}


def test_every_year_has_its_files_and_the_first_year_compares_nothing(run):
    wh, _ = run
    for name in OUTPUTS:
        for year in (2022, 2023):
            assert (wh / name / f"{year}" / "part-0.parquet").exists(), (name, year)
        assert _read(wh, name, 2022).height == 0  # no 2021: nothing to compare, nobody "new"


def test_changes_are_the_truth_differences_for_every_body_in_both_years(run, corpus):
    wh, _ = run
    out, manifest = corpus
    now, before = _bodies(manifest, 2023), _bodies(manifest, 2022)
    both = sorted(set(now) & set(before))
    cmp = _read(wh, "comparisons", 2023)
    ids, prev_ids = _ids(wh, 2023), _ids(wh, 2022)
    assert sorted(cmp["report_id"].unique()) == sorted(ids[b] for b in both)
    for b in both:
        mine = cmp.filter(pl.col("report_id") == ids[b])
        assert mine["previous_report_id"].unique().to_list() == [prev_ids[b]]
        assert mine["body"].unique().to_list() == [now[b]["body"]]
        t_now, t_before = _truth_cells(_truth(out, f"{b}-2023")), _truth_cells(_truth(out, f"{b}-2022"))
        if b == BROKEN:
            t_now[("active_disclosure", "normative_documents", "in_force")] += 2
        blanked = ("active_disclosure", "licensing", "decisions")
        for table, row, column, value, prev, change in mine.select(
                "table", "row", "column", "value", "previous_value", "change").iter_rows():
            key = (table, row, column)
            if b == BLANKED and key == blanked:
                assert value is None and prev == t_before[key] and change is None  # null, not −prev
                continue
            # a null is a zero the layout printed blank (synth prints some reports' zeros blank)
            assert value == t_now[key] or (value is None and not t_now[key]), (b, key)
            assert prev == t_before[key] or (prev is None and not t_before[key]), (b, key)
            assert change == (None if value is None or prev is None else t_now[key] - t_before[key]), (b, key)
        # every cell with a number in either year is there
        nonzero = {k for k in t_now if t_now[k] or t_before[k]} - {blanked}
        assert {(t, r, c) for t, r, c in mine.select("table", "row", "column").iter_rows()} >= nonzero


def test_rank_orders_each_bodys_changes_by_size(run):
    wh, _ = run
    cmp = _read(wh, "comparisons", 2023)
    for _, g in cmp.group_by("report_id"):
        moved = g.filter(pl.col("change").is_not_null() & (pl.col("change") != 0))
        assert g.filter(pl.col("rank").is_not_null()).height == moved.height
        by_rank = moved.sort("rank")
        assert by_rank["rank"].to_list() == list(range(1, moved.height + 1))
        sizes = [abs(c) for c in by_rank["change"].to_list()]
        assert sizes == sorted(sizes, reverse=True)


def test_stock_continuity_is_exact_and_agrees_with_the_history_warning(run, corpus):
    wh, _ = run
    out, manifest = corpus
    stock = _read(wh, "comparisons_stock", 2023)
    ids = {v: k for k, v in _ids(wh, 2023).items()}
    both = set(_bodies(manifest, 2023)) & set(_bodies(manifest, 2022))
    assert stock.height == 2 * len(both)
    for rid, item, prev, issued, repealed, expected, in_force, diff in stock.select(
            "report_id", "item", "previous_in_force", "issued", "repealed", "expected_in_force", "in_force",
            "difference").iter_rows():
        b = ids[rid]
        now = _truth(out, f"{b}-2023")["active_disclosure"][item]
        was = _truth(out, f"{b}-2022")["active_disclosure"][item]
        printed = now["in_force"] + (2 if (b, item) == (BROKEN, "normative_documents") else 0)
        assert (prev, issued, repealed, in_force) == (was["in_force"], now["issued"], now["repealed"], printed)
        assert expected == was["in_force"] + now["issued"] - now["repealed"]
        assert diff == printed - expected
    broken = stock.filter(pl.col("difference") != 0)
    assert broken.select("report_id", "item", "difference").rows() == [
        (_ids(wh, 2023)[BROKEN], "normative_documents", 2)]
    warned = _read(wh, "violations", 2023).filter(pl.col("rule") == "history.stock")
    assert warned.select("report_id", "row").rows() == broken.select("report_id", "item").rows()
    bodies = _read(wh, "comparisons_bodies", 2023)
    assert bodies.filter(pl.col("stock_breaks") > 0)["report_id"].to_list() == [_ids(wh, 2023)[BROKEN]]


def test_narrative_reuse_is_the_share_of_last_years_sentences(run, corpus):
    wh, _ = run
    out, _ = corpus
    bodies = _read(wh, "comparisons_bodies", 2023)
    assert bodies.height == _read(wh, "comparisons", 2023)["report_id"].n_unique()
    assert bodies["n_sentences"].null_count() == 0  # every raw file was read again
    ids = _ids(wh, 2023)

    def hashes(year: int, b: str) -> set[int]:
        path = out / "raw" / str(year) / f"{b}-{year}.txt"
        data = path.read_bytes()
        return set(C.sentence_hashes(to_text(data, detect(data, path.name), path.name))[0])

    for b in (BROKEN, BLANKED):
        now, before = hashes(2023, b), hashes(2022, b)
        row = bodies.filter(pl.col("report_id") == ids[b]).row(0, named=True)
        assert row["n_sentences"] == len(now) and row["n_sentences_previous"] == len(before)
        assert row["n_reused"] == len(now & before) > 0  # the synthetic prose repeats its set phrases
        assert row["reused_share"] == pytest.approx(len(now & before) / len(now))
        assert row["reused_share_masked"] >= row["reused_share"]


def test_coverage_lists_the_missing_and_the_new_bodies(run, corpus):
    wh, _ = run
    _, manifest = corpus
    now, before = _bodies(manifest, 2023), _bodies(manifest, 2022)
    cov = _read(wh, "coverage", 2023)
    got = {s: sorted(cov.filter(pl.col("status") == s).select("region_code", "body").rows())
           for s in (C.MISSING, C.NEW, C.CONTINUING)}
    want = lambda keys, m: sorted((m[k]["region_code"], m[k]["body"]) for k in keys)  # noqa: E731
    assert got[C.MISSING] == want(set(before) - set(now), before) != []
    assert got[C.NEW] == want(set(now) - set(before), now) != []
    assert got[C.CONTINUING] == want(set(now) & set(before), now)
    assert cov["province"].null_count() == 0


def test_the_missing_bodies_check_warns_with_every_body_listed(run, corpus):
    _, s = run
    _, manifest = corpus
    (e,) = [e for asset, name, _, e in s.checks if (asset, name) == ("coverage", "missing_bodies")]
    assert not e.passed and e.severity.value == "WARN"
    table = e.metadata["missing bodies 2023"].value
    now, before = _bodies(manifest, 2023), _bodies(manifest, 2022)
    gone = [before[k]["body"] for k in set(before) - set(now)]
    assert e.metadata["missing"].value == len(gone) and table.count("\n") == len(gone) + 1
    assert all(f"| {b} |" in table for b in gone)


def test_reruns_write_the_same_bytes(run, corpus, tmp_path):
    wh, _ = run
    out, _ = corpus
    first = _digests(wh)
    # the same years again on the same warehouse: prose from the sentence cache this time
    again = materialize_all(resources(str(out / "raw"), str(wh), workers=1), years=["2022", "2023"])
    assert again.success and _digests(wh) == first
    other = tmp_path / "wh"
    assert materialize_all(resources(str(out / "raw"), str(other), workers=1)).success
    assert _digests(other) == first


def test_page_frames_of_a_year(run):
    wh, _ = run
    frames = C.page_frames(*[_read(wh, n, 2023) for n in OUTPUTS], top=2)
    assert set(frames) == {"top_changes", "stock_breaks", "narrative_reuse", "missing", "new", "coverage_counts"}
    assert frames["top_changes"].group_by("body").len()["len"].max() <= 2
    assert frames["stock_breaks"].select("item", "difference").rows() == [("normative_documents", 2)]
    counts = frames["coverage_counts"].select(C.CONTINUING, C.MISSING, C.NEW).sum().row(0)
    assert counts == (frames["narrative_reuse"].height, frames["missing"].height, frames["new"].height)


def test_the_year_page_shows_the_comparisons(run, corpus):
    wh, _ = run
    _, manifest = corpus
    page = (wh / "summary" / "2023" / "index.html").read_text(encoding="utf-8")
    assert "Largest changes from last year" in page and "Stock continuity breaks" in page
    broken = _read(wh, "comparisons_stock", 2023).filter(pl.col("difference") != 0)
    body = broken["body"][0]
    stock = page[page.index('id="stock"'):page.index('id="reuse"')]
    assert body in stock and ">2<" in stock  # the broken body and its difference
    now, before = _bodies(manifest, 2023), _bodies(manifest, 2022)
    missing = page[page.index('id="missing"'):page.index('id="new"')]
    assert all(before[k]["body"] in missing for k in set(before) - set(now))
    first = (wh / "summary" / "2022" / "index.html").read_text(encoding="utf-8")
    assert "No report of the year before to compare with" in first


# ---- hand-made frames -----------------------------------------------------------------------------------

def _reports(*rows) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(("report_id", "body", "region_code", "year", "template", "path"), r),
                              province="P", source=r[0] + ".txt") for r in rows])


def _tables(values: dict[str, dict[tuple[str, str], int | None]], template: str = "2021") -> dict[str, pl.DataFrame]:
    """report_id → {(row, column): value} of table 三 only (the other tables empty)."""
    apps = [{"report_id": rid, "year": 2023, "template": template, "row": row, column: v}
            for rid, cells in values.items() for (row, column), v in cells.items()]
    wide = pl.DataFrame(apps, schema={"report_id": pl.String, "year": pl.Int32, "template": pl.String,
                                      "row": pl.String, **{c: pl.Int64 for c in T.APPLICANT_CODES}})
    wide = wide.group_by("report_id", "year", "template", "row", maintain_order=True).agg(
        pl.col(c).drop_nulls().first() for c in T.APPLICANT_CODES)
    empty = lambda code: pl.DataFrame(schema={"report_id": pl.String, "year": pl.Int32,  # noqa: E731
                                              "template": pl.String, code: pl.String, "total": pl.Int64})
    return {"active_disclosure": empty("item").rename({"total": "in_force"}), "applications": wide,
            "review_litigation": empty("group")}


def _pair(now: dict, before: dict):
    reports = C.one_per_body(_reports(("a", "某局", "110000", 2023, "2021", "2023/a")))
    previous = C.one_per_body(_reports(("b", "某 局", "110000", 2022, "2021", "2022/b")))  # the same body
    pairs = C.pairs(reports, previous)
    return pairs, C.long_cells(_tables({"a": now})), C.long_cells(_tables({"b": before}))


def test_hand_made_changes_are_null_aware_and_ranked():
    now = {("granted", "total"): 10, ("granted", "natural_person"): 7, ("new_received", "total"): None,
           ("carried_over", "total"): 5, ("denied_state_secret", "total"): None}
    before = {("granted", "total"): 4, ("granted", "natural_person"): 7, ("new_received", "total"): 3,
              ("carried_over", "total"): 0, ("denied_state_secret", "total"): None}
    pairs, cells, prev = _pair(now, before)
    assert pairs.height == 1  # "某 局" is "某局": spaces do not make another body
    out = C.cell_changes(pairs, cells, prev)
    got = {(r["row"], r["column"]): (r["value"], r["previous_value"], r["change"], r["rank"], r["relative_change"])
           for r in out.iter_rows(named=True)}
    D = Decimal
    assert got == {
        ("granted", "natural_person"): (D(7), D(7), D(0), None, 0.0),
        ("granted", "total"): (D(10), D(4), D(6), 1, 1.5),
        ("new_received", "total"): (None, D(3), None, None, None),  # blank this year: no change, not −3
        ("carried_over", "total"): (D(5), D(0), D(5), 2, None),  # relative to 0: none
    }  # blank in both years: no row


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 10**12)), st.one_of(st.none(), st.integers(0, 10**12))),
                min_size=1, max_size=len(T.APPLICANT_CODES)))
def test_change_is_value_minus_previous_and_a_year_against_itself_changes_nothing(values):
    now = {("granted", c): v for c, (v, _) in zip(T.APPLICANT_CODES, values)}
    before = {("granted", c): p for c, (_, p) in zip(T.APPLICANT_CODES, values)}
    pairs, cells, prev = _pair(now, before)
    out = C.cell_changes(pairs, cells, prev)
    for v, p, change in out.select("value", "previous_value", "change").iter_rows():
        assert change == (None if v is None or p is None else v - p)
    assert out.height == sum(v is not None or p is not None for v, p in values)
    same = C.cell_changes(pairs, cells, cells.with_columns(report_id=pl.lit("b")))
    assert set(same["change"].drop_nulls().to_list()) <= {0} and same["rank"].null_count() == same.height
    assert same["change"].null_count() == 0


def test_stock_continuity_by_hand():
    reports = C.one_per_body(_reports(("a", "某局", "110000", 2023, "2021", "x")))
    previous = C.one_per_body(_reports(("b", "某局", "110000", 2022, "2021", "y")))
    wide = lambda rid, rows: pl.DataFrame(  # noqa: E731
        [{"report_id": rid, "year": 2023, "template": "2021", "item": item, "issued": i, "repealed": r,
          "in_force": f} for item, (i, r, f) in rows.items()])
    empty = {t: pl.DataFrame(schema={"report_id": pl.String, "year": pl.Int32, "template": pl.String,
                                     c: pl.String, "total": pl.Int64})
             for t, c in (("applications", "row"), ("review_litigation", "group"))}
    cells = C.long_cells({**empty, "active_disclosure": wide("a", {"regulations": (2, 1, 11),
                                                                  "normative_documents": (None, 3, 40)})})
    prev = C.long_cells({**empty, "active_disclosure": wide("b", {"regulations": (0, 0, 10),
                                                                 "normative_documents": (5, 0, 45)})})
    out = C.stock_continuity(C.pairs(reports, previous), cells, prev)
    assert out.select("item", "previous_in_force", "issued", "repealed", "expected_in_force", "in_force",
                      "difference").rows() == [("regulations", 10, 2, 1, 11, 11, 0),
                                               ("normative_documents", 45, 0, 3, 42, 40, -2)]  # blank issued: 0
    # the 2019 template has no in_force: nothing to continue
    old = C.one_per_body(_reports(("b", "某局", "110000", 2022, "2019", "y")))
    assert C.stock_continuity(C.pairs(reports, old), cells, prev).height == 0


def test_sentences_are_prose_only_and_joined_over_wrapped_lines():
    text = ("某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n"
            "本机关通过政府网站主动公开政府信息950条，重点领域信息公开及时准确。全年共收到申请28件。\n"
            "定期开展政务公开栏目巡查，及时清理过期信息\n对已公开信息实行动态管理的工作机制\n继续完善。\n"
            "\t行政许可\t4313\n| 规章 | 0 |\n（本列数据的勾稽关系为：第一项加第二项之和）\n")
    assert C.sentences(text) == ["本机关通过政府网站主动公开政府信息950条,重点领域信息公开及时准确。", "全年共收到申请28件。",
                                 "定期开展政务公开栏目巡查,及时清理过期信息对已公开信息实行动态管理的工作机制继续完善。"]


def test_narrative_reuse_by_hand():
    last = "主动公开政府信息950条，重点领域公开及时。全年共收到申请28件，均按时答复。无其他需要报告的事项。"
    this = "主动公开政府信息1020条，重点领域公开及时。全年共收到申请28件，均按时答复。本年度未收取信息处理费。"
    pairs = C.pairs(C.one_per_body(_reports(("a", "某局", "1", 2023, "2021", "x"))),
                    C.one_per_body(_reports(("b", "某局", "1", 2022, "2021", "y"))))
    frame = C.sentence_frame({"a": C.sentence_hashes(this), "b": C.sentence_hashes(last)})
    row = C.narrative_reuse(pairs, frame).row(0, named=True)
    assert (row["n_sentences"], row["n_sentences_previous"], row["n_reused"], row["n_reused_masked"]) == (3, 3, 1, 2)
    assert row["reused_share"] == pytest.approx(1 / 3) and row["reused_share_masked"] == pytest.approx(2 / 3)
    assert C.narrative_reuse(pairs, frame.filter(pl.col("report_id") == "a")).height == 0  # unknown: no row


def test_coverage_by_hand():
    now = _reports(("a", "甲局", "110000", 2023, "2021", "a"), ("c", "丙局", "120000", 2023, "2021", "c"),
                   ("d", None, "120000", 2023, "2021", "d"))
    before = _reports(("x", "甲局", "110000", 2022, "2021", "x"), ("y", "乙局", "110000", 2022, "2021", "y"),
                      ("z", "丙局", "130000", 2022, "2021", "z"))  # same name, other region: another body
    cov = C.coverage(2023, now, before)
    assert sorted(cov.select("body", "region_code", "status", "report_id").rows()) == [
        ("丙局", "120000", C.NEW, "c"), ("丙局", "130000", C.MISSING, "z"), ("乙局", "110000", C.MISSING, "y"),
        ("甲局", "110000", C.CONTINUING, "a")]
    assert C.coverage(2023, now, before.clear()).height == 0  # no year before: nobody is "new"


def test_a_body_with_two_reports_in_a_year_is_not_paired():
    twice = _reports(("a", "甲局", "1", 2023, "2021", "a"), ("a2", "甲局", "1", 2023, "2021", "b"))
    assert C.one_per_body(twice).height == 0
    assert C.one_per_body(twice, pl.Series(["a2"]))["report_id"].to_list() == ["a"]


def test_the_check_table_keeps_long_names_whole():
    from assets.comparisons import markdown_full

    name = "某某省某某市某某县某某乡镇人民政府办公室" * 4  # 80 characters
    table = markdown_full(pl.DataFrame({"body": [name, "甲|乙"], "source": ["a.txt", None]}))
    assert table.splitlines() == ["| body | source |", "|---|---|", f"| {name} | a.txt |", "| 甲\\|乙 |  |"]
