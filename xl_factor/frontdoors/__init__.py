"""Generators of the front doors (xlwings module, LibreOffice add-in, docs) from the catalogue."""
