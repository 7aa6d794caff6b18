# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "numpy>=2",
#   "pandas==2.2.3",
# ]
# ///
import numpy as np
import pandas as pd

print(pd.DataFrame({"x": np.arange(3)}))
