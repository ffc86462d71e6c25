import os
import re
from pathlib import Path

import pytest

from tests.test_fault_matrix import estate, families, run_case  # noqa: F401

KINDS = ("403", "429", "5xx", "malformed")


def test_aws_selected(estate, tmp_path: Path) -> None:  # noqa: F811
    every = [c for c in families(estate) if c.group == "aws"]
    ops = sorted({c.id.split(":")[1] + ":" + c.id.split(":")[2] for c in every})
    print("ops", ops)
    want = os.environ.get("OPS", "").split(",")
    from tests.test_fault_matrix import Case, _aws_install
    cases = [Case(f"aws:{op}:{k}", "aws", k, _aws_install(op, k)) for op in ops
             if op in want or want == [""] for k in KINDS]
    bad = {}
    for case in cases:
        problems = run_case(estate, case, tmp_path / re.sub(r"\W+", "_", case.id))
        print(case.id, "OK" if not problems else problems)
        if problems:
            bad[case.id] = problems
    assert not bad, bad
