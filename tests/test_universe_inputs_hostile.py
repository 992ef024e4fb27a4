"""``xl-factor model build`` and FM_MODEL_COVMAT against a second hostile review of the inputs.

The data are the real daily returns of tests/data (AAPL, MSFT, AMD, KO, 2014-2019, AMD blanked before
2015-07-01 so that one history is ragged) with the S&P 500 index as the one factor, written as small CSVs in
a temporary folder. Where a number is involved the reference is independent of the package: a statsmodels
OLS per security, or numpy on the model's own Parquet files. Every refusal is one line and exit status 2
with nothing written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from test_universe import build
from test_universe_hostile import _scale_extra, cluster, one_line_refusal  # noqa: F401 - fixtures

STOCKS = ["AAPL", "MSFT", "AMD", "KO"]
AMD_FIRST = "2015-07-01"


@pytest.fixture(scope="module")
def real(daily_returns):
    r = daily_returns.loc["2014":"2019"]
    returns = r[STOCKS].copy()
    returns.loc[:"2015-06-30", "AMD"] = np.nan
    factors = r[["SP500"]].rename(columns={"SP500": "MKT"})
    returns.index.name = factors.index.name = "Date"
    return returns, factors


def write(frame: pd.DataFrame, path, date_format="%Y-%m-%d"):
    frame = frame.copy()
    frame.index = frame.index.strftime(date_format)
    frame.to_csv(path, index_label="Date")
    return path


def ols(returns: pd.DataFrame, factors: pd.DataFrame, security: str):
    """The independent reference: statsmodels OLS of the security's own returns on a constant and the factors."""
    import statsmodels.api as sm

    y = returns[security].dropna()
    return sm.OLS(y.to_numpy(), sm.add_constant(factors.loc[y.index].to_numpy())).fit()


def run(real, out, *extra, returns, factors=None, cluster=None):
    universe = {"returns": returns, "factors_csv": factors}
    extra = (*extra, "--scheduler", cluster.scheduler_address) if cluster is not None else (*extra, "--workers", 1)
    return build(universe, out, *extra, returns=returns, factors=factors)


# ---------------------------------------------------------------------------- 1. dates written dd/mm/yyyy


def test_the_iso_file_gives_the_statsmodels_betas_and_amds_first_date(real, cluster, tmp_path):
    returns, factors = real
    out = tmp_path / "m"
    assert run(real, out, returns=write(returns, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv"),
               cluster=cluster) == 0
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    assert str(exposures.loc["AMD", "first_date"]) == AMD_FIRST
    for security in STOCKS:
        fit = ols(returns, factors, security)
        np.testing.assert_allclose(exposures.loc[security, ["alpha", "beta_MKT"]].to_numpy(dtype=float),
                                   fit.params, rtol=1e-10)


@pytest.mark.parametrize("which", ["returns", "factors"])
@pytest.mark.parametrize("date_format", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%Y/%m/%d", "%d-%b-%Y"])
def test_dates_not_written_yyyy_mm_dd_are_refused_naming_the_file_and_the_fix(real, tmp_path, capsys, which,
                                                                              date_format):
    """03/01/2014 is 3 January day-first and 1 March month-first: read one way whenever the day is 12 or less
    and the other way after, the returns of AMD began in January, not July, and its rolling betas moved. The
    file is refused, as the sheet refuses such text, rather than guessed."""
    returns, factors = real
    r = write(returns, tmp_path / "r.csv", date_format if which == "returns" else "%Y-%m-%d")
    f = write(factors, tmp_path / "f.csv", date_format if which == "factors" else "%Y-%m-%d")
    name = "r.csv" if which == "returns" else "f.csv"
    shown = returns.index[0].strftime(date_format)
    assert run(real, tmp_path / "m", returns=r, factors=f) == 2
    one_line_refusal(capsys, f"{name} line 2: date '{shown}' is not written YYYY-MM-DD",
                     "order of day and month cannot be told", "give dates as YYYY-MM-DD")
    assert not (tmp_path / "m").exists()


def test_a_file_whose_days_pass_12_later_is_refused_at_its_first_row(real, tmp_path, capsys):
    """A day-first file is not saved by days above 12 further down: each cell would be read its own way."""
    returns, factors = real
    r = returns.loc["2014-01-13":]
    assert run(real, tmp_path / "m", returns=write(r, tmp_path / "r.csv", "%d/%m/%Y"),
               factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "r.csv line 2: date '13/01/2014' is not written YYYY-MM-DD")


@pytest.mark.parametrize("option", ["--start", "--end"])
@pytest.mark.parametrize("value", ["01/02/2016", "1.2.2016", "Feb-16"])
def test_a_start_or_end_not_written_yyyy_mm_dd_is_refused(real, tmp_path, capsys, option, value):
    returns, factors = real
    assert run(real, tmp_path / "m", option, value, returns=write(returns, tmp_path / "r.csv"),
               factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, f"{option} {value}: not written YYYY-MM-DD", "order of day and month",
                     f"give a date as YYYY-MM-DD (e.g. {option} 2015-01-02)")
    assert not (tmp_path / "m").exists()


def test_a_start_written_yyyy_mm_dd_cuts_the_dates_as_statsmodels_does(real, cluster, tmp_path):
    returns, factors = real
    out = tmp_path / "m"
    assert run(real, out, "--start", "2016-02-01", returns=write(returns, tmp_path / "r.csv"),
               factors=write(factors, tmp_path / "f.csv"), cluster=cluster) == 0
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    assert str(exposures.loc["AAPL", "first_date"]) == "2016-02-01"
    fit = ols(returns.loc["2016-02-01":], factors.loc["2016-02-01":], "AAPL")
    np.testing.assert_allclose(exposures.loc["AAPL", ["alpha", "beta_MKT"]].to_numpy(dtype=float), fit.params,
                               rtol=1e-10)


def test_dates_that_mix_time_zones_are_one_line_not_a_traceback(real, tmp_path, capsys):
    returns, factors = real
    r = write(returns.iloc[:100], tmp_path / "r.csv")
    lines = r.read_text().splitlines()
    lines[2] = lines[2].replace(",", "T00:00:00+05:00,", 1)
    r.write_text("\n".join(lines) + "\n")
    assert run(real, tmp_path / "m", returns=r, factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "r.csv: the dates cannot be read as one column of dates", "give dates as YYYY-MM-DD")


# ---------------------------------------------------------------------------- 2. TRUE/FALSE cells in a wide CSV


def _flags(n: int) -> np.ndarray:
    flag = np.array(["FALSE"] * n, dtype=object)
    flag[::50] = "TRUE"
    flag[:100] = ""
    flag[100] = "FALSE"  # the first filled cell, line 102: FALSE, read as a return of 0.0 before
    return flag


def test_a_column_of_true_false_cells_is_refused_naming_the_file_line_and_column(real, tmp_path, capsys):
    """Read as 1.0 and 0.0, a column of flags was fitted as a security (beta 0.25 on 1,409 'returns')."""
    returns, factors = real
    r = returns.copy()
    r["FLAGGED"] = _flags(len(r))
    assert run(real, tmp_path / "m", returns=write(r, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "r.csv line 102: the return of 'FLAGGED' FALSE is not a number (a TRUE/FALSE cell)",
                     "give decimal returns", "or leave the cell empty")
    assert not (tmp_path / "m").exists()


def test_a_column_of_nothing_but_true_false_is_refused_too(real, tmp_path, capsys):
    returns, factors = real
    r = returns.copy()
    r.insert(1, "ALLFLAGS", np.where(np.arange(len(r)) % 3 == 0, "TRUE", "FALSE"))  # pandas reads a bool column
    assert run(real, tmp_path / "m", returns=write(r, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "r.csv line 2: the return of 'ALLFLAGS' TRUE is not a number (a TRUE/FALSE cell)")


def test_a_factor_of_true_false_cells_is_refused(real, tmp_path, capsys):
    returns, factors = real
    f = factors.copy()
    f["FLAG"] = np.where(np.arange(len(f)) % 7 == 0, "TRUE", "FALSE")
    assert run(real, tmp_path / "m", returns=write(returns, tmp_path / "r.csv"), factors=write(f, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "f.csv line 2: factor 'FLAG' TRUE is not a number (a TRUE/FALSE cell)")


# ---------------------------------------------------------------------------- 3. one id written two ways in the header


@pytest.mark.parametrize("spelling", ["AAPL ", " AAPL", "AAPL\t"])
def test_a_header_that_repeats_an_id_but_for_spaces_is_refused(real, tmp_path, capsys, spelling):
    """'AAPL' and 'AAPL ' both became the id AAPL: the model held AAPL twice, and FM_MODEL('AAPL') answered
    with the beta of the other column (AMD's 1.91 against AAPL's 1.19)."""
    returns, factors = real
    r = returns[["AAPL", "MSFT"]].copy()
    r.insert(1, spelling, returns["AMD"])
    assert run(real, tmp_path / "m", returns=write(r, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, f"r.csv line 1: the security id 'AAPL' is written two ways ('AAPL' in column 2, "
                             f"'{spelling}' in column 3)", "write each id one way")
    assert not (tmp_path / "m").exists()


def test_two_headers_of_one_id_with_a_space_each_are_refused(real, tmp_path, capsys):
    returns, factors = real
    path = tmp_path / "r.csv"
    write(returns[["AAPL", "AMD", "MSFT"]], path)
    lines = path.read_text().splitlines()
    lines[0] = "Date,AAPL ,AAPL ,MSFT"  # pandas renames the second 'AAPL ' to 'AAPL .1'
    path.write_text("\n".join(lines) + "\n")
    assert run(real, tmp_path / "m", returns=path, factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "r.csv line 1: security id 'AAPL' heads two columns", "keep one column per security")


def test_a_factor_written_two_ways_is_refused(real, tmp_path, capsys):
    returns, factors = real
    f = factors.copy()
    f["MKT "] = returns["KO"].fillna(0.0)
    assert run(real, tmp_path / "m", returns=write(returns, tmp_path / "r.csv"), factors=write(f, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "f.csv line 1: the factor 'MKT' is written two ways ('MKT' in column 2, 'MKT ' in "
                             "column 3)", "keep one column per factor")


def test_an_id_with_spaces_round_it_once_is_that_id_with_the_statsmodels_beta(real, cluster, tmp_path):
    from xl_factor.sheet.catalogue import call

    returns, factors = real
    r = returns.rename(columns={"KO": "  KO ", "AMD": "AMD "})
    out = tmp_path / "m"
    assert run(real, out, returns=write(r, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv"),
               cluster=cluster) == 0
    assert list(pd.read_parquet(out / "exposures.parquet")["id"]) == sorted(STOCKS)
    got = np.array(call("FM_MODEL", str(out), (("KO",), ("AMD",), ("AAPL",))), dtype=float)[:, 0]
    np.testing.assert_allclose(got, [ols(returns, factors, s).params[1] for s in ("KO", "AMD", "AAPL")], rtol=1e-10)


# ---------------------------------------------------------------------------- 4. FM_MODEL_COVMAT with an id asked twice


def test_an_id_asked_twice_has_its_whole_variance_off_the_diagonal(real, cluster, tmp_path):
    """The covariance of a security with itself is its total variance b'Sigma_f b + d: with "10012" asked
    twice (once as text, once as the number 10012.0) the off-diagonal slot of the pair held b'Sigma_f b alone,
    a correlation of 0.41 of AAPL with itself, and a 50/50 book of it showed 0.71 of its true variance."""
    from xl_factor.sheet.catalogue import call

    returns, factors = real
    out = tmp_path / "m"
    r = returns.rename(columns={"AAPL": "10012"})
    assert run(real, out, returns=write(r, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv"),
               cluster=cluster) == 0
    asked = ["10012", "MSFT", 10012.0, "AMD", " MSFT ", "KO", "10012"]
    ids = tuple((a,) for a in asked)
    same = [str(int(a)) if isinstance(a, float) else a.strip() for a in asked]
    # the reference, by hand from the model's own files: B Sigma_f B' + D over the distinct securities
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    sigma = pd.read_parquet(out / "factor_cov.parquet").set_index("factor").loc[["MKT"], ["MKT"]].to_numpy()
    expected = np.empty((len(asked), len(asked)))
    for i, a in enumerate(same):
        for j, b in enumerate(same):
            bi = exposures.loc[a, ["beta_MKT"]].to_numpy(dtype=float)
            bj = exposures.loc[b, ["beta_MKT"]].to_numpy(dtype=float)
            expected[i, j] = bi @ sigma @ bj + (exposures.loc[a, "idio_var"] if a == b else 0.0)
    got = np.array(call("FM_MODEL_COVMAT", str(out), ids), dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got[0, 2], got[0, 0], rtol=1e-12)  # 10012 with itself: its whole variance
    # AAPL has every date, so its whole variance is also its total_var
    np.testing.assert_allclose(got[0, 6], exposures.loc["10012", "total_var"], rtol=1e-10)
    annual = np.array(call("FM_MODEL_COVMAT", str(out), ids, 252), dtype=float)
    np.testing.assert_allclose(annual, 252 * expected, rtol=1e-12)
    # a book of half its weight in each of two slots of one security has that security's variance
    half = np.zeros(len(asked))
    half[[0, 2]] = 0.5
    np.testing.assert_allclose(half @ got @ half, got[0, 0], rtol=1e-12)
    # and the matrix is a covariance matrix: no negative eigenvalue beyond rounding
    assert np.linalg.eigvalsh(got).min() > -1e-12 * np.abs(got).max()
    # the ids asked once keep the numbers they had
    two = np.array(call("FM_MODEL_COVMAT", str(out), (("10012",), ("MSFT",))), dtype=float)
    np.testing.assert_allclose(got[np.ix_([0, 1], [0, 1])], two, rtol=1e-12)


# ---------------------------------------------------------------------------- 5. a two-security wide CSV with a text cell


def test_a_two_security_wide_file_with_a_text_cell_names_the_cell_as_with_three(real, tmp_path, capsys):
    """Taken for a long table (date, id, return), it failed with 'no security could be fitted (of 1507; the
    first, '-0.000118...'': its returns were read as ids."""
    returns, factors = real
    f = write(factors, tmp_path / "f.csv")
    for stocks in (["AAPL", "MSFT"], ["AAPL", "MSFT", "KO"]):
        r = returns[stocks].astype(object)
        r.iloc[5, 0] = "abc"
        assert run(real, tmp_path / "m", returns=write(r, tmp_path / "r.csv"), factors=f) == 2
        one_line_refusal(capsys, "r.csv line 7: the return of 'AAPL' 'abc' is not a number", "give decimal returns")
    assert not (tmp_path / "m").exists()


def test_a_two_security_wide_file_with_true_false_cells_is_refused_as_such(real, tmp_path, capsys):
    returns, factors = real
    r = returns[["KO"]].copy()
    r.insert(0, "FLAGGED", _flags(len(r)))
    assert run(real, tmp_path / "m", returns=write(r, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, "r.csv line 102: the return of 'FLAGGED' FALSE is not a number (a TRUE/FALSE cell)")


@pytest.mark.parametrize("stocks", [["AAPL", "AMD", "KO"], ["AMD"]])
def test_a_long_table_of_three_unnamed_columns_is_still_a_long_table(real, cluster, tmp_path, stocks):
    """date, ticker, return under names the reader does not know: a long table, whether its dates repeat (three
    securities) or not (one), with each security's statsmodels betas."""
    returns, factors = real
    long = returns[stocks].stack().rename("value").reset_index()
    long.columns = ["when", "code", "value"]
    long["when"] = long["when"].dt.strftime("%Y-%m-%d")
    long.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "m"
    assert run(real, out, returns=tmp_path / "r.csv", factors=write(factors, tmp_path / "f.csv"), cluster=cluster) == 0
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    assert list(exposures.index) == sorted(stocks)
    for security in stocks:
        np.testing.assert_allclose(exposures.loc[security, ["alpha", "beta_MKT"]].to_numpy(dtype=float),
                                   ols(returns, factors, security).params, rtol=1e-10)


# ---------------------------------------------------------------------------- 6. --out that already holds files


MODEL_FILES = ["exposures.parquet", "factor_cov.parquet", "manifest.json"]


def folder_bytes(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def no_cluster(monkeypatch):
    from xl_factor.universe import engine

    def refuse(*args, **kwargs):
        raise AssertionError("work was sent to Dask for a build that should have been refused")

    monkeypatch.setattr(engine, "open_client", refuse)


def test_an_unrelated_manifest_in_out_survives_a_refused_build(real, tmp_path, capsys, monkeypatch):
    """It was replaced by the model's manifest, exit 0: another project's file lost (found on hostile review)."""
    returns, factors = real
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"mine": "a different project"}\n')
    before = folder_bytes(out)
    no_cluster(monkeypatch)
    assert run(real, out, returns=write(returns, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, f"--out {out} already holds manifest.json", "nothing written",
                     "add --force to replace the model there, or give another --out")
    assert folder_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "out", "r.csv"]  # no staging folder left


def test_an_existing_model_is_left_unchanged_without_force(real, cluster, tmp_path, capsys, monkeypatch):
    """A rebuild without --window deleted the model's rolling_exposures.parquet, with no option to say so."""
    from xl_factor.universe.build import build_model
    from xl_factor.universe.inputs import InputError

    returns, factors = real
    r, f = write(returns, tmp_path / "r.csv"), write(factors, tmp_path / "f.csv")
    out = tmp_path / "m"
    assert run(real, out, "--window", 252, "--step", 63, returns=r, factors=f, cluster=cluster) == 0
    before = folder_bytes(out)
    assert sorted(before) == sorted(MODEL_FILES + ["rolling_exposures.parquet"])
    no_cluster(monkeypatch)
    for extra in ([], ["--window", 252, "--step", 63]):
        assert run(real, out, *extra, returns=r, factors=f) == 2
        one_line_refusal(capsys, f"--out {out} already holds exposures.parquet, factor_cov.parquet, "
                                 "rolling_exposures.parquet, manifest.json", "add --force to replace the model there")
        assert folder_bytes(out) == before
    with pytest.raises(InputError, match="add --force to replace the model there"):
        build_model(r, f, out, workers=1)
    assert folder_bytes(out) == before


def test_force_replaces_the_model_with_the_statsmodels_numbers(real, cluster, tmp_path):
    """--force (force=True) replaces the model, a rolling table the new build does not make included."""
    import json

    from xl_factor.universe.build import build_model

    returns, factors = real
    r, f = write(returns, tmp_path / "r.csv"), write(factors, tmp_path / "f.csv")
    out = tmp_path / "m"
    assert run(real, out, "--start", "2016-01-04", "--window", 252, "--step", 63, returns=r, factors=f,
               cluster=cluster) == 0
    old = json.loads((out / "manifest.json").read_text())["build_id"]
    assert run(real, out, "--force", returns=r, factors=f, cluster=cluster) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(MODEL_FILES)  # the stale rolling table is gone
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["build_id"] != old and manifest["date_range"]["first"] == "2014-01-02"
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    for security in STOCKS:
        np.testing.assert_allclose(exposures.loc[security, ["alpha", "beta_MKT"]].to_numpy(dtype=float),
                                   ols(returns, factors, security).params, rtol=1e-10)
    build_model(r, f, out, scheduler=cluster.scheduler_address, start="2016-01-04", force=True)
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    later = returns.loc["2016-01-04":]
    for security in STOCKS:
        np.testing.assert_allclose(exposures.loc[security, ["alpha", "beta_MKT"]].to_numpy(dtype=float),
                                   ols(later, factors, security).params, rtol=1e-10)


def test_a_folder_holding_only_other_files_is_built_into_and_they_are_never_touched(real, cluster, tmp_path):
    returns, factors = real
    r, f = write(returns, tmp_path / "r.csv"), write(factors, tmp_path / "f.csv")
    out = tmp_path / "m"
    out.mkdir()
    mine = {"notes.txt": b"the desk's notes\r\nline two\n", "manifest.json.bak": b'{"mine": 1}\n'}
    for name, content in mine.items():
        (out / name).write_bytes(content)
    assert run(real, out, returns=r, factors=f, cluster=cluster) == 0
    assert {n: b for n, b in folder_bytes(out).items() if n in mine} == mine
    assert sorted(p.name for p in out.iterdir()) == sorted(MODEL_FILES + list(mine))
    assert run(real, out, "--force", "--window", 252, "--step", 63, returns=r, factors=f, cluster=cluster) == 0
    assert run(real, out, "--force", returns=r, factors=f, cluster=cluster) == 0
    assert {n: b for n, b in folder_bytes(out).items() if n in mine} == mine
    assert sorted(p.name for p in out.iterdir()) == sorted(MODEL_FILES + list(mine))
    exposures = pd.read_parquet(out / "exposures.parquet").set_index("id")
    for security in STOCKS:
        np.testing.assert_allclose(exposures.loc[security, ["alpha", "beta_MKT"]].to_numpy(dtype=float),
                                   ols(returns, factors, security).params, rtol=1e-10)


def test_a_manifest_that_appears_in_out_while_the_build_runs_is_not_replaced(real, cluster, tmp_path, capsys,
                                                                             monkeypatch):
    from xl_factor.universe import engine

    returns, factors = real
    out = tmp_path / "m"
    fit = engine.run_blocks

    def fit_while_another_program_writes(*args, **kwargs):
        out.mkdir()
        (out / "manifest.json").write_text('{"mine": "written during the fit"}\n')
        return fit(*args, **kwargs)

    monkeypatch.setattr(engine, "run_blocks", fit_while_another_program_writes)
    assert run(real, out, returns=write(returns, tmp_path / "r.csv"), factors=write(factors, tmp_path / "f.csv"),
               cluster=cluster) == 2
    one_line_refusal(capsys, f"--out {out} already holds manifest.json", "add --force")
    assert folder_bytes(out) == {"manifest.json": b'{"mine": "written during the fit"}\n'}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "m", "r.csv"]  # no staging folder left


def test_a_long_table_that_writes_one_id_two_ways_is_refused_at_the_row_of_the_second(real, tmp_path, capsys):
    """The long reader and the wide header share the rule: AAPL's later rows written 'AAPL ' would be a second
    security; the line named is the first row of that spelling."""
    returns, factors = real
    long = returns.stack().rename("ret").reset_index()
    long.columns = ["date", "id", "ret"]
    second = long.index[(long["id"] == "AAPL") & (long["date"] >= "2016-01-01")]
    long.loc[second, "id"] = "AAPL "
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False, date_format="%Y-%m-%d")
    assert run(real, tmp_path / "m", returns=path, factors=write(factors, tmp_path / "f.csv")) == 2
    one_line_refusal(capsys, f"long.csv line {int(second[0]) + 2}: the security id 'AAPL' is written two ways",
                     "write each id one way")
