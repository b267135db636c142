"""The ``cityculture`` command's entry point (also ``python -m cityculture``).

The signal handlers go in before the command's modules are imported (a second or more):
Ctrl-C during the imports already stops the command cleanly (exit 130), without a
KeyboardInterrupt traceback.
"""

from __future__ import annotations

from cityculture import interruption


def main() -> None:
    """Install the signal handlers, then run the command line."""
    interruption.install()
    from cityculture.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
