"""Where analytics keeps its data in DynamoDB: table declarations and the reads over them."""
