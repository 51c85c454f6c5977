"""One module per ``synapse`` subcommand, imported only when that subcommand runs."""
