"""``python -m hubopt`` runs the command line."""

from .cli import main

main()
