"""Library summaries (ASF8xx): what third-party code called from async code does, read from its
own source in the environment the project runs in (``environment``), found by distribution
(``distributions``), summarized with the stdlib ``ast`` (``summaries``) and cached per
(distribution, version, asyncsafe version) in the user's cache directory (``store``).

Library code is only ever read as text: it is never imported or executed.
"""
