"""Suite plugins: packages that contribute only suites (entry-point group ``nas_harness.suites``).

``cross_space`` defines the suites that span several space plugins (``standard@2``, ``ci-cross``).
It imports no space plugin: it names spaces, tasks and oracles as the plugin registry knows them,
and the host resolves them when the suite runs (a missing space is an error naming it, never a
smaller suite).
"""
