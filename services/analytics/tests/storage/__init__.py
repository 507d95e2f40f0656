"""Analytics storage tests against the embedded moto DynamoDB server."""
