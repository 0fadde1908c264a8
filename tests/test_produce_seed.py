"""The demo farmers' produce: listed at their stations, current whenever the demo runs."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from builders import gql
from builders_produce import buy, pin_clock
from cungoods.models import ProduceListing, User
from cungoods.seed import county_data as data
from cungoods.seed.demo import seed_demo
from cungoods.seed.produce import seed_produce
from cungoods.services import clock

SEARCH = """
query($text: String) {
  produceListings(filter: {text: $text}, first: 100) { totalCount nodes { title farmer { name } } }
}
"""


async def test_the_demo_farmers_list_their_produce_once_and_keep_it_current(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    await seed_demo()

    await seed_produce()
    first = {(x.farmer_id, x.title, x.ready_from, x.sold) for x in await ProduceListing.all()}
    await seed_produce()
    again = {(x.farmer_id, x.title, x.ready_from, x.sold) for x in await ProduceListing.all()}

    assert len(first) == len(data.LISTINGS)
    assert again == first
    for listing in await ProduceListing.all().prefetch_related("farmer", "station"):
        seed = next(s for s in data.LISTINGS if s.title == listing.title)
        assert listing.farmer.station_id == listing.station_id  # handed over at home
        assert listing.ready_from == today + dt.timedelta(days=seed.ready_in_days)
    ponkan = (await gql(client, SEARCH, {"text": "椪柑"}))["data"]["produceListings"]
    assert ponkan["totalCount"] >= 1
    everything = (await gql(client, SEARCH))["data"]["produceListings"]
    ready_now = [s for s in data.LISTINGS if s.ready_in_days == 0]
    assert everything["totalCount"] == len(data.LISTINGS) >= len(ready_now)

    # A month later (a demo left running), a run puts the listings back on sale.
    later = pin_clock("05:00", days=30)
    await seed_produce()
    assert await ProduceListing.all().count() == len(data.LISTINGS)
    assert all(listing.ready_until >= later for listing in await ProduceListing.all())


async def test_a_demo_listing_can_be_bought_and_rides_a_demo_bus(client: httpx.AsyncClient) -> None:
    pin_clock("05:00")
    await seed_demo()
    await seed_produce()
    listing = await ProduceListing.filter(ready_from=clock.today()).order_by("id").first()
    assert listing is not None

    demo_buyer = await User.get(phone="13500000001")

    result = await buy(client, demo_buyer, listing, listing.min_quantity)

    assert result["errors"] == []
    assert result["purchase"]["status"] == "RESERVED"


async def test_it_needs_the_demo_farmers() -> None:
    assert not await User.exists()
    with pytest.raises(RuntimeError, match="13600000001"):
        await seed_produce()
