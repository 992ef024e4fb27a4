"""The factor model: pure numpy / pandas / statsmodels, no spreadsheet code.

Takes float arrays (NaN = missing) and labels, raises typed errors from
:mod:`xl_factor.core.errors`.
"""

from .asset_pricing import FM_COV_TYPES, FamaMacBethResult, GRSResult, fama_macbeth, grs_test
from .attribution import RiskAttribution, risk_contributions
from .beta_adjustment import BLUME_WEIGHT, blume_adjusted_beta
from .beta_estimators import (Betas, beta_std_errors, dimson_betas, lead_lag, lead_lag_names, scholes_williams_betas,
                              vasicek_betas)
from .book import (
    BookHedge,
    ScenarioPnL,
    StressReplay,
    active_risk,
    factor_hedge,
    instrument_hedge,
    scenario_pnl,
    stress_replay,
)
from .conditioning import CONDITION_LIMIT, CONSTANT_RTOL, does_not_vary, explained_exactly, ill_conditioned
from .covariance import (
    correlation_from_covariance,
    factor_covariance,
    ledoit_wolf,
    parameter_counts,
    sample_covariance,
)
from .errors import (
    FactorModelError,
    InvalidArgument,
    NoOverlap,
    NonFiniteValues,
    ShapeMismatch,
    SingularFactors,
    TooFewObservations,
)
from .pca import PrincipalComponents, principal_components
from .periods import DAILY, MONTHLY, QUARTERLY, WEEKLY, ANNUAL, annualize, infer_periods_per_year, median_spacing_days
from .regression import FactorFit, fit_factor_model
from .returns import align_on_dates, check_unique_dates, excess_returns, simple_returns
from .rolling import TimeVaryingBetas, ewma_betas, rolling_betas
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
    "ANNUAL", "BLUME_WEIGHT", "Betas", "BookHedge", "ScenarioPnL", "StressReplay", "active_risk", "beta_std_errors",
    "dimson_betas", "factor_hedge", "lead_lag", "lead_lag_names", "instrument_hedge", "scenario_pnl", "scholes_williams_betas", "stress_replay",
    "vasicek_betas", "CONDITION_LIMIT", "CONSTANT_RTOL", "COV_TYPES", "DAILY", "FM_COV_TYPES", "MONTHLY", "QUARTERLY", "WEEKLY",
    "FactorFit", "FactorModelError", "FamaMacBethResult", "GRSResult", "InvalidArgument", "NoOverlap",
    "NonFiniteValues", "PrincipalComponents", "RegressionStatistics", "RiskAttribution", "ShapeMismatch",
    "SingularFactors", "TimeVaryingBetas", "TooFewObservations",
    "align_on_dates", "annualize", "check_unique_dates", "blume_adjusted_beta", "correlation_from_covariance", "does_not_vary",
    "ewma_betas", "explained_exactly", "ill_conditioned",
    "excess_returns", "expected_pnl", "factor_covariance", "factor_share", "fama_macbeth", "fit_factor_model",
    "full_hedge", "grs_test", "hedge_to_target", "hedged_factor_share", "infer_periods_per_year",
    "median_spacing_days",
    "ledoit_wolf", "newey_west_lags", "parameter_counts", "principal_components", "regression_statistics",
    "risk_contributions", "rolling_betas", "sample_covariance", "sharpe_ratio", "simple_returns",
    "size_for_vol_budget",
]
