"""Who may see and change what: actors and the policy."""
