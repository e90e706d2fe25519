"""One module per ``p1tui`` subcommand, each with ``register(subparsers)`` and ``run(args)``."""
