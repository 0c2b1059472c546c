"""Reads: what each person may see, the desk's searches, dashboard, timeline and export."""
