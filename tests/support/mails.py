"""Order mails as customers send them."""
from email.message import EmailMessage

from tests.support.workbooks import row, workbook


def order_mail(sender="李* <li@keji.example>", subject="采购订单：服务器A型 10台", with_sheet=True,
               message_id="<order-1@keji.example>",
               body="您好，附件是本次采购订单，请于5月25日前交付到北京市海淀区路1号。需定制logo。") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "orders@seller.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    if with_sheet:
        message.add_attachment(workbook([row("PO-1", quantity=10, price=5000)]), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="采购订单.xlsx")
    message.add_attachment(b"%PDF-1.4 scanned purchase order", maintype="application", subtype="pdf", filename="盖章版.pdf")
    return bytes(message)
