"""Import customers from CSV and Excel files (DESIGN §2 items 12–13). No Qt here: the dialog and the
command line drive the same functions.

- `reading`: what the file is (CSV encoding and delimiter, or a workbook) and its records, row by row.
- `mapping`: which column gives which customer field (known aliases, shop-platform export headers).
- `plan`: validation, matching against the store, financial alerts: the preview (writes nothing).
- `commit`: writing the plan in one transaction, the ImportBatch, undo, the list of batches.
"""
