"""``python -m scenarios.cli``: the ``medtwin`` command without its installed script.

Runs the code of the tree it is started from, as a developer or a machine
without the console script on its PATH needs.
"""

from __future__ import annotations

import sys

from scenarios.cli import main

if __name__ == "__main__":
    sys.exit(main())
