"""``mcn-advisor`` and ``python -m mcn_advisor``: start the command line.

Importing the CLI takes a run's first tenth of a second or so; a Ctrl-C that lands then
ends the run as one later would (``interrupted``, exit 130), not with a traceback. Only
Python's own start (its site packages, some 20 to 40 ms) and the package's first lines
(kept to a few milliseconds: ``mcn_advisor/__init__.py`` imports nothing heavy) come
before this guard.
"""

import gc
import sys


def main() -> None:
    try:
        from mcn_advisor.cli import main as run
    except KeyboardInterrupt:  # nothing read or written yet
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    # What the imports made lives as long as the process: the collector need not walk it
    # again at each of the run's full collections (about 20M instructions of a report run).
    gc.freeze()
    run()


if __name__ == "__main__":
    main()
