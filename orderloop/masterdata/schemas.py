from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from orderloop.masterdata.models import NoticeChannel, Qualification


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    is_primary: bool = False


AUTHORITY = ("Financial authority: a change only by the sales manager of the customer's team, the director or an "
             "admin (403 for others); a value sent as it is changes nothing.")


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200)
    code: str = Field("", max_length=30)
    uscc: str = Field("", max_length=18)
    address: str = Field("", max_length=300)
    payment_terms: str = Field("", max_length=200)
    payment_term: str | None = Field(None, max_length=100, description="Name of a structured payment term (e.g. 30%预付,余款到付) "
                                     "from which orders' payment plans are computed; empty: read from the 付款方式 text.")
    notice_channel: NoticeChannel = Field(NoticeChannel.EMAIL, description="How the customer is told (物流预告, links): "
                                          "email or sms; without an e-mail address, SMS all the same.")
    credit_limit: Decimal = Field(Decimal("0.00"), ge=0, max_digits=14, decimal_places=2)
    owner: str | None = Field(None, description="Username of the account manager who owns the customer; sales staff name "
                                                "one of their own team.")
    qualification: Qualification | None = None
    credit_record: str = Field("", max_length=4000)
    contacts: list[ContactIn] = Field(default_factory=list)


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, max_length=30)
    uscc: str | None = Field(None, max_length=18)
    address: str | None = Field(None, max_length=300)
    payment_terms: str | None = Field(None, max_length=200)
    payment_term: str | None = Field(None, max_length=100, description="Name of a structured payment term; \"\" for none.")
    notice_channel: NoticeChannel | None = None
    is_active: bool | None = Field(None, description="False: no new orders for the customer (停用); its orders stay.")
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description=AUTHORITY)
    owner: str | None = Field(None, description="Username of an active account manager; \"\" for nobody. " + AUTHORITY)
    qualification: Qualification | None = Field(None, description=AUTHORITY)
    credit_record: str | None = Field(None, max_length=4000)
    contacts: list[ContactIn] | None = None


class ContactOut(BaseModel):
    id: int
    name: str
    phone: str
    email: str
    is_primary: bool


class CustomerOut(BaseModel):
    id: int
    name: str
    code: str
    uscc: str
    address: str
    payment_terms: str
    payment_term: str | None = Field(None, description="The structured payment term's name, or null.")
    notice_channel: str
    is_active: bool
    qualification: str
    credit_limit: Decimal
    owner: str | None
    contacts: list[ContactOut]


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200)
    model: str = Field(min_length=1, max_length=100)
    unit: str = Field("台", min_length=1, max_length=20)
    list_price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    cost_price: Decimal = Field(Decimal("0.00"), ge=0, max_digits=14, decimal_places=2)


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=200)
    model: str | None = Field(None, min_length=1, max_length=100)
    unit: str | None = Field(None, min_length=1, max_length=20)
    list_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    is_active: bool | None = None


class ProductOut(BaseModel):
    id: int
    name: str
    model: str
    unit: str
    list_price: Decimal
    cost_price: Decimal | None = Field(None, description="Only for managers, the director and admin.")
    is_active: bool


