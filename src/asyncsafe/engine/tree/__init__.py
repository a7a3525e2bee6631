"""The tree: one pass over a parsed module with scopes, values and the events rules hook into."""
