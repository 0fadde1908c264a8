"""The hub's sorting and dispatch in the API: pickList, loadingPlan, stationManifest (also as
`Trip.stops.manifest`) and networkStats."""
