"""arg_scope, variables and graph helpers."""
