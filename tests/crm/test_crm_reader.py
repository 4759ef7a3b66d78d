"""Reading CRM exports: every kind of file, every way a row can be bad.

The samples under tests/data/crm/ are shaped like the real exports (Salesforce Data Loader and
report exports with their footer, HubSpot's deal export, a Pipedrive export with a mapping);
the variations are written per test.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from coachkit import fs
from coachkit.crm import files
from coachkit.crm.cells import salesforce_id
from coachkit.crm.profiles import HUBSPOT_STAGES, SALESFORCE_STAGES
from coachkit.crm.reader import CrmImportError, CrmRow, read_crm_export
from coachkit.errors import CoachkitError
from support.helpers import TEST_DATA

DATA = TEST_DATA / "crm"

SF_HEADER = '"Id","Name","Account.Name","Amount","StageName","CloseDate","Owner.Name","NextStep"'
HS_HEADER = ("Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Pipeline,"
             "Associated Company")


def sf_id(n: int) -> str:
    """A valid 18-character opportunity id, different for each n."""
    full = salesforce_id(f"0068d{n:010d}")
    assert full is not None
    return full


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def sf_file(tmp_path: Path, *rows: str, header: str = SF_HEADER) -> str:
    """A Data Loader export with the given data rows (CSV text, one per row)."""
    return write(tmp_path, "\n".join([header, *rows]) + "\n")


def sf_row(n: int = 1, *, name: str = "Deal", account: str = "Acme", amount: str = "1000.0",
           stage: str = "Prospecting", close: str = "2027-01-31", owner: str = "Dana",
           next_step: str = "") -> str:
    cells = [sf_id(n), name, account, amount, stage, close, owner, next_step]
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def problems_of(path: str, source: str = "salesforce", **kwargs: str) -> list[str]:
    with pytest.raises(CrmImportError) as info:
        read_crm_export(path, source, **kwargs)
    assert "\n" not in str(info.value)
    return info.value.problems


# --- the samples ------------------------------------------------------------------------


def test_salesforce_data_loader_export() -> None:
    records = read_crm_export(DATA / "salesforce_dataloader.csv", "salesforce")
    assert len(records) == 10
    assert records[0] == CrmRow(
        source="salesforce",
        record_id="0068d00000Kx2PqAAJ",
        row=2,
        customer="Northwind Traders",
        title="Northwind - Warehouse analytics",
        value=1250000.0,
        currency="USD",
        stage="proposal",
        close_date=dt.date(2027, 3, 31),
        seller="Dana Whitfield",
    )
    by_title = {r.title: r for r in records}
    assert by_title["Globex - Fleet telematics"].customer == "Globex, Inc."
    assert by_title["Initech - Renewal 2027"].value is None
    assert by_title["Umbrella - EU rollout"].currency == "EUR"
    # Umbrella's next step (a column not imported) spans two lines but is one spreadsheet
    # row: the next deal is on row 6
    assert by_title["Stark - Pilot"].row == 6
    assert [r.row for r in records] == list(range(2, 12))
    assert by_title["Soylent - Needs analysis"].close_date is None
    assert [r.stage for r in records] == [
        "proposal", "qualification", "discovery", "qualification", "negotiation",
        "closed_won", "closed_lost", "qualification", "qualification", "qualification",
    ]


def test_salesforce_report_export_windows_1252_with_footer() -> None:
    path = DATA / "salesforce_report.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the sample really is Windows-1252
    records = read_crm_export(path, "salesforce")
    assert [r.row for r in records] == [2, 3, 4, 5, 6]  # the footer is not read as deals
    socgen = records[1]
    assert socgen.customer == "Société Générale"
    assert socgen.title == "SocGen – Treasury dashboards"
    assert socgen.value == 480000.0
    assert socgen.currency == "EUR"
    assert socgen.close_date == dt.date(2027, 6, 30)  # 6/30/2027
    assert socgen.stage == "qualification"
    assert records[0].value == 1250000.0
    assert records[3].value is None
    assert records[4].stage == "closed_won"


def test_report_and_data_loader_name_the_same_opportunities_alike() -> None:
    """Reports show 15-character ids, Data Loader 18: a re-import must find the same deals."""
    report = {r.title: r.record_id for r in read_crm_export(DATA / "salesforce_report.csv",
                                                            "salesforce")}
    loader = {r.title: r.record_id for r in read_crm_export(DATA / "salesforce_dataloader.csv",
                                                            "salesforce")}
    shared = report.keys() & loader.keys()
    assert shared == {"Northwind - Warehouse analytics", "Stark - Pilot",
                      "Wayne - Security suite"}
    for title in shared:
        assert report[title] == loader[title]
        assert len(report[title]) == 18


def test_importing_twice_gives_the_same_records() -> None:
    first = read_crm_export(DATA / "hubspot_deals.csv", "hubspot")
    assert read_crm_export(DATA / "hubspot_deals.csv", "hubspot") == first


def test_hubspot_deals_export() -> None:
    path = DATA / "hubspot_deals.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly BOM, CRLF lines
    records = read_crm_export(path, "hubspot")
    assert [(r.record_id, r.stage) for r in records] == [
        ("18442215611", "discovery"),
        ("18442215612", "qualification"),
        ("18442215613", "proposal"),  # the internal name presentationscheduled
        ("18442215614", "proposal"),  # Decision Maker Bought-In
        ("18442215615", "negotiation"),  # "Contract Sent (Sales Pipeline)"
        ("18442215616", "closed_won"),
        ("18442215617", "closed_lost"),
    ]
    first = records[0]
    assert first.source == "hubspot"
    assert first.title == "Zürich Versicherung - Claims portal"
    assert first.customer == "Zürich Versicherung"
    assert first.close_date == dt.date(2027, 4, 30)  # 2027-04-30 00:00
    assert first.value == 45000.0
    assert first.currency is None  # HubSpot's export names no currency
    assert first.seller == "Mia Schultz"
    assert records[1].value == 1200.5
    assert records[2].customer == ""
    assert records[2].value is None
    assert records[2].close_date == dt.date(2027, 2, 1)


def test_custom_export_with_mapping() -> None:
    records = read_crm_export(DATA / "custom.csv", str(DATA / "custom_mapping.toml"))
    assert [(r.record_id, r.value, r.currency, r.stage, r.close_date) for r in records] == [
        ("101", 12500.0, "EUR", "discovery", dt.date(2027, 3, 31)),
        ("102", 1250000.5, "EUR", "proposal", dt.date(2027, 6, 30)),
        ("103", 980.0, "EUR", "discovery", dt.date(2027, 2, 15)),
        ("104", 48000.0, "EUR", "negotiation", dt.date(2027, 2, 28)),
        ("105", None, "EUR", "qualification", None),
        ("106", 75000.0, "CHF", "proposal", dt.date(2027, 4, 30)),
    ]
    assert {r.source for r in records} == {"pipedrive"}
    assert records[2].customer == "Café Sonne"
    assert records[0].seller == "Anna Berger"


# --- header variants and detection -------------------------------------------------------


def test_data_loader_headers_in_capitals(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1), header=SF_HEADER.upper())
    [record] = read_crm_export(path, "salesforce")
    assert record.title == "Deal"


def test_header_below_title_rows(tmp_path: Path) -> None:
    """Formatted exports put a title above the table; rows keep their spreadsheet numbers."""
    path = write(tmp_path, "Opportunity Pipeline\nAs of 1/20/2027\n\n" + SF_HEADER + "\n"
                 + sf_row(1) + "\n")
    [record] = read_crm_export(path, "salesforce")
    assert record.row == 5


def test_report_without_opportunity_id_is_told_to_add_it(tmp_path: Path) -> None:
    path = write(tmp_path, '"Opportunity Name","Account Name","Stage","Amount"\n'
                 '"Deal","Acme","Prospecting","100.00"\n')
    problems = problems_of(path)
    assert problems == [
        f"{path}: not a Salesforce report export: no column 'Opportunity ID' (the CRM's id of "
        "each deal); add the 'Opportunity ID' column to the report: it is how a second import "
        "finds the same deals"
    ]


def test_missing_required_column() -> None:
    path = str(DATA / "hubspot_missing_stage.csv")
    assert problems_of(path, "hubspot") == [
        f"{path}: not a HubSpot deals export: no column 'Deal Stage' (the deal's stage)"
    ]


def test_wrong_source_suggests_the_right_one() -> None:
    with pytest.raises(CrmImportError) as info:
        read_crm_export(DATA / "hubspot_deals.csv", "salesforce")
    assert "no column 'Id'" in str(info.value)
    assert str(info.value).endswith("it looks like a HubSpot export (--from hubspot)")
    with pytest.raises(CrmImportError, match=r"looks like a Salesforce export \(--from "
                                             r"salesforce\)"):
        read_crm_export(DATA / "salesforce_report.csv", "hubspot")


def test_duplicate_header_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HS_HEADER + ",Amount\n1,Deal,closedwon,,,5,Sales Pipeline,Acme,6\n")
    assert problems_of(path, "hubspot") == [
        f"{path}: row 1: columns F and I are both 'Amount'; which one is meant?"
    ]


def test_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(CrmImportError, match="unknown source 'pipedrive': use salesforce, "
                                             "hubspot or a mapping file"):
        read_crm_export(DATA / "custom.csv", "pipedrive")


# --- stages -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "stage"), sorted(SALESFORCE_STAGES.items()))
def test_salesforce_standard_stages(tmp_path: Path, name: str, stage: str) -> None:
    [record] = read_crm_export(sf_file(tmp_path, sf_row(stage=name)), "salesforce")
    assert record.stage == stage


HUBSPOT_LABELS = {
    "Appointment Scheduled": "discovery",
    "Qualified To Buy": "qualification",
    "Presentation Scheduled": "proposal",
    "Decision Maker Bought-In": "proposal",
    "Contract Sent": "negotiation",
    "Closed Won": "closed_won",
    "Closed Lost": "closed_lost",
    "closedwon (Sales Pipeline)": "closed_won",
}


@pytest.mark.parametrize(("name", "stage"), sorted({**HUBSPOT_STAGES, **HUBSPOT_LABELS}.items()))
def test_hubspot_default_pipeline_stages(tmp_path: Path, name: str, stage: str) -> None:
    path = write(tmp_path, f"{HS_HEADER}\n1,Deal,{name},,,,Sales Pipeline,\n")
    [record] = read_crm_export(path, "hubspot")
    assert record.stage == stage


@pytest.mark.parametrize("name", ["negotiation", "Closed_Won", "QUALIFICATION"])
def test_coachkit_stage_names_are_understood_everywhere(tmp_path: Path, name: str) -> None:
    [record] = read_crm_export(sf_file(tmp_path, sf_row(stage=name)), "salesforce")
    assert record.stage == name.lower()


def test_unknown_stage_is_refused_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HS_HEADER}\n1,Deal,Renewal Due (Renewals),,,,Renewals,\n")
    assert problems_of(path, "hubspot") == [
        "row 2, column 'Deal Stage': unknown stage 'Renewal Due (Renewals)'; name it under "
        "[stages] in a mapping file with base = \"hubspot\", e.g. \"Renewal Due (Renewals)\" "
        "= \"qualification\""
    ]


def test_custom_stage_through_a_mapping_on_salesforce(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1, stage="Discovery Call"), sf_row(2, stage="Prospecting"))
    mapping = write(tmp_path, '[stages]\n"Discovery Call" = "discovery"\n'
                    '"Prospecting" = "qualification"\n', "stages.toml")
    records = read_crm_export(path, "salesforce", mapping_file=mapping)
    assert [r.stage for r in records] == ["discovery", "qualification"]  # the mapping wins
    assert {r.source for r in records} == {"salesforce"}


def test_translated_salesforce_report_through_a_base_mapping(tmp_path: Path) -> None:
    """A German report: translated headers and stage names, day-first dates, decimal commas;
    the records stay Salesforce records (same ids as a Data Loader export)."""
    header = ["Opportunity-Inhaber", "Accountname", "Opportunity-Name", "Phase", "Betrag",
              "Schlusstermin", "Opportunity-ID"]
    row = ["Anna Berger", "Brauhaus Keller GmbH", "Kassensystem", "Verhandlung/Überprüfung",
           "12.500,00", "31.03.2027", "0068d00000Kx2Pq"]
    text = "".join(";".join(f'"{c}"' for c in cells) + "\n" for cells in (header, row))
    path = write(tmp_path, text, encoding="cp1252")
    mapping = write(tmp_path, textwrap.dedent("""\
        base = "salesforce"
        [columns]
        record_id = "Opportunity-ID"
        title = "Opportunity-Name"
        customer = "Accountname"
        value = "Betrag"
        stage = "Phase"
        close_date = "Schlusstermin"
        seller = "Opportunity-Inhaber"
        [stages]
        "Verhandlung/Überprüfung" = "negotiation"
        [dates]
        format = "%d.%m.%Y"
        [amounts]
        decimal = ","
        currency = "EUR"
        """), "de.toml")
    [record] = read_crm_export(path, mapping)
    assert record == CrmRow(
        source="salesforce", record_id="0068d00000Kx2PqAAJ", row=2,
        customer="Brauhaus Keller GmbH", title="Kassensystem", value=12500.0, currency="EUR",
        stage="negotiation", close_date=dt.date(2027, 3, 31), seller="Anna Berger",
    )
    assert read_crm_export(path, "salesforce", mapping_file=mapping) == [record]


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "date"), [
    ("2027-01-31", dt.date(2027, 1, 31)),
    ("1/31/2027", dt.date(2027, 1, 31)),
    ("01/05/2027", dt.date(2027, 1, 5)),  # US: January 5th
    ("2027-01-31 00:00", dt.date(2027, 1, 31)),
    ("2027-01-31 17:45:10", dt.date(2027, 1, 31)),
    ("2027-01-31T09:30:00Z", dt.date(2027, 1, 31)),
    ("1/31/2027 9:14 AM", dt.date(2027, 1, 31)),
    ("", None),
])
def test_dates(tmp_path: Path, cell: str, date: dt.date | None) -> None:
    [record] = read_crm_export(sf_file(tmp_path, sf_row(close=cell)), "salesforce")
    assert record.close_date == date


@pytest.mark.parametrize(("cell", "reason"), [
    ("31/31/2027", "not a date: '31/31/2027' (use YYYY-MM-DD or M/D/YYYY)"),
    ("31/01/2027", "not a date: '31/01/2027' (use YYYY-MM-DD or M/D/YYYY; for day-first "
                   'dates use a mapping with [dates] format = "%d/%m/%Y")'),
    ("2027-02-30", "not a date: '2027-02-30' (use YYYY-MM-DD or M/D/YYYY)"),
    ("1/31/27", "not a date: '1/31/27' (use YYYY-MM-DD or M/D/YYYY)"),
    ("next week", "not a date: 'next week' (use YYYY-MM-DD or M/D/YYYY)"),
    ("=TODAY()", "not a date: '=TODAY()' (use YYYY-MM-DD or M/D/YYYY)"),
])
def test_bad_dates(tmp_path: Path, cell: str, reason: str) -> None:
    path = sf_file(tmp_path, sf_row(1), sf_row(2), sf_row(3), sf_row(4), sf_row(5),
                   sf_row(6, close=cell))
    assert problems_of(path) == [f"row 7, column 'CloseDate': {reason}"]


def test_mapping_date_format_is_the_only_one(tmp_path: Path) -> None:
    path = write(tmp_path, "Deal ID;Title;Stage;Expected close date\n1;A;Lead In;31.01.2027\n"
                 "2;B;Lead In;2027-01-31\n")
    mapping = write(tmp_path, textwrap.dedent("""\
        name = "pipedrive"
        [columns]
        record_id = "Deal ID"
        title = "Title"
        stage = "Stage"
        close_date = "Expected close date"
        [stages]
        "Lead In" = "discovery"
        [dates]
        format = "%d.%m.%Y"
        """), "m.toml")
    problems = problems_of(path, mapping)
    assert problems == ["row 3, column 'Expected close date': not a date: '2027-01-31' "
                        "(expected %d.%m.%Y as in 31.01.2027)"]


# --- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "value", "currency"), [
    ("1,250,000.00", 1250000.0, None),
    ("EUR 12.500", 12500.0, "EUR"),  # no decimals in the file: a lone '.' + 3 digits groups
    ("$1,200", 1200.0, "USD"),
    ("", None, None),
    ("1,250", 1250.0, None),
    ("12.5", 12.5, None),
    ("12,5", 12.5, None),
    ("1.234,56", 1234.56, None),
    ("12 500,50 €", 12500.5, "EUR"),
    ("12\u00a0500,50\u00a0€", 12500.5, "EUR"),
    ("CHF 1'250'000.00", 1250000.0, "CHF"),
    ("USD 1,200.00", 1200.0, "USD"),
    ("1,200.00 usd", 1200.0, "USD"),
    ("£950", 950.0, "GBP"),
    ("US$ 99", 99.0, "USD"),
    ("12,50,000.00", 1250000.0, None),  # Indian grouping
    ("1250000.0", 1250000.0, None),  # Data Loader
    ("0", 0.0, None),
    ("+1200", 1200.0, None),
])
def test_amounts(tmp_path: Path, cell: str, value: float | None, currency: str | None) -> None:
    [record] = read_crm_export(sf_file(tmp_path, sf_row(amount=cell)), "salesforce")
    assert (record.value, record.currency) == (value, currency)


@pytest.mark.parametrize(("cell", "reason"), [
    ("-5000", "negative amount: '-5000' (a deal's value is never below zero)"),
    ("(1,200.00)", "negative amount: '(1,200.00)' (a deal's value is never below zero)"),
    ("-$1,200", "negative amount: '-$1,200' (a deal's value is never below zero)"),
    ("=1200", "not an amount: '=1200'"),
    ("@SUM(A1)", "not an amount: '@SUM(A1)'"),
    ("twelve", "not an amount: 'twelve'"),
    ("1.5 Mio", "not an amount: '1.5 Mio'"),
    ("ABC 100", "not an amount: 'ABC 100'"),
    ("1,2,3", "not an amount: '1,2,3'"),
    ("12,50,0", "not an amount: '12,50,0'"),
    ("1.25E+06", "not an amount: '1.25E+06' (Excel's scientific notation hides digits; "
                 "export again and import without opening it in Excel)"),
    ("2000000000000000", "amount too large: '2000000000000000'"),
])
def test_bad_amounts(tmp_path: Path, cell: str, reason: str) -> None:
    path = sf_file(tmp_path, sf_row(1), sf_row(2, amount=cell))
    assert problems_of(path) == [f"row 3, column 'Amount': {reason}"]


def test_decimal_mark_is_decided_per_file(tmp_path: Path) -> None:
    """A file that writes 1,250,000.00 uses '.' for decimals: its '12.500' is ambiguous."""
    path = sf_file(tmp_path, sf_row(1, amount="1,250,000.00"), sf_row(2, amount="EUR 12.500"),
                   sf_row(3, amount="1,250"))
    assert problems_of(path) == [
        "row 3, column 'Amount': ambiguous amount 'EUR 12.500': is '.' a decimal mark or a "
        "thousands separator? Write it without the separator, or with two decimals"
    ]


def test_decimal_commas_make_dots_group_thousands(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1, amount="1.250.000,00"), sf_row(2, amount="12.500"),
                   sf_row(3, amount="12,5"))
    assert [r.value for r in read_crm_export(path, "salesforce")] == [1250000.0, 12500.0, 12.5]


def test_mixed_decimal_marks_refused(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1, amount="1,250.50"), sf_row(2, amount="99.95"),
                   sf_row(3, amount="12,5"))
    assert problems_of(path) == [
        "row 4, column 'Amount': '12,5' writes decimals with ',', but the file's other amounts "
        "use '.'; write them alike"
    ]


def test_mapping_decimal_mark_wins(tmp_path: Path) -> None:
    mapping = write(tmp_path, '[amounts]\ndecimal = "."\n', "dot.toml")
    path = sf_file(tmp_path, sf_row(1, amount="12.500"))
    [record] = read_crm_export(path, "salesforce", mapping_file=mapping)
    assert record.value == 12.5


def test_three_decimal_currency_is_ambiguous(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1, amount="KWD 12.500"))
    assert problems_of(path) == [
        "row 2, column 'Amount': ambiguous amount 'KWD 12.500': is '.' a decimal mark or a "
        "thousands separator? Write it without the separator, or with two decimals"
    ]


CURRENCY_HEADER = SF_HEADER + ',"CurrencyIsoCode"'


@pytest.mark.parametrize(("amount", "column", "result"), [
    ("$1,200", "CAD", (1200.0, "CAD")),
    ("1,200", "eur", (1200.0, "EUR")),
    ("", "EUR", (None, "EUR")),
    ("$1,200", "EUR", "row 2, column 'Amount': '$1,200' '$' is not a sign for EUR"),
    ("EUR 100", "USD", "row 2, column 'Amount': 'EUR 100' says EUR but the currency column "
                       "says USD"),
    ("100", "Euro", "row 2, column 'CurrencyIsoCode': not a currency code: 'Euro' (an ISO "
                    "code such as EUR)"),
    ("100", "ABC", "row 2, column 'CurrencyIsoCode': not a currency code: 'ABC' (an ISO code "
                   "such as EUR)"),
])
def test_currency_column(tmp_path: Path, amount: str, column: str,
                         result: tuple[float | None, str] | str) -> None:
    path = sf_file(tmp_path, sf_row(amount=amount) + f',"{column}"', header=CURRENCY_HEADER)
    if isinstance(result, str):
        assert problems_of(path) == [result]
    else:
        [record] = read_crm_export(path, "salesforce")
        assert (record.value, record.currency) == result


def test_default_currency_of_a_mapping(tmp_path: Path) -> None:
    mapping = write(tmp_path, '[amounts]\ncurrency = "CAD"\n', "cad.toml")
    path = sf_file(tmp_path, sf_row(1, amount="$1,200"), sf_row(2, amount="900"),
                   sf_row(3, amount="GBP 5"))
    records = read_crm_export(path, "salesforce", mapping_file=mapping)
    assert [(r.value, r.currency) for r in records] == [
        (1200.0, "CAD"), (900.0, "CAD"), (5.0, "GBP")
    ]


# --- bad rows: all or nothing --------------------------------------------------------------


def test_every_bad_row_is_named_and_nothing_is_imported() -> None:
    with pytest.raises(CrmImportError) as info:
        read_crm_export(DATA / "salesforce_bad_rows.csv", "salesforce")
    assert info.value.problems == [
        "row 3, column 'Amount': not an amount: '12,50,0'",
        "row 4, column 'StageName': unknown stage 'Discovery Call'; name it under [stages] in "
        "a mapping file with base = \"salesforce\", e.g. \"Discovery Call\" = \"qualification\"",
        "row 5, column 'Name': empty (every deal needs a name)",
        "row 7, column 'CloseDate': not a date: '31/31/2027' (use YYYY-MM-DD or M/D/YYYY)",
        "row 8, column 'Id': record id '0068d00000Kx2PqAAJ' is also on row 2",
        "row 9, column 'Amount': negative amount: '-5000.0' (a deal's value is never below "
        "zero)",
        "row 10, column 'Id': '0015e00000AbCdEAAV' is not an opportunity id (those start with "
        "006); is this an export of opportunities?",
        "row 11, column 'Amount': not an amount: '=1200'",
        "row 11, column 'CloseDate': not a date: '2027-02-30' (use YYYY-MM-DD or M/D/YYYY)",
    ]
    summary = str(info.value)
    assert summary.startswith(f"{DATA / 'salesforce_bad_rows.csv'}: 9 problems in 8 rows, "
                              "nothing imported; first: row 3, column 'Amount'")
    assert isinstance(info.value, CoachkitError)


def test_duplicate_record_ids_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HS_HEADER}\n11,A,closedwon,,,,,\n12,B,closedwon,,,,,\n"
                 "11,C,closedlost,,,,,\n")
    assert problems_of(path, "hubspot") == [
        "row 4, column 'Record ID': record id '11' is also on row 2"
    ]


def test_15_and_18_character_forms_of_one_id_are_duplicates(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1), sf_row(1).replace(sf_id(1), sf_id(1)[:15], 1))
    assert problems_of(path) == [f"row 3, column 'Id': record id '{sf_id(1)}' is also on row 2"]


@pytest.mark.parametrize(("cell", "reason"), [
    ("", "empty (every deal needs the CRM's id)"),
    ("1.84422E+10", "'1.84422E+10' is a number shortened by Excel, not an id; export again and "
                    "import the file without opening it in Excel"),
    ("deal-7", "not a HubSpot record id: 'deal-7' (digits only)"),
])
def test_bad_hubspot_ids(tmp_path: Path, cell: str, reason: str) -> None:
    path = write(tmp_path, f"{HS_HEADER}\n{cell},A,closedwon,,,,,\n")
    assert problems_of(path, "hubspot") == [f"row 2, column 'Record ID': {reason}"]


def test_bad_salesforce_ids(tmp_path: Path) -> None:
    wrong_checksum = sf_id(1)[:15] + "ZZZ"
    path = sf_file(tmp_path, sf_row(1).replace(sf_id(1), wrong_checksum, 1),
                   sf_row(2).replace(sf_id(2), "006-not-an-id", 1))
    assert problems_of(path) == [
        f"row 2, column 'Id': not a Salesforce record id: '{wrong_checksum}' (15 or 18 letters "
        "and digits)",
        "row 3, column 'Id': not a Salesforce record id: '006-not-an-id' (15 or 18 letters and "
        "digits)",
    ]


def test_formula_looking_cells_are_kept_as_text(tmp_path: Path) -> None:
    cells = {"name": "=1+2", "account": "+49 30 1234567", "owner": "@boss",
             "next_step": "=cmd|' /C calc'!A0"}
    [record] = read_crm_export(sf_file(tmp_path, sf_row(**cells)), "salesforce")
    assert (record.title, record.customer, record.seller) == (
        "=1+2", "+49 30 1234567", "@boss"
    )
    [record] = read_crm_export(sf_file(tmp_path, sf_row(name="-10% discount deal")),
                               "salesforce")
    assert record.title == "-10% discount deal"


def test_na_and_null_stay_text(tmp_path: Path) -> None:
    """pandas would read NA, null or N/A as missing values; an account may be called NA."""
    [record] = read_crm_export(sf_file(tmp_path, sf_row(account="NA", owner="null")),
                               "salesforce")
    assert (record.customer, record.seller) == ("NA", "null")


def test_model_rules_apply(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1, name="Bell\x07"), sf_row(2, account="x" * 20_001),
                   sf_row(3, next_step="Bell\x07" + "x" * 20_001))  # a column not imported
    assert problems_of(path) == [
        "row 2, column 'Name': contains a character that is not text (U+0007)",
        "row 3, column 'Account.Name': String should have at most 20000 characters",
    ]


def test_row_wider_than_header_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HS_HEADER}\n11,Acme, Inc. renewal,closedwon,,,,,Acme\n")
    assert problems_of(path, "hubspot") == [
        "row 2: column I is filled but the header has only 8 columns (a separator inside a "
        "value?)",
        "row 2, column 'Deal Stage': unknown stage 'Inc. renewal'; name it under [stages] in "
        "a mapping file with base = \"hubspot\", e.g. \"Inc. renewal\" = \"qualification\"",
        "row 2, column 'Close Date': not a date: 'closedwon' (use YYYY-MM-DD or M/D/YYYY)",
    ]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1), "", ",,,,,,,", sf_row(2))
    assert [r.row for r in read_crm_export(path, "salesforce")] == [2, 5]


def test_header_only_is_no_deals(tmp_path: Path) -> None:
    assert read_crm_export(sf_file(tmp_path), "salesforce") == []


# --- the Salesforce report footer -------------------------------------------------------


FOOTER = [
    '""', '""', '"Opportunity Pipeline"',
    '"Copyright (c) 2000-2027 salesforce.com, inc. All rights reserved."',
    '"Confidential Information - Do Not Distribute"',
    '"Generated By:  Dana Whitfield  1/20/2027 9:14 AM"', '"Northwind Software"',
]


def test_report_footer_with_record_count(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1), sf_row(2), '"Grand Totals (2 records)","","","2000"',
                   *FOOTER)
    assert len(read_crm_export(path, "salesforce")) == 2


def test_report_cut_short_is_refused(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1), '""', '"Grand Totals (3 records)"', *FOOTER[2:])
    assert problems_of(path) == [
        f"{path}: the report's footer counts 3 records but the file holds 1 deals; was the "
        "export cut short?"
    ]


def test_single_cell_rows_without_a_footer_are_not_skipped(tmp_path: Path) -> None:
    """Only a real Salesforce footer is dropped; other short rows are bad rows, not noise."""
    path = sf_file(tmp_path, sf_row(1), '""', '"Opportunity Pipeline"')
    assert problems_of(path) == [
        "row 4, column 'Id': not a Salesforce record id: 'Opportunity Pipeline' (15 or 18 "
        "letters and digits)",
        "row 4, column 'Name': empty (every deal needs a name)",
        "row 4, column 'StageName': empty (every deal needs a stage)",
    ]


def test_a_deal_row_before_the_footer_is_still_read(tmp_path: Path) -> None:
    """The footer starts at its blank line: a short, bad deal row above it is reported."""
    path = sf_file(tmp_path, sf_row(1), f'"{sf_id(2)}"', *FOOTER)
    assert problems_of(path) == [
        "row 3, column 'Name': empty (every deal needs a name)",
        "row 3, column 'StageName': empty (every deal needs a stage)",
    ]


# --- files --------------------------------------------------------------------------------


def test_empty_file() -> None:
    path = str(DATA / "empty.csv")
    assert problems_of(path) == [f"{path}: the file is empty"]


def test_blank_file(tmp_path: Path) -> None:
    path = write(tmp_path, "\n \r\n\t\n")
    assert problems_of(path) == [f"{path}: the file is empty"]


def test_binary_file() -> None:
    path = str(DATA / "not_a_csv.csv")
    assert problems_of(path) == [f"{path}: not a CSV file: it holds binary data"]


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(1, 32)) * 10)
    with pytest.raises(CrmImportError, match="not a CSV file: it holds binary data"):
        read_crm_export(path, "salesforce")


def test_old_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "report.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(CrmImportError, match=r"an old Excel \.xls file"):
        read_crm_export(path, "salesforce")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("deals.csv", SF_HEADER)
    with pytest.raises(CrmImportError, match="a zip file, not an Excel workbook"):
        read_crm_export(path, "salesforce")


def test_huge_file_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(5 * 1024**3)  # sparse: 5 GB that take no room

    def no_open(*args: object, **kwargs: object) -> int:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(fs.os, "open", no_open)
    with pytest.raises(CrmImportError) as info:
        read_crm_export(path, "salesforce")
    assert str(info.value) == f"{path}: file is 5368.7 MB; a CRM export is at most 20 MB"


def test_read_is_bounded_even_if_the_file_grows(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The size seen before reading may be stale: the read itself stops past the limit."""
    path = sf_file(tmp_path, sf_row(1), sf_row(2))
    monkeypatch.setattr(fs, "_check_regular", lambda *args: None)  # as if it grew after stat
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    assert problems_of(path) == [
        f"{path}: file is larger than 100 bytes; a CRM export is at most 100 bytes"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    code = textwrap.dedent(f"""
        from coachkit.crm import CrmImportError, read_crm_export
        try:
            read_crm_export({str(fifo)!r}, "salesforce")
        except CrmImportError as exc:
            print(exc)
    """)
    # A child process: if the reader blocked on the FIFO, the timeout would end it.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == (f"{fifo}: not a regular file (a pipe, socket or device); "
                                   "a CRM export is read from a saved file only")


def test_device_refused() -> None:
    assert problems_of("/dev/zero") == [
        "/dev/zero: not a regular file (a pipe, socket or device); a CRM export is read from a "
        "saved file only"
    ]


def test_folder_and_missing_file(tmp_path: Path) -> None:
    assert problems_of(str(tmp_path)) == [f"{tmp_path}: is a folder, not a CRM export"]
    missing = tmp_path / "nope.csv"
    assert problems_of(str(missing)) == [f"{missing}: cannot read (no such file)"]


def test_too_many_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_ROWS", 2)
    path = sf_file(tmp_path, sf_row(1), sf_row(2), sf_row(3))
    assert problems_of(path) == [
        f"{path}: more than 2 deals in one file; import the pipeline in parts"
    ]


# --- encodings and separators --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    path = sf_file(tmp_path, sf_row(account="Société Générale – Paris"))
    Path(path).write_bytes(Path(path).read_text(encoding="utf-8").encode(encoding))
    [record] = read_crm_export(path, "salesforce")
    assert record.customer == "Société Générale – Paris"


def test_neither_utf8_nor_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(SF_HEADER.encode() + b"\n\x81\x8d\x8f\x90\x9d\n")
    with pytest.raises(CrmImportError, match=r"not text in UTF-8 or Windows-1252 \(byte"):
        read_crm_export(path, "salesforce")


@pytest.mark.parametrize("separator", [";", "\t", "|", ","])
def test_separators_are_sniffed(tmp_path: Path, separator: str) -> None:
    header = HS_HEADER.split(",")
    row = ["7", "Acme; Inc, | renewal", "closedwon", "1/31/2027", "Mia", "1,5", "P",
           "Acme, Inc"]
    lines = [separator.join(f'"{c}"' if any(d in c for d in ",;|") else c for c in cells)
             for cells in (header, row)]
    [record] = read_crm_export(write(tmp_path, "\n".join(lines) + "\n"), "hubspot")
    assert (record.title, record.value, record.customer) == ("Acme; Inc, | renewal", 1.5,
                                                             "Acme, Inc")


def test_unclosed_quote(tmp_path: Path) -> None:
    path = sf_file(tmp_path, sf_row(1), '"0068d00000Kx2PqAAJ","Open quote,"Acme"')
    with pytest.raises(CrmImportError, match=r"not a readable CSV file: row 3: .*stray"):
        read_crm_export(path, "salesforce")


# --- mappings -----------------------------------------------------------------------------


def test_bad_mapping_names_every_mistake() -> None:
    mapping = str(DATA / "bad_mapping.toml")
    problems = problems_of(str(DATA / "custom.csv"), mapping)
    assert problems == [f"{mapping}: {p}" for p in [
        "unknown key 'colour' (known: name, base, columns, stages, dates, amounts)",
        'name must be given: lowercase letters, digits, - and _ (e.g. "pipedrive"), or base = '
        '"salesforce"/"hubspot" to change a built-in import',
        "columns.owner: unknown field (fields: record_id, title, customer, value, currency, "
        "stage, close_date, seller)",
        "columns.stage is missing: a mapping must name the stage column",
        "stages.\"Lead In\": 'lead' is not a coachkit stage (discovery, qualification, proposal, "
        "negotiation, closed_won, closed_lost)",
        'stages: "Lead In" and "lead-in" are the same stage name (case, spaces and punctuation '
        "are ignored)",
        "dates.style: unknown key (known: format)",
        "dates.format: '%d.%m' is not a date format such as \"%d.%m.%Y\" (day, month and year, "
        "strptime codes)",
        "amounts.decimal: ';' must be \".\" or \",\"",
        "amounts.currency: 'euro' must be an ISO currency code such as \"EUR\"",
    ]]


def test_mapping_naming_an_absent_column() -> None:
    mapping = str(DATA / "mapping_wrong_column.toml")
    data = str(DATA / "custom.csv")
    assert problems_of(data, mapping) == [
        f"{mapping}: columns.close_date names column 'Close date', which {data} does not have "
        "(its columns: 'Deal ID', 'Title', 'Organization', 'Value', 'Currency', 'Stage', "
        "'Expected close date', 'Owner', 'Pipeline')"
    ]


def test_mapping_that_is_not_toml(tmp_path: Path) -> None:
    mapping = write(tmp_path, "name = pipedrive\n", "m.toml")
    with pytest.raises(CrmImportError, match=r"m.toml: not valid TOML \(Invalid value"):
        read_crm_export(DATA / "custom.csv", mapping)


def test_mapping_named_like_a_builtin(tmp_path: Path) -> None:
    mapping = write(tmp_path, 'name = "salesforce"\n[columns]\nrecord_id = "Deal ID"\n'
                    'title = "Title"\nstage = "Stage"\n', "m.toml")
    assert problems_of(str(DATA / "custom.csv"), mapping) == [
        f"{mapping}: name 'salesforce' is the built-in import; use base = \"salesforce\" to "
        "change its columns or stages"
    ]


def test_mapping_base_conflicts(tmp_path: Path) -> None:
    mapping = write(tmp_path, 'base = "hubspot"\nname = "x"\n', "m.toml")
    assert problems_of(str(DATA / "custom.csv"), "salesforce", mapping_file=mapping) == [
        f"{mapping}: base is 'hubspot' but the import is from 'salesforce'",
        f"{mapping}: name is not allowed when the mapping changes the salesforce import (its "
        "records keep the source 'salesforce')",
    ]


def test_mapping_given_twice(tmp_path: Path) -> None:
    mapping = str(DATA / "custom_mapping.toml")
    with pytest.raises(CrmImportError, match="give the mapping once"):
        read_crm_export(DATA / "custom.csv", mapping, mapping_file=mapping)


def test_mapping_fifo_refused(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "mapping.toml"
    os.mkfifo(fifo)
    assert problems_of(str(DATA / "custom.csv"), str(fifo)) == [
        f"{fifo}: not a regular file (a pipe, socket or device); a mapping file is read from a "
        "saved file only"
    ]


# --- Excel ----------------------------------------------------------------------------------


def test_xlsx_export(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Opportunity Pipeline"])  # a formatted export's title
    sheet.append([])
    sheet.append(["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount",
                  "Close Date", "Opportunity ID"])
    sheet.append(["Dana", "Acme", "Acme - Rollout", "Prospecting", 1250000.5,
                  dt.datetime(2027, 1, 31), "0068d00000Kx2Pq"])
    sheet.append([])
    sheet.append(["Lee", "Globex", "Globex - Pilot", "Closed Won", "12,500.00", "2/28/2027",
                  "0068d00000Lm7Rs"])
    sheet.append([])
    sheet.append(["Confidential Information - Do Not Distribute"])
    sheet.append(["Copyright (c) 2000-2027 salesforce.com, inc. All rights reserved."])
    path = tmp_path / "report.xlsx"
    book.save(path)
    records = read_crm_export(path, "salesforce")
    assert [(r.row, r.title, r.value, r.close_date, r.record_id) for r in records] == [
        (4, "Acme - Rollout", 1250000.5, dt.date(2027, 1, 31), "0068d00000Kx2PqAAJ"),
        (6, "Globex - Pilot", 12500.0, dt.date(2027, 2, 28), "0068d00000Lm7RsAAJ"),
    ]


def test_xlsx_numbers_ids_and_text_cells(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date"])
    sheet.append([18442215611, "Acme", "closedwon", 12.125, dt.date(2027, 1, 31)])
    sheet.append([18442215612.0, "Beta", "closedlost", -3, None])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    assert problems_of(str(path), "hubspot") == [
        "row 3, column 'Amount': negative amount: -3 (a deal's value is never below zero)"
    ]
    sheet["D3"] = 0
    book.save(path)
    first, second = read_crm_export(path, "hubspot")
    assert (first.record_id, first.value, first.close_date) == ("18442215611", 12.125,
                                                                dt.date(2027, 1, 31))
    assert second.record_id == "18442215612"


def test_xlsx_without_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    real = files.importlib.util.find_spec
    monkeypatch.setattr(files.importlib.util, "find_spec",
                        lambda name, *a: None if name == "openpyxl" else real(name, *a))
    assert problems_of(str(path)) == [
        f"{path}: reading Excel files needs the optional package openpyxl, which is not "
        "installed (pip install openpyxl); or export the report as CSV"
    ]


def test_xlsx_that_unpacks_too_far(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small zip can hold gigabytes: the unpacked size is checked before openpyxl sees it."""
    path = tmp_path / "deals.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 5_000_000)
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(files, "MAX_UNZIPPED_BYTES", 1_000_000)
    with pytest.raises(CrmImportError, match=r"the workbook unpacks to more than 1 MB"):
        read_crm_export(path, "hubspot")
