"""Project facts across modules: outlines, exports, the call graph and the project's types."""
