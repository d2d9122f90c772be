"""The spec: its models, the description of its shape, safe loading, writing and schema.

Public on purpose: the names below, the safe YAML reader and the error wording among them
(the interview words an answer's problem exactly as ``spec validate`` does). ``_yaml`` is
used only inside this package.
"""

from generator.spec._yaml import LoadedYaml, YamlProblem, parse_yaml
from generator.spec.loading import (
    ValidationReport,
    load_spec,
    parse_spec,
    read_spec_data,
    validate_files,
    validate_spec_data,
)
from generator.spec.model import (
    DEFAULT_CAN,
    MAX_DRIFT_THRESHOLD,
    SCHEMA_VERSION,
    AcceptanceCriterion,
    Budget,
    BusinessGoal,
    DataClass,
    DataDependency,
    Direction,
    Input,
    InputType,
    Kind,
    Layer,
    Monitoring,
    OperatingBoundary,
    Owners,
    Permission,
    ProjectSpec,
    RegimeId,
    Regulatory,
    RiskTier,
    SuccessMetric,
    User,
    check_unique,
    slug_to_identifier,
)
from generator.spec.retention import RETENTION_FLOORS, RetentionFloor, minimum_retention
from generator.spec.schema import json_schema, schema_path, write_schema_file
from generator.spec.wording import describe_error, spec_error_lines
from generator.spec.writer import dump_spec

__all__ = [
    "DEFAULT_CAN",
    "MAX_DRIFT_THRESHOLD",
    "RETENTION_FLOORS",
    "SCHEMA_VERSION",
    "AcceptanceCriterion",
    "Budget",
    "BusinessGoal",
    "DataClass",
    "DataDependency",
    "Direction",
    "Input",
    "InputType",
    "Kind",
    "Layer",
    "LoadedYaml",
    "Monitoring",
    "OperatingBoundary",
    "Owners",
    "Permission",
    "ProjectSpec",
    "RegimeId",
    "Regulatory",
    "RetentionFloor",
    "RiskTier",
    "SuccessMetric",
    "User",
    "ValidationReport",
    "YamlProblem",
    "check_unique",
    "describe_error",
    "dump_spec",
    "json_schema",
    "load_spec",
    "minimum_retention",
    "parse_spec",
    "parse_yaml",
    "read_spec_data",
    "schema_path",
    "slug_to_identifier",
    "spec_error_lines",
    "validate_files",
    "validate_spec_data",
    "write_schema_file",
]
