"""Demo data for the Qujiang district (衢江区, Quzhou, Zhejiang) village-goods network.

Pure data, no project imports: `cungoods seed --demo` turns these records into rows. The
network mirrors the real county system described in the local news (6 村货巴士 routes, 150
数字乡村服务站, one county supply-chain hub): townships are the real ones of the district,
villages are real or plausible names inside them, coordinates are approximate but put each
route out in one coherent direction with consecutive stops a few kilometres apart.

Order matters: demo accounts are numbered by position (leader of station S0001 is
13900000001, farmer 1 is 13600000001, buyer 1 is 13500000001, driver of R1 is 13700000001),
so append, never reorder.

Units follow the domain model: money in fen, weight in grams, volume in cm³, clock times as
"HH:MM" in Asia/Shanghai, weekdays as ISO numbers (1 = Monday).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from itertools import pairwise
from typing import Literal

# The same three values as models.enums.Temperature; a plain Literal keeps this module
# importable without the ORM.
Temperature = Literal["AMBIENT", "CHILLED", "FROZEN"]
TEMPERATURES: tuple[Temperature, ...] = ("AMBIENT", "CHILLED", "FROZEN")

# Categories shared by the hub catalog and farmers' listings, so a buyer filtering on 水果 sees
# both the hub's bananas and a farmer's ponkan.
CATEGORIES: tuple[str, ...] = (
    "粮油",
    "禽蛋",
    "蔬菜",
    "水果",
    "水产",
    "肉禽",
    "速冻",
    "乳品",
    "豆制品",
    "调味",
    "日用",
    "饮品",
    "茶叶",
    "干货",
    "土特产",
)

# The buses run every day: villagers order every evening, the county news stresses 定时.
EVERY_DAY: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)

# Villagers collect next morning between these hours (from the news report: 早上9、10点).
PICKUP_HOURS = "09:00-10:00"


@dataclass(frozen=True, slots=True)
class HubSeed:
    code: str
    name: str
    address: str
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class VehicleSeed:
    """Field names match models.network.Vehicle, so a seeder can pass them straight on."""

    plate: str
    capacity_g: int
    capacity_cm3: int
    chilled_capacity_g: int


@dataclass(frozen=True, slots=True)
class StationSeed:
    """A village service station and where it sits on its (single) route."""

    code: str
    name: str
    township: str
    village: str
    lat: float
    lng: float
    minutes_from_departure: int
    pickup_hours: str = PICKUP_HOURS


@dataclass(frozen=True, slots=True)
class RouteSeed:
    code: str
    name: str
    departure_times: tuple[str, ...]
    days_of_week: tuple[int, ...]
    vehicle: VehicleSeed
    stops: tuple[StationSeed, ...]
    # Minutes after departure at which the bus is back at the hub (the last trip stop).
    return_minutes: int


@dataclass(frozen=True, slots=True)
class ProductSeed:
    """Field names match models.catalog.Product."""

    sku: str
    name: str
    category: str
    unit: str
    price_fen: int
    weight_g: int
    volume_cm3: int
    temperature: Temperature


@dataclass(frozen=True, slots=True)
class FarmerSeed:
    name: str
    # Where the farmer hands produce over to the bus (their home village station).
    station_code: str
    cooperative: str | None


@dataclass(frozen=True, slots=True)
class BuyerSeed:
    name: str
    # The station the buyer usually picks up at.
    station_code: str


@dataclass(frozen=True, slots=True)
class ListingSeed:
    """A farmer's offer; dates are relative so the demo is always current.

    ready_from = today + ready_in_days, ready_until = ready_from + ready_for_days. Price, weight
    and volume are per `unit`; `quantity` and `min_quantity` count units. The handover station
    is the farmer's station.
    """

    farmer_index: int
    title: str
    category: str
    variety: str
    grade: str
    unit: str
    unit_weight_g: int
    unit_volume_cm3: int
    price_fen: int
    quantity: int
    min_quantity: int
    ready_in_days: int
    ready_for_days: int
    temperature: Temperature
    description: str


def _stop(
    code: str, township: str, village: str, lat: float, lng: float, minutes: int
) -> StationSeed:
    # Every station is named after its village ("段家村服务站"), as on the real signboards.
    return StationSeed(code, f"{village}服务站", township, village, lat, lng, minutes)


# The county supply-chain centre (warehouse, sub-packing, cold chain, sorting) sits in the
# Qujiang economic development zone on the east side of the urban area, next to the roads
# out to every direction.
HUB = HubSeed(
    code="QJ-HUB",
    name="衢江区城乡供应链中心",
    address="浙江省衢州市衢江区樟潭街道衢江经济开发区物流园",
    lat=28.9725,
    lng=118.9560,
)

# Six lines, each heading out in one direction and looping back to the hub (the way back
# carries the villages' produce to the city). Stops are in driving order; minutes include
# ~2 min at each stop to swap crates. Station codes run S0001..S0150 in this order because
# leader accounts are numbered by it. Departures leave the farthest village time to be served
# before the 09:00 pickup; the two long mountain lines (R3, R4) leave half an hour earlier.
# Vehicles are light box trucks with a chilled compartment; payload and volume vary by how
# many villages a line serves and how narrow its roads are.
ROUTES: tuple[RouteSeed, ...] = (
    RouteSeed(
        code="R1",
        name="村货巴士1号线 樟潭—高家—岭洋方向",
        departure_times=("05:30",),
        days_of_week=EVERY_DAY,
        # 福田祥菱M2 厢式轻卡, 1.8 t, 10.5 m³, 前舱冷藏隔断
        vehicle=VehicleSeed(
            plate="浙H·3K627",
            capacity_g=1_800_000,
            capacity_cm3=10_500_000,
            chilled_capacity_g=500_000,
        ),
        return_minutes=183,
        stops=(
            _stop("S0001", "樟潭街道", "樟潭村", 28.9628, 118.9966, 15),
            _stop("S0002", "樟潭街道", "虹桥村", 28.9612, 119.0110, 21),
            _stop("S0003", "樟潭街道", "下张村", 28.9563, 119.0171, 25),
            _stop("S0004", "高家镇", "高家村", 28.9596, 119.0281, 29),
            _stop("S0005", "高家镇", "段家村", 28.9508, 119.0334, 34),
            _stop("S0006", "高家镇", "盈川村", 28.9486, 119.0455, 39),
            _stop("S0007", "高家镇", "麻蓬村", 28.9524, 119.0445, 43),
            _stop("S0008", "高家镇", "蛟垄村", 28.9525, 119.0555, 47),
            _stop("S0009", "高家镇", "湖仁村", 28.9439, 119.0621, 52),
            _stop("S0010", "高家镇", "下叶村", 28.9476, 119.0629, 55),
            _stop("S0011", "高家镇", "上宅村", 28.9459, 119.0726, 60),
            _stop("S0012", "高家镇", "里山村", 28.9418, 119.0797, 64),
            _stop("S0013", "高家镇", "碗窑村", 28.9407, 119.0866, 68),
            _stop("S0014", "高家镇", "岩头村", 28.9372, 119.0870, 71),
            _stop("S0015", "高家镇", "塘头村", 28.9318, 119.0991, 76),
            _stop("S0016", "高家镇", "新岭村", 28.9360, 119.1002, 80),
            _stop("S0017", "高家镇", "章家村", 28.9354, 119.1115, 85),
            _stop("S0018", "高家镇", "后塘村", 28.9272, 119.1167, 89),
            _stop("S0019", "岭洋乡", "岭洋村", 28.9081, 119.1117, 95),
            _stop("S0020", "岭洋乡", "赖家村", 28.9017, 119.1045, 101),
            _stop("S0021", "岭洋乡", "洋坑村", 28.8930, 119.1008, 106),
            _stop("S0022", "岭洋乡", "大坪头村", 28.8811, 119.0979, 113),
            _stop("S0023", "岭洋乡", "茶坪村", 28.8684, 119.0920, 121),
            _stop("S0024", "岭洋乡", "坑口村", 28.8594, 119.0801, 128),
            _stop("S0025", "岭洋乡", "石门村", 28.8488, 119.0744, 134),
            _stop("S0026", "岭洋乡", "抱珠垄村", 28.8382, 119.0734, 141),
        ),
    ),
    RouteSeed(
        code="R2",
        name="村货巴士2号线 廿里—周家—黄坛口方向",
        departure_times=("05:30",),
        days_of_week=EVERY_DAY,
        # 江铃顺达 4.2 m 厢式货车, 2.5 t, 15 m³, 冷藏 700 kg
        vehicle=VehicleSeed(
            plate="浙H·6D359",
            capacity_g=2_500_000,
            capacity_cm3=15_000_000,
            chilled_capacity_g=700_000,
        ),
        return_minutes=164,
        stops=(
            _stop("S0027", "廿里镇", "廿里村", 28.9288, 118.9683, 15),
            _stop("S0028", "廿里镇", "黄山村", 28.9206, 118.9714, 20),
            _stop("S0029", "廿里镇", "孟姜村", 28.9161, 118.9724, 23),
            _stop("S0030", "廿里镇", "六都杨村", 28.9069, 118.9764, 28),
            _stop("S0031", "廿里镇", "石塔头村", 28.9020, 118.9789, 31),
            _stop("S0032", "廿里镇", "后坞村", 28.9031, 118.9802, 34),
            _stop("S0033", "廿里镇", "毛家村", 28.8938, 118.9814, 39),
            _stop("S0034", "廿里镇", "杨家畈村", 28.8863, 118.9797, 43),
            _stop("S0035", "廿里镇", "里徐村", 28.8852, 118.9795, 46),
            _stop("S0036", "廿里镇", "荷花塘村", 28.8732, 118.9790, 52),
            _stop("S0037", "廿里镇", "西山村", 28.8723, 118.9847, 55),
            _stop("S0038", "廿里镇", "上张村", 28.8613, 118.9816, 61),
            _stop("S0039", "周家乡", "周家村", 28.8513, 118.9969, 66),
            _stop("S0040", "周家乡", "塘坞村", 28.8478, 118.9876, 71),
            _stop("S0041", "周家乡", "上叶村", 28.8361, 118.9774, 78),
            _stop("S0042", "周家乡", "溪口村", 28.8284, 118.9708, 84),
            _stop("S0043", "周家乡", "坑西村", 28.8242, 118.9654, 88),
            _stop("S0044", "周家乡", "大路边村", 28.8181, 118.9557, 94),
            _stop("S0045", "黄坛口乡", "黄坛口村", 28.8391, 118.9234, 103),
            _stop("S0046", "黄坛口乡", "茶圩村", 28.8513, 118.9164, 110),
            _stop("S0047", "黄坛口乡", "紫荆坑村", 28.8626, 118.9073, 116),
            _stop("S0048", "黄坛口乡", "仁里村", 28.8698, 118.9025, 121),
            _stop("S0049", "黄坛口乡", "外黄村", 28.8876, 118.8989, 129),
            _stop("S0050", "黄坛口乡", "岭头村", 28.8973, 118.8889, 136),
        ),
    ),
    RouteSeed(
        code="R3",
        name="村货巴士3号线 湖南—举村方向",
        departure_times=("05:00",),
        days_of_week=EVERY_DAY,
        # 五十铃 KV100 厢式轻卡, 1.5 t, 8 m³, 冷藏 300 kg: the smallest truck, because the road
        # along the 湖南镇 reservoir up to 举村 is narrow and steep.
        vehicle=VehicleSeed(
            plate="浙H·2F815",
            capacity_g=1_500_000,
            capacity_cm3=8_000_000,
            chilled_capacity_g=300_000,
        ),
        return_minutes=201,
        stops=(
            _stop("S0051", "湖南镇", "湖南村", 28.8320, 118.8995, 30),
            _stop("S0052", "湖南镇", "破石村", 28.8223, 118.9039, 36),
            _stop("S0053", "湖南镇", "蓝家村", 28.8157, 118.9051, 40),
            _stop("S0054", "湖南镇", "项家村", 28.8066, 118.9045, 45),
            _stop("S0055", "湖南镇", "山头村", 28.7971, 118.9072, 51),
            _stop("S0056", "湖南镇", "岩下村", 28.7974, 118.9092, 54),
            _stop("S0057", "湖南镇", "蒋家村", 28.7888, 118.9135, 59),
            _stop("S0058", "湖南镇", "下山溪村", 28.7821, 118.9165, 64),
            _stop("S0059", "湖南镇", "黄泥岭村", 28.7715, 118.9113, 70),
            _stop("S0060", "湖南镇", "北源村", 28.7671, 118.9129, 74),
            _stop("S0061", "湖南镇", "竹源村", 28.7597, 118.9189, 79),
            _stop("S0062", "湖南镇", "高坪村", 28.7529, 118.9238, 84),
            _stop("S0063", "举村乡", "举村村", 28.7362, 118.9312, 89),
            _stop("S0064", "举村乡", "翁村村", 28.7370, 118.9435, 96),
            _stop("S0065", "举村乡", "西坑村", 28.7338, 118.9511, 101),
            _stop("S0066", "举村乡", "大坪村", 28.7288, 118.9566, 106),
            _stop("S0067", "举村乡", "上庄村", 28.7237, 118.9635, 111),
            _stop("S0068", "举村乡", "溪东村", 28.7182, 118.9731, 118),
            _stop("S0069", "举村乡", "桐坑村", 28.7154, 118.9785, 122),
            _stop("S0070", "举村乡", "大岭村", 28.7144, 118.9892, 128),
            _stop("S0071", "举村乡", "茶园村", 28.7064, 118.9976, 135),
            _stop("S0072", "举村乡", "杉木坞村", 28.7028, 119.0014, 139),
        ),
    ),
    RouteSeed(
        code="R4",
        name="村货巴士4号线 横路—杜泽—上方—灰坪方向",
        departure_times=("05:00",),
        days_of_week=EVERY_DAY,
        # 江淮帅铃 厢式轻卡, 2.2 t, 13 m³, 冷藏 600 kg
        vehicle=VehicleSeed(
            plate="浙H·5B237",
            capacity_g=2_200_000,
            capacity_cm3=13_000_000,
            chilled_capacity_g=600_000,
        ),
        return_minutes=218,
        stops=(
            _stop("S0073", "横路办事处", "横路村", 29.0421, 118.9866, 17),
            _stop("S0074", "横路办事处", "坞口村", 29.0573, 118.9947, 24),
            _stop("S0075", "横路办事处", "范家村", 29.0647, 119.0020, 29),
            _stop("S0076", "横路办事处", "下宅村", 29.0723, 119.0036, 33),
            _stop("S0077", "杜泽镇", "杜泽村", 29.0934, 119.0117, 39),
            _stop("S0078", "杜泽镇", "铜山村", 29.0971, 119.0075, 43),
            _stop("S0079", "杜泽镇", "白水村", 29.1045, 118.9960, 49),
            _stop("S0080", "杜泽镇", "塔山村", 29.1104, 118.9914, 53),
            _stop("S0081", "杜泽镇", "寺后村", 29.1117, 118.9862, 56),
            _stop("S0082", "杜泽镇", "溪滩村", 29.1160, 118.9845, 59),
            _stop("S0083", "杜泽镇", "后山村", 29.1257, 118.9839, 64),
            _stop("S0084", "杜泽镇", "清泉村", 29.1310, 118.9732, 69),
            _stop("S0085", "杜泽镇", "桥头村", 29.1367, 118.9692, 73),
            _stop("S0086", "杜泽镇", "枫林村", 29.1363, 118.9680, 76),
            _stop("S0087", "上方镇", "上方村", 29.1510, 118.9526, 82),
            _stop("S0088", "上方镇", "大坞村", 29.1645, 118.9608, 90),
            _stop("S0089", "上方镇", "玉泉村", 29.1712, 118.9589, 94),
            _stop("S0090", "上方镇", "畈中村", 29.1767, 118.9628, 98),
            _stop("S0091", "上方镇", "蒋坞村", 29.1852, 118.9612, 103),
            _stop("S0092", "上方镇", "源口村", 29.1890, 118.9645, 106),
            _stop("S0093", "上方镇", "溪边村", 29.1917, 118.9698, 110),
            _stop("S0094", "灰坪乡", "灰坪村", 29.2046, 118.9904, 117),
            _stop("S0095", "灰坪乡", "黄石村", 29.2106, 118.9955, 122),
            _stop("S0096", "灰坪乡", "高山村", 29.2119, 119.0105, 130),
            _stop("S0097", "灰坪乡", "茶坑村", 29.2230, 119.0118, 136),
            _stop("S0098", "灰坪乡", "竹林村", 29.2241, 119.0236, 143),
            _stop("S0099", "灰坪乡", "塘源村", 29.2307, 119.0311, 149),
            _stop("S0100", "灰坪乡", "云峰村", 29.2348, 119.0417, 155),
        ),
    ),
    RouteSeed(
        code="R5",
        name="村货巴士5号线 全旺—大洲—后溪—峡川方向",
        departure_times=("05:30",),
        days_of_week=EVERY_DAY,
        # 东风凯普特 厢式货车, 2.99 t, 16 m³, 冷藏 800 kg
        vehicle=VehicleSeed(
            plate="浙H·8C062",
            capacity_g=2_990_000,
            capacity_cm3=16_000_000,
            chilled_capacity_g=800_000,
        ),
        return_minutes=200,
        stops=(
            _stop("S0101", "全旺镇", "全旺村", 29.0042, 119.0086, 15),
            _stop("S0102", "全旺镇", "新塘边村", 29.0115, 119.0084, 19),
            _stop("S0103", "全旺镇", "上坂村", 29.0079, 119.0164, 23),
            _stop("S0104", "全旺镇", "黄甲山村", 29.0091, 119.0224, 27),
            _stop("S0105", "全旺镇", "双溪村", 29.0175, 119.0280, 32),
            _stop("S0106", "全旺镇", "前山村", 29.0185, 119.0395, 37),
            _stop("S0107", "全旺镇", "王家村", 29.0182, 119.0441, 40),
            _stop("S0108", "大洲镇", "大洲村", 29.0258, 119.0575, 45),
            _stop("S0109", "大洲镇", "兰家村", 29.0273, 119.0683, 50),
            _stop("S0110", "大洲镇", "湖头村", 29.0292, 119.0770, 54),
            _stop("S0111", "大洲镇", "上塘村", 29.0363, 119.0836, 59),
            _stop("S0112", "大洲镇", "新星村", 29.0322, 119.0909, 63),
            _stop("S0113", "大洲镇", "官碓村", 29.0344, 119.0973, 67),
            _stop("S0114", "大洲镇", "沙埠村", 29.0427, 119.1059, 72),
            _stop("S0115", "后溪镇", "后溪村", 29.0497, 119.1248, 78),
            _stop("S0116", "后溪镇", "西畈村", 29.0575, 119.1304, 82),
            _stop("S0117", "后溪镇", "童家村", 29.0582, 119.1378, 86),
            _stop("S0118", "后溪镇", "东湖村", 29.0688, 119.1495, 93),
            _stop("S0119", "后溪镇", "夏家村", 29.0765, 119.1580, 98),
            _stop("S0120", "后溪镇", "长山村", 29.0819, 119.1657, 103),
            _stop("S0121", "峡川镇", "峡川村", 29.1141, 119.1381, 113),
            _stop("S0122", "峡川镇", "李泽村", 29.1241, 119.1274, 121),
            _stop("S0123", "峡川镇", "坎底村", 29.1342, 119.1146, 129),
            _stop("S0124", "峡川镇", "湖坪村", 29.1383, 119.1014, 135),
            _stop("S0125", "峡川镇", "岭根村", 29.1516, 119.0937, 143),
            _stop("S0126", "峡川镇", "东坪村", 29.1569, 119.0880, 148),
        ),
    ),
    RouteSeed(
        code="R6",
        name="村货巴士6号线 浮石—莲花—云溪—太真方向",
        departure_times=("05:30",),
        days_of_week=EVERY_DAY,
        # 福田奥铃 厢式轻卡, 2 t, 12 m³, 冷藏 450 kg
        vehicle=VehicleSeed(
            plate="浙H·7A590",
            capacity_g=2_000_000,
            capacity_cm3=12_000_000,
            chilled_capacity_g=450_000,
        ),
        return_minutes=189,
        stops=(
            _stop("S0127", "浮石街道", "浮石村", 29.0083, 118.9687, 15),
            _stop("S0128", "浮石街道", "东迹村", 29.0065, 118.9588, 20),
            _stop("S0129", "浮石街道", "樟树下村", 29.0094, 118.9420, 26),
            _stop("S0130", "莲花镇", "莲花村", 29.0286, 118.9413, 32),
            _stop("S0131", "莲花镇", "涧峰村", 29.0278, 118.9367, 36),
            _stop("S0132", "莲花镇", "五坦村", 29.0366, 118.9388, 40),
            _stop("S0133", "莲花镇", "西山下村", 29.0399, 118.9380, 43),
            _stop("S0134", "莲花镇", "东山村", 29.0456, 118.9364, 47),
            _stop("S0135", "莲花镇", "芝溪村", 29.0474, 118.9300, 51),
            _stop("S0136", "莲花镇", "友好村", 29.0589, 118.9269, 56),
            _stop("S0137", "云溪乡", "云溪村", 29.0469, 118.9026, 63),
            _stop("S0138", "云溪乡", "塔底村", 29.0559, 118.9032, 68),
            _stop("S0139", "云溪乡", "明堂村", 29.0685, 118.8924, 75),
            _stop("S0140", "云溪乡", "下徐村", 29.0696, 118.8870, 78),
            _stop("S0141", "云溪乡", "杉树坞村", 29.0774, 118.8886, 83),
            _stop("S0142", "双桥乡", "双桥村", 29.0933, 118.9015, 89),
            _stop("S0143", "双桥乡", "汪家村", 29.1012, 118.9087, 94),
            _stop("S0144", "双桥乡", "龙坞村", 29.1101, 118.9152, 100),
            _stop("S0145", "双桥乡", "长岭村", 29.1116, 118.9237, 104),
            _stop("S0146", "太真乡", "太真村", 29.1326, 118.9116, 111),
            _stop("S0147", "太真乡", "宋家村", 29.1478, 118.9049, 119),
            _stop("S0148", "太真乡", "黄泥坞村", 29.1565, 118.8995, 125),
            _stop("S0149", "太真乡", "高坞村", 29.1644, 118.8991, 130),
            _stop("S0150", "太真乡", "鸡鸣村", 29.1786, 118.8933, 138),
        ),
    ),
)

# All stations in seed order (S0001 first).
STATIONS: tuple[StationSeed, ...] = tuple(stop for route in ROUTES for stop in route.stops)

# The hub catalog for the group buy: everyday goods a village shop lacks plus fresh food.
# Prices are ordinary 2026 county-supermarket prices; weight and volume are per unit as packed
# in the crate (packaging included), because that is what the bus capacity has to carry.
# Loose vegetables, fruit, fish and meat are sold by the 斤 (500 g) as in any Chinese market.
PRODUCTS: tuple[ProductSeed, ...] = (
    # Staples: rice and oil are the heavy items that fill the weight budget first.
    ProductSeed("RICE-001", "五常大米 10kg", "粮油", "袋", 9990, 10_050, 16_000, "AMBIENT"),
    ProductSeed("RICE-002", "衢江本地晚稻米 5kg", "粮油", "袋", 3590, 5030, 7500, "AMBIENT"),
    ProductSeed("RICE-003", "东北长粒香米 5kg", "粮油", "袋", 3990, 5030, 7500, "AMBIENT"),
    ProductSeed("GRAIN-001", "鸡蛋挂面 1kg", "粮油", "包", 890, 1020, 1800, "AMBIENT"),
    ProductSeed("GRAIN-002", "高筋小麦粉 2.5kg", "粮油", "袋", 1690, 2520, 3600, "AMBIENT"),
    ProductSeed("OIL-001", "金龙鱼食用调和油 5L", "粮油", "桶", 6990, 4700, 6800, "AMBIENT"),
    ProductSeed("OIL-002", "鲁花5S压榨一级花生油 5L", "粮油", "桶", 15_990, 4750, 6800, "AMBIENT"),
    ProductSeed("OIL-003", "压榨菜籽油 5L", "粮油", "桶", 7990, 4700, 6800, "AMBIENT"),
    # Eggs travel ambient in China; the tray box is bulky for its weight.
    ProductSeed("EGG-001", "鲜鸡蛋 30枚", "禽蛋", "盒", 2590, 1850, 4200, "AMBIENT"),
    ProductSeed("EGG-002", "咸鸭蛋 6枚", "禽蛋", "盒", 1290, 480, 900, "AMBIENT"),
    # Vegetables: late-November field crops keep without cooling for a day's run.
    ProductSeed("VEG-001", "青菜(上海青)", "蔬菜", "斤", 299, 500, 1800, "AMBIENT"),
    ProductSeed("VEG-002", "土豆", "蔬菜", "斤", 249, 500, 700, "AMBIENT"),
    ProductSeed("VEG-003", "西红柿", "蔬菜", "斤", 399, 500, 800, "AMBIENT"),
    ProductSeed("VEG-004", "黄瓜", "蔬菜", "斤", 399, 500, 900, "AMBIENT"),
    ProductSeed("VEG-005", "黄心大白菜 约2kg", "蔬菜", "颗", 590, 2000, 5000, "AMBIENT"),
    ProductSeed("VEG-006", "胡萝卜", "蔬菜", "斤", 249, 500, 700, "AMBIENT"),
    ProductSeed("VEG-007", "洋葱", "蔬菜", "斤", 249, 500, 750, "AMBIENT"),
    ProductSeed("VEG-008", "生姜", "蔬菜", "斤", 899, 500, 750, "AMBIENT"),
    ProductSeed("VEG-009", "大蒜", "蔬菜", "斤", 799, 500, 1000, "AMBIENT"),
    ProductSeed("VEG-010", "白萝卜", "蔬菜", "斤", 149, 500, 650, "AMBIENT"),
    ProductSeed("VEG-011", "西兰花 约400g", "蔬菜", "个", 499, 400, 1500, "AMBIENT"),
    # Fresh mushrooms sweat and spoil in a warm crate: they ride in the chilled compartment.
    ProductSeed("VEG-012", "鲜香菇", "蔬菜", "斤", 899, 500, 2200, "CHILLED"),
    # Fruit. Peaches in November are late-season Yunnan 冬桃, sold boxed to avoid bruising.
    ProductSeed("FRUIT-001", "水蜜桃(云南冬桃) 4个装", "水果", "盒", 2990, 1100, 3000, "AMBIENT"),
    ProductSeed("FRUIT-002", "烟台红富士苹果", "水果", "斤", 699, 500, 900, "AMBIENT"),
    ProductSeed("FRUIT-003", "香蕉", "水果", "斤", 399, 500, 1000, "AMBIENT"),
    ProductSeed("FRUIT-004", "砂糖橘", "水果", "斤", 499, 500, 800, "AMBIENT"),
    ProductSeed("FRUIT-005", "常山胡柚 约500g", "水果", "个", 500, 550, 900, "AMBIENT"),
    ProductSeed("FRUIT-006", "砀山酥梨", "水果", "斤", 449, 500, 800, "AMBIENT"),
    ProductSeed("FRUIT-007", "红心猕猴桃 12个装", "水果", "盒", 3990, 1200, 3000, "AMBIENT"),
    # Fish is killed, cleaned and iced at the hub: chilled, priced per 斤.
    ProductSeed("FISH-001", "鲫鱼", "水产", "斤", 1390, 500, 900, "CHILLED"),
    ProductSeed("FISH-002", "泥鳅", "水产", "斤", 2580, 500, 800, "CHILLED"),
    ProductSeed("FISH-003", "草鱼段", "水产", "斤", 1090, 500, 700, "CHILLED"),
    ProductSeed("FISH-004", "花鲢鱼头", "水产", "斤", 1490, 500, 1000, "CHILLED"),
    ProductSeed("FISH-005", "基围虾", "水产", "斤", 4590, 500, 1000, "CHILLED"),
    ProductSeed("MEAT-001", "猪五花肉", "肉禽", "斤", 1690, 500, 600, "CHILLED"),
    ProductSeed("MEAT-002", "猪前腿肉", "肉禽", "斤", 1490, 500, 550, "CHILLED"),
    ProductSeed("MEAT-003", "猪肋排", "肉禽", "斤", 2890, 500, 800, "CHILLED"),
    ProductSeed("MEAT-004", "冷鲜鸡翅中 500g", "肉禽", "盒", 2490, 520, 900, "CHILLED"),
    # Frozen goods share the chilled compartment in insulated boxes with ice packs.
    ProductSeed("FRZ-001", "猪肉白菜速冻水饺 1kg", "速冻", "袋", 2590, 1030, 2200, "FROZEN"),
    ProductSeed("FRZ-002", "黑芝麻汤圆 500g", "速冻", "袋", 1290, 520, 1000, "FROZEN"),
    ProductSeed("FRZ-003", "冻鸡腿 1kg", "速冻", "袋", 2290, 1020, 1800, "FROZEN"),
    ProductSeed("FRZ-004", "冻带鱼段 1kg", "速冻", "袋", 3990, 1030, 1600, "FROZEN"),
    ProductSeed("FRZ-005", "原味手抓饼 10片", "速冻", "袋", 1590, 950, 2500, "FROZEN"),
    ProductSeed("DAIRY-001", "鲜牛奶 950ml", "乳品", "瓶", 1590, 1010, 1100, "CHILLED"),
    ProductSeed("DAIRY-002", "风味酸奶 100g*8杯", "乳品", "提", 1790, 880, 1400, "CHILLED"),
    # UHT milk keeps at room temperature; a whole case is what families order.
    ProductSeed("DAIRY-003", "纯牛奶 250ml*24盒", "乳品", "箱", 6490, 6400, 8500, "AMBIENT"),
    ProductSeed("TOFU-001", "嫩豆腐 400g", "豆制品", "盒", 399, 420, 500, "CHILLED"),
    ProductSeed("TOFU-002", "五香豆腐干 300g", "豆制品", "袋", 690, 320, 450, "CHILLED"),
    ProductSeed("SEAS-001", "海天生抽酱油 1.9L", "调味", "瓶", 1990, 2250, 2600, "AMBIENT"),
    ProductSeed("SEAS-002", "加碘精制食盐 400g", "调味", "袋", 250, 405, 350, "AMBIENT"),
    ProductSeed("SEAS-003", "绵白糖 500g", "调味", "袋", 690, 505, 600, "AMBIENT"),
    ProductSeed("SEAS-004", "镇江香醋 500ml", "调味", "瓶", 890, 650, 700, "AMBIENT"),
    ProductSeed("SEAS-005", "绍兴料酒 500ml", "调味", "瓶", 690, 700, 700, "AMBIENT"),
    ProductSeed("SEAS-006", "蚝油 700g", "调味", "瓶", 1290, 850, 800, "AMBIENT"),
    ProductSeed("SEAS-007", "鸡精 200g", "调味", "袋", 990, 205, 400, "AMBIENT"),
    ProductSeed("SEAS-008", "郫县豆瓣酱 500g", "调味", "瓶", 1090, 650, 550, "AMBIENT"),
    # Household goods: light but bulky (tissue), so they fill the volume budget first.
    ProductSeed("HOME-001", "洗衣液 3kg", "日用", "桶", 4990, 3200, 3600, "AMBIENT"),
    ProductSeed("HOME-002", "抽纸 3层100抽*10包", "日用", "提", 2990, 1150, 16_000, "AMBIENT"),
    ProductSeed("HOME-003", "卷纸 4层*10卷", "日用", "提", 2690, 1400, 14_000, "AMBIENT"),
    ProductSeed("HOME-004", "牙膏 180g", "日用", "支", 1590, 230, 350, "AMBIENT"),
    ProductSeed("HOME-005", "洗洁精 1.5kg", "日用", "瓶", 1290, 1580, 1700, "AMBIENT"),
    ProductSeed("HOME-006", "加厚垃圾袋 中号100只", "日用", "包", 990, 450, 900, "AMBIENT"),
    ProductSeed("HOME-007", "香皂 125g*3块", "日用", "盒", 1290, 420, 600, "AMBIENT"),
    ProductSeed("HOME-008", "洗发水 750ml", "日用", "瓶", 3990, 850, 1000, "AMBIENT"),
    ProductSeed(
        "DRINK-001", "饮用天然水 550ml*24瓶", "饮品", "箱", 2990, 13_600, 16_000, "AMBIENT"
    ),
)

# The cooperatives named in the demo. The grain co-op union is the real one from the county
# news (衢江区高家粮油专业合作社联合社); the others are plausible local co-ops.
COOP_GRAIN = "衢江区高家粮油专业合作社联合社"
COOP_CAMELLIA = "廿里镇黄山村油茶专业合作社"
COOP_PONKAN = "衢江区椪柑产销专业合作社"
COOP_BAMBOO = "岭洋乡高山笋竹专业合作社"
COOP_JUCUN = "举村乡高山生态农业专业合作社"
COOP_MUSHROOM = "上方镇香菇专业合作社"
COOP_TEA = "灰坪乡高山茶叶专业合作社"
COOP_KIWI = "后溪镇红心猕猴桃专业合作社"
COOP_DONGPING = "峡川镇东坪高山果蔬专业合作社"
COOP_VEG = "莲花镇蔬菜专业合作社"

# Demo farmers 13600000001..13600000040, in this order. Each sits at a village whose produce
# fits the place: rice on the 高家 plain, camellia oil at 黄山村 (the 油茶 demonstration base
# in the news), winter bamboo shoots and mushrooms in the southern and northern hills.
FARMERS: tuple[FarmerSeed, ...] = (
    # R1: 高家镇 rice plain and the 岭洋 hills
    FarmerSeed("徐国平", "S0005", COOP_GRAIN),  # 高家镇段家村
    FarmerSeed("郑荣华", "S0006", COOP_GRAIN),  # 高家镇盈川村
    FarmerSeed("余水根", "S0007", None),  # 高家镇麻蓬村
    FarmerSeed("姜秀芳", "S0009", None),  # 高家镇湖仁村
    FarmerSeed("叶长青", "S0019", COOP_BAMBOO),  # 岭洋乡岭洋村
    FarmerSeed("赖金福", "S0020", None),  # 岭洋乡赖家村
    FarmerSeed("汪美英", "S0023", None),  # 岭洋乡茶坪村
    # R2: 廿里 camellia and ponkan, 周家, 黄坛口 by the 乌溪江
    FarmerSeed("柴建新", "S0028", COOP_CAMELLIA),  # 廿里镇黄山村
    FarmerSeed("毛彩凤", "S0028", COOP_CAMELLIA),  # 廿里镇黄山村
    FarmerSeed("孟德华", "S0029", COOP_PONKAN),  # 廿里镇孟姜村
    FarmerSeed("杨志勇", "S0030", COOP_PONKAN),  # 廿里镇六都杨村
    FarmerSeed("周春娥", "S0039", None),  # 周家乡周家村
    FarmerSeed("吴樟根", "S0042", None),  # 周家乡溪口村
    FarmerSeed("方海林", "S0045", None),  # 黄坛口乡黄坛口村
    # R3: 湖南镇 and 举村乡, the southern mountains
    FarmerSeed("蓝小英", "S0052", COOP_PONKAN),  # 湖南镇破石村
    FarmerSeed("项建军", "S0054", None),  # 湖南镇项家村
    FarmerSeed("程福明", "S0060", None),  # 湖南镇北源村
    FarmerSeed("翁丽华", "S0063", COOP_JUCUN),  # 举村乡举村村
    FarmerSeed("雷振东", "S0064", COOP_JUCUN),  # 举村乡翁村村
    FarmerSeed("徐土根", "S0065", None),  # 举村乡西坑村
    FarmerSeed("詹玉兰", "S0066", None),  # 举村乡大坪村
    # R4: 杜泽 plain, 上方 and 灰坪 hills
    FarmerSeed("邵国庆", "S0077", None),  # 杜泽镇杜泽村
    FarmerSeed("鲍秀琴", "S0078", None),  # 杜泽镇铜山村
    FarmerSeed("祝永祥", "S0087", COOP_MUSHROOM),  # 上方镇上方村
    FarmerSeed("姜丽君", "S0089", None),  # 上方镇玉泉村
    FarmerSeed("童新华", "S0094", COOP_TEA),  # 灰坪乡灰坪村
    FarmerSeed("傅金水", "S0095", None),  # 灰坪乡黄石村
    # R5: 全旺, 大洲, 后溪 along the river, 峡川 hills
    FarmerSeed("王晓燕", "S0101", None),  # 全旺镇全旺村
    FarmerSeed("余卫东", "S0108", COOP_PONKAN),  # 大洲镇大洲村
    FarmerSeed("兰美华", "S0109", None),  # 大洲镇兰家村
    FarmerSeed("夏志华", "S0115", COOP_KIWI),  # 后溪镇后溪村
    FarmerSeed("郑春莲", "S0121", None),  # 峡川镇峡川村
    FarmerSeed("刘建平", "S0122", None),  # 峡川镇李泽村
    FarmerSeed("叶翠兰", "S0126", COOP_DONGPING),  # 峡川镇东坪村
    # R6: 莲花 vegetable base, 云溪, 双桥, 太真
    FarmerSeed("胡国良", "S0130", COOP_VEG),  # 莲花镇莲花村
    FarmerSeed("毛建明", "S0131", None),  # 莲花镇涧峰村
    FarmerSeed("江丽芳", "S0132", None),  # 莲花镇五坦村
    FarmerSeed("徐文斌", "S0137", COOP_PONKAN),  # 云溪乡云溪村
    FarmerSeed("汪根宝", "S0142", None),  # 双桥乡双桥村
    FarmerSeed("宋桂香", "S0147", None),  # 太真乡宋家村
)

# Demo buyers 13500000001..13500000040, in this order. Most are villagers on every route; a
# few live in town near the hub (樟潭, 浮石) and buy produce for their families or small
# restaurants. 俞林英 of 段家村 is the villager quoted in the county news.
BUYERS: tuple[BuyerSeed, ...] = (
    BuyerSeed("俞林英", "S0005"),  # 高家镇段家村
    BuyerSeed("周晓梅", "S0004"),
    BuyerSeed("徐丽华", "S0001"),
    BuyerSeed("郑文杰", "S0127"),
    BuyerSeed("毛雅琴", "S0028"),
    BuyerSeed("姜国栋", "S0027"),
    BuyerSeed("吴佳怡", "S0127"),
    BuyerSeed("叶春燕", "S0039"),
    BuyerSeed("汪志刚", "S0051"),
    BuyerSeed("祝海英", "S0052"),
    BuyerSeed("余婷婷", "S0063"),
    BuyerSeed("王建东", "S0073"),
    BuyerSeed("柴秀兰", "S0077"),
    BuyerSeed("童丽芬", "S0087"),
    BuyerSeed("方明辉", "S0094"),
    BuyerSeed("程小红", "S0101"),
    BuyerSeed("邵永强", "S0108"),
    BuyerSeed("鲍慧娟", "S0115"),
    BuyerSeed("刘美凤", "S0121"),
    BuyerSeed("杨建英", "S0130"),
    BuyerSeed("张琳", "S0128"),
    BuyerSeed("李红梅", "S0137"),
    BuyerSeed("胡文华", "S0142"),
    BuyerSeed("蓝秀英", "S0146"),
    BuyerSeed("詹伟", "S0002"),
    BuyerSeed("江雪芳", "S0011"),
    BuyerSeed("傅志强", "S0019"),
    BuyerSeed("龚丽娟", "S0033"),
    BuyerSeed("翁春梅", "S0045"),
    BuyerSeed("雷桂芳", "S0058"),
    BuyerSeed("项小兰", "S0068"),
    BuyerSeed("黄振宇", "S0082"),
    BuyerSeed("夏丽萍", "S0091"),
    BuyerSeed("孙晓东", "S0104"),
    BuyerSeed("陆美琴", "S0111"),
    BuyerSeed("何建华", "S0118"),
    BuyerSeed("朱丽丽", "S0124"),
    BuyerSeed("徐晨阳", "S0134"),
    BuyerSeed("郑雨欣", "S0140"),
    BuyerSeed("毛国华", "S0149"),
)

# Station leaders (团长), one per station in seed order. Names combine common Qujiang surnames
# with given names of the generation that runs village shops; 30 surnames x 50 given names with
# a stride of 7 (coprime with 50) gives 150 distinct names without a 150-line table.
_LEADER_SURNAMES = (
    "徐", "郑", "毛", "祝", "余", "姜", "吴", "汪", "王", "周",
    "叶", "柴", "童", "方", "程", "詹", "杨", "鲍", "傅", "江",
    "张", "李", "刘", "陈", "邵", "龚", "雷", "蓝", "翁", "胡",
)  # fmt: skip
_LEADER_GIVEN_NAMES = (
    "秀英", "建华", "丽萍", "国强", "美芳", "春花", "志明", "小燕", "卫东", "桂英",
    "海燕", "永明", "菊芳", "金水", "爱华", "晓红", "伟民", "彩霞", "振华", "雪琴",
    "福根", "月娥", "建军", "素芬", "水平", "丽娟", "新民", "巧玲", "红英", "德明",
    "瑞芳", "跃进", "慧敏", "土根", "翠兰", "文斌", "玲芳", "樟根", "荷花", "长春",
    "碧云", "火金", "美玲", "春生", "淑芬", "建平", "小芳", "发根", "银娣", "光辉",
)  # fmt: skip

# 段家村 (S0005): its real station leader 周玉英 is named in the county news.
_LEADER_OVERRIDES = {"S0005": "周玉英"}

LEADER_NAMES: tuple[str, ...] = tuple(
    _LEADER_OVERRIDES.get(
        station.code,
        _LEADER_SURNAMES[i % len(_LEADER_SURNAMES)]
        + _LEADER_GIVEN_NAMES[i * 7 % len(_LEADER_GIVEN_NAMES)],
    )
    for i, station in enumerate(STATIONS)
)

# Drivers of R1..R6, in route order (accounts 13700000001..13700000006).
DRIVER_NAMES: tuple[str, ...] = ("郑建平", "徐卫国", "毛志强", "姜海明", "余国华", "祝立新")

# Farmers' produce listings (late November): ponkan, winter bamboo shoots and new camellia
# oil are in season; rice is fresh from the autumn harvest; peaches are the last late-ripening
# 冬桃. Prices are farm-gate to city buyers, a little under supermarket retail. Fresh meat and
# fish only stay listed a few days; dried goods, oil and tea two weeks.
LISTINGS: tuple[ListingSeed, ...] = (
    # 徐国平, 高家镇段家村, 衢江区高家粮油专业合作社联合社
    ListingSeed(
        farmer_index=0,
        title="高家合作社当季晚稻新米 5kg",
        category="粮油",
        variety="中浙优8号",
        grade="一级",
        unit="袋",
        unit_weight_g=5030,
        unit_volume_cm3=7500,
        price_fen=3800,
        quantity=400,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="合作社统一育秧、机械收割、低温烘干。十月底新收晚稻 现碾现发 米香足。",
    ),
    ListingSeed(
        farmer_index=0,
        title="餐饮装晚稻大米 25kg",
        category="粮油",
        variety="甬优1540",
        grade="二级",
        unit="袋",
        unit_weight_g=25_100,
        unit_volume_cm3=36_000,
        price_fen=16_800,
        quantity=80,
        min_quantity=1,
        ready_in_days=1,
        ready_for_days=14,
        temperature="AMBIENT",
        description="适合食堂、饭店整袋采购。合作社烘干仓直发 可开收据。",
    ),
    # 郑荣华, 高家镇盈川村, 衢江区高家粮油专业合作社联合社
    ListingSeed(
        farmer_index=1,
        title="盈川糯米 2.5kg",
        category="粮油",
        variety="绍糯",
        grade="一级",
        unit="袋",
        unit_weight_g=2520,
        unit_volume_cm3=3800,
        price_fen=2600,
        quantity=120,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="今年新糯米。冬至前后做年糕、酿米酒正当时。",
    ),
    ListingSeed(
        farmer_index=1,
        title="农家新米 10kg",
        category="粮油",
        variety="中浙优8号",
        grade="一级",
        unit="袋",
        unit_weight_g=10_050,
        unit_volume_cm3=15_000,
        price_fen=7600,
        quantity=150,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="高家粮油合作社托管田种植。不抛光不打蜡。",
    ),
    # 余水根, 高家镇麻蓬村
    ListingSeed(
        farmer_index=2,
        title="稻田泥鳅 鲜活",
        category="水产",
        variety="本地泥鳅",
        grade="中条",
        unit="斤",
        unit_weight_g=550,
        unit_volume_cm3=1200,
        price_fen=2800,
        quantity=60,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=4,
        temperature="CHILLED",
        description="稻田套养 吃田里的虫和浮游生物。充氧打包 冷藏舱运输。",
    ),
    # 姜秀芳, 高家镇湖仁村
    ListingSeed(
        farmer_index=3,
        title="散养土鸡蛋 30枚",
        category="禽蛋",
        variety="本地土鸡",
        grade="",
        unit="盒",
        unit_weight_g=1650,
        unit_volume_cm3=4200,
        price_fen=5400,
        quantity=80,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="竹林下散养 喂稻谷和菜叶。蛋黄颜色深 每天现捡。",
    ),
    ListingSeed(
        farmer_index=3,
        title="土鸭蛋 20枚",
        category="禽蛋",
        variety="本地麻鸭",
        grade="",
        unit="盒",
        unit_weight_g=1500,
        unit_volume_cm3=3600,
        price_fen=4200,
        quantity=40,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="溪边放养麻鸭下的蛋 可腌咸蛋。",
    ),
    # 叶长青, 岭洋乡岭洋村, 岭洋乡高山笋竹专业合作社
    ListingSeed(
        farmer_index=4,
        title="岭洋高山冬笋 现挖",
        category="蔬菜",
        variety="毛竹冬笋",
        grade="一级",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=900,
        price_fen=1600,
        quantity=300,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=7,
        temperature="AMBIENT",
        description="十一月下旬头批冬笋 带泥带壳保鲜。个头匀称 炒肉、煲汤都好。",
    ),
    ListingSeed(
        farmer_index=4,
        title="手工笋干 500g",
        category="干货",
        variety="毛竹笋",
        grade="一级",
        unit="袋",
        unit_weight_g=520,
        unit_volume_cm3=2500,
        price_fen=6800,
        quantity=100,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="春笋蒸煮后柴火烘干 不加硫磺。泡发后烧肉最香。",
    ),
    # 赖金福, 岭洋乡赖家村
    ListingSeed(
        farmer_index=5,
        title="土猪后腿肉",
        category="肉禽",
        variety="本地黑猪",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=550,
        price_fen=3200,
        quantity=150,
        min_quantity=2,
        ready_in_days=2,
        ready_for_days=3,
        temperature="CHILLED",
        description="吃米糠、番薯藤长大 养足一年。出栏当天屠宰 冷链配送。",
    ),
    ListingSeed(
        farmer_index=5,
        title="土猪五花肉",
        category="肉禽",
        variety="本地黑猪",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=600,
        price_fen=3600,
        quantity=80,
        min_quantity=2,
        ready_in_days=2,
        ready_for_days=3,
        temperature="CHILLED",
        description="肥瘦相间 做红烧肉、霉干菜扣肉正好。",
    ),
    # 汪美英, 岭洋乡茶坪村
    ListingSeed(
        farmer_index=6,
        title="岭洋土蜂蜜 1斤装",
        category="土特产",
        variety="中华蜜蜂百花蜜",
        grade="成熟蜜",
        unit="瓶",
        unit_weight_g=750,
        unit_volume_cm3=650,
        price_fen=6800,
        quantity=60,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="山里老式木桶养的中蜂 一年只摇一次。冬天结晶属正常现象。",
    ),
    # 柴建新, 廿里镇黄山村, 廿里镇黄山村油茶专业合作社
    ListingSeed(
        farmer_index=7,
        title="黄山村压榨山茶油 5斤装",
        category="粮油",
        variety="油茶籽油",
        grade="一级压榨",
        unit="桶",
        unit_weight_g=2650,
        unit_volume_cm3=3400,
        price_fen=45_000,
        quantity=50,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="廿里镇黄山村油茶示范基地 当年霜降新籽 物理压榨 不勾兑。",
    ),
    ListingSeed(
        farmer_index=7,
        title="新油茶籽 晒干",
        category="土特产",
        variety="普通油茶",
        grade="统货",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=1500,
        price_fen=1200,
        quantity=500,
        min_quantity=20,
        ready_in_days=1,
        ready_for_days=14,
        temperature="AMBIENT",
        description="今年新摘油茶果晒干剥出的茶籽。适合油坊收购或自家榨油。",
    ),
    # 毛彩凤, 廿里镇黄山村, 廿里镇黄山村油茶专业合作社
    ListingSeed(
        farmer_index=8,
        title="山茶油 1斤玻璃瓶装",
        category="粮油",
        variety="油茶籽油",
        grade="一级压榨",
        unit="瓶",
        unit_weight_g=900,
        unit_volume_cm3=900,
        price_fen=9800,
        quantity=150,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="合作社统一压榨灌装 适合送礼。坐月子、炒菜都用得上。",
    ),
    # 孟德华, 廿里镇孟姜村, 衢江区椪柑产销专业合作社
    ListingSeed(
        farmer_index=9,
        title="衢州椪柑 10斤装",
        category="水果",
        variety="椪柑",
        grade="果径65-75mm",
        unit="箱",
        unit_weight_g=5300,
        unit_volume_cm3=17_000,
        price_fen=3500,
        quantity=300,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="十一月中下旬正当季 树上挂熟才摘。皮薄易剥 化渣多汁。",
    ),
    # 杨志勇, 廿里镇六都杨村, 衢江区椪柑产销专业合作社
    ListingSeed(
        farmer_index=10,
        title="椪柑 散装论斤",
        category="水果",
        variety="椪柑",
        grade="统货",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=850,
        price_fen=300,
        quantity=5000,
        min_quantity=20,
        ready_in_days=1,
        ready_for_days=12,
        temperature="AMBIENT",
        description="果园直发 大小混装。适合水果店、单位食堂批量采购。",
    ),
    # 周春娥, 周家乡周家村
    ListingSeed(
        farmer_index=11,
        title="农家番薯干",
        category="干货",
        variety="红心番薯",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=1100,
        price_fen=1800,
        quantity=200,
        min_quantity=1,
        ready_in_days=2,
        ready_for_days=14,
        temperature="AMBIENT",
        description="新番薯蒸熟切条 太阳下晒足七天。软糯有嚼劲 不加糖。",
    ),
    ListingSeed(
        farmer_index=11,
        title="手工冻米糖",
        category="土特产",
        variety="糯米",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=2000,
        price_fen=2600,
        quantity=80,
        min_quantity=1,
        ready_in_days=3,
        ready_for_days=14,
        temperature="AMBIENT",
        description="衢州人过冬必备的米糖。土灶熬麦芽糖 现做现发。",
    ),
    # 吴樟根, 周家乡溪口村
    ListingSeed(
        farmer_index=12,
        title="新挖小黄姜",
        category="蔬菜",
        variety="小黄姜",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=700,
        price_fen=700,
        quantity=400,
        min_quantity=5,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="沙地种的小黄姜 辣味足。十一月刚起的新姜。",
    ),
    ListingSeed(
        farmer_index=12,
        title="溪口冬笋",
        category="蔬菜",
        variety="毛竹冬笋",
        grade="二级",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=900,
        price_fen=1300,
        quantity=150,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=7,
        temperature="AMBIENT",
        description="自家竹山挖的冬笋 大小不一 价格实惠。",
    ),
    # 方海林, 黄坛口乡黄坛口村
    ListingSeed(
        farmer_index=13,
        title="乌溪江水库鲫鱼",
        category="水产",
        variety="鲫鱼",
        grade="3-4两/条",
        unit="斤",
        unit_weight_g=520,
        unit_volume_cm3=900,
        price_fen=1600,
        quantity=80,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=3,
        temperature="CHILLED",
        description="乌溪江清水网箱养殖 无泥腥味。宰杀去鳞冰鲜发货。",
    ),
    # 蓝小英, 湖南镇破石村, 衢江区椪柑产销专业合作社
    ListingSeed(
        farmer_index=14,
        title="破石村山地椪柑 10斤装",
        category="水果",
        variety="椪柑",
        grade="果径70-80mm",
        unit="箱",
        unit_weight_g=5300,
        unit_volume_cm3=17_000,
        price_fen=3800,
        quantity=150,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="湖南镇山坡地种植 昼夜温差大 甜度高。",
    ),
    # 项建军, 湖南镇项家村
    ListingSeed(
        farmer_index=15,
        title="湖南镇高山绿茶 250g",
        category="茶叶",
        variety="鸠坑种",
        grade="特级",
        unit="罐",
        unit_weight_g=320,
        unit_volume_cm3=1400,
        price_fen=12_800,
        quantity=40,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="今年明前手工炒制 一直冷藏保存。栗香浓 耐冲泡。",
    ),
    # 程福明, 湖南镇北源村
    ListingSeed(
        farmer_index=16,
        title="北源村土榨山茶油 5斤装",
        category="粮油",
        variety="油茶籽油",
        grade="土榨",
        unit="桶",
        unit_weight_g=2650,
        unit_volume_cm3=3400,
        price_fen=42_000,
        quantity=30,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="村里老油坊木榨 香味浓。自家山上的油茶树 不打农药。",
    ),
    # 翁丽华, 举村乡举村村, 举村乡高山生态农业专业合作社
    ListingSeed(
        farmer_index=17,
        title="举村段木香菇(干) 500g",
        category="干货",
        variety="花菇",
        grade="一级",
        unit="袋",
        unit_weight_g=520,
        unit_volume_cm3=4000,
        price_fen=7800,
        quantity=60,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="高山段木栽培 冬菇肉厚。晒干后真空包装。",
    ),
    ListingSeed(
        farmer_index=17,
        title="高山白萝卜",
        category="蔬菜",
        variety="白玉萝卜",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=650,
        price_fen=150,
        quantity=1000,
        min_quantity=10,
        ready_in_days=1,
        ready_for_days=10,
        temperature="AMBIENT",
        description="海拔六百米山地种植 霜打过更甜。腌萝卜干、炖汤都好。",
    ),
    # 雷振东, 举村乡翁村村, 举村乡高山生态农业专业合作社
    ListingSeed(
        farmer_index=18,
        title="举村高山冬笋",
        category="蔬菜",
        variety="毛竹冬笋",
        grade="一级",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=900,
        price_fen=1500,
        quantity=400,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=7,
        temperature="AMBIENT",
        description="合作社统一收购分拣 每天上午挖 下午送站。",
    ),
    # 徐土根, 举村乡西坑村
    ListingSeed(
        farmer_index=19,
        title="高山土猪前腿肉",
        category="肉禽",
        variety="本地黑猪",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=550,
        price_fen=2900,
        quantity=120,
        min_quantity=2,
        ready_in_days=3,
        ready_for_days=3,
        temperature="CHILLED",
        description="山里散养 猪圈在竹林边。预订满一头才宰 请提前下单。",
    ),
    ListingSeed(
        farmer_index=19,
        title="土猪肉 10斤组合装",
        category="肉禽",
        variety="本地黑猪",
        grade="",
        unit="份",
        unit_weight_g=5200,
        unit_volume_cm3=6500,
        price_fen=32_000,
        quantity=15,
        min_quantity=1,
        ready_in_days=3,
        ready_for_days=3,
        temperature="CHILLED",
        description="五花 腿肉 肋排各一份 适合冬至前腌腊肉、灌香肠。",
    ),
    # 詹玉兰, 举村乡大坪村
    ListingSeed(
        farmer_index=20,
        title="高山红心番薯 新挖",
        category="蔬菜",
        variety="红心番薯",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=750,
        price_fen=250,
        quantity=800,
        min_quantity=10,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="山地沙壤种的番薯 粉糯香甜。适合蒸煮、做番薯干。",
    ),
    ListingSeed(
        farmer_index=20,
        title="大坪番薯干 1斤装",
        category="干货",
        variety="红心番薯",
        grade="",
        unit="袋",
        unit_weight_g=520,
        unit_volume_cm3=1100,
        price_fen=2000,
        quantity=100,
        min_quantity=1,
        ready_in_days=3,
        ready_for_days=14,
        temperature="AMBIENT",
        description="高山新番薯刚开始晒 三天后可发货。",
    ),
    # 邵国庆, 杜泽镇杜泽村
    ListingSeed(
        farmer_index=21,
        title="杜泽生态大米 10kg",
        category="粮油",
        variety="中浙优8号",
        grade="一级",
        unit="袋",
        unit_weight_g=10_050,
        unit_volume_cm3=15_000,
        price_fen=7800,
        quantity=100,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="铜山源水库水灌溉 稻田养鸭不用除草剂。",
    ),
    ListingSeed(
        farmer_index=21,
        title="杜泽手工年糕 5斤装",
        category="土特产",
        variety="粳米",
        grade="",
        unit="袋",
        unit_weight_g=2550,
        unit_volume_cm3=3000,
        price_fen=3000,
        quantity=100,
        min_quantity=1,
        ready_in_days=2,
        ready_for_days=7,
        temperature="AMBIENT",
        description="晚粳米水磨 木甑蒸 石臼打。冬天放在清水里可保存半月。",
    ),
    # 鲍秀琴, 杜泽镇铜山村
    ListingSeed(
        farmer_index=22,
        title="铜山源土鸡蛋 30枚",
        category="禽蛋",
        variety="本地土鸡",
        grade="",
        unit="盒",
        unit_weight_g=1650,
        unit_volume_cm3=4200,
        price_fen=5200,
        quantity=60,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="果园里放养的鸡 每天现捡。",
    ),
    ListingSeed(
        farmer_index=22,
        title="散养土鸡 现杀整只",
        category="肉禽",
        variety="本地土鸡",
        grade="约3斤",
        unit="只",
        unit_weight_g=1600,
        unit_volume_cm3=2600,
        price_fen=13_800,
        quantity=20,
        min_quantity=1,
        ready_in_days=2,
        ready_for_days=3,
        temperature="CHILLED",
        description="养足十个月的阉鸡 煲汤最好。现杀褪毛 冷藏发货。",
    ),
    # 祝永祥, 上方镇上方村, 上方镇香菇专业合作社
    ListingSeed(
        farmer_index=23,
        title="上方鲜香菇",
        category="蔬菜",
        variety="香菇",
        grade="一级",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=2200,
        price_fen=1100,
        quantity=200,
        min_quantity=2,
        ready_in_days=0,
        ready_for_days=4,
        temperature="CHILLED",
        description="大棚菌棒出菇 当天采摘。走冷藏舱 到站还是脆的。",
    ),
    ListingSeed(
        farmer_index=23,
        title="干香菇 250g",
        category="干货",
        variety="香菇",
        grade="二级",
        unit="袋",
        unit_weight_g=270,
        unit_volume_cm3=2200,
        price_fen=3800,
        quantity=100,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="合作社烘干房低温烘干 香味浓。",
    ),
    # 姜丽君, 上方镇玉泉村
    ListingSeed(
        farmer_index=24,
        title="玉泉村手工绿茶 250g",
        category="茶叶",
        variety="龙井43",
        grade="一级",
        unit="罐",
        unit_weight_g=320,
        unit_volume_cm3=1400,
        price_fen=9800,
        quantity=50,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="清明前后采摘 手工杀青。冷藏保存 汤色嫩绿。",
    ),
    # 童新华, 灰坪乡灰坪村, 灰坪乡高山茶叶专业合作社
    ListingSeed(
        farmer_index=25,
        title="灰坪高山云雾绿茶 250g",
        category="茶叶",
        variety="鸠坑种",
        grade="特级",
        unit="罐",
        unit_weight_g=320,
        unit_volume_cm3=1400,
        price_fen=16_800,
        quantity=40,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="海拔八百米茶园 云雾多 生长慢。合作社统一加工。",
    ),
    ListingSeed(
        farmer_index=25,
        title="高山红茶 250g",
        category="茶叶",
        variety="鸠坑种",
        grade="一级",
        unit="罐",
        unit_weight_g=320,
        unit_volume_cm3=1400,
        price_fen=8800,
        quantity=40,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="夏秋茶做的红茶 蜜香明显。适合冬天喝。",
    ),
    # 傅金水, 灰坪乡黄石村
    ListingSeed(
        farmer_index=26,
        title="灰坪冬蜜 2斤装",
        category="土特产",
        variety="中华蜜蜂冬蜜",
        grade="成熟蜜",
        unit="瓶",
        unit_weight_g=1400,
        unit_volume_cm3=1300,
        price_fen=12_800,
        quantity=30,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="柃木花期采的冬蜜 口感清甜。数量少 售完即止。",
    ),
    ListingSeed(
        farmer_index=26,
        title="黄石村冬笋",
        category="蔬菜",
        variety="毛竹冬笋",
        grade="一级",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=900,
        price_fen=1500,
        quantity=200,
        min_quantity=2,
        ready_in_days=2,
        ready_for_days=7,
        temperature="AMBIENT",
        description="高山竹林 笋肉细嫩。挖出当天下山。",
    ),
    # 王晓燕, 全旺镇全旺村
    ListingSeed(
        farmer_index=27,
        title="全旺红芽芋艿",
        category="蔬菜",
        variety="红芽芋",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=700,
        price_fen=450,
        quantity=300,
        min_quantity=5,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="沙地芋艿 煮熟粉糯。芋艿烧肉是衢州冬天的家常菜。",
    ),
    # 余卫东, 大洲镇大洲村, 衢江区椪柑产销专业合作社
    ListingSeed(
        farmer_index=28,
        title="大洲椪柑 20斤装",
        category="水果",
        variety="椪柑",
        grade="果径65-80mm",
        unit="箱",
        unit_weight_g=10_400,
        unit_volume_cm3=32_000,
        price_fen=6600,
        quantity=120,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="衢江边的老果园 整箱发货更实惠。",
    ),
    # 兰美华, 大洲镇兰家村
    ListingSeed(
        farmer_index=29,
        title="塘养花鲢 整条",
        category="水产",
        variety="花鲢",
        grade="4-6斤/条",
        unit="斤",
        unit_weight_g=520,
        unit_volume_cm3=1000,
        price_fen=1100,
        quantity=200,
        min_quantity=4,
        ready_in_days=1,
        ready_for_days=3,
        temperature="CHILLED",
        description="冬季干塘起鱼 整条按斤卖。可代杀 鱼头单独装。",
    ),
    # 夏志华, 后溪镇后溪村, 后溪镇红心猕猴桃专业合作社
    ListingSeed(
        farmer_index=30,
        title="后溪红心猕猴桃 5斤装",
        category="水果",
        variety="红阳",
        grade="中大果",
        unit="箱",
        unit_weight_g=2700,
        unit_volume_cm3=6500,
        price_fen=5900,
        quantity=120,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="九月采摘后冷库储存 已自然后熟 到手即可吃。",
    ),
    # 郑春莲, 峡川镇峡川村
    ListingSeed(
        farmer_index=31,
        title="峡川野生山茶油 1斤装",
        category="粮油",
        variety="油茶籽油",
        grade="一级压榨",
        unit="瓶",
        unit_weight_g=900,
        unit_volume_cm3=900,
        price_fen=10_800,
        quantity=60,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="荒山老油茶林 树龄几十年。今年新油。",
    ),
    # 刘建平, 峡川镇李泽村
    ListingSeed(
        farmer_index=32,
        title="峡川土猪肉 整只分割预订",
        category="肉禽",
        variety="本地黑猪",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=550,
        price_fen=3000,
        quantity=200,
        min_quantity=5,
        ready_in_days=3,
        ready_for_days=3,
        temperature="CHILLED",
        description="过年前按头预订 宰后分割装袋。冷藏车当天送到。",
    ),
    # 叶翠兰, 峡川镇东坪村, 峡川镇东坪高山果蔬专业合作社
    ListingSeed(
        farmer_index=33,
        title="东坪高山冬笋",
        category="蔬菜",
        variety="毛竹冬笋",
        grade="一级",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=900,
        price_fen=1700,
        quantity=250,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=7,
        temperature="AMBIENT",
        description="东坪古村边的竹林 笋壳黄 肉白嫩。",
    ),
    ListingSeed(
        farmer_index=33,
        title="高山霉干菜",
        category="干货",
        variety="雪里蕻",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=1800,
        price_fen=3000,
        quantity=80,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="自家腌制晒干 三蒸三晒。烧扣肉、做霉干菜饼都好。",
    ),
    # 胡国良, 莲花镇莲花村, 莲花镇蔬菜专业合作社
    ListingSeed(
        farmer_index=34,
        title="莲花黄心大白菜",
        category="蔬菜",
        variety="黄心白菜",
        grade="",
        unit="颗",
        unit_weight_g=2500,
        unit_volume_cm3=6000,
        price_fen=600,
        quantity=300,
        min_quantity=5,
        ready_in_days=0,
        ready_for_days=7,
        temperature="AMBIENT",
        description="农业园区基地种植 包心紧实。食堂、饭店批量采购优先。",
    ),
    ListingSeed(
        farmer_index=34,
        title="矮脚青菜",
        category="蔬菜",
        variety="矮脚青",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=1800,
        price_fen=300,
        quantity=500,
        min_quantity=10,
        ready_in_days=0,
        ready_for_days=3,
        temperature="AMBIENT",
        description="下过霜的青菜 清炒就是甜的。当天早上割。",
    ),
    # 毛建明, 莲花镇涧峰村
    ListingSeed(
        farmer_index=35,
        title="涧峰村稻田泥鳅",
        category="水产",
        variety="本地泥鳅",
        grade="大条",
        unit="斤",
        unit_weight_g=550,
        unit_volume_cm3=1200,
        price_fen=2600,
        quantity=40,
        min_quantity=2,
        ready_in_days=1,
        ready_for_days=4,
        temperature="CHILLED",
        description="稻田泥鳅 活水暂养两天吐净泥沙再发。",
    ),
    # 江丽芳, 莲花镇五坦村
    ListingSeed(
        farmer_index=36,
        title="晚熟水蜜桃(冬桃)",
        category="水果",
        variety="冬雪蜜桃",
        grade="单果250g以上",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=1100,
        price_fen=1500,
        quantity=150,
        min_quantity=2,
        ready_in_days=0,
        ready_for_days=5,
        temperature="AMBIENT",
        description="一年里最后一茬桃 十一月底才熟。套袋种植 果面干净。",
    ),
    # 徐文斌, 云溪乡云溪村, 衢江区椪柑产销专业合作社
    ListingSeed(
        farmer_index=37,
        title="云溪椪柑 散装论斤",
        category="水果",
        variety="椪柑",
        grade="统货",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=850,
        price_fen=280,
        quantity=3000,
        min_quantity=20,
        ready_in_days=0,
        ready_for_days=12,
        temperature="AMBIENT",
        description="自家果园 大小混装。来多少装多少 价格好商量。",
    ),
    # 汪根宝, 双桥乡双桥村
    ListingSeed(
        farmer_index=38,
        title="双桥百花土蜂蜜 2斤装",
        category="土特产",
        variety="中华蜜蜂百花蜜",
        grade="成熟蜜",
        unit="瓶",
        unit_weight_g=1400,
        unit_volume_cm3=1300,
        price_fen=12_800,
        quantity=40,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="春夏两季的百花蜜 封盖成熟才取。",
    ),
    # 宋桂香, 太真乡宋家村
    ListingSeed(
        farmer_index=39,
        title="太真椴木香菇(干) 500g",
        category="干货",
        variety="香菇",
        grade="一级",
        unit="袋",
        unit_weight_g=520,
        unit_volume_cm3=4000,
        price_fen=7200,
        quantity=50,
        min_quantity=1,
        ready_in_days=0,
        ready_for_days=14,
        temperature="AMBIENT",
        description="太真山里段木种的香菇 柴火烘干。",
    ),
    ListingSeed(
        farmer_index=39,
        title="太真板栗",
        category="土特产",
        variety="本地毛栗",
        grade="",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=800,
        price_fen=1200,
        quantity=150,
        min_quantity=2,
        ready_in_days=0,
        ready_for_days=10,
        temperature="AMBIENT",
        description="秋天打下的板栗 沙藏到现在。糖炒、烧鸡都好。",
    ),
)


# Qujiang district's extent, with a little margin: a coordinate outside it is a typo.
_LAT_RANGE = (28.65, 29.30)
_LNG_RANGE = (118.80, 119.30)

# What the demo promises (DESIGN.md, API.md): account numbering depends on these counts.
_ROUTE_COUNT = 6
_STATION_COUNT = 150
_FARMER_COUNT = 40
_BUYER_COUNT = 40
_MIN_PRODUCTS = 45
_LISTING_RANGE = (40, 60)
_READY_IN_RANGE = (0, 3)
_READY_FOR_RANGE = (3, 14)


def _route_problems() -> list[str]:
    problems: list[str] = []
    if len(ROUTES) != _ROUTE_COUNT:
        problems.append(f"expected {_ROUTE_COUNT} routes, got {len(ROUTES)}")
    route_codes = [route.code for route in ROUTES]
    if route_codes != [f"R{n}" for n in range(1, len(ROUTES) + 1)]:
        problems.append(f"route codes must be R1..R{len(ROUTES)} in order: {route_codes}")
    plates = [route.vehicle.plate for route in ROUTES]
    if len(set(plates)) != len(plates):
        problems.append("vehicle plates are not unique")
    for route in ROUTES:
        if not route.departure_times:
            problems.append(f"{route.code}: no departure time")
        for departure in route.departure_times:
            try:
                time.fromisoformat(departure)
            except ValueError:
                problems.append(f"{route.code}: bad departure time {departure!r}")
        if not route.days_of_week or not set(route.days_of_week) <= set(EVERY_DAY):
            problems.append(f"{route.code}: days_of_week must be ISO weekdays 1..7")
        vehicle = route.vehicle
        if min(vehicle.capacity_g, vehicle.capacity_cm3, vehicle.chilled_capacity_g) <= 0:
            problems.append(f"{route.code}: vehicle capacities must be positive")
        if vehicle.chilled_capacity_g > vehicle.capacity_g:
            problems.append(f"{route.code}: chilled capacity exceeds total capacity")
        minutes = [stop.minutes_from_departure for stop in route.stops]
        if not minutes:
            problems.append(f"{route.code}: no stops")
            continue
        if minutes[0] <= 0 or any(b <= a for a, b in pairwise(minutes)):
            problems.append(f"{route.code}: minutes_from_departure must increase from > 0")
        if route.return_minutes <= minutes[-1]:
            problems.append(f"{route.code}: return_minutes must come after the last stop")
    return problems


def _station_problems() -> list[str]:
    problems: list[str] = []
    if len(STATIONS) != _STATION_COUNT:
        problems.append(f"expected {_STATION_COUNT} stations, got {len(STATIONS)}")
    codes = [station.code for station in STATIONS]
    if codes != [f"S{n:04d}" for n in range(1, len(STATIONS) + 1)]:
        problems.append("station codes must be S0001.. in seed order, unique")
    villages = [(station.township, station.village) for station in STATIONS]
    if len(set(villages)) != len(villages):
        problems.append("a village has more than one station")
    problems.extend(
        f"{station.code}: coordinates outside Qujiang district"
        for station in STATIONS
        if not _LAT_RANGE[0] <= station.lat <= _LAT_RANGE[1]
        or not _LNG_RANGE[0] <= station.lng <= _LNG_RANGE[1]
    )
    return problems


def _people_problems() -> list[str]:
    problems: list[str] = []
    if len(FARMERS) != _FARMER_COUNT:
        problems.append(f"expected {_FARMER_COUNT} farmers, got {len(FARMERS)}")
    if len(BUYERS) != _BUYER_COUNT:
        problems.append(f"expected {_BUYER_COUNT} buyers, got {len(BUYERS)}")
    station_codes = {station.code for station in STATIONS}
    people: list[FarmerSeed | BuyerSeed] = [*FARMERS, *BUYERS]
    problems.extend(
        f"{person.name}: unknown station {person.station_code}"
        for person in people
        if person.station_code not in station_codes
    )
    if len(LEADER_NAMES) != len(STATIONS) or len(set(LEADER_NAMES)) != len(LEADER_NAMES):
        problems.append("leader names must be one distinct name per station")
    if len(DRIVER_NAMES) != len(ROUTES):
        problems.append("driver names must be one per route")
    return problems


def _goods_problems() -> list[str]:
    problems: list[str] = []
    if len(PRODUCTS) < _MIN_PRODUCTS:
        problems.append(f"expected at least {_MIN_PRODUCTS} products, got {len(PRODUCTS)}")
    skus = [product.sku for product in PRODUCTS]
    if len(set(skus)) != len(skus):
        problems.append("product SKUs are not unique")
    for product in PRODUCTS:
        if product.temperature not in TEMPERATURES or product.category not in CATEGORIES:
            problems.append(f"{product.sku}: bad temperature or category")
        if min(product.price_fen, product.weight_g, product.volume_cm3) <= 0:
            problems.append(f"{product.sku}: price, weight and volume must be positive")

    if not _LISTING_RANGE[0] <= len(LISTINGS) <= _LISTING_RANGE[1]:
        problems.append(f"expected {_LISTING_RANGE} listings, got {len(LISTINGS)}")
    for n, listing in enumerate(LISTINGS):
        where = f"listing {n} ({listing.title})"
        if not 0 <= listing.farmer_index < len(FARMERS):
            problems.append(f"{where}: farmer_index out of range")
        if listing.temperature not in TEMPERATURES or listing.category not in CATEGORIES:
            problems.append(f"{where}: bad temperature or category")
        if not _READY_IN_RANGE[0] <= listing.ready_in_days <= _READY_IN_RANGE[1]:
            problems.append(f"{where}: ready_in_days outside {_READY_IN_RANGE}")
        if not _READY_FOR_RANGE[0] <= listing.ready_for_days <= _READY_FOR_RANGE[1]:
            problems.append(f"{where}: ready_for_days outside {_READY_FOR_RANGE}")
        if not 0 < listing.min_quantity <= listing.quantity:
            problems.append(f"{where}: need 0 < min_quantity <= quantity")
        if min(listing.price_fen, listing.unit_weight_g, listing.unit_volume_cm3) <= 0:
            problems.append(f"{where}: price, weight and volume must be positive")
    return problems


def check() -> None:
    """Raise ValueError listing every inconsistency in the data above.

    Not run at import (the seeder and a test call it), so a typo is reported in full, with
    all problems at once, instead of as an AssertionError in whatever imported this module.
    """
    problems = _route_problems() + _station_problems() + _people_problems() + _goods_problems()
    if problems:
        raise ValueError("county seed data is inconsistent:\n" + "\n".join(problems))
