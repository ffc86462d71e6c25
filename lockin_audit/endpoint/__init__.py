"""The endpoint collector: remote-access agents on one machine (standard library only).

`collect.py` is the whole collector, runnable on its own (`python3 collect.py -o FILE`);
`lockin-audit endpoint collect` runs the same code.
"""
