"""Apps installed in a workspace."""
