"""The schema's extensions, one idea each: query cost, mutation rate limits, what production
hides, observability, shared subscription execution, the validation cache."""
