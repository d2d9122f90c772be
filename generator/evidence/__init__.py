"""Release evidence: a repository's spec, controls and test results tied to one release.

Public on purpose: the names below. ``evidence.json`` has the shape of ``EvidencePack``
(its JSON Schema ships as ``generator/data/evidence.schema.json``). Private modules
(``_junit``, ``_results``) are used only inside this package.
"""

from generator.evidence.collect import build_evidence
from generator.evidence.formats import (
    FORMATS,
    EvidenceFormat,
    counts_line,
    headline,
    render_evidence,
)
from generator.evidence.model import (
    PACK_SCHEMA_VERSION,
    RESULTS,
    ControlEvidence,
    CriterionEvidence,
    EvidencePack,
    Identity,
    NodeResult,
    Readiness,
    Result,
    json_schema,
    schema_path,
    write_schema_file,
)
from generator.evidence.pack import (
    KEY_VARIABLE,
    MANIFEST,
    PACK_FILES,
    SIGNATURE,
    PackFiles,
    VerifiedPack,
    signing_key,
    verify_pack,
    write_pack,
)

__all__ = [
    "FORMATS",
    "KEY_VARIABLE",
    "MANIFEST",
    "PACK_FILES",
    "PACK_SCHEMA_VERSION",
    "RESULTS",
    "SIGNATURE",
    "ControlEvidence",
    "CriterionEvidence",
    "EvidenceFormat",
    "EvidencePack",
    "Identity",
    "NodeResult",
    "PackFiles",
    "Readiness",
    "Result",
    "VerifiedPack",
    "build_evidence",
    "counts_line",
    "headline",
    "json_schema",
    "render_evidence",
    "schema_path",
    "signing_key",
    "verify_pack",
    "write_pack",
    "write_schema_file",
]
