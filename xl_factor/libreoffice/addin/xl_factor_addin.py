"""LibreOffice Calc add-in: the FM_* worksheet functions of xl_factor.

GENERATED from xl_factor.sheet.catalogue by xl_factor.libreoffice.generate; do not edit.
Each method hands its arguments, as Calc passes them, to
xl_factor.sheet.catalogue.call and returns the result as rows of cells; any
failure becomes one '#FM! ...' cell. xl_factor and its dependencies are found
through XL_FACTOR_PYTHONPATH and the xl_factor_paths.json that the installer writes
into the extension.
"""

import json
import math
import numbers
import os
import sys

import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import XLocalizable, XServiceInfo, XServiceName

try:
    from org.xlfactor import XFactorModel
except ImportError:  # 'unopkg add' runs this file before the new type library is visible
    XFactorModel = object

IMPLEMENTATION = 'org.xlfactor.FactorModel'
SERVICES = ("com.sun.star.sheet.AddIn", IMPLEMENTATION)


def _install_paths():
    """What the installer recorded: {"python": "3.11", "sys_path": [...]} (empty when absent)."""
    try:
        with open(os.path.join(os.path.dirname(__file__), 'xl_factor_paths.json'), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _extend_sys_path(paths):
    """Put ``paths`` before the first site-packages entry: the standard library still comes first."""
    new = [p for p in dict.fromkeys(paths) if p and p not in sys.path]
    at = next((i for i, p in enumerate(sys.path) if p.rstrip("/").endswith(("site-packages", "dist-packages"))),
              len(sys.path))
    sys.path[at:at] = new


INSTALLED = _install_paths()
_extend_sys_path(os.environ.get("XL_FACTOR_PYTHONPATH", "").split(os.pathsep) + INSTALLED.get("sys_path", []))


def _one_line(text):
    return " ".join(str(text).split())


def _cell(value):
    """A result cell as Calc takes it inside an array: a finite number, or a text ("" is a blank)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else ""
    return "" if value is None else str(value)


def _office_version(ctx):
    try:
        provider = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", ctx)
        node = PropertyValue()
        node.Name, node.Value = "nodepath", "/org.openoffice.Setup/Product"
        product = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationAccess", (node,))
        return "LibreOffice " + product.getByName("ooSetupVersionAboutBox")
    except Exception:  # noqa: BLE001 - the version is only shown by FM_INFO
        return "LibreOffice"


def _run(name, args, runtime):
    """Rows of cells of FM_* function ``name``; never raises (Calc would show a bare #VALUE!)."""
    try:
        from xl_factor.sheet.catalogue import call
        from xl_factor.sheet.cells import as_cells
    except Exception as error:  # noqa: BLE001
        return (("#FM! {}: LibreOffice's Python {} cannot import xl_factor ({}); install the add-in with "
                 "python -m xl_factor.libreoffice.install, using a Python {} that has xl_factor".format(
                     name, sys.version.split()[0], _one_line(error), INSTALLED.get("python", "of the same version")),),)
    try:
        return tuple(tuple(_cell(c) for c in row) for row in as_cells(call(name, *args, runtime=runtime), blank=""))
    except Exception as error:  # noqa: BLE001
        return (("#FM! {}: internal error in the LibreOffice add-in ({}: {}); please report it".format(
            name, type(error).__name__, _one_line(error)),),)


class FactorModel(unohelper.Base, XServiceName, XServiceInfo, XLocalizable, XFactorModel):
    """The add-in component: one method per FM_* function, named as in the IDL."""

    def __init__(self, ctx, *args):
        self.ctx = ctx
        self.locale = None
        self.runtime = None

    def _call(self, name, *args):
        if self.runtime is None:
            self.runtime = _office_version(self.ctx)
        return _run(name, args, self.runtime)

    def getServiceName(self):
        return IMPLEMENTATION

    def getImplementationName(self):
        return IMPLEMENTATION

    def supportsService(self, name):
        return name in SERVICES

    def getSupportedServiceNames(self):
        return SERVICES

    def setLocale(self, locale):
        self.locale = locale

    def getLocale(self):
        return self.locale

    def fmbeta(self, asset, factors, add_constant):
        return self._call('FM_BETA', asset, factors, add_constant)

    def fmalpha(self, asset, factors, periods_per_year):
        return self._call('FM_ALPHA', asset, factors, periods_per_year)

    def fmregress(self, asset, factors, cov_type, hac_lags, add_constant):
        return self._call('FM_REGRESS', asset, factors, cov_type, hac_lags, add_constant)

    def fmresid(self, asset, factors):
        return self._call('FM_RESID', asset, factors)

    def fmtracking(self, asset, factors):
        return self._call('FM_TRACKING', asset, factors)

    def fmhedged(self, asset, factors):
        return self._call('FM_HEDGED', asset, factors)

    def fmhedge(self, position, asset, factors, target_share):
        return self._call('FM_HEDGE', position, asset, factors, target_share)

    def fmsize(self, vol_budget, variance, horizon_periods):
        return self._call('FM_SIZE', vol_budget, variance, horizon_periods)

    def fmvardecomp(self, asset, factors):
        return self._call('FM_VARDECOMP', asset, factors)

    def fmriskshare(self, asset, factors, hedge):
        return self._call('FM_RISKSHARE', asset, factors, hedge)

    def fmcovmat(self, returns, factors, method, periods_per_year):
        return self._call('FM_COVMAT', returns, factors, method, periods_per_year)

    def fmcorrmat(self, returns, factors, method):
        return self._call('FM_CORRMAT', returns, factors, method)

    def fmparamcount(self, n_assets, n_factors):
        return self._call('FM_PARAMCOUNT', n_assets, n_factors)

    def fmexcess(self, returns, rf):
        return self._call('FM_EXCESS', returns, rf)

    def fmreturns(self, prices):
        return self._call('FM_RETURNS', prices)

    def fmsharpe(self, returns, periods_per_year):
        return self._call('FM_SHARPE', returns, periods_per_year)

    def fmannualize(self, value, kind, periods_per_year):
        return self._call('FM_ANNUALIZE', value, kind, periods_per_year)

    def fmpnl(self, position, asset, factors, horizon_periods):
        return self._call('FM_PNL', position, asset, factors, horizon_periods)

    def fmdata(self, data):
        return self._call('FM_DATA', data)

    def fminfo(self):
        return self._call('FM_INFO')

    def fmfamamacbeth(self, returns, factors, cov_type):
        return self._call('FM_FAMAMACBETH', returns, factors, cov_type)

    def fmgrs(self, returns, factors):
        return self._call('FM_GRS', returns, factors)

    def fmpca(self, returns, k, output):
        return self._call('FM_PCA', returns, k, output)

    def fmrollingbeta(self, asset, factors, window, factor, min_nobs, expanding):
        return self._call('FM_ROLLING_BETA', asset, factors, window, factor, min_nobs, expanding)

    def fmewmabeta(self, asset, factors, halflife, factor, min_nobs):
        return self._call('FM_EWMA_BETA', asset, factors, halflife, factor, min_nobs)

    def fmadjbeta(self, beta, weight):
        return self._call('FM_ADJBETA', beta, weight)

    def fmriskcontrib(self, weights, returns, factors):
        return self._call('FM_RISKCONTRIB', weights, returns, factors)

    def fmmodel(self, model_dir, ids, field):
        return self._call('FM_MODEL', model_dir, ids, field)

    def fmmodelcovmat(self, model_dir, ids, periods_per_year):
        return self._call('FM_MODEL_COVMAT', model_dir, ids, periods_per_year)

    def fmbookhedge(self, positions, returns, factors, target_share, instruments, periods_per_year):
        return self._call('FM_BOOKHEDGE', positions, returns, factors, target_share, instruments, periods_per_year)

    def fmactiverisk(self, weights, benchmark_weights, returns, factors, periods_per_year):
        return self._call('FM_ACTIVERISK', weights, benchmark_weights, returns, factors, periods_per_year)

    def fmscenario(self, positions, returns, factors, shocks):
        return self._call('FM_SCENARIO', positions, returns, factors, shocks)

    def fmstress(self, positions, returns, factors, n_worst):
        return self._call('FM_STRESS', positions, returns, factors, n_worst)

    def fmdimsonbeta(self, asset, factors, lags):
        return self._call('FM_DIMSONBETA', asset, factors, lags)

    def fmswbeta(self, asset, factors):
        return self._call('FM_SWBETA', asset, factors)

    def fmvasicekbeta(self, asset, factors):
        return self._call('FM_VASICEKBETA', asset, factors)


g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(FactorModel, IMPLEMENTATION, SERVICES)
