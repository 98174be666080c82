"""Data source plugins (``nas_harness.data_sources``): where input batches come from."""
