"""Numeric planning science: pure functions over numbers and arrays, no database."""
