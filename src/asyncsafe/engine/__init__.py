"""The engine's stages, lowest first: input (files to text), tree (one walk over a libcst tree),
facts (what the project declares, across modules) and cache (what earlier runs knew).
Nothing here imports ``asyncsafe.rules``: the run layer hands the rules in."""
