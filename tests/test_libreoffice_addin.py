"""The LibreOffice front door: generated files up to date, and every FM_* function computed inside LibreOffice.

The module installs the add-in into a private folder, writes one workbook
with openpyxl (real data: a date column written as Excel dates, blanks in a
column, text in a column) holding a formula for every catalogue function,
recalculates it once in headless LibreOffice, and checks every cell against
the same function called in this process on the Excel-shaped values, and the
key numbers against statsmodels and numpy.

Tests that need LibreOffice (or the SDK's unoidl-write) skip without it, and
FAIL when the environment variable CI is set.
"""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula
from statsmodels.stats.stattools import durbin_watson

from conftest import FF3, assert_close, require
from xl_factor import __version__
from xl_factor.libreoffice import ADDIN_DIR, IMPLEMENTATION, INTERFACE, PATHS_FILE, RDB_FILE, XCU_FILE, generate
from xl_factor.libreoffice import idl_name, install, ods, office, prog_name, recalc
from xl_factor.libreoffice.build import build_oxt
from xl_factor.sheet.catalogue import BY_NAME, CATALOGUE, call
from xl_factor.sheet.cells import as_cells

RTOL = 1e-9  # LibreOffice against statsmodels / numpy
SAME = 1e-12  # LibreOffice against the same function called in this process
T = 120  # months of data: 2008-01 .. 2017-12
ASSETS = ["NoDur", "Durbl", "Manuf"]



# ---------------------------------------------------------------- generated files


def test_generated_addin_files_are_up_to_date():
    for name, text in generate.render().items():
        assert (ADDIN_DIR / name).read_text() == text, (
            f"{name} is stale: run python -m xl_factor.libreoffice.generate")


def test_idl_and_xcu_name_every_catalogue_function():
    idl = generate.render_idl()
    root = ET.fromstring(generate.render_xcu())
    ns = {"oor": "http://openoffice.org/2001/registry"}
    names = "{http://openoffice.org/2001/registry}name"
    functions = root.find(f"node/node[@oor:name='{IMPLEMENTATION}']/node[@oor:name='AddInFunctions']", ns)
    assert [n.get(names) for n in functions] == [prog_name(f.name) for f in CATALOGUE]
    for function, node in zip(CATALOGUE, functions):
        props = {p.get(names): p.findtext("value") for p in node.findall("prop")}
        assert props["CompatibilityName"] == props["DisplayName"] == function.name
        assert props["Description"] == function.doc
        params = node.find("node[@oor:name='Parameters']", ns)
        assert [p.get(names) for p in params] == [idl_name(a.name) for a in function.args]
        signature = ", ".join(f"[in] any {idl_name(a.name)}" for a in function.args)
        assert f" {prog_name(function.name)}({' ' + signature + ' ' if signature else ''});" in idl


def test_committed_rdb_declares_every_method_and_argument():
    rdb = (ADDIN_DIR / RDB_FILE).read_bytes()
    for function in CATALOGUE:
        assert prog_name(function.name).encode() in rdb, f"{RDB_FILE} is stale: regenerate with the SDK installed"
        for arg in function.args:
            assert idl_name(arg.name).encode() in rdb


def test_rdb_recompiles_to_the_committed_types():
    """The committed .rdb declares what the IDL compiles to; compared as ``unoidl-read`` dumps, not bytes."""
    require(office.find_unoidl_write() is not None and office.find_unoidl_read() is not None,
            "unoidl-write and unoidl-read (package libreoffice-dev)")
    recompiled = generate.read_rdb(generate.compile_rdb(generate.render_idl()))
    committed = generate.read_rdb((ADDIN_DIR / RDB_FILE).read_bytes())
    assert f"interface {INTERFACE} {{" in committed and "fmbeta([in] any asset" in committed
    assert recompiled == committed, f"{RDB_FILE} is stale: run python -m xl_factor.libreoffice.generate"


def test_oxt_holds_the_addin_and_the_install_paths(tmp_path):
    oxt = build_oxt(tmp_path)
    with zipfile.ZipFile(oxt) as archive:
        assert set(archive.namelist()) == {"META-INF/manifest.xml", "description.xml", RDB_FILE, XCU_FILE,
                                           "xl_factor_addin.py", PATHS_FILE}
        assert archive.read(XCU_FILE) == (ADDIN_DIR / XCU_FILE).read_bytes()
        assert f'value="{__version__}"' in archive.read("description.xml").decode()
    with pytest.raises(ValueError, match="outside the source tree"):
        build_oxt(ADDIN_DIR)


# ---------------------------------------------------------------- the workbook


@dataclass(frozen=True)
class Ref:
    """A range of the workbook, e.g. ``Data!A1:D121``."""

    address: str


@dataclass
class Case:
    """One formula: its anchor cell in sheet Calc, the function, its arguments, the expected cells."""

    key: str
    name: str
    args: tuple
    expected: list | None = None
    anchor: str = ""

    def formula(self) -> str:
        return f"={self.name}({','.join(_literal(a) for a in self.args)})"


def _literal(arg) -> str:
    if isinstance(arg, Ref):
        return arg.address
    if isinstance(arg, bool):
        return "TRUE" if arg else "FALSE"
    if isinstance(arg, str):
        return f'"{arg}"'
    return repr(float(arg))


class Grid:
    """The cells written to the workbook, read back as Excel hands them to a function."""

    def __init__(self):
        self.cells: dict[str, dict[tuple[int, int], object]] = {}

    def put(self, sheet: str, row: int, col: int, value) -> None:
        self.cells.setdefault(sheet, {})[(row, col)] = value

    def column(self, sheet: str, col: int, header: str, values) -> None:
        self.put(sheet, 1, col, header)
        for row, value in enumerate(values, start=2):
            self.put(sheet, row, col, value)

    def excel_value(self, ref: Ref):
        sheet, address = ref.address.split("!")
        min_col, min_row, max_col, max_row = range_boundaries(address)
        cells = self.cells[sheet]
        rows = tuple(tuple(cells.get((r, c)) for c in range(min_col, max_col + 1))
                     for r in range(min_row, max_row + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


def _data(ff_monthly, industry_excess, daily_returns) -> tuple[Grid, dict]:
    ff = ff_monthly.iloc[-T:]
    excess = industry_excess.iloc[-T:]
    dates = [d.to_pydatetime() for d in ff.index]
    enrgy = [None if i % 7 == 3 else float(v) for i, v in enumerate(excess["Enrgy"])]
    chems = ["n/a" if i % 5 == 1 else float(v) for i, v in enumerate(excess["Chems"])]
    grid = Grid()
    columns = {
        1: ("Date", dates), 2: ("NoDur", excess["NoDur"]), 3: ("Durbl", excess["Durbl"]), 4: ("Manuf", excess["Manuf"]),
        6: ("Date", dates), 7: ("MktRF", ff["MktRF"]), 8: ("SMB", ff["SMB"]), 9: ("HML", ff["HML"]),
        11: ("Date", dates), 12: ("Enrgy", enrgy), 13: ("Chems", chems),
        15: ("Date", dates[-60:]), 16: ("Hlth", excess["Hlth"].iloc[-60:]),
        18: ("RF", ff["RF"]),
        23: ("Date", dates), 24: ("NoDur", ff["NoDur"]),
    }
    for col, (header, values) in columns.items():
        grid.column("Data", col, header, [v if isinstance(v, (datetime, str)) or v is None else float(v)
                                          for v in values])
    variances = excess[ASSETS].var(ddof=1).to_numpy()
    for row, value in enumerate(variances, start=1):
        grid.put("Data", row, 20, float(value))
    for col, value in enumerate([-0.5, 0.0, 0.1], start=20):
        grid.put("Data", 5, col, value)
    for row, values in ((7, [1e6, -5e5, 2e5]), (9, [1 / 3] * 3), (11, [0.5, 0.3, 0.2])):  # a book, two weightings
        for col, value in enumerate(values, start=20):
            grid.put("Data", row, col, value)
    shocks = ((None, "crash", "rally"), ("MktRF", -0.1, 0.05), ("SMB", 0.02, None))
    for row, values in enumerate(shocks, start=1):
        for col, value in enumerate(values, start=26):
            if value is not None:
                grid.put("Data", row, col, value)
    for row, security in enumerate(("MSFT", "WMT"), start=1):
        grid.put("Data", row, 30, security)

    daily = daily_returns[["MSFT", "SP500"]].iloc[-253:]
    prices = 100.0 * np.cumprod(1.0 + daily["MSFT"].to_numpy())
    grid.column("Daily", 1, "Date", [d.to_pydatetime() for d in daily.index])
    grid.column("Daily", 2, "MSFT", [float(p) for p in prices])
    grid.column("Daily", 4, "MSFT", [float(v) for v in daily["MSFT"].iloc[1:]])
    grid.column("Daily", 5, "SP500", [float(v) for v in daily["SP500"].iloc[1:]])
    for row, ref in enumerate(KEYED, start=1):  # the keys of the FM_DATA cells of sheet Keys, as Python gives them
        grid.put("Keys", row, 1, call("FM_DATA", grid.excel_value(ref)))
    data = {"ff": ff, "excess": excess, "enrgy": enrgy, "chems": chems, "variances": variances,
            "prices": prices, "daily": daily.iloc[1:]}
    return grid, data


ASSET, FACTORS = Ref("Data!A1:D121"), Ref("Data!F1:I121")
NODUR = Ref("Data!A1:B121")
KEYED = (ASSET, FACTORS)  # Keys!A1 = FM_DATA(ASSET), Keys!A2 = FM_DATA(FACTORS)
CASES = [
    Case("beta", "FM_BETA", (ASSET, FACTORS)),
    Case("beta_plain", "FM_BETA", (Ref("Data!B2:B121"), Ref("Data!G2:G121"))),
    Case("beta_origin", "FM_BETA", (Ref("Data!B2:B121"), Ref("Data!G2:G121"), False)),
    Case("beta_blanks", "FM_BETA", (Ref("Data!K1:L121"), FACTORS)),
    Case("beta_blanks_text", "FM_BETA", (Ref("Data!K1:M121"), FACTORS)),
    Case("beta_by_date", "FM_BETA", (Ref("Data!O1:P61"), FACTORS)),
    Case("beta_rows_differ", "FM_BETA", (Ref("Data!B2:B121"), Ref("Data!G3:G121"))),
    Case("alpha", "FM_ALPHA", (ASSET, FACTORS, 12)),
    Case("regress", "FM_REGRESS", (NODUR, FACTORS, "HC1")),
    Case("regress_hac", "FM_REGRESS", (Ref("Data!K1:L121"), FACTORS, "HAC", 3)),
    Case("resid", "FM_RESID", (Ref("Data!K1:L121"), FACTORS)),
    Case("tracking", "FM_TRACKING", (ASSET, FACTORS)),
    Case("hedged", "FM_HEDGED", (NODUR, FACTORS)),
    Case("hedge", "FM_HEDGE", (1e6, NODUR, FACTORS)),
    Case("hedge_target", "FM_HEDGE", (1e6, NODUR, FACTORS, 0.2)),
    Case("size", "FM_SIZE", (10000, Ref("Data!T1:T3"), 21)),
    Case("vardecomp", "FM_VARDECOMP", (ASSET, FACTORS)),
    Case("riskshare", "FM_RISKSHARE", (ASSET, FACTORS)),
    Case("riskshare_hedged", "FM_RISKSHARE", (NODUR, FACTORS, Ref("Data!T5:V5"))),
    Case("covmat", "FM_COVMAT", (ASSET, FACTORS)),
    Case("covmat_sample", "FM_COVMAT", (ASSET, FACTORS, "sample", 12)),
    Case("corrmat", "FM_CORRMAT", (ASSET, FACTORS)),
    Case("paramcount", "FM_PARAMCOUNT", (12, 3)),
    Case("excess", "FM_EXCESS", (Ref("Data!W1:X121"), Ref("Data!R1:R121"))),
    Case("returns", "FM_RETURNS", (Ref("Daily!A1:B254"),)),
    Case("sharpe", "FM_SHARPE", (Ref("Daily!D1:E253"), 252)),
    Case("annualize", "FM_ANNUALIZE", (Ref("Data!T1:T3"), "var", 12)),
    Case("annualize_kind", "FM_ANNUALIZE", (0.01, "weekly", 12)),
    Case("pnl", "FM_PNL", (1e6, NODUR, FACTORS, 12)),
    Case("fmb", "FM_FAMAMACBETH", (ASSET, Ref("Data!F1:G121"))),
    Case("fmb_kernel", "FM_FAMAMACBETH", (ASSET, Ref("Data!F1:G121"), "kernel")),
    Case("grs", "FM_GRS", (ASSET, FACTORS)),
    Case("pca", "FM_PCA", (ASSET, 2)),
    Case("pca_factors", "FM_PCA", (ASSET, 2, "factors")),
    Case("pca_explained", "FM_PCA", (ASSET, 3, "explained")),
    Case("rolling_beta", "FM_ROLLING_BETA", (NODUR, FACTORS, 36)),
    Case("ewma_beta", "FM_EWMA_BETA", (NODUR, FACTORS, 12)),
    Case("adjbeta", "FM_ADJBETA", (Ref("Data!T1:T3"),)),
    Case("adjbeta_weight", "FM_ADJBETA", (1.2, 0.5)),
    Case("riskcontrib", "FM_RISKCONTRIB", (Ref("Data!T5:V5"), ASSET, FACTORS)),
    Case("covmat_shrink", "FM_COVMAT", (ASSET, FACTORS, "shrink")),
    Case("bookhedge", "FM_BOOKHEDGE", (Ref("Data!T7:V7"), ASSET, FACTORS)),
    Case("bookhedge_target", "FM_BOOKHEDGE", (Ref("Data!T7:V7"), ASSET, FACTORS, 0.2)),
    Case("activerisk", "FM_ACTIVERISK", (Ref("Data!T11:V11"), Ref("Data!T9:V9"), ASSET, FACTORS, 12)),
    Case("scenario", "FM_SCENARIO", (Ref("Data!T7:V7"), ASSET, FACTORS, Ref("Data!Z1:AB3"))),
    Case("stress", "FM_STRESS", (Ref("Data!T7:V7"), ASSET, FACTORS, 3)),
    Case("dimson", "FM_DIMSONBETA", (NODUR, FACTORS, 1)),
    Case("swbeta", "FM_SWBETA", (NODUR, Ref("Data!F1:G121"))),
    Case("vasicek", "FM_VASICEKBETA", (ASSET, FACTORS)),
    # The model functions read a model directory that xl-factor model build writes (tests/test_universe.py);
    # here they prove they are bound in Calc and answer a missing directory with their #FM! line.
    Case("model", "FM_MODEL", ("/nonexistent/xl_factor_model", Ref("Data!AD1:AD2"))),
    Case("model_covmat", "FM_MODEL_COVMAT", ("/nonexistent/xl_factor_model", Ref("Data!AD1:AD2"))),
    Case("info", "FM_INFO", ()),
    # Data keys: formulas that point at FM_DATA cells instead of the ranges
    Case("data", "FM_DATA", (ASSET,)),
    Case("beta_keys", "FM_BETA", (Ref("Keys!A1"), Ref("Keys!A2"))),
    Case("covmat_keys", "FM_COVMAT", (Ref("Keys!A1"), Ref("Keys!A2"))),
]
EXPECTED_ERRORS = {"beta_rows_differ", "annualize_kind", "model", "model_covmat"}
INDEX_CELL = "J1"  # a built-in function over an add-in result: INDEX(FM_VARDECOMP(...), 2, 5)


def _workbook(grid: Grid, cases: list[Case], path) -> None:
    book = Workbook()
    calc = book.active
    calc.title = "Calc"
    for sheet_name, cells in grid.cells.items():
        sheet = book.create_sheet(sheet_name)
        for (row, col), value in cells.items():
            sheet.cell(row, col, value)
            if isinstance(value, datetime):
                sheet.cell(row, col).number_format = "yyyy-mm-dd"
    for row, ref in enumerate(KEYED, start=1):
        book["Keys"].cell(row, 1, f"=FM_DATA({ref.address})")
    row = 1
    for case in cases:
        height, width = len(case.expected), len(case.expected[0])
        case.anchor = f"A{row}"
        if height == width == 1:
            calc[case.anchor] = case.formula()
        else:
            corner = f"{get_column_letter(width)}{row + height - 1}"
            calc[case.anchor] = ArrayFormula(f"{case.anchor}:{corner}", case.formula())
        row += height + 1
    calc[INDEX_CELL] = f"=INDEX({Case('', 'FM_VARDECOMP', (ASSET, FACTORS)).formula()[1:]},2,5)"
    book.save(path)


@pytest.fixture(scope="module")
def extension_dir(tmp_path_factory):
    require(office.libreoffice_available(), "LibreOffice with Python UNO")
    folder = tmp_path_factory.mktemp("lo_extensions")
    install.install("private", folder)
    install.install("private", folder)  # idempotent: replaces the installed copy
    return folder


@pytest.fixture(scope="module")
def sheet(extension_dir, tmp_path_factory, ff_monthly, industry_excess, daily_returns):
    """Every case computed in LibreOffice: (cases by key, values by cell, saved workbook, data)."""
    grid, data = _data(ff_monthly, industry_excess, daily_returns)
    cases = [Case(c.key, c.name, c.args) for c in CASES]
    for case in cases:
        args = [grid.excel_value(a) if isinstance(a, Ref) else a for a in case.args]
        case.expected = as_cells(call(case.name, *args, runtime="test"), blank="")
    folder = tmp_path_factory.mktemp("lo_book")
    _workbook(grid, cases, folder / "book.xlsx")
    values = recalc.recalculate(folder / "book.xlsx", folder / "saved.xlsx", extension_dir=extension_dir)
    cells = {cell: value for (sheet_name, cell), value in values.items() if sheet_name == "Calc"}
    return {c.key: c for c in cases}, cells, folder / "saved.xlsx", data


def block(sheet, key: str) -> list[list]:
    """The cells LibreOffice shows for case ``key``, shaped like its expected result."""
    cases, cells, _, _ = sheet
    case = cases[key]
    col0, row0 = 1, int(case.anchor[1:])
    return [[cells[f"{get_column_letter(col0 + j)}{row0 + i}"] for j in range(len(case.expected[0]))]
            for i in range(len(case.expected))]


def numbers(sheet, key: str, rows=slice(None), cols=slice(None)) -> np.ndarray:
    return np.array([row[cols] for row in block(sheet, key)[rows]], dtype=float)


# ---------------------------------------------------------------- LibreOffice results


def test_every_catalogue_function_is_in_the_workbook():
    assert {case.name for case in CASES} == set(BY_NAME)


def test_no_error_cells_except_the_expected_fm_lines(sheet):
    cases, cells, _, _ = sheet
    for key, case in cases.items():
        shown = [v for row in block(sheet, key) for v in row]
        if key in EXPECTED_ERRORS:
            assert len(shown) == 1 and shown[0].startswith(f"#FM! {case.name}: "), (key, shown)
        else:
            bad = [v for v in shown if isinstance(v, str) and v.startswith(("#", "Err:"))]
            assert not bad, (key, bad)
    assert not [v for v in cells.values() if isinstance(v, str) and v.startswith(("#NAME", "#VALUE", "Err:"))]


def test_every_cell_equals_the_function_called_in_python(sheet):
    cases = sheet[0]
    for key, case in cases.items():
        if key == "info":
            continue
        if key == "data":  # a key of the same shape: LibreOffice reads some decimals of the xlsx an ulp apart
            got, want = block(sheet, key)[0][0], case.expected[0][0]
            assert got.startswith("FM_DATA:") and got.split()[1] == want.split()[1], (got, want)
            continue
        for got_row, want_row in zip(block(sheet, key), case.expected, strict=True):
            for got, want in zip(got_row, want_row, strict=True):
                if isinstance(want, float):
                    assert isinstance(got, float) and got == pytest.approx(want, rel=SAME), (key, got, want)
                else:
                    assert got == want, (key, got, want)


def test_info_names_libreoffice_and_this_package(sheet):
    info = dict(block(sheet, "info"))
    assert info["xl_factor"] == __version__
    assert info["runtime"].startswith("LibreOffice ")
    assert info["python"].startswith(".".join(map(str, __import__("sys").version_info[:2])))


def _ols(y: pd.Series, factors: pd.DataFrame, **fit):
    rows = y.notna()
    return sm.OLS(y[rows].to_numpy(), sm.add_constant(factors[rows].to_numpy())).fit(**fit)


def test_betas_alphas_and_hedges_match_statsmodels(sheet):
    data = sheet[3]
    ff, excess = data["ff"], data["excess"]
    fits = [_ols(excess[a], ff[FF3]) for a in ASSETS]
    assert_close(numbers(sheet, "beta"), [f.params[1:] for f in fits], RTOL)
    assert_close(numbers(sheet, "alpha"), [[12 * f.params[0]] for f in fits], RTOL)
    nodur = fits[0]
    assert_close(numbers(sheet, "hedge"), [-1e6 * nodur.params[1:]], RTOL)
    assert_close(numbers(sheet, "beta_plain"), [[_ols(excess["NoDur"], ff[["MktRF"]]).params[1]]], RTOL)
    origin = sm.OLS(excess["NoDur"].to_numpy(), ff["MktRF"].to_numpy()).fit()
    assert_close(numbers(sheet, "beta_origin"), [[origin.params[0]]], RTOL)
    f = ff[FF3]
    pnl = 1e6 * 12 * (nodur.params[0] + nodur.params[1:] @ f.mean().to_numpy())
    assert_close(numbers(sheet, "pnl"), [[pnl, 1e6 * 12 * nodur.params[0]]], RTOL)


def test_blanks_text_and_dates_are_read_as_the_sheet_boundary_does(sheet):
    data = sheet[3]
    ff, excess = data["ff"], data["excess"]
    enrgy = pd.Series(data["enrgy"], index=ff.index, dtype=float)
    chems = pd.Series([v if isinstance(v, float) else np.nan for v in data["chems"]], index=ff.index)
    assert_close(numbers(sheet, "beta_blanks"), [_ols(enrgy, ff[FF3]).params[1:]], RTOL)
    assert_close(numbers(sheet, "beta_blanks_text"),
                 [_ols(enrgy, ff[FF3]).params[1:], _ols(chems, ff[FF3]).params[1:]], RTOL)
    recent = excess["Hlth"].iloc[-60:]
    assert_close(numbers(sheet, "beta_by_date"), [_ols(recent, ff[FF3].iloc[-60:]).params[1:]], RTOL)
    resid = block(sheet, "resid")
    assert [row[0] == "" for row in resid] == list(enrgy.isna())
    assert_close([row[0] for row in resid if row[0] != ""], _ols(enrgy, ff[FF3]).resid, RTOL, atol=1e-15)


def test_regress_table_matches_statsmodels(sheet):
    data = sheet[3]
    ff, excess = data["ff"], data["excess"]
    fit = _ols(excess["NoDur"], ff[FF3], cov_type="HC1")
    table = block(sheet, "regress")
    assert table[0][1:] == ["coef", "std_err", "t", "p_value", "ci_low", "ci_high"]
    assert [row[0] for row in table[1:5]] == ["alpha", *FF3]
    coefficients = numbers(sheet, "regress", slice(1, 5), slice(1, None))
    ci = fit.conf_int()
    assert_close(coefficients, np.column_stack([fit.params, fit.bse, fit.tvalues, fit.pvalues, ci[:, 0], ci[:, 1]]),
                 RTOL)
    stats = {row[0]: row[1] for row in table[6:] if row[0]}
    assert_close([stats["r_squared"], stats["adj_r_squared"], stats["f_stat"], stats["f_p_value"], stats["n_obs"],
                  stats["s2"], stats["durbin_watson"], stats["resid_var"]],
                 [fit.rsquared, fit.rsquared_adj, fit.fvalue, fit.f_pvalue, fit.nobs, fit.scale,
                  durbin_watson(fit.resid), np.var(fit.resid, ddof=1)], RTOL)
    enrgy = pd.Series(data["enrgy"], index=ff.index, dtype=float)
    hac = _ols(enrgy, ff[FF3], cov_type="HAC", cov_kwds={"maxlags": 3})
    assert_close(numbers(sheet, "regress_hac", slice(1, 5), slice(1, 3)), np.column_stack([hac.params, hac.bse]),
                 RTOL)


def test_risk_covariance_and_sizing_match_numpy(sheet):
    data = sheet[3]
    ff, excess = data["ff"], data["excess"]
    f = ff[FF3].to_numpy()
    sigma_f = np.cov(f, rowvar=False)
    fits = [_ols(excess[a], ff[FF3]) for a in ASSETS]
    betas = np.array([fit.params[1:] for fit in fits])
    idio = np.array([np.var(fit.resid, ddof=1) for fit in fits])
    factor_var = np.einsum("ik,kl,il->i", betas, sigma_f, betas)
    total = excess[ASSETS].var(ddof=1).to_numpy()
    table = block(sheet, "vardecomp")
    assert table[0] == ["asset", "total_var", "factor_var", "idio_var", "factor_share"]
    assert [row[0] for row in table[1:]] == ASSETS
    assert_close(numbers(sheet, "vardecomp", slice(1, None), slice(1, None)),
                 np.column_stack([total, factor_var, idio, factor_var / total]), RTOL)
    assert_close(numbers(sheet, "riskshare"), (factor_var / total)[:, None], RTOL)
    assert_close(numbers(sheet, "covmat"), betas @ sigma_f @ betas.T + np.diag(idio), RTOL)
    assert_close(numbers(sheet, "covmat_sample"), 12 * np.cov(excess[ASSETS].to_numpy(), rowvar=False), RTOL)
    cov = betas @ sigma_f @ betas.T + np.diag(idio)
    assert_close(numbers(sheet, "corrmat"), cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov))), RTOL)
    assert_close(numbers(sheet, "size"), (10000 / np.sqrt(data["variances"] * 21))[:, None], RTOL)
    assert_close(numbers(sheet, "annualize"), (12 * data["variances"])[:, None], RTOL)
    assert numbers(sheet, "paramcount", cols=slice(1, None)).ravel().tolist() == [12 * 3 + 12 + 6, 12 * 13 / 2]
    assert_close(sheet[1][INDEX_CELL], factor_var[0] / total[0], RTOL)


def test_returns_excess_and_sharpe_match_pandas(sheet):
    data = sheet[3]
    ff, daily = data["ff"], data["daily"]
    assert_close(numbers(sheet, "returns", slice(1, None), slice(1, None)).ravel(), daily["MSFT"], RTOL, atol=1e-15)
    assert_close(numbers(sheet, "excess", slice(1, None), slice(1, None)).ravel(), ff["NoDur"] - ff["RF"], RTOL,
                 atol=1e-15)
    assert block(sheet, "excess")[0] == ["Date", "NoDur"]
    sharpe = daily.mean() / daily.std(ddof=1) * np.sqrt(252)
    assert_close(numbers(sheet, "sharpe"), [sharpe.to_numpy()], RTOL)


def test_saved_workbook_keeps_excel_names_and_values(sheet):
    cases, cells, saved, _ = sheet
    with zipfile.ZipFile(saved) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "ORG.XLFACTOR" not in xml.upper()
    formulas = load_workbook(saved)["Calc"]
    for case in cases.values():
        value = formulas[case.anchor].value
        text = value.text if isinstance(value, ArrayFormula) else value
        assert text.startswith(f"={case.name}("), (case.key, text)
    shown = load_workbook(saved, data_only=True)["Calc"]
    beta = cases["beta"].anchor
    assert shown[beta].value == pytest.approx(cells[beta], rel=1e-14)


def test_recalculate_leaves_nothing_in_the_temporary_directory(extension_dir, tmp_path, monkeypatch):
    """soffice makes lu*.tmp folders in TMPDIR and leaves them: recalc points it at a folder it removes."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    book = Workbook()
    book.active["A1"] = "=SUM(1,2)"
    book.save(tmp_path / "small.xlsx")
    values = recalc.recalculate(tmp_path / "small.xlsx", extension_dir=extension_dir)
    assert values == {("Sheet", "A1"): 3.0}
    assert sorted(p.name for p in temp.iterdir()) == []


def test_install_and_uninstall_leave_nothing_in_the_temporary_directory(tmp_path, monkeypatch):
    """unopkg, like soffice, leaves an lu*.tmp folder per start: its TMPDIR is the scratch home it removes."""
    require(office.libreoffice_available(), "LibreOffice with Python UNO")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    folder = tmp_path / "extensions"
    install.install("private", folder)
    assert install.is_installed("private", folder)
    install.uninstall("private", folder)
    assert sorted(p.name for p in temp.iterdir()) == []


def _small_book(path) -> None:
    book = Workbook()
    book.active["A1"] = "=FM_ADJBETA(1.2,0.5)"
    book.save(path)


def test_ods_is_saved_with_the_addin_names_and_its_source(extension_dir, tmp_path):
    _small_book(tmp_path / "small.xlsx")
    out = ods.make_ods(tmp_path / "small.xlsx", extension_dir=extension_dir)
    assert out == tmp_path / "small.ods"
    assert ods.recorded_source(out) == ods.source_tag(tmp_path / "small.xlsx")
    with zipfile.ZipFile(out) as archive:
        assert f"{IMPLEMENTATION.upper()}.FMADJBETA(" in archive.read("content.xml").decode()
    expected = call("FM_ADJBETA", 1.2, 0.5, runtime="test")[0][0]
    values = recalc.recalculate(out, extension_dir=extension_dir, as_opened=True)
    assert values == {("Sheet", "A1"): pytest.approx(expected, rel=SAME)}
    assert ods.main([str(tmp_path / "small.xlsx"), "--extension-dir", str(extension_dir)]) == 2  # exists
    assert ods.main([str(tmp_path / "small.xlsx"), "--extension-dir", str(extension_dir), "--force"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.ods", "small.xlsx"]


def test_ods_is_not_written_when_a_cell_does_not_compute(tmp_path, capsys):
    require(office.libreoffice_available(), "LibreOffice with Python UNO")
    _small_book(tmp_path / "small.xlsx")
    (tmp_path / "no_addin").mkdir()
    code = ods.main([str(tmp_path / "small.xlsx"), "--extension-dir", str(tmp_path / "no_addin")])
    message = capsys.readouterr().err.strip()
    assert code == 2 and len(message.splitlines()) == 1, message
    assert "1 formula cells show an error" in message and "Sheet!A1 #NAME?" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no_addin", "small.xlsx"]


def test_ods_refuses_a_bad_output_before_starting_libreoffice(tmp_path):
    _small_book(tmp_path / "small.xlsx")
    (tmp_path / "small.ods").write_text("mine")
    with pytest.raises(ods.OdsError, match="exists: pass --force"):
        ods.make_ods(tmp_path / "small.xlsx")
    with pytest.raises(ods.OdsError, match="must end in .ods"):
        ods.make_ods(tmp_path / "small.xlsx", tmp_path / "small.xlsx", force=True)
    with pytest.raises(ods.OdsError, match="is not a file"):
        ods.make_ods(tmp_path / "missing.xlsx")
    assert (tmp_path / "small.ods").read_text() == "mine"


def test_install_is_idempotent_and_uninstalls(extension_dir):
    assert install.is_installed("private", extension_dir)
    assert install.is_private_install(extension_dir)
    assert install.uninstall("private", extension_dir) is True
    assert not install.is_installed("private", extension_dir)
    assert install.uninstall("private", extension_dir) is False
