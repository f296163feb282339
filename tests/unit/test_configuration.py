"""Each function's configuration (crm.config): exactly its topology entry's variables, read once,
failing at once and by name when one is missing, and no table, bucket or bus it did not declare."""

from __future__ import annotations

import pytest

from crm import config, topology
from crm.config import ConfigurationError, Settings


@pytest.mark.parametrize("spec", topology.FUNCTIONS, ids=lambda spec: spec.name)
def test_every_function_starts_on_its_declared_variables_and_names_each_missing_one(spec) -> None:
    settings = Settings.load(spec, spec.local_environment)
    assert {table.name for table in spec.tables} == set(settings.tables)
    assert all(settings.table(table) == table.local_name for table in spec.tables)
    for variable in spec.variables:
        environment = {name: value for name, value in spec.local_environment.items() if name != variable}
        with pytest.raises(ConfigurationError, match=variable):
            Settings.load(spec, environment)


def test_a_table_bucket_or_bus_the_function_did_not_declare_is_refused_by_name() -> None:
    settings = Settings.load(topology.function("settings"), topology.function("settings").local_environment)
    with pytest.raises(
        ConfigurationError, match=r"settings function does not declare the service table \(TABLE_SERVICE\)"
    ):
        settings.table(topology.SERVICE)
    with pytest.raises(ConfigurationError, match="BUCKET_REPORTS"):
        settings.bucket(topology.REPORTS)
    with pytest.raises(ConfigurationError, match="EVENT_BUS_NAME"):
        settings.bus(topology.BUS)


def test_the_data_layer_asks_the_running_function_and_falls_back_to_nothing() -> None:
    from crm.data.settings_table import SettingsItem

    lacking = topology.function("settings")._replace(reads=())
    with (
        config.running(Settings.load(lacking, lacking.local_environment)),
        pytest.raises(ConfigurationError, match="TABLE_SETTINGS"),
    ):
        SettingsItem.Meta.table_name  # noqa: B018
    with config.running(Settings.load(topology.function("settings"), topology.function("settings").local_environment)):
        assert SettingsItem.Meta.table_name == topology.SETTINGS.local_name


def test_a_stream_record_of_a_table_the_function_does_not_consume_is_refused() -> None:
    spec = topology.function("reclassify")
    settings = Settings.load(spec, spec.local_environment)
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2026-01-01T00:00:00.000"
    assert settings.stream_table(arn.format("crm-clients")) == "clients"
    with pytest.raises(ConfigurationError, match="crm-service"):
        settings.stream_table(arn.format("crm-service"))


def test_in_lambda_the_function_must_say_which_it_is() -> None:
    with pytest.raises(ConfigurationError, match="CRM_FUNCTION"):
        config.from_environment({"AWS_LAMBDA_FUNCTION_NAME": "BrokerageCrm-Clients"})
    with pytest.raises(ConfigurationError, match="names no function"):
        config.from_environment({"CRM_FUNCTION": "nonesuch"})
    spec = topology.function("contacts")
    assert config.from_environment(spec.local_environment) == Settings.load(spec, spec.local_environment)
    assert config.from_environment({}) is None  # tests and tools: the invoker configures each invocation
