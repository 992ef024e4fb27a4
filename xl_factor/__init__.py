"""xl_factor: factor models of returns in spreadsheet cells."""

__version__ = "0.1.0"
