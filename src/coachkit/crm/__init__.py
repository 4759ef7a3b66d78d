"""Deals from the team's CRM: ``coachkit import-crm FILE --from salesforce|hubspot|MAPPING``.

Nobody retypes their pipeline. :mod:`~coachkit.crm.reader` turns an export (CSV or .xlsx,
read with pandas) into checked :class:`~coachkit.crm.reader.CrmRow` values, all or nothing;
:mod:`~coachkit.crm.importer` applies them to the store: new records start workbooks, known
ones get their header updated, the change story is never touched.
"""

from coachkit.crm.reader import CrmImportError, CrmRow, read_crm_export

__all__ = ["CrmImportError", "CrmRow", "read_crm_export"]
