"""The desk's universe risk model: every security fitted by the core, block by block, on Dask.

``xl-factor model build`` reads a universe of returns (a long table of
date, security id and return, in Parquet or CSV, or a wide CSV) and a CSV of
dated factor returns, refuses bad input before any work is sent
(:mod:`.inputs`), fits blocks of securities as Dask tasks, each by
:func:`xl_factor.core.fit_factor_model` (:mod:`.blocks`, :mod:`.engine`),
and writes the model as B, Sigma_f and D, never an N x N matrix
(:mod:`.build`). The sheet reads it with FM_MODEL and FM_MODEL_COVMAT
(:mod:`xl_factor.sheet.model`).

Needs the ``scale`` extra (``pip install "xl_factor[scale]"``: Dask with
distributed, pyarrow); the add-in core never imports this package.
"""

from .inputs import InputError, Universe, read_universe

__all__ = ["InputError", "Universe", "read_universe"]
