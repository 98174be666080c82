"""Channel-Bench-Macro search space plugin (xiusu/Channel-Bench-Macro, CIFAR-10), backbones
``resnet`` and ``mobilenet``.

Modules: ``arch`` (7-digit width strings, index, moves), ``skeleton`` (widths, blocks and the
benchmark's cost) and ``model`` (the torch networks as the benchmark builds them).
"""
