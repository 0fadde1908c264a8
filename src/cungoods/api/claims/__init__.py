"""Exceptions at the hub and the station, and after-sale (issue 13): recordShortage,
confirmArrival, fileClaim, resolveClaim, and the claims and myClaims queries."""
