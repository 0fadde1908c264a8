"""The county network: hubs, stations, routes with their timetables, vehicles, and dated trips
with their stops and the legs between them (where capacity lives)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from cungoods.models.enums import TripStatus

if TYPE_CHECKING:  # accounts imports network (a user's station), so only for the checker
    from cungoods.models.accounts import User


class Hub(Model):
    """A county supply-chain centre: warehouse, sub-packing, cold chain, dispatch."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200, default="")
    lat = fields.FloatField()
    lng = fields.FloatField()

    class Meta:
        table = "hub"


class Station(Model):
    """A village service station, run by a station leader."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=100)
    township = fields.CharField(max_length=50, db_index=True)
    village = fields.CharField(max_length=50)
    lat = fields.FloatField()
    lng = fields.FloatField()
    pickup_hours = fields.CharField(max_length=50, default="09:00-10:00")

    class Meta:
        table = "station"


class Vehicle(Model):
    """A truck: its capacity becomes each leg's capacity when a trip is scheduled."""

    id = fields.IntField(primary_key=True)
    plate = fields.CharField(max_length=20, unique=True)
    capacity_g = fields.IntField()
    capacity_cm3 = fields.IntField()
    chilled_capacity_g = fields.IntField()

    class Meta:
        table = "vehicle"


class Route(Model):
    """A fixed line: stations in order, departure times, the days it runs."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=100)
    hub: fields.ForeignKeyRelation[Hub] = fields.ForeignKeyField(
        "models.Hub", related_name="routes", on_delete=fields.RESTRICT
    )
    vehicle: fields.ForeignKeyNullableRelation[Vehicle] = fields.ForeignKeyField(
        "models.Vehicle", related_name="routes", null=True, on_delete=fields.SET_NULL
    )
    driver: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="driven_routes", null=True, on_delete=fields.SET_NULL
    )
    # "HH:MM" in the service time zone; a route may run more than once a day.
    departure_times: list[str] = fields.JSONField(default=list)
    # ISO weekdays, 1 = Monday.
    days_of_week: list[int] = fields.JSONField(default=list)
    return_minutes = fields.IntField(description="minutes after departure the bus is back")

    hub_id: int
    vehicle_id: int | None
    driver_id: int | None

    stops: fields.ReverseRelation[RouteStop]

    class Meta:
        table = "route"
        indexes = (("hub_id",), ("vehicle_id",), ("driver_id",))


class RouteStop(Model):
    id = fields.IntField(primary_key=True)
    route: fields.ForeignKeyRelation[Route] = fields.ForeignKeyField(
        "models.Route", related_name="stops", on_delete=fields.CASCADE
    )
    seq = fields.IntField(description="1-based, 0 is the hub departure")
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="route_stops", on_delete=fields.RESTRICT
    )
    minutes_from_departure = fields.IntField()

    route_id: int
    station_id: int

    class Meta:
        table = "route_stop"
        unique_together = (("route", "seq"), ("route", "station"))
        indexes = (("station_id",),)  # is the station served, and by which routes


class Trip(Model):
    """One dated run of a route."""

    id = fields.IntField(primary_key=True)
    route: fields.ForeignKeyRelation[Route] = fields.ForeignKeyField(
        "models.Route", related_name="trips", on_delete=fields.RESTRICT
    )
    service_date = fields.DateField(db_index=True)
    departs_at = fields.DatetimeField()
    vehicle: fields.ForeignKeyRelation[Vehicle] = fields.ForeignKeyField(
        "models.Vehicle", related_name="trips", on_delete=fields.RESTRICT
    )
    driver: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="trips", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(TripStatus, default=TripStatus.SCHEDULED, max_length=16)
    delay_minutes = fields.IntField(default=0)

    route_id: int
    vehicle_id: int
    driver_id: int | None

    class Meta:
        table = "trip"
        unique_together = (("route", "departs_at"),)
        # A vehicle's other trips around a date (swapTripVehicle), a driver's trips.
        indexes = (("vehicle_id", "service_date"), ("driver_id",))


class TripStop(Model):
    """Seq 0 is the hub departure, then the stations, the last seq is the hub arrival."""

    id = fields.IntField(primary_key=True)
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="stops", on_delete=fields.CASCADE
    )
    seq = fields.IntField()
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="trip_stops", null=True, on_delete=fields.RESTRICT
    )
    planned_at = fields.DatetimeField()
    expected_at = fields.DatetimeField()
    arrived_at = fields.DatetimeField(null=True)
    departed_at = fields.DatetimeField(null=True)

    trip_id: int
    station_id: int | None

    class Meta:
        table = "trip_stop"
        unique_together = (("trip", "seq"),)
        indexes = (("station_id",),)  # a station's stops: bookable trips, the outlook


class Leg(Model):
    """The stretch from stop `seq` to stop `seq + 1`: capacity and what is reserved of it.

    `used_*` is the total of live shipments spanning the leg: `down_*` is the part going out from
    the hub (up = used - down). Reservations change `used_*` only by conditional UPDATEs (see
    services/capacity/ledger.py): the CHECK constraints are the backstop.
    """

    id = fields.IntField(primary_key=True)
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="legs", on_delete=fields.CASCADE
    )
    seq = fields.IntField()
    capacity_g = fields.IntField()
    capacity_cm3 = fields.IntField()
    chilled_capacity_g = fields.IntField()
    used_g = fields.IntField(default=0)
    used_cm3 = fields.IntField(default=0)
    used_chilled_g = fields.IntField(default=0)
    down_g = fields.IntField(default=0)
    down_cm3 = fields.IntField(default=0)
    down_chilled_g = fields.IntField(default=0)

    trip_id: int

    class Meta:
        table = "leg"
        unique_together = (("trip", "seq"),)
        constraints = (
            CheckConstraint(
                check="used_g >= 0 AND used_g <= capacity_g", name="leg_weight_within_capacity"
            ),
            CheckConstraint(
                check="used_cm3 >= 0 AND used_cm3 <= capacity_cm3",
                name="leg_volume_within_capacity",
            ),
            CheckConstraint(
                check="used_chilled_g >= 0 AND used_chilled_g <= chilled_capacity_g",
                name="leg_chilled_within_capacity",
            ),
            CheckConstraint(
                check="down_g >= 0 AND down_g <= used_g AND down_cm3 >= 0 "
                "AND down_cm3 <= used_cm3 AND down_chilled_g >= 0 "
                "AND down_chilled_g <= used_chilled_g",
                name="leg_down_within_used",
            ),
        )
