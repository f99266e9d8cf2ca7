"""Short help for each page, in the words of the process (帮助). Every page's 帮助 link opens its section;
a page without one of its own opens the section of the page it belongs to (PAGE_SECTION)."""
from django.utils.translation import gettext_noop as N_

# section: (title, paragraphs)
SECTIONS = {
    "today": (N_("今日"), [
        N_("每天从这里开始：已超时、今日到期和待我处理的订单，客户反馈与售后，延期风险，以及一个工作日没有任何进展的停滞订单。"),
        N_("点订单编号进入订单页办理；处理完后它会从「待我处理」中消失。超时的事项已自动通知上级。"),
    ]),
    "list": (N_("订单列表"), [
        N_("按状态、客户、负责人、日期筛选，按列排序，输入订单编号、客户或产品搜索。只显示您有权查看的订单。"),
        N_("已完成一年以上的订单归档后默认不显示，勾选「含已归档」可查到。"),
    ]),
    "board": (N_("看板"), [
        N_("备货/生产中的订单按当前环节分列，计划日期已过的环节标红。可按负责人、客户和环节筛选。"),
    ]),
    "order": (N_("订单页"), [
        N_("上方是订单的关键信息和当前状态，下方是订单行、期限、风险、发货批次和订单动态。"),
        N_("「可执行的操作」里只列出您的角色在当前状态下能做的事；点开填写后提交。取消、驳回、短交关闭和完成订单提交前会再次确认，因为不能撤回。"),
        N_("每个期限显示截止时间（按工作日和工作时间计算）；超时会通知负责人的上级。"),
    ]),
    "new": (N_("录入订单"), [
        N_("按客户的订单填写客户、联系人、交付日期、付款方式、交付地址和订单行，可附上订单扫描件。标 * 的为必填；有误时会指出哪一项，已填内容不会丢失。"),
        N_("提交后订单为「已接收」，使用临时编号；初步审核通过后分配正式订单编号。"),
        N_("客户可按名称、客户编码、电话或拼音首字母搜索，选中后带出联系人、联系方式、交付地址和付款方式（已填写的不会被覆盖）；"
           "产品按名称、型号或拼音首字母搜索，单价默认为标准单价，金额、合计和大写随时更新。"),
    ]),
    "work": (N_("待我审批与我的待办"), [
        N_("待我审批列出等您这一级审批的订单：金额、利润率（经理和总监可见）、审批期限和适用的总监审批规则。"
           "填写审批意见后点「通过」或「驳回」即可，不必打开订单；点订单编号在右侧查看订单摘要。"),
        N_("我的待办按工作分页签列出等您处理的订单（待确认库存、待发货、待回访……），每行有截止时间和办理入口。"),
    ]),
    "import": (N_("导入订单"), [
        N_("下载导入模板，按《销售订单基本信息表》填写，每行一个订单行。任何一个单元格有误，整个文件都不导入，并列出有误的行和列。"),
        N_("一个文件最多 10000 行（不含表头）、50 列、5 MB；超出时整个文件不读取，请分成几个文件导入。"),
    ]),
    "mail": (N_("邮件订单"), [
        N_("上传客户的订单邮件（.eml），或由系统从订单邮箱自动收取。邮件及附件随订单保存，附件中的订单表读入为订单行。"),
        N_("这里列出本团队客户的邮件和未能匹配客户的邮件。附件表格超出上限（10000 行、50 列）或处理超时的邮件不生成订单，注明原因列在这里。"),
    ]),
    "acceptance": (N_("客户验收"), [
        N_("在客户现场用手机填写：核对数量、规格和外观，拍下签收单或破损照片，填写签收人。有问题时勾选问题类型，系统自动建立售后问题。"),
    ]),
    "customer_links": (N_("客户签收与评价链接"), [
        N_("发货预通知邮件中附有签收链接，交付后附有满意度评价链接：客户无需账号即可打开。链接带签名、只能使用一次，过期后失效；客户也可以把签收单交给客户经理代为录入。"),
    ]),
    "registers": (N_("台账"), [
        N_("《销售订单基本信息表》《订单跟进进度表》《客户反馈与售后记录表》和物流跟踪表，表头与公司流程文件一致。"),
        N_("可搜索，可下载 .xlsx 或 .csv（Excel 和 WPS 均可直接打开）；数据量大时生成需要片刻。每次下载都记入审计日志。"),
        N_("《回款登记表》：财务登记的每笔回款（到账日期、付款方、金额、银行流水号）及其核销到哪张订单的第几期，可按到账日期和客户筛选；"
           "财务、销售总监和系统管理员看到全部回款，销售人员看到自己可查看的客户的回款。客户页可按期间生成《对账单》（PDF）。"),
    ]),
    "tickets": (N_("售后问题"), [
        N_("客户反馈和售后问题：24 小时内响应，给出解决方案和承诺时间，记录处理结果，回访客户确认后关闭。"),
        N_("客户没有确认解决的问题不能关闭；订单在所有问题关闭、回访完成后才能完成。"),
        N_("「记录客户反馈」：售前疑问、投诉、建议不涉及订单时只选客户即可记录；涉及订单时填写订单编号，已驳回、已取消的订单也可以。"),
    ]),
    "inbox": (N_("消息"), [
        N_("系统发给您的提醒：新订单、待审批、即将到期和已超时的事项、客户反馈。点标题进入相应的订单或问题。"),
        N_("订单交到您手上时（待审批、待确认库存、待发货、客户验收……）即时通知您，写明要您做什么和截止时间：站内消息、邮件，团队群机器人（如已配置）。在「通知设置」中可按通知类型关闭站内或邮件，或把邮件改为每日汇总。"),
    ]),
    "reviews": (N_("订单复盘"), [
        N_("每月结束后 3 个工作日内，销售经理查看上月的交付准时率、客户满意度、售后问题、各环节用时和瓶颈，写下结论并提交《订单复盘报告》；提交后数据冻结。"),
        N_("提出的优化措施指定负责人和期限，负责人在「我负责的优化措施」中标记完成。"),
        N_("优化措施涉及期限、备货/生产环节模板或审批规则时（提出优化措施并更新模板），在措施页面填写新值并应用：设置随即修改、记入审计日志，措施同时完成；下月的复盘报告在「上月优化措施带来的模板变更」中列出。"),
    ]),
    "customers": (N_("客户"), [
        N_("您可查看的客户（客户经理：自己负责的客户；销售经理：本团队的客户；销售总监和系统管理员：全部客户），及其资质、营业执照、信用记录和订单。"),
        N_("新客户由客户经理在客户页上传营业执照（PDF 或图片）、有效期和信用记录，资质变为「待审核」并通知销售经理；销售经理（本团队的客户）、销售总监或系统管理员审核为「合格」或「不合格」（须写明原因），每次都记入审计日志。"),
        N_("资质不是「合格」的客户，其订单不能通过初步审核。"),
        N_("「新建客户」：销售助理、客户经理、销售经理、销售总监和系统管理员填写客户名称、客户编码、统一社会信用代码、地址、付款方式和联系人；客户经理可在同一表单上传营业执照和征信报告，随即提交资质审核。客户名称重复时会指出已有的客户。信用额度和客户经理只有有权限的人可以填写和修改。"),
        N_("「停用」的客户不能再录入新订单，已有订单照常处理；需要时可以再「启用」。客户列表可按客户名称、客户编码或联系电话搜索。"),
    ]),
    "products": (N_("产品"), [
        N_("产品的规格型号、单位、单价和各仓库的库存（可用数量 = 在库数量 − 已预留数量）。成本价只有销售经理、销售总监和系统管理员能看到。"),
        N_("系统管理员新建、编辑和停用产品；停用的产品录入新订单时不能再选择。仓储和系统管理员在产品页「库存调整」中录入入库、出库或盘点的数量和原因，每次调整都有记录。"),
    ]),
    "money": (N_("待收款与回款"), [
        N_("待收款列出未结清的付款计划分期：订单、客户、第几期、付款条件、应收、已收、未收和到期日。因付款条件暂停的订单排在前面——已确认的订单等预付款才能开始备货/生产，待发货的订单等发货前应付款才能发货。"),
        N_("财务点某一期的「登记回款」，填写到账日期、付款方、金额和银行流水号，并把金额核销到该客户的各期；多出的部分留作客户的预收余额，以后在回款页面「核销余额」。预付款全部到账后，系统立即通知仓储和生产可以开始备货/生产。"),
        N_("「导入银行流水」：上传网银导出的 .xlsx 或 .csv。任何一行有误，整个文件都不导入，并列出行号和列名；付款方须是已知客户。导入后列出金额与某一期未收金额相同的核销建议，勾选确认后核销。"),
        N_("同一个银行流水号只能登记一次。销售人员可以查看自己能看到的订单和客户的待收款与回款，只有财务可以登记和核销。"),
    ]),
    "receivables": (N_("应收账款"), [
        N_("未结清的付款计划分期按账龄列出：未到期、逾期1–30天、31–60天、61–90天和90天以上（按到期日起算的自然日），可按客户、销售负责人或团队汇总；按客户时可展开每个客户的逾期明细，点订单编号进入订单。"),
        N_("财务、销售总监和系统管理员看全部；销售经理看本团队的订单；客户经理和销售助理看自己负责的订单和客户。可下载 .xlsx（账龄分析与《应收账款台账》）或 .csv（台账），每次下载都记入审计日志。"),
        N_("逾期提醒：逾期满 1 个工作日通知客户经理，满 5 个工作日上报销售经理，满 30 个工作日上报销售总监，各一次（天数由运维在系统配置中设定）。客户经理和财务在「今日」看到逾期的应收款。"),
    ]),
    "invoices": (N_("发票"), [
        N_("客户经理（或销售助理）在订单页「发票」中点「开票申请」，按整单或某一批发货申请开票：购买方名称、纳税人识别号（统一社会信用代码，会校验）、地址电话、开户行及账号默认取该客户上一次的开票信息，没有时取客户资料；发票类型选数电专票或普票，每行可选税率（货物默认 13%，按次、项、人天等计价或名称以「服务」结尾的默认 6%）。订单确认后才能申请，申请金额不能超过订单尚未开票的金额。"),
        N_("价格含税：每行税额 = 价税合计 × 税率 ÷ (1 + 税率)，四舍五入到分，金额 = 价税合计 − 税额；发票的税额和金额是各行之和，与数电发票一致。"),
        N_("财务在「发票」（待开票）中开具发票后登记20位数电发票号码和开票日期（不能晚于今天，号码不能重复）；付款条件为「开票后N天」的分期随即按开票日期计算到期日。已开具的发票可红冲：登记红字发票的号码、日期和原因，原发票变为「已红冲」，其金额可重新申请开票。每次申请、登记和红冲都记入审计日志。"),
    ]),
    "audit": (N_("审计日志"), [
        N_("谁在什么时候改了什么：订单、客户、产品、设置的每次修改和每次导出下载。可按人员、对象、操作和时间筛选；记录不能修改或删除。"),
    ]),
    "tokens": (N_("接口令牌"), [
        N_("脚本和其他系统用接口令牌调用本系统的接口。这里列出您的令牌（系统管理员可看到所有人的）：创建和到期时间、最近一次使用的时间（每分钟最多记录一次）。"),
        N_("不再使用或可能泄露的令牌请立即撤销。修改密码或停用账号后，该用户的所有令牌自动失效；撤销和失效都记入审计日志。"),
    ]),
    "setup": (N_("首次设置向导"), [
        N_("系统管理员按步骤设置公司信息、销售团队、用户与角色、审批规则、客户与产品；完成标 * 的步骤后即可录入第一张订单。工作日历、群机器人和邮件可以稍后设置。"),
        N_("每年 12 月国务院办公厅发布下一年的放假通知后，在 工作日历 → 某年放假安排 中把通知里的放假和调休上班日逐行填入（可直接粘贴通知原文，如「国庆节：10月1日至7日」），预览全年日历后保存；已按估算计算的期限会重新计算并列出。"),
    ]),
}

# URL name → help section
PAGE_SECTION = {
    "orders:today": "today", "orders:home": "today", "orders:list": "list", "orders:board": "board",
    "orders:detail": "order", "orders:edit": "new", "orders:new": "new", "orders:import": "import",
    "orders:mail": "mail", "orders:acceptance": "acceptance", "orders:register": "registers",
    "orders:audit": "audit", "orders:review_form": "order", "orders:internal_slip": "order",
    "orders:acceptance_record": "order", "orders:progress_sheet": "order", "orders:shipment_slip": "order",
    "orders:visit_sheet": "order", "aftersales:list": "tickets", "aftersales:detail": "tickets",
    "aftersales:record": "tickets", "aftersales:record_feedback": "tickets", "notifications:inbox": "inbox",
    "notifications:preferences": "inbox", "orders:approvals": "work", "orders:work": "work",
    "reviews:list": "reviews", "reviews:detail": "reviews", "reviews:my_actions": "reviews", "reviews:action": "reviews",
    "setup:guide": "setup", "setup:step": "setup",
    "setup:calendar_year": "setup", "accounts:tokens": "tokens",
    "orders:receipt": "customer_links", "orders:rating": "customer_links", "help": "today",
    "masterdata:customers": "customers", "masterdata:customer": "customers",
    "masterdata:qualification_upload": "customers", "masterdata:qualification_decision": "customers",
    "masterdata:customer_new": "customers", "masterdata:customer_edit": "customers",
    "masterdata:customer_active": "customers",
    "products:list": "products", "products:new": "products", "products:detail": "products", "products:edit": "products",
    "products:active": "products", "products:stock": "products",
    "finance:queue": "money", "finance:receipts": "money", "finance:receipt_new": "money", "finance:receipt": "money",
    "finance:receipt_allocate": "money", "finance:statement_import": "money", "finance:statement": "money",
    "finance:statement_confirm": "money",
    "finance:receivables": "receivables",
    "finance:invoices": "invoices", "finance:invoice_issue": "invoices", "finance:invoice_red_letter": "invoices",
    "finance:invoice_request": "invoices",
    "finance:receipt_register": "registers",
}


def help_section(view_name: str | None) -> str | None:
    return PAGE_SECTION.get(view_name or "")


def help_context(request) -> dict:
    """The 帮助 link of the page being shown (a context processor)."""
    match = getattr(request, "resolver_match", None)
    return {"help_section": help_section(match.view_name if match else None)}
