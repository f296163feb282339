"""A TypeScript client generated from the committed OpenAPI document stays clean: openapi-typescript
(pinned in package.json) generates it without a word about the document, and `tsc --strict` accepts it
together with client-check.ts, which uses it as a front-end would (openapi-fetch)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.frontend.node import FRONTEND, Node

ROOT = FRONTEND.parent.parent
DOCUMENT = ROOT / "layers" / "core" / "python" / "crm" / "api" / "openapi.json"
# What openapi-typescript prints when the document is not right: ⚠ (a warning) or ✘ (an error), from
# its own checks and from the Redocly lint it runs first.
COMPLAINT = re.compile(r"[⚠✘]|warn|error|invalid", re.IGNORECASE)


def test_the_committed_document_generates_a_client_that_type_checks_under_strict(node: Node, tmp_path: Path) -> None:
    generated = tmp_path / "api.ts"
    made = node.run(
        node.package_bin("openapi-typescript", "openapi-typescript"), DOCUMENT, "--output", generated, cwd=tmp_path
    )
    said = [line for line in (made.stdout + made.stderr).splitlines() if COMPLAINT.search(line)]
    assert made.returncode == 0, made.stdout + made.stderr
    assert said == [], "openapi-typescript complained about the document:\n" + "\n".join(said)
    assert "export interface paths" in generated.read_text(encoding="utf-8")

    config = tmp_path / "tsconfig.json"
    config.write_text(json.dumps(_tsconfig(generated), indent=2), encoding="utf-8")
    checked = node.run(node.package_bin("typescript", "tsc"), "--project", config, "--strict", "--noEmit", cwd=tmp_path)
    assert checked.returncode == 0, f"tsc found errors:\n{checked.stdout}{checked.stderr}"
    assert checked.stdout.strip() == "", checked.stdout


def _tsconfig(generated: Path) -> dict[str, object]:
    """What a browser front-end's project would have, with declaration files checked too (no skipLibCheck):
    client-check.ts resolves openapi-fetch from tests/frontend/node_modules and "crm-api" to the file
    generated in the temporary directory."""
    return {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "target": "ES2022",
            "module": "ESNext",
            "moduleResolution": "Bundler",
            "lib": ["ES2022", "DOM"],
            "types": [],
            "skipLibCheck": False,
            "noUncheckedIndexedAccess": True,
            "noFallthroughCasesInSwitch": True,
            "verbatimModuleSyntax": True,
            "paths": {"crm-api": [str(generated)]},
        },
        "files": [str(FRONTEND / "client-check.ts"), str(generated)],
    }
