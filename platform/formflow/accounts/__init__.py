"""Users, workspaces, memberships, departments, API tokens."""
