"""After filing: OrderProtection's decisions on a claim (webhooks and polling), and the
customer's copy."""
