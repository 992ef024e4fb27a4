"""The factor model: pure numpy / pandas / statsmodels, no spreadsheet code.

Takes float arrays (NaN = missing) and labels, raises typed errors from
:mod:`xl_factor.core.errors`.
"""

from .covariance import correlation_from_covariance, factor_covariance, parameter_counts, sample_covariance
from .errors import (
    FactorModelError,
    InvalidArgument,
    NoOverlap,
    NonFiniteValues,
    ShapeMismatch,
    SingularFactors,
    TooFewObservations,
)
from .periods import DAILY, MONTHLY, QUARTERLY, WEEKLY, ANNUAL, annualize, infer_periods_per_year
from .regression import FactorFit, fit_factor_model
from .returns import align_on_dates, excess_returns, simple_returns
from .risk import (
    expected_pnl,
    factor_share,
    full_hedge,
    hedge_to_target,
    hedged_factor_share,
    sharpe_ratio,
    size_for_vol_budget,
)
from .statistics import COV_TYPES, RegressionStatistics, newey_west_lags, regression_statistics

__all__ = [
    "ANNUAL", "COV_TYPES", "DAILY", "MONTHLY", "QUARTERLY", "WEEKLY",
    "FactorFit", "FactorModelError", "InvalidArgument", "NoOverlap", "NonFiniteValues",
    "RegressionStatistics", "ShapeMismatch", "SingularFactors", "TooFewObservations",
    "align_on_dates", "annualize", "correlation_from_covariance", "excess_returns",
    "expected_pnl", "factor_covariance", "factor_share", "fit_factor_model", "full_hedge",
    "hedge_to_target", "hedged_factor_share", "infer_periods_per_year", "newey_west_lags",
    "parameter_counts", "regression_statistics", "sample_covariance", "sharpe_ratio",
    "simple_returns", "size_for_vol_budget",
]
