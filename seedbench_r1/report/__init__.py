"""Results people can look at: the Table-2 report (``seedbench-r1 report``) and training curves (``curves``).

Modules: ``paper`` (the paper's rows with their counts), ``stats`` (Wilson interval, paired bootstrap,
McNemar), ``results`` (reading lmms-eval output folders), ``table`` (Markdown / CSV), ``plot`` (PNG bar
chart), ``curves`` (verl training metrics), ``io`` (atomic writes). matplotlib and scipy are imported lazily.
"""

from seedbench_r1.report.paper import COLUMNS, PAPER_ROWS, Cell, Column

__all__ = ["COLUMNS", "PAPER_ROWS", "Cell", "Column"]
