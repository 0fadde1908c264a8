"""What a notification says, per event kind, in Chinese and in English.

A template is filled from the event's `params` (and its `message`); when one it names is
missing, the notification falls back to the event's message, so a new kind without a template,
or an event recorded without its details, still tells the person something.
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
    "CLAIM_RESOLVED": {
        "zh": "售后申请已处理：{message}",
        "en": "Your claim is decided: {message}",
    },
    "ORDER_SHORTAGE": {
        "zh": "仓库缺货：{message}",
        "en": "Out of stock at the hub: {message}",
    },
}


class _Missing(KeyError):
    pass


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise _Missing(key)


def text_for(kind: str, language: str, *, message: str, params: Mapping[str, object]) -> str:
    """The notification's text for a person reading `language` (max 300 characters)."""
    template = TEMPLATES.get(kind, {}).get(language)
    if template is None:
        return message[:300]
    values = _Params({key: str(value) for key, value in params.items()})
    values.setdefault("message", message)
    try:
        return template.format_map(values)[:300]
    except _Missing:
        return message[:300]
