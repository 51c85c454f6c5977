"""``python -m synapse_sdk.cli`` runs the ``synapse`` command."""

from synapse_sdk.cli.main import main

raise SystemExit(main())
