"""The hello example plugin (see ../config.yaml)."""
