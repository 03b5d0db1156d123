"""Diagram scripts in a sandbox process. Import-light: the sandbox process imports this package."""
