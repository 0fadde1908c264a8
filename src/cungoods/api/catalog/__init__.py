"""The catalog in the API: products, sale windows and their items, openSaleWindow, runCutoff."""
