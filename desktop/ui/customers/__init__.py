"""Customers: the table and its model, the filter bar, the detail pane, the customer and address forms, Find match."""
