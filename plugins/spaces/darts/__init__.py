"""DARTS search space (NAS-Bench-301's network) as a space plugin.

Modules: ``genotype`` (parse/format, canonical and isomorphism keys, moves, decisions),
``model`` (the DARTS CIFAR network as NB301 trained it), ``cost`` (analytic params and MACs).
"""
