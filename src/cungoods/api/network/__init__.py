"""The network in the API: hubs, stations, routes, vehicles, trips with stops and legs."""
