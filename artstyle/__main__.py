"""``python -m artstyle`` runs the command-line tool."""

from artstyle.cli.main import main

if __name__ == "__main__":
    main()
