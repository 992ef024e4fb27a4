"""xl-factor refresh: new data into a template, recalculated in LibreOffice, written as values only.

The full run uses LibreOffice (it fails, not skips, without it when CI is
set) and checks the report's regression against statsmodels on the new data.
The checks of the steps around the recalculation use a stand-in for it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from conftest import INDUSTRIES, REPO, require
from xl_factor.refresh import RefreshError, refresh

TEMPLATE = REPO / "workbook_templates" / "factor_hedging.xlsx"
COLUMNS = INDUSTRIES + ["MktRF", "SMB", "HML", "RF"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def new_history(ff_monthly, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """1990-2017 (327 months, not the bundled 819), without the Other column, one text cell in NoDur."""
    frame = ff_monthly.loc["1990":, [c for c in COLUMNS if c != "Other"]].copy()
    frame.index.name = "Date"
    path = tmp_path_factory.mktemp("data") / "returns.csv"
    written = frame.astype(object)
    written.iloc[5, written.columns.get_loc("NoDur")] = "n/a"
    written.to_csv(path)
    return path, frame


@pytest.fixture(scope="module")
def report(new_history, tmp_path_factory):
    from xl_factor.libreoffice.office import libreoffice_available

    require(libreoffice_available(), "LibreOffice")
    data, _ = new_history
    folder = tmp_path_factory.mktemp("report")
    template = folder / "template.xlsx"
    shutil.copy(TEMPLATE, template)
    before = (sha(template), sha(data))
    extensions = folder / "extensions"
    out = folder / "report.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "xl_factor.cli", "refresh", str(template), "--data", str(data), "--out", str(out)],
        capture_output=True, text=True, timeout=600, env={**__import__("os").environ,
                                                           "XL_FACTOR_LO_EXTENSIONS": str(extensions)})
    assert done.returncode == 0, done.stderr
    return out, done.stdout, before, (sha(template), sha(data))


def test_inputs_are_untouched(report):
    _, _, before, after = report
    assert before == after


def test_report_has_no_formula_left(report):
    workbook = load_workbook(report[0])
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and not isinstance(cell.value, ArrayFormula), (ws.title, cell.coordinate)


def test_regression_matches_statsmodels_on_the_new_data(report, new_history):
    _, frame = new_history
    y = (frame["NoDur"] - frame["RF"]).drop(frame.index[5])
    x = sm.add_constant(frame["MktRF"].drop(frame.index[5]))
    expected = sm.OLS(y, x).fit()
    ws = load_workbook(report[0])["Regression"]
    assert ws["A10"].value == "alpha" and ws["A11"].value == "MktRF"
    np.testing.assert_allclose([ws["B10"].value, ws["B11"].value], expected.params.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose([ws["C10"].value, ws["C11"].value], expected.bse.to_numpy(), rtol=1e-9)


def test_provenance_says_what_was_done_and_carried(report, new_history):
    out, stdout, _, _ = report
    rows = dict(load_workbook(out)["Provenance"].iter_rows(min_col=1, max_col=2, values_only=True))
    assert rows["Data rows"] == 327
    assert rows["Data columns left blank"] == "Other"
    assert rows["Data SHA-256"] == sha(new_history[0])
    assert rows["Data file"] == new_history[0].name and rows["Template"] == "template.xlsx"  # names, not paths
    # An asset column left blank is not an asset: every sheet computes the others, and the template's equal
    # weights are spread over the assets with data (0 on Other), so FM_RISKCONTRIB computes too, and the book's
    # position on Other becomes 0, so the book functions of the Book sheet compute.
    assert rows["Error cells"] == "none", rows["Error cells"]
    assert rows["Inputs set for this data"] == ("portfolio weights: 1/11 on each asset with data, 0 on the 1 without; "
                                                "book positions: 0 on Other (no data)")
    assert rows["Carried over"].startswith("5 charts")
    assert rows["Not carried over (openpyxl cannot keep them)"] == "nothing"
    assert rows["Regression"].split(" cells")[0].isdigit() and "B9:G20" in rows["Regression"]


def test_report_counts_only_the_assets_with_data(report):
    workbook = load_workbook(report[0])
    assert workbook["Covariance"]["B4"].value == 11
    weights = [workbook["MultiFactor"].cell(row=6, column=c).value for c in range(2, 14)]
    np.testing.assert_allclose(weights, [1 / 11] * 11 + [0])
    positions = [workbook["Book"].cell(row=6, column=c).value for c in range(2, 14)]
    assert positions[-1] == 0 and all(p != 0 for p in positions[:-1])  # Other has no data: no position
    np.testing.assert_allclose([workbook["Book"].cell(row=8, column=c).value for c in range(2, 14)],
                               [1 / 11] * 11 + [0])  # the benchmark: equal weight over the assets with data
    guide = "\n".join(str(c.value) for row in workbook["Guide"].iter_rows() for c in row if c.value is not None)
    assert "819" not in guide and "327 periods from 1990-01-01 to 2017-03-01" in guide


@pytest.mark.parametrize("assets", [["NoDur"], ["NoDur", "Durbl", "Manuf", "Enrgy"], INDUSTRIES])
def test_book_positions_on_assets_without_data_become_zero(tmp_path, ff_monthly, assets):
    """The FM_* book functions refuse a position on an asset without returns: a refresh sets those to 0."""
    from xl_factor.refresh import fill_data_sheet, read_csv_data

    data = tmp_path / "d.csv"
    frame = ff_monthly.loc["2010":, assets + ["MktRF", "SMB", "HML", "RF"]]
    frame.index.name = "Date"
    frame.to_csv(data)
    template = load_workbook(TEMPLATE)
    before = [template["Book"].cell(row=6, column=c).value for c in range(2, 14)]
    notes: list = []
    fill_data_sheet(TEMPLATE, read_csv_data(data), tmp_path / "filled.xlsx", notes=notes)
    after = [load_workbook(tmp_path / "filled.xlsx")["Book"].cell(row=6, column=c).value for c in range(2, 14)]
    assert after == [p if name in assets else 0 for p, name in zip(before, INDUSTRIES)]
    missing = [name for name in INDUSTRIES if name not in assets]
    assert any(n == f"book positions: 0 on {', '.join(missing)} (no data)" for n in notes) == bool(missing)


def test_output_equal_to_an_input_is_refused(tmp_path, new_history):
    data, _ = new_history
    template = tmp_path / "t.xlsx"
    shutil.copy(TEMPLATE, template)
    for out in (template, data):
        with pytest.raises(RefreshError, match="never writes over its inputs"):
            refresh(template, data, out, recalculate=lambda path: {})


def _csv(tmp_path, cells: dict) -> Path:
    frame = pd.DataFrame({"Date": ["2020-01-31", "2020-02-29", "2020-03-31"], "NoDur": ["0.01", "0.02", "0.03"],
                          "MktRF": ["0.01", "-0.02", "0.015"], **cells})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _fake_recalculation(path):
    """Every formula cell 'computed' as 1.0: enough to test the steps around LibreOffice."""
    workbook = load_workbook(path)
    values = {}
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):
                    from openpyxl.utils import range_boundaries, get_column_letter

                    c1, r1, c2, r2 = range_boundaries(cell.value.ref)
                    values.update({(ws.title, f"{get_column_letter(c)}{r}"): 1.0
                                   for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)})
                elif cell.data_type == "f":
                    values[(ws.title, cell.coordinate)] = 1.0
    return values


def test_formula_like_cells_are_refused(tmp_path):
    data = _csv(tmp_path, {"SMB": ["0.01", "=HYPERLINK(\"x\")", "0.02"]})
    with pytest.raises(RefreshError, match=r"1 cell\(s\) a spreadsheet would run as formulas.*--neutralise"):
        refresh(TEMPLATE, data, tmp_path / "r.xlsx", recalculate=_fake_recalculation)


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "@SUM(A1)", "-x"])
def test_neutralised_cells_are_stored_as_text(tmp_path, cell):
    data = _csv(tmp_path, {"SMB": ["0.01", cell, "-0.02"]})
    out = tmp_path / "r.xlsx"
    refresh(TEMPLATE, data, out, neutralise=True, recalculate=_fake_recalculation)
    ws = load_workbook(out)["Data"]
    smb = [c.column for c in ws[1] if c.value == "SMB"][0]
    assert ws.cell(row=3, column=smb).value == cell and ws.cell(row=3, column=smb).data_type == "s"
    assert ws.cell(row=4, column=smb).value == -0.02  # a negative number is a number, not a formula


def test_unknown_columns_are_refused(tmp_path):
    data = _csv(tmp_path, {"Bitcoin": ["0.1", "0.2", "0.3"]})
    with pytest.raises(RefreshError, match=r"\['Bitcoin'\] are not on the Data sheet"):
        refresh(TEMPLATE, data, tmp_path / "r.xlsx", recalculate=_fake_recalculation)


# --- refusals: one line, exit 2, nothing written -------------------------------------------------------

def _write(tmp_path, name: str, content, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


GOOD = "Date,NoDur,MktRF\n2020-01-31,0.01,0.011\n2020-02-29,0.02,-0.02\n2020-03-31,-0.01,0.015\n2020-04-30,0.005,0.01\n"


@pytest.mark.parametrize("name, content, encoding, message", [
    ("dup", "Date,NoDur, NoDur,MktRF\n2020-01-31,0.01,0.02,0.01\n", "utf-8", "names column 'NoDur' twice"),
    ("dayfirst", "Date,NoDur,MktRF\n13/01/2020,0.01,0.02\n14/01/2020,0.01,0.02\n", "utf-8", "pass --dayfirst"),
    ("ambiguous", "".join(["Date,NoDur,MktRF\n"] + [f"01/{m:02d}/2020,0.01,0.02\n" for m in range(1, 13)]), "utf-8",
     "could be day/month or month/day"),
    ("inf", GOOD.replace("0.005", "inf"), "utf-8", "'inf' is not a finite number"),
    ("overflow", GOOD.replace("0.005", "1e400"), "utf-8", "'1e400' overflows a double"),
    ("thousands", GOOD.replace("0.005", '"1,000"'), "utf-8", "'1,000' is text, not a number"),
    ("percent", GOOD.replace("0.005", "5%"), "utf-8", "'5%' is text, not a number"),
    ("parentheses", GOOD.replace("0.005", "(0.01)"), "utf-8", r"'\(0.01\)' is text, not a number"),
    ("latin1", GOOD.replace("NoDur", "NoDür"), "latin-1", "is not UTF-8 text"),
    ("empty", "", "utf-8", "is empty"),
    ("header-only", "Date,NoDur\n", "utf-8", "no data rows"),
    ("ragged", GOOD + "2020-05-31,0.01\n", "utf-8", "row 6 has 2 fields, the header has 3"),
    ("duplicate-date", GOOD + "2020-04-30,0.01,0.01\n", "utf-8", "is there twice"),
    ("mixed-dates", GOOD + "202005,0.01,0.01\n", "utf-8", "mixes date notations"),
    ("percent-units", "".join(["Date,NoDur,MktRF\n"] + [f"2020-{m:02d},{(m % 5 - 2) * 1.3},{(m % 3 - 1) * 0.01}\n"
                                                        for m in range(1, 13)]), "utf-8", "looks like percent"),
    ("percent-factor", "".join(["Date,NoDur,MktRF\n"] + [f"2020-{m:02d},{(m % 5 - 2) * 0.013},{(m % 3 - 1) * 2.5}\n"
                                                         for m in range(1, 13)]), "utf-8", "factor returns"),
])
def test_bad_csv_is_refused_with_one_line_and_exit_2(tmp_path, capsys, name, content, encoding, message):
    from xl_factor.cli import main

    data = _write(tmp_path, f"{name}.csv", content, encoding)
    out = tmp_path / "r.xlsx"
    assert main(["refresh", str(TEMPLATE), "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xl-factor refresh: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert re.search(message, err), err
    assert not out.exists()


def test_existing_out_needs_force_and_a_folder_is_refused(tmp_path, monkeypatch):
    data = _write(tmp_path, "good.csv", GOOD)
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(RefreshError, match="already exists; add --force"):
        refresh(TEMPLATE, data, out, recalculate=_fake_recalculation)
    assert out.read_bytes() == b"old"
    refresh(TEMPLATE, data, out, recalculate=_fake_recalculation, force=True)
    assert load_workbook(out)["Provenance"]
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    with pytest.raises(RefreshError, match="is a folder"):
        refresh(TEMPLATE, data, folder, recalculate=_fake_recalculation, force=True)
    assert list(folder.iterdir()) == []


def test_unreadable_and_inflating_templates_are_refused(tmp_path):
    import zipfile

    data = _write(tmp_path, "good.csv", GOOD)
    junk = _write(tmp_path, "junk.xlsx", b"not a zip")
    with pytest.raises(RefreshError, match="is not an xlsx workbook"):
        refresh(junk, data, tmp_path / "r.xlsx", recalculate=_fake_recalculation)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 2**20))
    assert bomb.stat().st_size < 2**20
    with pytest.raises(RefreshError, match="refused as a possible zip bomb"):
        refresh(bomb, data, tmp_path / "r.xlsx", recalculate=_fake_recalculation)


@pytest.mark.parametrize("dates, expected", [
    (["202001", "202002", "202003"], ["2020-01-01", "2020-02-01", "2020-03-01"]),
    (["2020-01", "2020-02", "2020-03"], ["2020-01-01", "2020-02-01", "2020-03-01"]),
    (["19260701", "19260702", "19260706"], ["1926-07-01", "1926-07-02", "1926-07-06"]),
    (["2020-01-31T00:00:00+02:00", "2020-02-29T00:00:00-05:00", "2020-03-31 00:00:00Z"],
     ["2020-01-31", "2020-02-29", "2020-03-31"]),
    (["01/31/2020", "02/29/2020", "03/31/2020"], ["2020-01-31", "2020-02-29", "2020-03-31"]),
])
def test_date_notations_that_are_read(tmp_path, dates, expected):
    from xl_factor.refresh import read_csv_data

    body = "".join(f"{d},0.01,0.02\n" for d in dates)
    frame = read_csv_data(_write(tmp_path, "d.csv", "Date,NoDur,MktRF\n" + body))
    assert list(frame.index.strftime("%Y-%m-%d")) == expected


def test_dayfirst_and_utf16(tmp_path):
    from xl_factor.refresh import read_csv_data

    frame = read_csv_data(_write(tmp_path, "d.csv", "Date,NoDur\n01/02/2020,0.01\n01/03/2020,0.02\n"), dayfirst=True)
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2020-02-01", "2020-03-01"]
    frame = read_csv_data(_write(tmp_path, "u.csv", GOOD, "utf-16"))
    assert frame["NoDur"].tolist() == [0.01, 0.02, -0.01, 0.005]
    with pytest.raises(RefreshError, match="--dayfirst was given"):
        read_csv_data(_write(tmp_path, "i.csv", GOOD), dayfirst=True)


def test_missing_markers_are_blank_and_rows_are_sorted(tmp_path):
    from xl_factor.refresh import read_csv_data

    text = "Date,NoDur,MktRF\n2020-03-31,NA,0.01\n2020-01-31,,0.02\n2020-02-29,#N/A,n/a\n"
    frame = read_csv_data(_write(tmp_path, "m.csv", text))
    assert list(frame.index.strftime("%m")) == ["01", "02", "03"] and frame.attrs["sorted"]
    assert frame["NoDur"].tolist() == [None, None, None] and frame["MktRF"].tolist() == [0.02, None, 0.01]


def test_error_cells_exit_3_listed_compactly_unless_allowed(tmp_path, capsys, monkeypatch):
    import xl_factor.refresh as module
    from xl_factor.cli import main

    def failing(path):
        values = _fake_recalculation(path)
        for column in "ABCDEFGH":
            for row in range(26, 36):
                values[("MultiFactor", f"{column}{row}")] = "#FM! FM_FAMAMACBETH: too few assets"
        return values

    monkeypatch.setattr(module, "_libreoffice_recalculation", lambda timeout: (failing, None))
    data = _write(tmp_path, "good.csv", GOOD)
    out = tmp_path / "r.xlsx"
    assert main(["refresh", str(TEMPLATE), "--data", str(data), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "80 error cells" in err and "MultiFactor!A26:H35 (80 cells): #FM! FM_FAMAMACBETH: too few assets" in err
    assert out.exists()
    assert main(["refresh", str(TEMPLATE), "--data", str(data), "--out", str(out), "--force",
                 "--allow-errors"]) == 0


def test_no_temporary_folder_is_left_behind(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    data = _write(tmp_path, "good.csv", GOOD)
    refresh(TEMPLATE, data, tmp_path / "r.xlsx", recalculate=_fake_recalculation)
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "r.xlsx", "tmp"]


def test_print_areas_and_charts_follow_the_length_of_the_data(tmp_path):
    import zipfile

    data = _write(tmp_path, "good.csv", GOOD)  # 4 periods instead of the template's 819
    out = tmp_path / "r.xlsx"
    refresh(TEMPLATE, data, out, recalculate=_fake_recalculation)
    workbook = load_workbook(out)
    assert workbook["Data"].print_area.endswith("$Q$5") and workbook["Hedging"].print_area.endswith("$S$7")
    with zipfile.ZipFile(out) as archive:
        growth = archive.read("xl/charts/chart3.xml").decode()
    assert "'Hedging'!$O$4:$O$7" in growth and "$822" not in growth
