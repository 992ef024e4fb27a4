"""Data (the bundled monthly Fama-French history, values only) and Excess (excess returns by formula)."""

from __future__ import annotations

from ..datasets import ff_monthly
from . import layout as L
from . import style as S


def data_columns() -> tuple[str, ...]:
    return (L.DATE_LABEL, *L.ASSETS, *L.FACTORS, L.RISK_FREE)


def bundled_frame():
    """The rows prefilled on Data: dates and the columns of :func:`data_columns`, in decimals."""
    frame = ff_monthly()
    return frame[list(data_columns()[1:])]


def build_data(wb, ws) -> int:
    """Fill Data with the bundled history; returns the number of prefilled periods."""
    frame = bundled_frame()
    if len(frame) > L.CAPACITY:
        raise ValueError(f"bundled history has {len(frame)} rows, more than the {L.CAPACITY} the ranges cover")
    S.header(ws, L.HEADER_ROW, 1, data_columns())
    for offset, (stamp, values) in enumerate(zip(frame.index, frame.itertuples(index=False))):
        row = L.FIRST_ROW + offset
        ws.cell(row=row, column=L.DATE_COL, value=stamp.to_pydatetime()).number_format = S.DATE
        for j, value in enumerate(values):
            ws.cell(row=row, column=L.FIRST_ASSET_COL + j, value=float(value)).number_format = S.RETURN
    ws.freeze_panes = "B2"
    S.widths(ws, A=12)
    for index in range(L.FIRST_ASSET_COL, L.RF_COL + 1):
        ws.column_dimensions[L.col(index)].width = 9
    for defined, reference in L.DATA_NAMES.items():
        if reference.startswith(L.DATA + "!"):
            S.name(wb, defined, reference)
    return len(frame)


def build_excess(wb, ws) -> None:
    """Excess returns: asset total return minus RF, blank unless both are numbers (COUNT = 2); dates copied."""
    ws.cell(row=L.HEADER_ROW, column=L.DATE_COL, value=L.DATE_LABEL)
    for j in range(L.FIRST_ASSET_COL, L.LAST_ASSET_COL + 1):
        # ""& keeps the header text even when a Data header cell is blank (a number would not be a header).
        ws.cell(row=L.HEADER_ROW, column=j, value=f'=""&{L.DATA}!{L.col(j)}${L.HEADER_ROW}')
    for cell in ws[L.HEADER_ROW]:
        cell.font = S.HEADER_FONT
        cell.fill = S.HEADER_FILL
    rf = L.col(L.RF_COL)
    for row in range(L.FIRST_ROW, L.LAST_ROW + 1):
        ws.cell(row=row, column=L.DATE_COL,
                value=f'=IF(ISNUMBER({L.DATA}!A{row}),{L.DATA}!A{row},"")').number_format = S.DATE
        for j in range(L.FIRST_ASSET_COL, L.LAST_ASSET_COL + 1):
            c = L.col(j)
            ws.cell(row=row, column=j,
                    value=f'=IF(COUNT({L.DATA}!{c}{row},{L.DATA}!${rf}{row})=2,'
                          f'{L.DATA}!{c}{row}-{L.DATA}!${rf}{row},"")').number_format = S.RETURN
    ws.freeze_panes = "B2"
    S.widths(ws, A=12)
    for index in range(L.FIRST_ASSET_COL, L.LAST_ASSET_COL + 1):
        ws.column_dimensions[L.col(index)].width = 9
    S.name(wb, "ExcessReturns", L.DATA_NAMES["ExcessReturns"])
