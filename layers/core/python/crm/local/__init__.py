"""The embedded default: the whole system on this machine, with moto standing in for AWS.

Never shipped to Lambda (the layer bundle leaves this package out). Pieces:
`provision` creates what the topology declares; `front` turns HTTP requests into API Gateway
proxy events for the real handlers; `pump` delivers DynamoDB stream batches to the real stream
handlers the way Lambda does; `jobs` runs scheduled handlers with an EventBridge event;
`system` starts and stops it all.
"""
