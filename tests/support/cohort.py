"""A workshop cohort: who hands in a workbook of which scenario (the cohort report's tests)."""

SCENARIO = "paper-mill-were-different"
PEOPLE = ["Ann Lee", "Bo Ek", "Cara Díaz", "Dev Rao", "Eli Moss", "Fay Okoro"]
XSS = "<script>alert('cohort')</script>"
