"""The process, one module per step, named by the step: ``intake`` (订单接收与初步审核), ``approval`` (订单审批),
``fulfilment`` (订单确认与执行), ``delivery`` (发货、验收、签收), ``followup`` (回访与完成) and ``changes`` (变更、
短交、取消) and ``payment`` (付款放行、尾款核销). Each holds its actions' handlers, guards, whom they tell and what their forms start with, declared
as ``lifecycle.spec.Action``s; with the action's rows in ``lifecycle.table`` that is all there is to an action."""
from orderloop.orders.steps import approval, changes, delivery, followup, fulfilment, intake, payment

STEPS = (intake, approval, fulfilment, delivery, followup, changes, payment)
ACTIONS = {action.name: action for step in STEPS for action in step.ACTIONS}
# What entering a state sets going, whichever action led there (the follow-up visit at 已交付).
ENTERING = {state: effect for step in STEPS for state, effect in getattr(step, "ENTERING", {}).items()}
