"""Nominal codes: the section that keeps the chart of nominal codes."""
