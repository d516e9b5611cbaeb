"""Test-wide settings."""

import pandas as pd

# Tests read result workbooks with openpyxl, as hubopt's own readers of results do;
# pandas 4 would otherwise switch the default engine (and warns about it now).
pd.set_option("io.excel.xlsx.reader", "openpyxl")
