"""Zcheap API: the typed httpx client (client.py) and the built-in simulator (simulator/)."""
