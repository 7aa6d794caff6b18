3.12.4
~=3.11.0, !=3.11.2.*, ===3.12
# /// pyproject
# [x]
# ///
# /// script
# dependencies = [
#   "a",
# ]
# [tool.uv]
# exclude-newer = 2024-01-01T00:00:00Z
# ///
