"""`python -m bot` runs the productops command."""

from bot.cli import main

main()
