"""PynamoDB models over the one DynamoDB table, and the repositories that read and write them."""
