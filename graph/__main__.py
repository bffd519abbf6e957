"""``python -m graph``: the same as the ``newsgraph`` command."""

from .cli import main

main()
