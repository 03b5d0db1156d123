"""The chain of eviction prevention on top of the generic engine: cases, intake, case file, demo."""
