"""Analytics rules with no I/O: what an event means as DynamoDB writes, and period maths."""
