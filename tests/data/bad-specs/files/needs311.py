# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy>=2"]
# ///
import numpy
