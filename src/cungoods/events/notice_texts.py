"""What a notification says, per event kind, in Chinese and in English.

A template is keyed by the event's kind (and, where its outcomes read differently, the
`variant` in its params), filled from the event's `params` (and its `message`; an `amount_fen`
is said as `{amount_yuan}`, 17.80); when one it names is missing, the notification falls back
to the event's message, so a new kind without a template, or an event recorded without its
details, still tells the person something.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

TEMPLATES: dict[str, dict[str, str]] = {
    "ORDER_PLACED": {
        "zh": "订单 {number} 已下单，{service_date} 到站自提。",
        "en": "Order {number} is placed for pickup on {service_date}.",
    },
    "ORDER_CONFIRMED": {
        "zh": "订单 {number} 已成团确认，{service_date} 随车送达。",
        "en": "Order {number} is confirmed: it rides the bus on {service_date}.",
    },
    "ORDER_LOADED": {
        "zh": "订单 {number} 已装车。",
        "en": "Order {number} is loaded on the bus.",
    },
    "ORDER_IN_TRANSIT": {
        "zh": "订单 {number} 已发车，正在路上。",
        "en": "Order {number} is on its way.",
    },
    "ORDER_AT_STATION": {
        "zh": "订单 {number} 已到站，凭提货码 {pickup_code} 到服务站取货。",
        "en": "Order {number} is at your station: pick it up with code {pickup_code}.",
    },
    "ORDER_PICKED_UP": {
        "zh": "订单 {number} 已取货，谢谢！",
        "en": "Order {number} is picked up. Thank you!",
    },
    "ORDER_CANCELLED": {
        "zh": "订单 {number} 已取消。",
        "en": "Order {number} is cancelled.",
    },
    "ORDER_RETURNED": {
        "zh": "订单 {number} 超期未取，已退回仓库。",
        "en": "Order {number} was not collected and goes back to the hub.",
    },
    "ORDER_REFUNDED": {
        "zh": "订单 {number} 已退款 {amount_yuan} 元：{reason}",
        "en": "{amount_yuan} yuan of order {number} refunded: {reason}",
    },
    "PURCHASE_REFUNDED": {
        "zh": "农产品订单 {number} 已退款 {amount_yuan} 元：{reason}",
        "en": "{amount_yuan} yuan of produce purchase {number} refunded: {reason}",
    },
    "PURCHASE_RESERVED": {
        "zh": "农产品订单 {number} 已下单，等待农户交货。",
        "en": "Produce purchase {number} is booked: waiting for the farmer's handover.",
    },
    "PURCHASE_HANDED_OVER": {
        "zh": "农产品订单 {number} 已交到服务站。",
        "en": "Produce purchase {number} was handed over at the station.",
    },
    "PURCHASE_IN_TRANSIT": {
        "zh": "农产品订单 {number} 已随车进城。",
        "en": "Produce purchase {number} is on the bus to the city.",
    },
    "PURCHASE_AT_HUB": {
        "zh": "农产品订单 {number} 已到仓库，可凭提货码提取。",
        "en": "Produce purchase {number} is at the hub: collect it with your collect code.",
    },
    "PURCHASE_COLLECTED": {
        "zh": "农产品订单 {number} 已提取。",
        "en": "Produce purchase {number} is collected.",
    },
    "PURCHASE_CANCELLED": {
        "zh": "农产品订单 {number} 已取消。",
        "en": "Produce purchase {number} is cancelled.",
    },
    "GROUP_BUY_UNMET": {
        "zh": "{product} 未成团（需 {min_units} 件，仅 {units} 件），"
        "订单 {number} 中该商品已取消并退款。",
        "en": "{product} did not reach its group of {min_units} (only {units}): it is cancelled "
        "in order {number} and refunded.",
    },
    "TRIP_DELAYED": {
        "zh": "{route} 班车晚点约 {minutes} 分钟。",
        "en": "The {route} bus is running about {minutes} min late.",
    },
    "TRIP_ARRIVED": {
        "zh": "{route} 班车已到达 {place}。",
        "en": "The {route} bus has arrived at {place}.",
    },
    "MONEY_RECEIVED": {
        "zh": "收到 {amount_yuan} 元：{what}",
        "en": "You received {amount_yuan} yuan: {what}",
    },
    "CLAIM_RESOLVED.APPROVED": {
        "zh": "订单 {number} 的售后申请已通过，退款 {amount_yuan} 元。{note}",
        "en": "Your claim on order {number} is approved: {amount_yuan} yuan refunded.{note}",
    },
    "CLAIM_RESOLVED.REJECTED": {
        "zh": "订单 {number} 的售后申请未通过，不予退款。{note}",
        "en": "Your claim on order {number} is rejected: no money moves.{note}",
    },
    "ORDER_PAID": {
        "zh": "订单 {number} 已支付 {amount_yuan} 元。",
        "en": "{amount_yuan} yuan paid for order {number}.",
    },
    "PURCHASE_PAID": {
        "zh": "农产品订单 {number} 已支付 {amount_yuan} 元。",
        "en": "{amount_yuan} yuan paid for produce purchase {number}.",
    },
    "WALLET_TOPPED_UP": {
        "zh": "账户 {phone} 已在服务站充值 {amount_yuan} 元。",
        "en": "{amount_yuan} yuan added at the station to the wallet of {phone}.",
    },
    "ORDER_ARRIVAL_SHORT": {
        "zh": "订单 {number} 到站验收：{what} 缺失或损坏，已退款 {amount_yuan} 元。",
        "en": "Order {number}: {what} missing or damaged on arrival, {amount_yuan} yuan refunded.",
    },
    "CLAIM_FILED": {
        "zh": "订单 {number} 的售后申请已提交（{amount_yuan} 元），等待仓库处理。",
        "en": "Your claim on order {number} ({amount_yuan} yuan) is filed: the hub will decide.",
    },
    "PRODUCE_UNCOLLECTED": {
        "zh": "农产品订单 {number} 已在仓库等候超过 {days} 天，请尽快提取。",
        "en": "Produce purchase {number} has waited at the hub for more than {days} days: "
        "please collect it.",
    },
    "OFFER_CLOSED": {
        "zh": "买家已关闭「{what}」的采购需求，您 {quantity} {unit} 的报价随之关闭。",
        "en": "The buyer closed the request for {what}: your offer of {quantity} {unit} is closed.",
    },
    "OFFER_WITHDRAWN": {
        "zh": "农户撤回了「{what}」{quantity} {unit} 的报价。",
        "en": "A farmer withdrew an offer of {quantity} {unit} for {what}.",
    },
    "ORDER_SHORTAGE": {
        "zh": "仓库缺货：订单 {number} 中的「{product}」少了 {units} {unit}，"
        "已退款 {amount_yuan} 元。",
        "en": "{product} is short at the hub: {units} {unit} taken off order {number}, "
        "{amount_yuan} yuan refunded.",
    },
}


class _Missing(KeyError):
    pass


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise _Missing(key)


def text_for(kind: str, language: str, *, message: str, params: Mapping[str, object]) -> str:
    """The notification's text for a person reading `language` (max 300 characters)."""
    # An event whose outcomes read differently (a claim approved or rejected) names its variant.
    key = f"{kind}.{params['variant']}" if "variant" in params else kind
    template = TEMPLATES.get(key, {}).get(language)
    if template is None:
        return message[:300]
    values = _Params({key: str(value) for key, value in params.items()})
    values.setdefault("message", message)
    # Money travels in fen, as everywhere; the texts say it in yuan.
    amount_fen = params.get("amount_fen")
    if isinstance(amount_fen, int):
        values["amount_yuan"] = f"{amount_fen // 100}.{amount_fen % 100:02d}"

    try:
        return template.format_map(values)[:300]
    except _Missing:
        return message[:300]
