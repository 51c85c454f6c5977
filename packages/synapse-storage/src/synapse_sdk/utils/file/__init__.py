"""File utilities: checksums, archives and safe extraction."""
