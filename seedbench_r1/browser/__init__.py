"""The sample browser: ``seedbench-r1 report RUN ... --html`` writes a static site that opens from disk.

:mod:`.questions` (what each sample asked), :mod:`.media` (contact sheets and images), :mod:`.samples` (the
runs side by side), :mod:`.payload` (the data files the page includes), :mod:`.site` (all of it, in order).
The page itself is ``static/`` (one HTML file, one script, one stylesheet; docs/browser.md).
"""
