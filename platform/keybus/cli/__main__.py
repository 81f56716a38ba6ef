"""Run the keybus command with `python -m keybus.cli`."""

from keybus.cli import main

main()
