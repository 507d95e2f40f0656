"""Where orders keeps its data: the order core in PostgreSQL (orders.py)."""
