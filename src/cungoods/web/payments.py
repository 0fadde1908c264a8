"""The payment provider's side of the web shell.

- `POST /payments/notify`: the provider's signed server-to-server notification (HMAC-SHA256 of
  the raw body with CUNGOODS_PAYMENT_SECRET in the `Cungoods-Signature` header). 200 when it is
  settled (or was already: the same providerTxnId pays once), 401 for a bad or missing signature,
  404 for an unknown payment, 409 for an amount that does not match the intent (logged), 400 for
  a body that is not a notification.
- Outside production, the sandbox provider: `GET /payments/sandbox/{paymentId}` is a small page
  with the amount and a Pay button; pressing it (`POST /payments/sandbox/{paymentId}/pay`) signs
  the same notification a real provider would send and hands it to the same handler, so the
  real verification runs in demo, tests and simulate.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cungoods.config import Settings
from cungoods.models import Payment
from cungoods.models.enums import PaymentKind, PaymentState
from cungoods.services.money import payments, signing
from cungoods.services.money.payments import Outcome

NOTIFY_PATH = "/payments/notify"
MAX_NOTIFICATION_BYTES = 4096
_STATUS = {
    Outcome.SETTLED: 200,
    Outcome.ALREADY: 200,
    Outcome.IGNORED: 200,
    Outcome.BAD_SIGNATURE: 401,
    Outcome.MALFORMED: 400,
    Outcome.UNKNOWN: 404,
    Outcome.MISMATCH: 409,
}
# The sandbox page, inline (no outside assets, nothing to package): str.format fields.
_PAGE = """\
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>村货 sandbox payment {id}</title>
<style>
body {{ font-family: sans-serif; max-width: 24rem; margin: 3rem auto; padding: 0 1rem; }}
.amount {{ font-size: 2.5rem; margin: 1rem 0; }}
button {{ font-size: 1.2rem; padding: .6rem 2rem; }}
</style>
</head>
<body>
<h1>Sandbox payment provider</h1>
<p>Payment <b>{id}</b> ({kind}): <span id="state">{state}</span></p>
<p class="amount">¥ {amount}</p>
<form method="post" action="/payments/sandbox/{id}/pay">
<button type="submit" {disabled}>{action}</button>
</form>
<p id="message">{message}</p>
<p><small>Development only: pressing the button sends the provider's signed notification to
/payments/notify.</small></p>
</body>
</html>
"""


def payment_secret(settings: Settings) -> str | None:
    """The secret notifications are signed with: the configured one, or outside production the
    sandbox provider's documented one. None (nothing accepted) in production without one."""
    if settings.payment_secret:
        return settings.payment_secret
    return None if settings.production else payments.SANDBOX_SECRET


async def handle_notification(body: bytes, signature: str | None, settings: Settings) -> Outcome:
    """The one handler of a provider notification, for the route and the sandbox alike."""
    secret = payment_secret(settings)
    if secret is None:
        return Outcome.BAD_SIGNATURE
    return await payments.notify(body=body, signature=signature, secret=secret)


def payment_routes(settings: Settings) -> list[BaseRoute]:
    """/payments/notify, and outside production the sandbox provider's pages."""

    async def notify_endpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_NOTIFICATION_BYTES:
            return JSONResponse({"result": Outcome.MALFORMED.value}, status_code=400)
        outcome = await handle_notification(
            body, request.headers.get(signing.SIGNATURE_HEADER), settings
        )
        return JSONResponse({"result": outcome.value}, status_code=_STATUS[outcome])

    routes: list[BaseRoute] = [Route(NOTIFY_PATH, notify_endpoint, methods=["POST"])]
    if settings.production:
        return routes

    async def sandbox_page(request: Request) -> Response:
        payment = await _payment(request)
        if payment is None:
            return HTMLResponse("<!doctype html><p>No such payment.</p>", status_code=404)
        return HTMLResponse(_page(payment, message=""))

    async def sandbox_pay(request: Request) -> Response:
        payment = await _payment(request)
        if payment is None:
            return HTMLResponse("<!doctype html><p>No such payment.</p>", status_code=404)
        secret = payment_secret(settings)
        assert secret is not None  # outside production there is always one
        body = payments.sandbox_notification(payment).body()
        outcome = await handle_notification(body, signing.sign(body, secret), settings)
        fresh = await payments.get_payment(payment_id=payment.id)
        assert fresh is not None
        return HTMLResponse(
            _page(fresh, message=f"The provider notified the shop: {outcome.value}."),
            status_code=_STATUS[outcome],
        )

    return routes + [
        Route("/payments/sandbox/{payment_id:int}", sandbox_page, methods=["GET"]),
        Route("/payments/sandbox/{payment_id:int}/pay", sandbox_pay, methods=["POST"]),
    ]


async def _payment(request: Request) -> Payment | None:
    payment_id = int(request.path_params["payment_id"])
    if not 1 <= payment_id < 2**31:  # no such row, and past the column's range
        return None
    return await payments.get_payment(payment_id=payment_id)


def _page(payment: Payment, *, message: str) -> str:
    what = "Pay" if payment.kind is PaymentKind.CHARGE else "Confirm the refund"
    return _PAGE.format(
        id=payment.id,
        kind=html.escape(payment.kind.value),
        state=html.escape(payment.state.value),
        amount=f"{payment.amount_fen / 100:.2f}",
        action=html.escape(what),
        disabled="disabled" if payment.state is PaymentState.SUCCEEDED else "",
        message=html.escape(message),
    )
