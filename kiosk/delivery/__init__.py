"""Delivery: getting a submitted claim filed at OrderProtection, exactly once as far as the
API allows.

The associate submits (kiosk.services.submission); the claim is queued (queue), sent by
one sender at a time (sending, with its audit rows in attempts), looked up first when a
send may have filed it (reconciliation), and what follows each call is decided in
decisions. The worker runs tasks; recovery takes back what a stopped sender left.
"""
