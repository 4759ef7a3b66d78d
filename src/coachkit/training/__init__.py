"""Demo deals, training scenarios and collecting participants' workbooks, with their data."""
