"""The go-live importers, one module per kind of file, each with the same four names:

- ``COLUMNS`` (every header it knows, in the template's order) and ``REQUIRED`` (those a file must have);
- ``template() -> bytes``: the .xlsx template with its 填写说明;
- ``preview(actor, table, problems) -> tables.Preview``: every check and what would be created, updated or
  skipped; writes nothing;
- ``write(actor, preview, run) -> None``: writes it, inside the apply's transaction, only for a preview without
  problems (``run`` is the ``ImportRun``: the orders' 上线导入 event names it).
"""
from orderloop.golive import customers, orders, products, stock
from orderloop.golive.models import ImportKind

KINDS = {ImportKind.CUSTOMERS: customers, ImportKind.PRODUCTS: products, ImportKind.STOCK: stock,
         ImportKind.ORDERS: orders}
