"""Benchmark: a workbook of FM_* functions recalculated in LibreOffice, against native functions and the core.

2,520 daily returns of the 20 S&P 500 stocks in tests/data on the index
return. The same numbers (betas, alphas, total / factor / idiosyncratic
variances and the 20 x 20 covariance) are computed three ways, in one run:

1. FM_* workbook: FM_BETA, FM_ALPHA, FM_VARDECOMP, FM_COVMAT (factor method),
   recalculated headless by LibreOffice with the add-in;
2. native workbook: SLOPE, INTERCEPT, VAR.S and COVARIANCE.S cell by cell
   (the factor-implied covariance built from them with native arithmetic);
3. the core directly: fit_factor_model and factor_covariance on the arrays.

Each LibreOffice run includes starting soffice and loading the file, which
is the same for both workbooks; an empty workbook's run is printed too, so
the work of the formulas can be told from the start-up. Run it as

    python benchmarks/libreoffice_benchmark.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter as col
from openpyxl.worksheet.formula import ArrayFormula

from xl_factor.bench import median_seconds
from xl_factor.core import factor_covariance, fit_factor_model
from xl_factor.libreoffice import install
from xl_factor.libreoffice.recalc import recalculate

#: The real data, copied from ../shared/data into the repository (tests/data/README.md).
SHARED = Path(__file__).resolve().parents[1] / "tests" / "data"
T, N = 2520, 20


def daily_returns() -> pd.DataFrame:
    prices = pd.read_csv(SHARED / "sp500_stocks_daily_prices_1990_2022.csv", index_col=0)
    index = pd.read_csv(SHARED / "sp500_index_daily_1990_2022.csv", index_col=0)
    return prices.join(index).pct_change().iloc[-T:]


def data_sheet(wb: Workbook, frame: pd.DataFrame) -> None:
    ws = wb.active
    ws.title = "Data"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([float(v) for v in row])


def fm_workbook(frame: pd.DataFrame, path: Path) -> None:
    wb = Workbook()
    data_sheet(wb, frame)
    ws = wb.create_sheet("Model")
    assets, market = f"Data!$A$1:${col(N)}${T + 1}", f"Data!${col(N + 1)}$1:${col(N + 1)}${T + 1}"
    ws["A1"] = ArrayFormula(f"A1:A{N}", f"=FM_BETA({assets},{market})")
    ws["B1"] = ArrayFormula(f"B1:B{N}", f"=FM_ALPHA({assets},{market})")
    ws["D1"] = ArrayFormula(f"D1:H{N + 1}", f"=FM_VARDECOMP({assets},{market})")
    ws["J1"] = ArrayFormula(f"J1:{col(9 + N)}{N}", f"=FM_COVMAT({assets},{market})")
    wb.save(path)


def native_workbook(frame: pd.DataFrame, path: Path) -> None:
    wb = Workbook()
    data_sheet(wb, frame)
    ws = wb.create_sheet("Model")
    market = f"Data!${col(N + 1)}$2:${col(N + 1)}${T + 1}"
    for i in range(N):
        asset = f"Data!${col(i + 1)}$2:${col(i + 1)}${T + 1}"
        r = i + 1
        ws[f"A{r}"] = f"=SLOPE({asset},{market})"
        ws[f"B{r}"] = f"=INTERCEPT({asset},{market})"
        ws[f"D{r}"] = f"=_xlfn.VAR.S({asset})"
        ws[f"E{r}"] = f"=A{r}^2*_xlfn.VAR.S({market})"
        ws[f"F{r}"] = f"=D{r}-E{r}"
    for i in range(N):
        for j in range(N):
            # B_i B_j var(f) off the diagonal, total variance on it: the factor-implied covariance.
            value = f"=D{i + 1}" if i == j else f"=A{i + 1}*A{j + 1}*_xlfn.VAR.S({market})"
            ws.cell(row=i + 1, column=10 + j, value=value)
        ws.cell(row=i + 1, column=40, value=f"=_xlfn.COVARIANCE.S(Data!$A$2:$A${T + 1},Data!${col(i + 1)}$2:"
                                             f"${col(i + 1)}${T + 1})")
    wb.save(path)


def empty_workbook(path: Path) -> None:
    wb = Workbook()
    wb.active["A1"] = "=1+1"
    wb.save(path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args(argv).repeat
    frame = daily_returns()
    folder = install.default_extension_dir()
    if not install.is_private_install(folder):
        install.install("private", folder)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.xlsx" for name in ("fm", "native", "empty")}
        fm_workbook(frame, paths["fm"])
        native_workbook(frame, paths["native"])
        empty_workbook(paths["empty"])
        values = recalculate(paths["fm"], extension_dir=folder)
        errors = [k for k, v in values.items() if isinstance(v, str) and v.startswith(("#", "Err:"))]
        assert not errors, errors[:5]
        t = {name: median_seconds(lambda p=p: recalculate(p, extension_dir=folder), repeat) for name, p in paths.items()}

    y, f = frame.iloc[:, :N].to_numpy(), frame.iloc[:, [N]].to_numpy()

    def core():
        fit = fit_factor_model(y, f)
        return fit.betas, fit.alpha, fit.total_var, fit.idio_var, factor_covariance(fit.betas, np.cov(f[:, 0]), fit.idio_var)

    t_core = median_seconds(core, 50)
    fm_work, native_work = t["fm"] - t["empty"], t["native"] - t["empty"]
    print(f"LibreOffice recalculation, {T} daily rows x {N} assets, 1 factor (median of {repeat} runs each)")
    print(f"  empty workbook (start-up, load, save)      {t['empty']:7.2f} s")
    print(f"  FM_* workbook (4 array formulas)           {t['fm']:7.2f} s   formulas alone {fm_work:6.2f} s")
    print(f"  native workbook ({5 * N + N * N + N} SLOPE/VAR.S/... cells)  {t['native']:7.2f} s   formulas alone "
          f"{native_work:6.2f} s")
    print(f"  FM_* / native, whole run                   {t['fm'] / t['native']:7.2f}")
    print(f"  core directly (same numbers, in Python)    {t_core * 1e3:7.2f} ms   FM_* workbook / core "
          f"{t['fm'] / t_core:8.0f}x")


if __name__ == "__main__":
    main()
