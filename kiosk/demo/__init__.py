"""Development and demonstration data: the demo store and logins, and sample claims."""
