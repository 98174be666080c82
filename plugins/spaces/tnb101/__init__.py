"""TransNAS-Bench-101 micro (cell) and macro (skeleton) spaces as space plugins.

Modules: ``arch`` (network codes, index order, moves, decisions), ``model`` (the benchmark's
encoder and per-task heads), ``tasks`` (outputs, losses, metrics), ``cost`` (params and MACs).
"""
