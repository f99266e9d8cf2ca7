"""The API's JSON (config.api.ApiJSONEncoder) is written exactly as django-ninja's encoder writes it: dates, times
with their offset and milliseconds, amounts as text; anything else goes to ninja's."""
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from ninja.responses import NinjaJSONEncoder

from orderloop.config.api import ApiJSONEncoder


class Colour(Enum):
    RED = "red"


def test_the_api_writes_each_value_as_ninjas_encoder_does():
    shanghai = ZoneInfo("Asia/Shanghai")
    values = {
        "dates": [date(2024, 5, 10), date(1, 1, 1)],
        "times": [datetime(2024, 5, 10, 9, 30, tzinfo=shanghai), datetime(2024, 5, 10, 9, 30, 0, 123456, tzinfo=shanghai),
                  datetime(2024, 5, 10, 1, 30, 0, 999, tzinfo=timezone.utc), datetime(2024, 5, 10, 9, 30)],
        "amounts": [Decimal("12345.60"), Decimal("0.00"), Decimal("-1E+3"), Decimal("1.005")],
        "others": [uuid.UUID(int=7), timedelta(days=2, seconds=5), Colour.RED, "已完成", None, True, 3, 1.5],
        "nested": [{"order_date": date(2024, 5, 10), "total_amount": Decimal("1.10")}],
    }
    written = json.dumps(values, cls=ApiJSONEncoder)
    assert written == json.dumps(values, cls=NinjaJSONEncoder)
    assert '"2024-05-10T09:30:00.123+08:00"' in written and '"2024-05-10T01:30:00.000Z"' in written
    assert '"12345.60"' in written and '"2024-05-10"' in written
