"""NAS-Bench-Macro search space plugin (xiusu/NAS-Bench-Macro, CIFAR-10).

Modules: ``arch`` (8-digit strings, index, canonical form, moves), ``skeleton`` (layer shapes
and the benchmark's cost) and ``model`` (the torch network as the benchmark builds it).
"""
