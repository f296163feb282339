"""Client-service back end of a securities brokerage (某某证券客户服务管理制度).

The package is shared by every Lambda function (it ships as the `core` layer) and by the
local system. `domain/` and `rules/` are pure Python; only `data/` touches AWS.
"""
