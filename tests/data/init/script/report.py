# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "tabulate>=0.9",
# ]
# ///
"""Print a small report."""

from tabulate import tabulate

print(tabulate([["rows", 3]]))
