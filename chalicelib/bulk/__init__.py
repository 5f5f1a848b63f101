"""Bulk sends: one request to many clients, sent one message each through a queue (the tax-return season)."""

# How many queue workers run at once (the queue's event source mapping, app.py); the send rate
# (Settings.bulk_send_rate) is shared among them.
WORKERS = 2
