"""Who may do what outside the lifecycle table (SPEC section 6): every set of roles the product checks, named by
what it allows. Who may take which lifecycle action is in ``orders/lifecycle/table.py``; which orders a user
sees (rows) is ``orders/access.py``, built on the sets below. ``docs/security.md``'s permission matrix is
checked cell by cell against the product by ``tests/accounts/test_permission_matrix.py``."""
from orderloop.accounts.roles import Role as R

# --- orders ---------------------------------------------------------------------------------------------------
# See every order (and the whole audit log).
SEE_EVERYTHING = frozenset({R.SALES_DIRECTOR, R.ADMIN})
# See every order and every customer with its amounts, and change none (SPEC section 1: finance keeps payment terms
# and plans, invoices and receipts; it takes no lifecycle action, so the lifecycle table names it nowhere).
SEE_EVERY_ORDER_READ_ONLY = frozenset({R.FINANCE})
# See the orders they entered or own, and those of customers they own.
SEE_OWN_ORDERS = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.SALES_MANAGER})
# Take orders in, correct them before approval, import and copy them.
ORDER_ENTRY = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER})
# See cost prices and margins.
COST_READERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})
# See the customer's contact in full (the others see a masked phone).
CONTACT_READERS = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN,
                             R.LOGISTICS, R.AFTER_SALES})
# Send the customer the receipt link of a consignment, and the rating link of a delivered order.
RECEIPT_LINK_SENDERS = frozenset({R.ACCOUNT_MANAGER, R.LOGISTICS})
RATING_LINK_SENDERS = frozenset({R.ACCOUNT_MANAGER})
# Record that the customer was told of a consignment by phone (已电话通知, meets the 物流预告 deadline), and see on
# 今日 the day-before notices that could not be sent by e-mail or SMS.
PHONE_NOTICE_RECORDERS = frozenset({R.LOGISTICS, R.ACCOUNT_MANAGER})
# Upload an attachment, by its kind (orders.models.Attachment.Kind).
ATTACHMENT_UPLOADERS = {
    "scan": frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER}),
    "qc_report": frozenset({R.WAREHOUSE, R.PRODUCTION}),
    "photo": frozenset({R.ACCOUNT_MANAGER, R.LOGISTICS}),
    "receipt": frozenset({R.ACCOUNT_MANAGER, R.LOGISTICS}),
}
UPLOADERS = frozenset().union(*ATTACHMENT_UPLOADERS.values())

# --- money (SPEC section 9) ------------------------------------------------------------------------------------
# Record receipts (回款) and allocate them, import bank statements, record issued invoices and red-letter ones.
MONEY_RECORDERS = frozenset({R.FINANCE})
# Raise an invoice request (开票申请) for an order they see.
INVOICE_REQUESTERS = frozenset({R.ACCOUNT_MANAGER, R.SALES_ASSISTANT})
# See the receivables, the receipts and the invoices of the orders they see (finance and the director: all).
MONEY_READERS = frozenset({R.FINANCE, R.ACCOUNT_MANAGER, R.SALES_ASSISTANT, R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})
# See on 今日 the overdue instalments of the orders and customers they own (MONEY_RECORDERS: every overdue one, and
# the deposits that hold production); the escalation of an overdue instalment tells them first (finance.receivables).
RECEIVABLE_OWNERS = frozenset({R.ACCOUNT_MANAGER, R.SALES_ASSISTANT})
# Release an order held by its payment terms (a deposit before production, payment before shipment), and write off
# what is left of a plan so that the order may close: with a reason, audited, counted in the review.
PAYMENT_WAIVERS = frozenset({R.SALES_MANAGER})

# --- customer feedback (after-sales tickets) ----------------------------------------------------------------------
# Record a customer's feedback on an order (anyone who hears of it; the customer through the rating link too).
TICKET_OPENERS = frozenset({R.AFTER_SALES, R.ACCOUNT_MANAGER, R.SALES_ASSISTANT, R.SALES_MANAGER, R.LOGISTICS})
# Handle it: after-sales for problems, the account manager for the rest.
TICKET_HANDLERS = frozenset({R.AFTER_SALES, R.ACCOUNT_MANAGER})
# See every feedback recorded without an order (the others: those of the customers they see, opened or handled by
# them); after-sales answers every feedback, and may record it for any customer.
ALL_FEEDBACK_READERS = frozenset({R.AFTER_SALES, R.SALES_DIRECTOR, R.ADMIN})

# --- deadlines --------------------------------------------------------------------------------------------------
# Who answers for a running deadline, by its kind (orders.models.TimerKind); its escalation is told as well.
DEADLINE_OWNERS = {
    "contact": frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER}),
    "approval": frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR}),
    "stock_check": frozenset({R.WAREHOUSE, R.PRODUCTION}),
    "negotiation": frozenset({R.ACCOUNT_MANAGER}),
    "tracking": frozenset({R.SALES_ASSISTANT, R.WAREHOUSE, R.PRODUCTION}),
    "logistics_notice": frozenset({R.LOGISTICS}),
    "follow_up": frozenset({R.ACCOUNT_MANAGER}),
    "aftersales_response": frozenset({R.AFTER_SALES}),
    "aftersales_resolution": frozenset({R.AFTER_SALES}),
}
ESCALATE_TO_MANAGER = R.SALES_MANAGER  # a breached deadline goes up to…
ESCALATE_TO_DIRECTOR = R.SALES_DIRECTOR  # …or, for an approval, to the director

# --- audit, reviews, master data, setup -------------------------------------------------------------------------
AUDIT_READERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})  # a sales manager: their team's part
REVIEW_READERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})
REVIEW_RUNNERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR})  # file the review, add action items, confirm any item
# See the customers' pages (客户, /customers/): which customers is masterdata.services.customers_visible_to.
CUSTOMER_READERS = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN,
                              R.FINANCE})
# Apply the change a review's action item names (提出优化措施并更新模板): a deadline's length or a stage template's
# days; the approval rule only the director (it decides which orders the sales manager approves alone).
TEMPLATE_UPDATERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR})
APPROVAL_RULE_UPDATERS = frozenset({R.SALES_DIRECTOR})
# Create customers and change their name, credit code, address, credit record and contacts.
CUSTOMER_EDITORS = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})
# Financial authority (SPEC section 9): a customer's credit limit, its qualification and its owner. The sales
# manager holds it for the customers of the teams they manage, COMPANY_WIDE_AUTHORITY for every customer
# (masterdata.services.customer_authority_problems); every change is audited with old and new value.
CREDIT_SETTERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})  # set a customer's credit limit
QUALIFIERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})  # set a customer's qualification
# Upload a customer's business licence and credit record for review (资质资料): the account manager who owns the
# customer, besides QUALIFIERS with authority over it (masterdata.qualification).
QUALIFICATION_SUBMITTERS = frozenset({R.ACCOUNT_MANAGER})
OWNER_ASSIGNERS = frozenset({R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN})  # give a customer another owner
COMPANY_WIDE_AUTHORITY = frozenset({R.SALES_DIRECTOR, R.ADMIN})  # the above for every team's customers
# May own a customer (SPEC section 1: an account manager owns customers).
CUSTOMER_OWNERS = frozenset({R.ACCOUNT_MANAGER})
# May be named an order's 销售负责人 (an imported row's owner): the sales staff who take orders in.
ORDER_OWNERS = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER})
# May own a stage of a stocking or production plan that the stage template does not give a role.
STAGE_OWNERS = frozenset({R.WAREHOUSE, R.PRODUCTION})
PRODUCT_EDITORS = frozenset({R.ADMIN})  # create, change and take products off sale (停用)
# See the products' pages (产品, /products/) with their stock: everyone who enters or checks orders, and the
# warehouse and production who confirm stock; the cost price only COST_READERS.
PRODUCT_READERS = frozenset({R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.SALES_MANAGER, R.SALES_DIRECTOR, R.ADMIN,
                             R.WAREHOUSE, R.PRODUCTION})
STOCK_KEEPERS = frozenset({R.ADMIN, R.WAREHOUSE})  # record stock movements
ADMINISTRATORS = frozenset({R.ADMIN})  # system settings, the calendar, the year's holidays alert
# Going live (数据导入, orderloop/golive): bring in the customers, products, opening stock and orders in flight from
# the company's sheets, and see the data-quality page after it; the accountant's exports also finance.
GO_LIVE_IMPORTERS = frozenset({R.ADMIN})
DATA_QUALITY_READERS = frozenset({R.ADMIN, R.SALES_DIRECTOR})
ACCOUNTING_EXPORTERS = frozenset({R.FINANCE, R.ADMIN})

# --- sign-in and tokens -----------------------------------------------------------------------------------------
ANY_USERS_TOKENS = frozenset({R.ADMIN})  # see and revoke anyone's API tokens (everyone else: their own)
LOCKOUT_LIFTERS = frozenset({R.ADMIN})  # lift a login lockout early (admin, 登录失败记录 → 解除锁定)
