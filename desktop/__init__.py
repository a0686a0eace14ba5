"""Customer Desk: a desktop application for keeping a company's customers."""

__version__ = "0.1.0"
