"""The money API (/api/finance/…): payment plans, receipts and allocations, invoices, receivables."""
from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from orderloop.accounts.api import roles
from orderloop.accounts.permissions import MONEY_READERS
from orderloop.core.schemas import errors
from orderloop.finance.receivables import BUCKETS, ageing

TAG = "finance"  # the OpenAPI tag: the app's name (the role of the same name is accounts.roles.Role.FINANCE)
router = Router(tags=[TAG])


# --- receivables (应收账款) ------------------------------------------------------------------------------------

class ReceivablesQuery(Schema):
    by: Literal["customer", "owner", "team"] = Field("customer", description="Group by customer, by the orders' "
                                                     "owner (销售负责人) or by the owner's team.")
    on: date | None = Field(None, description="The day the ageing is taken on (default: today, Beijing time).")


class AgeingAmounts(Schema):
    not_due: str = Field(description="未到期: no due date yet, or due on the day or later. Money: a decimal string with two places.")
    d1_30: str = Field(description="1–30 calendar days overdue.")
    d31_60: str = Field(description="31–60 days overdue.")
    d61_90: str = Field(description="61–90 days overdue.")
    over_90: str = Field(description="More than 90 days overdue.")
    overdue: str = Field(description="Every overdue bucket together.")
    total: str = Field(description="Everything outstanding.")
    instalments: int = Field(description="Open instalments counted.")
    overdue_instalments: int = Field(description="Of them, overdue.")


class AgeingRowOut(AgeingAmounts):
    id: int | None = Field(description="The customer's, owner's or team's id (null: owners in no team).")
    name: str


class AgeingOut(Schema):
    by: str
    on: date
    buckets: list[str] = Field(description="The buckets' keys, in order.")
    rows: list[AgeingRowOut] = Field(description="The largest overdue amount first.")
    total: AgeingAmounts


def _amounts(row) -> dict:
    values = {key: f"{row.amounts[key]:.2f}" for key, *_rest in BUCKETS}
    return {**values, "overdue": f"{row.overdue:.2f}", "total": f"{row.total:.2f}", "instalments": row.instalments,
            "overdue_instalments": row.overdue_instalments}


@router.get("/receivables", auth=roles(*MONEY_READERS), response={200: AgeingOut, **errors(401, 403, 422)},
            summary="Receivables ageing (应收账款账龄) by customer, owner or team")
def receivables_ageing(request: HttpRequest, query: Query[ReceivablesQuery]):
    """The open instalments' outstanding amounts of the orders the caller may see, by bucket of calendar days past
    their due date, grouped as asked; finance, the director and the admin see every order."""
    result = ageing(request.auth, by=query.by, today=query.on)
    return {"by": result.by, "on": result.today, "buckets": [key for key, *_rest in BUCKETS],
            "rows": [{"id": row.key, "name": row.label, **_amounts(row)} for row in result.rows],
            "total": _amounts(result.total)}
