"""The clients table (一户一档): `items` holds its models and indexes; each other module is the
repository of one aggregate of a client's collection — the record (`records`), yearly metrics and
the company sums kept from them (`metrics`), questionnaires, class/VIP history (`history`), the
manager's profile (`profiles`) and suitability records (`suitability`)."""
