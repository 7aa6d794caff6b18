3.12
>=3.11,<3.13
# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy>=2", "pandas==2.2.3"]
# ///
print(1)
