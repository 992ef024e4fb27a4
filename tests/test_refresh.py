"""xl-factor refresh: new data into a template, recalculated in LibreOffice, written as values only.

The full run uses LibreOffice (it fails, not skips, without it when CI is
set) and checks the report's regression against statsmodels on the new data.
The checks of the steps around the recalculation use a stand-in for it.
"""

from __future__ import annotations

import hashlib
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


def test_provenance_says_what_was_done_and_lost(report, new_history):
    out, stdout, _, _ = report
    rows = dict(load_workbook(out)["Provenance"].iter_rows(min_col=1, max_col=2, values_only=True))
    assert rows["Data rows"] == 327
    assert rows["Data columns left blank"] == "Other"
    assert rows["Data SHA-256"] == sha(new_history[0])
    # An asset column left blank is not an asset: the covariance sheet computes the others and leaves it blank;
    # the portfolio that still gives it a weight is refused by name.
    errors = rows["Error cells"]
    assert "Covariance!" not in errors and "Regression!" not in errors, errors
    assert "FM_RISKCONTRIB: weights: gives 'Other' a weight of 0.0833333, but it has no returns" in errors
    assert "4 charts" in rows["Not carried over (openpyxl cannot keep them)"] and "4 charts" in stdout
    assert rows["Regression"].split(" cells")[0].isdigit() and "B9:B20" in rows["Regression"]


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
