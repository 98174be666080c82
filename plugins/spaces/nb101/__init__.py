"""NAS-Bench-101 search space plugin.

Modules: ``arch`` (cell strings, validation, pruning, NB101's graph hash, moves), ``skeleton``
(the network's shape, NB101's per-vertex channels, analytic cost) and ``model`` (the torch
network as NB101 trains it).
"""
