"""A report for humans: every documented command, its class and its failures.

.venv/bin/python tests/helpers/doc_commands
"""

import importlib.util
import sys
import tempfile
from collections import Counter
from pathlib import Path

here = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location(
    "doc_commands", here / "__init__.py", submodule_search_locations=[str(here)]
)
dc = importlib.util.module_from_spec(spec)
sys.modules["doc_commands"] = dc
spec.loader.exec_module(dc)

counts: Counter = Counter()
failed = 0
with tempfile.TemporaryDirectory(prefix="doc_commands_") as tmp:
    checker = dc.Checker(Path(tmp))
    try:
        batches = [checker.analyse(doc, wait=False) for doc in dc.DOC_FILES]
        for results in batches:
            for r in checker.wait(results):
                counts[r.cls] += 1
                failed += bool(r.failures)
                print(f"{r.doc}:{r.line} [{r.cls}: {dc.CLASS_NAMES.get(r.cls, 'no class')}] {r.text}")
                for f in r.failures:
                    print(f"    FAIL {f}")
    finally:
        checker.close()
print(", ".join(f"{dc.CLASS_NAMES.get(c, 'no class')}: {n}" for c, n in sorted(counts.items(), key=str)))
print(f"{sum(counts.values())} command lines, {failed} failing")
sys.exit(1 if failed else 0)
