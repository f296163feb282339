"""cfn-lint on the synthesised templates, the main stack's and its nested stacks' (`python -m infra.lint
[template ...]`; tests/infra runs it too).

Errors, warnings and informational findings all count. A rule may be ignored only here, by its id
and with the reason it does not apply to CDK's output; any other finding fails. An ignored rule
that no longer fires is reported too, so an ignore cannot outlive its reason unnoticed.

cfn-lint's exit code is a bit field: 2 = errors, 4 = warnings, 8 = informational findings, OR-ed
together; 0 = clean. Any other bit (1, 16, …) means cfn-lint itself failed (a template it could not
read, a bad option), which is raised, never mistaken for a verdict. The bits must agree with the
levels of the findings it printed; `main` exits with the same bit field over the findings that
are not ignored (a stale ignore counts as a warning).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import REPO

CFN_LINT = Path(sys.executable).with_name("cfn-lint")  # the venv's, a dependency of moto[server]
OUT = REPO / "cdk.out"


def templates(out: Path = OUT) -> tuple[Path, ...]:
    """The main stack's template and every nested stack's, as a synth leaves them in `out`."""
    return tuple(sorted(out.glob("BrokerageCrm*.template.json")))


# The rules whose findings we accept, each with why: the one place for it.
IGNORED_RULES: dict[str, str] = {
    "W3005": (
        "Obsolete DependsOn. CDK's lambda.Function makes the function depend on its role and on the "
        "role's default policy, so that it is not invoked (e.g. by its event source mapping) before "
        "its permissions exist; the policy entry is what matters and the role entry merely repeats "
        "the dependency the function's Role GetAtt already implies. Harmless, and CDK offers no way "
        "to drop a construct-level dependency."
    ),
    "I1022": (
        "Prefer Fn::Sub over Fn::Join with an empty delimiter: a readability hint for hand-written "
        "templates. CDK generates every Join from token concatenation; nobody edits this template."
    ),
}
# Informational checks are off by default in cfn-lint: include them, so a new kind of finding is seen.
INCLUDED_CHECKS = ("I",)
# us-east-1 is cfn-lint's default; ap-east-1 (Hong Kong) is the nearest commercial region to the
# business that offers every service used here. (The mainland partition has no Cognito user pools:
# cfn-lint reports E3006 there, so this stack as it stands cannot be deployed in cn-north-1/cn-northwest-1.)
REGIONS = ("us-east-1", "ap-east-1")

ERRORS, WARNINGS, INFORMATIONAL = 2, 4, 8
LEVEL_BITS = {"Error": ERRORS, "Warning": WARNINGS, "Informational": INFORMATIONAL}
_FINDING_BITS = ERRORS | WARNINGS | INFORMATIONAL


def exit_bits(findings: Iterable[dict[str, Any]]) -> int:
    """The exit code cfn-lint gives for these findings."""
    bits = 0
    for finding in findings:
        bits |= LEVEL_BITS[finding["Level"]]
    return bits


def _describe(finding: dict[str, Any]) -> str:
    path = "/".join(str(part) for part in finding["Location"].get("Path") or ["(template)"])
    return f"{finding['Level']} {finding['Rule']['Id']} {path}: {finding['Message']}"


@dataclass(frozen=True)
class LintResult:
    exit_code: int  # cfn-lint's own, over every finding, ignored rules included
    findings: tuple[dict[str, Any], ...]  # cfn-lint's JSON findings (Rule.Id, Level, Message, Location)

    @property
    def errors(self) -> bool:
        return bool(self.exit_code & ERRORS)

    @property
    def warnings(self) -> bool:
        return bool(self.exit_code & WARNINGS)

    @property
    def informational(self) -> bool:
        return bool(self.exit_code & INFORMATIONAL)

    @property
    def ignored(self) -> tuple[dict[str, Any], ...]:
        return tuple(finding for finding in self.findings if finding["Rule"]["Id"] in IGNORED_RULES)

    @property
    def unexplained(self) -> tuple[dict[str, Any], ...]:
        return tuple(finding for finding in self.findings if finding["Rule"]["Id"] not in IGNORED_RULES)

    @property
    def stale_ignores(self) -> frozenset[str]:
        """Ignored rules that no longer fire: their entry in IGNORED_RULES should go."""
        return frozenset(IGNORED_RULES) - {finding["Rule"]["Id"] for finding in self.ignored}

    @property
    def verdict(self) -> int:
        """The exit-code bit field over the findings that are not ignored: 0 when clean."""
        return exit_bits(self.unexplained)

    def report(self) -> str:
        lines = [_describe(finding) for finding in self.unexplained]
        lines += [f"Stale ignore {rule}: cfn-lint no longer reports it" for rule in sorted(self.stale_ignores)]
        return "\n".join(lines)


def lint(*template: Path) -> LintResult:
    """Run cfn-lint on the templates (every one of cdk.out by default); raise if cfn-lint itself
    failed rather than judged them."""
    command = [
        str(CFN_LINT),
        "--format",
        "json",
        "--include-checks",
        *INCLUDED_CHECKS,
        "--regions",
        *REGIONS,
        "--",
        *(str(path) for path in template or templates()),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode & ~_FINDING_BITS:
        raise RuntimeError(f"cfn-lint failed (exit {result.returncode}): {result.stderr or result.stdout}")
    findings = tuple(json.loads(result.stdout)) if result.stdout.strip() else ()
    if exit_bits(findings) != result.returncode:
        raise RuntimeError(f"cfn-lint exited {result.returncode} but printed {len(findings)} findings: {result.stderr}")
    return LintResult(exit_code=result.returncode, findings=findings)


def main(argv: list[str]) -> int:
    result = lint(*(Path(arg) for arg in argv))
    if result.report():
        print(result.report())
    return result.verdict or (WARNINGS if result.stale_ignores else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
