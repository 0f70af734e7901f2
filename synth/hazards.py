"""A hazard corpus: reports with the hazards of real files (wrapped labels, typos, collapsed groups …) and exact truth.

usage: python -m synth.hazards OUT --count N --seed S [--formats txt,md,html,docx,pdf] [--workers W]

Writes OUT/raw/<id>.<ext> and OUT/truth/<id>.json (same stem; the id carries "_2023年度报告" when the file
name is the year's only cue). Byte-identical for the same arguments. Figures and bodies come from the
clean generator (`values.BodyFigures`, `bodies`); what is printed, and therefore the truth, is decided here
(`plan_document`), and `hazard_render` lays it out per format. The truth is the printed figure: null for a
blank, a placeholder or a row not printed, the wrong number where the table has a genuine arithmetic error
(listed in `checks_violated` in the devset's shape).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from nianbao import template as T
from synth.bodies import Body, draw_bodies
from synth.values import BodyFigures

FORMATS = ("txt", "md", "html", "docx", "pdf")
# hazard → formats where it is physically possible
HAZARDS: dict[str, tuple[str, ...]] = {
    "wrapped_labels": FORMATS,
    "label_typo": FORMATS,
    "letter_spaced": FORMATS,
    "vertical_group_labels": FORMATS,
    "collapsed_group": FORMATS,
    "subtotal_rows": FORMATS,
    "page_split": ("txt", "md", "pdf"),
    "blank_cells": FORMATS,
    "placeholders": FORMATS,
    "title_multiline": FORMATS,
    "fullwidth_year": FORMATS,
    "footnote_markers": FORMATS,
    "no_title": FORMATS,  # three away from title_multiline: never forced together
    "thousands_separators": FORMATS,
    "fullwidth_digits": ("txt", "md", "html", "docx"),
    "fee_unit": FORMATS,
    "md_loose_labels": ("md",),
    "md_placeholder_headers": ("md",),
    "md_short_header": ("md",),
    "md_table_per_group": ("md",),
    "html_header_colspan_mismatch": ("html",),
    "html_span_per_char": ("html",),
    "html_site_page": ("html",),
    "template_2019_late": FORMATS,
    "arithmetic_error": FORMATS,
}
TYPO_CHARS = "止权法公信理申请处开政务事项文件办结"
MARKERS = ("¹", "²", "³", "①", "②", "③")
PLACEHOLDER_TOKENS = ("/", "-", "—", "无")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
GROUP_CODES = {"denied": "denied_subtotal", "unavailable": "unavailable_subtotal",
               "not_processed": "not_processed_subtotal", "other": "other_subtotal"}
ORG_HEADERS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")


@dataclass
class Row:
    """One printed row: template code (None for a header), label parts (level, text), printed cells, truth."""

    code: str | None
    parts: list[tuple[int, str]]
    cells: list[str]
    truth: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return " ".join(t for _, t in self.parts)


@dataclass
class Doc:
    """Everything a renderer needs: the report's printed tables and text, and the hazards with their details."""

    id: str
    fmt: str
    year: int
    template: str
    body: str
    site: str
    title_lines: list[str]  # [] when the report has no title
    intro: list[str]
    closing: list[str]
    date_line: str | None
    tables: dict[str, list[Row]]
    hazards: dict[str, dict]
    rng: random.Random
    truth: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# printed values
# ---------------------------------------------------------------------------------------------
def _show(v, thousands: bool, fullwidth: bool) -> str:
    s = f"{v:,}" if thousands and isinstance(v, int) and v >= 1000 else str(v)
    return s.translate(FULLWIDTH) if fullwidth else s


def _level(text: str) -> int:
    return 0 if text[1:2] == "、" else 1 if text.startswith("（") else 2


def _marker_end(text: str) -> int:
    """Index just past a label's list marker ("1.", "（三）", "三、"), 0 when it has none."""
    for i, ch in enumerate(text):
        if ch in ".、）":
            return i + 1
        if not (ch.isdigit() or ch in "（一二三四五六七八九十"):
            return 0
    return 0


def _spaced(text: str) -> str:
    """'自然人' → '自 然 人'; a list marker stays whole ('1.重 复 申 请')."""
    k = _marker_end(text)
    return text[:k] + " ".join(text[k:])


def _typo(rng: random.Random, text: str, taken: set[str]) -> tuple[str, str] | None:
    """One character after the list marker replaced or dropped; None when every try hits another label."""
    k = _marker_end(text)
    for _ in range(10):
        i = rng.randrange(k, len(text))
        if text[i] in "“”\"、，（）":
            continue
        if rng.random() < 0.5:
            new, how = text[:i] + text[i + 1:], f"dropped {text[i]!r}"
        else:
            ch = rng.choice([c for c in TYPO_CHARS if c != text[i]])
            new, how = text[:i] + ch + text[i + 1:], f"{text[i]!r}→{ch!r}"
        if T.normalise(new) not in taken and len(new) > k + 1:
            return new, how
    return None


# ---------------------------------------------------------------------------------------------
# the plan of one document
# ---------------------------------------------------------------------------------------------
def _choose_hazards(rng: random.Random, fmt: str, k: int) -> list[str]:
    """The document's hazards: three forced by its rank k among its format's documents (so that every hazard
    shows up in the first dozen), others at random; every fifth document carries its first forced hazard alone."""
    able = [h for h, fmts in HAZARDS.items() if fmt in fmts]
    start = sum(1 if j % 5 == 4 else 3 for j in range(k))  # slots used by the documents before
    forced = [able[(start + j) % len(able)] for j in range(3)]
    if k % 5 == 4:
        return forced[:1]
    chosen = set(forced) | {h for h in able if rng.random() < 0.15}
    if {"no_title", "title_multiline"} <= chosen:
        chosen.discard("no_title" if "title_multiline" in forced else "title_multiline")
    return [h for h in able if h in chosen]


def plan_document(i: int, body: Body, fmt: str, seed: int, k: int) -> Doc:
    """Decide everything printed in document i, and its truth."""
    rng = random.Random(f"nianbao-hazards/{seed}/{i}")
    chosen = _choose_hazards(rng, fmt, k)
    hz: dict[str, dict] = {}
    year = rng.choice((2021, 2022, 2023, 2023, 2024, 2024))
    template = "2021"
    if "template_2019_late" in chosen:
        template = "2019"
        hz["template_2019_late"] = {"year": year}
    rep = BodyFigures(body, rng).report(year, template)
    tpl = T.template(template)
    if "fee_unit" in chosen and template == "2019":
        chosen.remove("fee_unit")
    if "collapsed_group" in chosen:
        groups = ["denied", "unavailable", "not_processed"] + (["other"] if template == "2021" else [])
        collapsed = rng.choice(groups) if rng.random() < 0.5 or template == "2019" else "other"
        hz["collapsed_group"] = {"group": collapsed, "row": GROUP_CODES[collapsed]}
    else:
        collapsed = None
    subtotal_groups = []
    if "subtotal_rows" in chosen:
        able = [g for g in T.SUBTOTAL_GROUPS if g != collapsed and T.group_items(tpl, g)]
        subtotal_groups = sorted(rng.sample(able, rng.randint(1, len(able))), key=T.SUBTOTAL_GROUPS.index)
        hz["subtotal_rows"] = {"groups": subtotal_groups}

    thousands = "thousands_separators" in chosen
    fullwidth = "fullwidth_digits" in chosen
    if thousands:
        hz["thousands_separators"] = {}
    if fullwidth:
        hz["fullwidth_digits"] = {}

    # -- table 三, values as printed (truth: the printed figure) -------------------------------
    apps = {r: list(v) for r, v in rep.applications.items()}
    checks_note = None
    if "arithmetic_error" in chosen:
        cands = [(r, j) for r, v in apps.items() for j in range(7) if v[j] > 0] or [("granted", 0), ("granted", 6)]
        r, j = rng.choice(cands)
        new = max(0, apps[r][j] + rng.choice((-3, -2, -1, 1, 2, 5, 10)))
        if new == apps[r][j]:
            new += 1
        checks_note = {"row": r, "column": T.APPLICANT_CODES[j], "printed": new, "consistent": apps[r][j]}
        apps[r][j] = new
        hz["arithmetic_error"] = checks_note
    app_rows: list[Row] = []
    for r in tpl.application_rows:
        if r.subtotal:
            if r.group == collapsed or r.group in subtotal_groups:
                vals = [sum(apps[c][j] for c in T.group_items(tpl, r.group)) for j in range(7)]
                app_rows.append(Row(r.code, [(1, r.label)], [], vals))
            continue
        if r.group is not None and r.group == collapsed:
            continue
        parts = [(_level(p), p) for p in r.label.split(" ")]
        if r.group in subtotal_groups:
            parts = parts[-1:]
        app_rows.append(Row(r.code, parts, [], list(apps[r.code])))

    # -- label typos -----------------------------------------------------------------------------
    if "label_typo" in chosen:
        taken = {T.normalise(p) for row in app_rows for _, p in row.parts}
        items = [row for row in app_rows if row.parts[-1][0] == 2]
        done = []
        for row in rng.sample(items, min(len(items), rng.randint(1, 2))):
            lvl, text = row.parts[-1]
            got = _typo(rng, text, taken)
            if got:
                row.parts[-1] = (lvl, got[0])
                done.append({"row": row.code, "printed": got[0], "template": text, "change": got[1]})
        if done:
            hz["label_typo"] = {"rows": done}

    # -- blanks and placeholders -----------------------------------------------------------------
    blank_mode = None
    if "blank_cells" in chosen:
        blank_mode = rng.choice(("zeros", "zeros", "total_column"))
        tok = "" if fmt != "html" else rng.choice(("", "&nbsp;", "<o:p> </o:p>"))
        hz["blank_cells"] = {"mode": blank_mode, "token": tok}
    ph = None
    if "placeholders" in chosen:
        ph = rng.choice(PLACEHOLDER_TOKENS)
        hz["placeholders"] = {"token": ph}

    def printed(v, allow_blank=True, total_col=False) -> tuple[str, object]:
        """(printed text, truth) of one count cell."""
        if v == 0 and allow_blank:
            if blank_mode and rng.random() < 0.7:
                return "", None
            if ph and rng.random() < 0.6:
                return ph, None
        if total_col and blank_mode == "total_column":
            return "", None
        return _show(v, thousands, fullwidth), v

    for row in app_rows:
        cells, truth = [], []
        for j, v in enumerate(row.truth):
            total_col = j == 6 and row.code != "total_processed"
            s, t = printed(v, total_col=total_col)
            cells.append(s)
            truth.append(t)
        row.cells, row.truth = cells, truth

    # -- footnote markers ---------------------------------------------------------------------
    if "footnote_markers" in chosen:
        style = rng.choice(("superscript", "circled") + (("raised",) if fmt in ("html", "docx", "pdf") else ()))
        spots = []
        nonblank = [(row, j) for row in app_rows for j, c in enumerate(row.cells) if c]
        for row, j in rng.sample(nonblank, min(len(nonblank), rng.randint(1, 3))):
            n = len(spots) + 1
            mark = {"superscript": "¹²³"[n - 1], "circled": "①②③"[n - 1], "raised": "\ue000" + str(n)}[style]
            row.cells[j] += mark
            spots.append({"row": row.code, "column": T.APPLICANT_CODES[j], "marker": n})
        hz["footnote_markers"] = {"style": style, "cells": spots}

    # -- table 二 ------------------------------------------------------------------------------
    active_truth: dict = {}
    active_rows: list[Row] = []
    fee_unit = None
    for item in tpl.active_items:
        vals, cells = {}, []
        for c in item.columns:
            v = rep.active_disclosure[item.code][c.code]
            if c.kind == "decimal":
                if item.code == "fees" and "fee_unit" in chosen:
                    from decimal import Decimal

                    yuan = Decimal(v) * 10000
                    yuan_s = format(yuan.normalize(), "f") if yuan != yuan.to_integral() else str(int(yuan))
                    fee_unit = {"printed": f"{yuan_s}元", "amount_10k_yuan": v}
                    cells.append(fee_unit["printed"])
                else:
                    cells.append(v.translate(FULLWIDTH) if fullwidth else v)
                vals[c.code] = v
            elif c.kind == "signed":
                s = f"+{v}" if v > 0 and rng.random() < 0.3 else str(v)
                cells.append(s)
                vals[c.code] = v
            else:
                s, t = printed(v)
                cells.append(s)
                vals[c.code] = t
        active_truth[item.code] = vals
        active_rows.append(Row(item.code, [(0, item.label)], cells, [vals[c.code] for c in item.columns]))
    if fee_unit:
        hz["fee_unit"] = fee_unit

    # -- table 四 ------------------------------------------------------------------------------
    review_truth, review_cells = {}, []
    for g in T.REVIEW_GROUPS:
        vals = []
        for v in rep.review_litigation[g.code]:
            s, t = printed(v)
            review_cells.append(s)
            vals.append(t)
        review_truth[g.code] = vals
    review_rows = [Row("review_litigation", [], review_cells, [v for g in review_truth.values() for v in g])]

    # -- letter spacing, wrapping, vertical labels: layout details the renderers read -------------
    if "letter_spaced" in chosen:
        spaced = [row for row in app_rows + active_rows if len(row.parts[-1][1]) - _marker_end(row.parts[-1][1]) <= 8]
        for row in rng.sample(spaced, min(len(spaced), rng.randint(2, 5))):
            lvl, text = row.parts[-1]
            row.parts[-1] = (lvl, _spaced(text))
        hz["letter_spaced"] = {"headers": True, "rows": [r.code for r in app_rows + active_rows
                                                         if " " in r.parts[-1][1]]}
    if "wrapped_labels" in chosen:
        hz["wrapped_labels"] = {"valign": rng.choice(("top", "middle", "bottom")),
                                "chars_per_line": rng.choice((6, 7, 8, 9))}
    if "vertical_group_labels" in chosen:
        hz["vertical_group_labels"] = {}
    for h in ("page_split", "md_loose_labels", "md_placeholder_headers", "md_short_header", "md_table_per_group",
              "html_header_colspan_mismatch", "html_span_per_char", "html_site_page"):
        if h in chosen:
            hz[h] = {}
    if "page_split" in chosen:
        hz["page_split"] = {"footer": rng.choice(("dash", "of_total", "emdash"))}
    if "footnote_markers" in hz:
        pass

    # -- title and year cues ------------------------------------------------------------------
    fw = "fullwidth_year" in chosen
    ystr = str(year).translate(FULLWIDTH) if fw else str(year)
    pub = f"{str(year + 1).translate(FULLWIDTH) if fw else year + 1}"
    month, day = rng.randint(1, 3), rng.randint(1, 28)
    rid = f"h{i:06d}"
    cue = "title"
    if "no_title" in chosen:
        cue = rng.choice(("period", "date", "filename"))
        title_lines = []
        hz["no_title"] = {"year_cue": cue}
        if cue == "filename":
            rid = f"{rid}_{ystr}年度报告"
    elif "title_multiline" in chosen:
        n = rng.choice((2, 3))
        title_lines = ([body.name, f"{ystr}年政府信息公开工作年度报告"] if n == 2
                       else [body.name, f"{ystr}年度", "政府信息公开工作年度报告"])
        hz["title_multiline"] = {"lines": n}
    else:
        title_lines = [f"{body.name}{ystr}年政府信息公开工作年度报告"]
    if fw:
        hz["fullwidth_year"] = {"cue": cue}
    doc_no = "国办公开办函〔2021〕30号" if template == "2021" else "国办公开办函〔2019〕60号"
    intro = [f"本报告根据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式》（{doc_no}）"
             "要求编制，由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
             "存在的主要问题及改进情况、其他需要报告的事项六部分组成。"]
    if cue in ("title", "period"):
        intro.append(f"本报告中所列数据的统计期限自{ystr}年1月1日起至{ystr}年12月31日止。")
    if cue == "title" or rng.random() < 0.5:
        intro.append(f"如对本报告有任何疑问，请与{body.name}联系。")
    date_line = None
    if cue in ("title", "date"):
        date_line = f"发布日期：{pub}年{month}月{day}日" if rng.random() < 0.5 else f"{body.name}\n{pub}年{month}月{day}日"
        if cue == "date":
            date_line = f"发布日期：{pub}-{month:02d}-{day:02d}"
    closing = ["本机关将进一步加强政府信息公开工作，提升公开质量。", "本年度未收取信息处理费。"]

    doc = Doc(rid, fmt, year, template, body.name, body.site, title_lines, intro, closing, date_line,
              {"active_disclosure": active_rows, "applications": app_rows, "review_litigation": review_rows},
              hz, rng)
    app_truth = {code: [None] * 7 for code in tpl.application_codes}
    for row in app_rows:
        app_truth[row.code] = row.truth
    doc.truth = {
        "id": rid, "raw": f"raw/{rid}.{fmt}", "format": fmt,
        "title": "".join(title_lines) or None, "body": body.name, "year": year, "template": template,
        "active_disclosure": active_truth, "applications": app_truth, "review_litigation": review_truth,
        "checks_violated": checks_violated(app_truth, review_truth, tpl),
        "printed_labels": {row.code: row.label for row in app_rows},
    }
    return doc


# ---------------------------------------------------------------------------------------------
# arithmetic on the printed tables (blank = 0), in the devset's check names
# ---------------------------------------------------------------------------------------------
def checks_violated(apps: dict, review: dict, tpl: T.Template) -> list[dict]:
    """The score.py / devset checks that the printed figures break (blanks and unprinted rows count as 0;
    a collapsed group counts with its printed total)."""
    n = lambda v: v or 0  # noqa: E731
    out = []
    for j, col in enumerate(T.APPLICANT_CODES):
        inflow = n(apps["new_received"][j]) + n(apps["carried_over"][j])
        outflow = n(apps["total_processed"][j]) + n(apps["carried_forward"][j])
        if inflow != outflow:
            out.append({"check": "balance", "column": col, "in": inflow, "out": outflow})
    for j, col in enumerate(T.APPLICANT_CODES):
        s = 0
        for code in tpl.outcome_rows:
            s += n(apps[code][j])
        for g, sub in GROUP_CODES.items():
            items = T.group_items(tpl, g)
            if sub in apps and items and all(apps[c][j] is None for c in items):
                s += n(apps[sub][j])  # a collapsed group: its printed total stands for its rows
        if s != n(apps["total_processed"][j]):
            out.append({"check": "total_row_vs_results", "column": col, "sum": s,
                        "printed": n(apps["total_processed"][j])})
    for code, vals in apps.items():
        if all(v is None for v in vals):
            continue
        s = sum(n(v) for v in vals[:6])
        if s != n(vals[6]):
            out.append({"check": "total_column_vs_applicants", "row": code, "sum": s, "printed": n(vals[6])})
    for g, sub in GROUP_CODES.items():
        items = T.group_items(tpl, g)
        if sub in apps and items and not all(apps[c][0] is None and apps[c][6] is None for c in items):
            for j, col in enumerate(T.APPLICANT_CODES):
                s = sum(n(apps[c][j]) for c in items)
                if s != n(apps[sub][j]):
                    out.append({"check": "subtotals", "row": sub, "column": col, "sum": s, "printed": n(apps[sub][j])})
    for g, vals in review.items():
        if sum(n(v) for v in vals[:4]) != n(vals[4]):
            out.append({"check": "review_litigation_total", "group": g})
    return out


# ---------------------------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------------------------
def _one(args) -> str:
    i, body, fmt, seed, k, out = args
    from synth.hazard_render import render

    for attempt in range(5):
        # a PDF whose merged cells reportlab cannot lay out on a page (a group label spanning rows taller
        # than the page) is planned again with another draw; deterministic for the seed
        doc = plan_document(i, body, fmt, seed + 7919 * attempt, k)
        try:
            data, extra = render(doc)
            break
        except Exception as e:  # reportlab's LayoutError (reportlab is imported only for PDFs)
            if type(e).__name__ != "LayoutError" or attempt == 4:
                raise
    for name, detail in extra.items():
        doc.hazards.setdefault(name, {}).update(detail)
    if fmt == "pdf" and not doc.hazards["page_split"]["tables_split"]:
        del doc.hazards["page_split"]  # planned or not, only a table that really broke across pages counts
    truth = dict(doc.truth)
    truth["layout"] = doc.hazards.pop("_layout", {})
    truth["hazards"] = [{"hazard": h, **d} for h, d in sorted(doc.hazards.items())]
    (Path(out) / "raw" / f"{doc.id}.{fmt}").write_bytes(data)
    (Path(out) / "truth" / f"{doc.id}.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc.id


def generate(out: str, count: int, seed: int = 0, formats=FORMATS, workers: int = 0) -> list[str]:
    """Write `count` hazard documents under `out` (formats in turn); returns their ids."""
    outp = Path(out)
    if any(any((outp / sub).iterdir()) for sub in ("raw", "truth") if (outp / sub).is_dir()):
        raise ValueError(f"{out}: raw/ or truth/ is not empty; choose a new folder")
    (outp / "raw").mkdir(parents=True, exist_ok=True)
    (outp / "truth").mkdir(parents=True, exist_ok=True)
    bodies = draw_bodies(random.Random(f"nianbao-hazards/{seed}"), set(), count)
    jobs = [(i, bodies[i], formats[i % len(formats)], seed, i // len(formats), out) for i in range(count)]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or count < 8:
        return [_one(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, jobs, chunksize=8))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.hazards", description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--workers", type=int, default=0)
    a = ap.parse_args(argv)
    fmts = tuple(f.strip() for f in a.formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        ap.error(f"--formats: choose from {','.join(FORMATS)}")
    ids = generate(a.out, a.count, a.seed, fmts, a.workers)
    print(f"{len(ids)} documents in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
