"""Timers: the evening cutoff and every later scheduled job."""
