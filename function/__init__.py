"""The scheduled sync Lambda function.

This package is the deployment root: it imports nothing from the rest of the repository,
so `function/` zipped as it is deploys to AWS with the handler
`function.handler.lambda_handler`.
"""
