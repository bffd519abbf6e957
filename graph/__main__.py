"""``python -m graph``: the same as the ``newsgraph`` command."""

from .console import main

main()
