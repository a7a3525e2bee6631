"""The run: many files through the engine with the registered rules, filtered and sorted."""
