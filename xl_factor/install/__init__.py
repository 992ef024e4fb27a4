"""``install_addin.py``: one command installs the FM_* functions into a spreadsheet, and takes them out again.

Targets (one module each): :mod:`.excel` (Excel on Windows, the classic
xlwings add-in and the user's xlwings.conf), :mod:`.libreoffice` (the Calc
add-in of :mod:`xl_factor.libreoffice.install`, then a computed ``=FM_BETA``
in headless LibreOffice), :mod:`.lite` (main.py and requirements.txt for
xlwings Lite in Excel 365). Each builds a :class:`~.plan.Plan` of steps that
``--dry-run`` prints and a real run executes; :mod:`.state` records what was
added and keeps byte-for-byte backups, so that ``--uninstall`` restores the
machine; :mod:`.xlwings_conf` merges and unmerges the xlwings settings.

Only the standard library is imported here, so the installer starts in a
Python that does not have xl_factor's dependencies yet.
"""
