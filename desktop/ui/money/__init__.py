"""Money: unpaid orders and open credits of a customer, the Sales credits section, order, payment, credit and allocation dialogs."""
