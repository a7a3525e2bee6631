"""Input: find the files, read them to text, prefilter, and gate what may be parsed."""
