"""Trip events and trip changes in the API: recordTripEvent (the trip's driver, or a
dispatcher), swapTripVehicle and cancelTrip (dispatchers)."""
