"""Results people can look at: the Table-2 report (``seedbench-r1 report``; Table 3 beside it for LongVideoBench
runs) and training curves (``curves``).

Modules: ``paper`` (the paper's rows with their counts), ``lvb`` (Table 3's columns and paper rows), ``stats``
(Wilson interval, paired bootstrap, McNemar), ``results`` (reading lmms-eval output folders), ``table``
(Markdown / CSV), ``plot`` (PNG bar chart), ``curves`` (verl training metrics), ``io`` (atomic writes).
matplotlib and scipy are imported lazily.
"""

from seedbench_r1.report.paper import COLUMNS, PAPER_ROWS, Cell, Column

__all__ = ["COLUMNS", "PAPER_ROWS", "Cell", "Column"]
