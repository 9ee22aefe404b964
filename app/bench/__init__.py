"""Benchmarks run by `shoebox bench NAME`; they generate their own data and print a table."""
