"""Infra tests share one synthesised app per session (synth takes seconds): the stack object, its
CloudFormation template and the cloud assembly, with helpers to query the template.

Synthesis runs cdk-nag AwsSolutions exactly as `make synth` does, so it raises on any finding
that is not acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra import REPO  # first: points jsii at the venv's Node.js before aws_cdk loads

# isort: split
from aws_cdk import App, CfnElement, Stack
from aws_cdk.assertions import Template
from constructs import IConstruct

from crm import topology
from infra.app import build_app
from infra.constructs import function as function_construct
from infra.stack import BrokerageCrmStack


def _substituted(value: Any, swap: Any) -> Any:
    """`value` with every node `swap` answers for (not None) replaced by that answer."""
    found = swap(value)
    if found is not None:
        return found
    if isinstance(value, dict):
        return {key: _substituted(item, swap) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, swap) for item in value]
    return value


def flattened(main: dict[str, Any], nested_id: str, nested: dict[str, Any]) -> dict[str, Any]:
    """One template holding the main stack's resources and a nested stack's, as if they were one:
    the nested stack's parameters replaced by what the main stack passes them, and the main stack's
    uses of the nested stack's outputs by what those outputs are. The API lives in a nested stack
    (CloudFormation's 500 resources), but what is checked of it is about the whole."""
    parameters = main["Resources"][nested_id]["Properties"].get("Parameters", {})

    def parameter(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in parameters:
            return parameters[node["Ref"]]
        return None

    outputs = {name: _substituted(output["Value"], parameter) for name, output in nested.get("Outputs", {}).items()}

    def output(node: Any) -> Any:
        attribute = node.get("Fn::GetAtt") if isinstance(node, dict) and set(node) == {"Fn::GetAtt"} else None
        if attribute and attribute[0] == nested_id and attribute[1].startswith("Outputs."):
            return outputs[attribute[1].removeprefix("Outputs.")]
        return None

    clash = main["Resources"].keys() & nested["Resources"].keys()
    assert not clash, f"logical ids in both templates: {clash}"
    resources = {key: _substituted(resource, output) for key, resource in main["Resources"].items()}
    resources |= {key: _substituted(resource, parameter) for key, resource in nested["Resources"].items()}
    return {**main, "Resources": resources}


def synth_flattened(app: App, stack: BrokerageCrmStack) -> dict[str, Any]:
    """Synthesise `app` and return `stack`'s template with its API's nested template folded in."""
    assembly = app.synth()
    api = json.loads((Path(assembly.directory) / stack.api.template_file).read_text(encoding="utf-8"))
    api_id = str(Stack.of(stack).resolve(stack.api.nested_stack_resource.logical_id))
    return flattened(assembly.get_stack_by_name(stack.stack_name).template, api_id, api)


@dataclass(frozen=True)
class Synthesised:
    """A synthesised stack: the constructs that built it and the template they produced (with the
    API's nested stack folded in: `flattened`; `main_template` is the main stack's alone)."""

    stack: BrokerageCrmStack
    template: dict[str, Any]
    main_template: dict[str, Any]
    assembly_dir: Path
    template_path: Path
    tables: tuple[topology.Table, ...]  # the topology the stack was built from
    buckets: tuple[topology.Bucket, ...]
    functions: tuple[topology.Function, ...]
    queues: tuple[topology.Queue, ...]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id → resource (Type, Properties, DeletionPolicy, …) of every resource of a type."""
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def properties(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource.get("Properties", {}) for logical_id, resource in self.resources(resource_type).items()
        }

    def logical_id(self, construct: IConstruct) -> str:
        """The logical id of an L1 resource, or of an L2 construct's main resource."""
        element = construct if isinstance(construct, CfnElement) else construct.node.default_child
        assert isinstance(element, CfnElement)
        return str(Stack.of(element).resolve(element.logical_id))

    def function_id(self, name: str) -> str:
        return self.logical_id(self.stack.functions[name].function)

    def alias_id(self, name: str) -> str:
        """The logical id of an API function's `live` alias, which API Gateway invokes."""
        alias = self.stack.functions[name].alias
        assert alias is not None, f"{name} has no routes, so no alias"
        return self.logical_id(alias)

    def role_id(self, name: str) -> str:
        return self.logical_id(self.stack.functions[name].role)

    def bus_id(self, name: str) -> str:
        return self.logical_id(self.stack.event_buses.buses[name])

    @property
    def key_id(self) -> str:
        """The logical id of the customer-managed KMS key."""
        return self.logical_id(self.stack.encryption.key)

    def statements(self, role_id: str) -> Iterator[dict[str, Any]]:
        """Every statement of every identity policy attached to a role (inline or separate)."""
        role = self.template["Resources"][role_id]
        for policy in role["Properties"].get("Policies", []):
            yield from policy["PolicyDocument"]["Statement"]
        for policy in self.properties("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy.get("Roles", []):
                yield from policy["PolicyDocument"]["Statement"]
        for policy in self.properties("AWS::IAM::ManagedPolicy").values():
            if {"Ref": role_id} in policy.get("Roles", []):
                yield from policy["PolicyDocument"]["Statement"]

    @property
    def buses(self) -> tuple[topology.EventBus, ...]:
        """The buses of the topology: those its functions publish on."""
        return tuple(dict.fromkeys(bus for spec in self.functions for bus in spec.publishes))

    @staticmethod
    def references(value: Any, intrinsic: str) -> Iterator[Any]:
        """Every argument of `intrinsic` (`Ref`, `Fn::GetAtt`, …) anywhere inside a template value."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key == intrinsic:
                    yield item
                yield from Synthesised.references(item, intrinsic)
        elif isinstance(value, list):
            for item in value:
                yield from Synthesised.references(item, intrinsic)

    @staticmethod
    def refers_to(value: Any, logical_id: str) -> bool:
        """Whether a template value points at a resource, by `Ref` or by `Fn::GetAtt`."""
        return logical_id in Synthesised.references(value, "Ref") or any(
            attribute[0] == logical_id for attribute in Synthesised.references(value, "Fn::GetAtt")
        )


def _synthesise(
    app: App,
    stack: BrokerageCrmStack,
    tables: tuple[topology.Table, ...],
    buckets: tuple[topology.Bucket, ...],
    functions: tuple[topology.Function, ...],
    queues: tuple[topology.Queue, ...],
) -> Synthesised:
    assembly = app.synth()
    artifact = assembly.get_stack_by_name(stack.stack_name)
    api = stack.api
    api_template = json.loads((Path(assembly.directory) / api.template_file).read_text(encoding="utf-8"))
    api_id = str(Stack.of(api.nested_stack_resource).resolve(api.nested_stack_resource.logical_id))
    return Synthesised(
        stack=stack,
        template=flattened(artifact.template, api_id, api_template),
        main_template=artifact.template,
        assembly_dir=Path(assembly.directory),
        template_path=Path(artifact.template_full_path),
        tables=tables,
        buckets=buckets,
        functions=functions,
        queues=queues,
    )


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    """The app exactly as `make synth` builds it, cdk-nag included."""
    app, stack = build_app(tmp_path_factory.mktemp("cdk.out"))
    return _synthesise(app, stack, topology.TABLES, topology.BUCKETS, topology.FUNCTIONS, topology.QUEUES)


# A topology grown by what infra/ has never heard of: a table with TTL, stream and index that one
# function both reads and only appends to, a bucket without object lock, a stream consumer of two
# tables (one filtered, one not) that publishes events and sends to a new queue, and a scheduled
# function with a route that archives to the new bucket and consumes that queue in batches. The stack
# must take it as is.
JOURNAL = topology.Table(
    name="journal",
    partition_key=topology.PK,
    sort_key=topology.SK,
    indexes=(topology.Index("by_actor", topology.Key("actor"), topology.Key("at", "N")),),
    stream=True,
    ttl_attribute="expires_at",
)
EXPORTS = topology.Bucket(name="journal-exports")
EXPORT_REQUESTS = topology.Queue(
    name="export-requests",
    purpose="journal entries to export",
    visibility_timeout_s=6 * 120,
    max_receive_count=3,
    retention_s=86400,
)
EXTENDED_TABLES = (*topology.TABLES, JOURNAL)
EXTENDED_BUCKETS = (*topology.BUCKETS, EXPORTS)
EXTENDED_QUEUES = (*topology.QUEUES, EXPORT_REQUESTS)
EXTENDED_FUNCTIONS = (
    *topology.FUNCTIONS,
    topology.Function(
        name="journal_feed",
        description="Stream: every journal entry, and client profile changes",
        reads=(JOURNAL,),
        appends=(JOURNAL,),
        streams=(
            topology.StreamSource(table=JOURNAL, batch_size=10, retry_attempts=1, max_record_age_s=3600),
            topology.StreamSource(
                table=topology.CLIENTS, filters=({"dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}},)
            ),
        ),
        publishes=(topology.BUS,),
        sends_to=(EXPORT_REQUESTS,),
    ),
    topology.Function(
        name="journal_report",
        description="Nightly journal report, exported; and one entry on demand",
        reads=(JOURNAL, topology.CLIENTS),
        archives=(EXPORTS,),
        routes=(topology.Route("GET", "/journal/{entry_id}"),),
        schedule=topology.Schedule(job="journal-report", expression="cron(0 18 * * ? *)"),
        queues=(topology.QueueSource(EXPORT_REQUESTS, batch_size=10, max_concurrency=3),),
        peak_rss_mb=400.0,  # above the API floor: a size of its own
        timeout_s=120,
        environment={"REPORT_FORMAT": "csv"},
    ),
)


@pytest.fixture(scope="session")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    """The stack built from the `EXTENDED_*` topology (without cdk-nag)."""
    functions_dir = tmp_path_factory.mktemp("functions")
    for spec in EXTENDED_FUNCTIONS:
        handler = REPO / "functions" / spec.name / "handler.py"
        (functions_dir / spec.name).mkdir()
        (functions_dir / spec.name / "handler.py").write_text(
            handler.read_text() if handler.exists() else "def lambda_handler(event, context):\n    return None\n"
        )
    app = App(outdir=str(tmp_path_factory.mktemp("extended.out")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(function_construct, "FUNCTIONS_DIR", functions_dir)
        stack = BrokerageCrmStack(
            app,
            "Extended",
            tables=EXTENDED_TABLES,
            buckets=EXTENDED_BUCKETS,
            functions=EXTENDED_FUNCTIONS,
            queues=EXTENDED_QUEUES,
        )
    return _synthesise(app, stack, EXTENDED_TABLES, EXTENDED_BUCKETS, EXTENDED_FUNCTIONS, EXTENDED_QUEUES)


@pytest.fixture(scope="session")
def template(synthesised: Synthesised) -> Template:
    """The same template, for CDK's own assertions."""
    return Template.from_json(synthesised.template)
