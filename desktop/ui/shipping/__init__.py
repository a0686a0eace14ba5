"""Shipping: the Shipping queue section, the customer Shipping tab and the Starshipit settings."""
