"""The command-line interface: thin typer sub-apps over the library."""
