"""What asyncsafe knows about the checked project before any file is walked: its root, its
configuration file, the Python it targets, its Django version and its import roots, each with
where it came from (``asyncsafe check --show-settings``)."""
