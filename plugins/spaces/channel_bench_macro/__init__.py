"""Channel-Bench-Macro search space plugin (xiusu/Channel-Bench-Macro, CIFAR-10), backbones
``resnet`` and ``mobilenet``.

Modules: ``space`` (the plugin class), ``arch`` (7-digit width strings, index, moves), ``skeleton`` (widths, blocks and the
benchmark's cost) and ``model`` (the torch networks as the benchmark builds them).
"""

from nas_harness.api import hookimpl

from .space import ChannelSpace

__all__ = ["ChannelSpace", "nas_harness_spaces"]


@hookimpl
def nas_harness_spaces():
    return [ChannelSpace]
