"""Safe YAML reading that remembers the line of every value.

PyYAML composes the document into nodes without constructing any object, so no tag can
run code. The nodes are then turned into plain Python data here, with three guards:
only the standard tags are accepted, alias expansion is bounded (a "billion laughs"
file is refused after a fixed number of nodes, in milliseconds), and duplicate keys are
reported instead of silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

MAX_BYTES = 2_000_000
# libyaml's parser when PyYAML was built with it (it is ~10x faster); same safety either way,
# since only composed nodes are read, never constructed objects.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NODES = 200_000
MAX_DEPTH = 64
_TOO_DEEP = f"the document nests deeper than {MAX_DEPTH} levels"
"""One wording for deep nesting, whichever layer (our builder, PyYAML, libyaml) refuses it."""

Path_ = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TEXT_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class YamlProblem(Exception):
    """A YAML document that cannot be read; carries the 1-based line it concerns."""

    def __init__(self, line: int, message: str) -> None:
        """Remember where the problem is and what it is."""
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class LoadedYaml:
    """Plain data read from YAML, and the line where each value starts."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """Return the line of the deepest part of ``path`` that exists in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


class _Builder:
    """Turns composed nodes into Python data, counting nodes to stop alias bombs."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.visited = 0
        self.open: set[int] = set()  # ids of the collections being built (cycle check)
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise YamlProblem(
                node.start_mark.line + 1,
                f"the document expands to more than {MAX_NODES} values "
                "(aliases repeated too often); write the values out instead",
            )
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        line = node.start_mark.line + 1
        if id(node) in self.open:
            raise YamlProblem(line, "a value refers to itself through an alias; write it out")
        if len(path) > MAX_DEPTH:
            raise YamlProblem(line, _TOO_DEEP)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if node.tag != _SEQ:
                raise self._bad_tag(node)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        if node.tag != _MAP:
            raise self._bad_tag(node)
        self.constructor.flatten_mapping(node)  # resolves "<<" merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(key_node.start_mark.line + 1, "keys must be plain words")
            key = str(self._scalar(key_node))
            if key in result:
                raise YamlProblem(
                    key_node.start_mark.line + 1,
                    f"duplicate key '{key}'; keep one of them",
                )
            result[key] = self.build(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in _TEXT_TAGS:
            return str(node.value)
        if node.tag not in _SCALAR_TAGS:
            raise self._bad_tag(node)
        return self.constructor.construct_object(node)

    @staticmethod
    def _bad_tag(node: yaml.Node) -> YamlProblem:
        return YamlProblem(
            node.start_mark.line + 1,
            f"the tag {node.tag} is not allowed; a spec holds only plain text, numbers, "
            "lists and mappings",
        )


def parse_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document into plain data with line numbers.

    Raises:
        YamlProblem: the text is not one readable YAML document of plain values.
    """
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        problem = err.problem or err.context or "unreadable YAML"
        if "nesting" in problem:  # libyaml's own depth limit (PyYAML 6.0.3 and later)
            raise YamlProblem(line, _TOO_DEEP) from err
        raise YamlProblem(line, f"not valid YAML: {problem}") from err
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        raise YamlProblem(
            line, f"the file holds the non-printable character U+{code:04X}; remove it"
        ) from err
    except RecursionError as err:  # PyYAML's composer recurses once per nesting level
        # the pure-Python reader knows how far it got; libyaml refuses before recursing
        raise YamlProblem(getattr(loader, "line", 0) + 1, _TOO_DEEP) from err
    except yaml.YAMLError as err:
        raise YamlProblem(1, f"not valid YAML: {err}") from err
    finally:
        loader.dispose()
    if node is None:
        raise YamlProblem(1, "the file holds no YAML document")
    builder = _Builder()
    data = builder.build(node, ())
    return LoadedYaml(data=data, lines=builder.lines)


def decode_text(raw: bytes) -> str:
    """Decode a spec file's bytes as UTF-8 text, refusing binary and oversized data.

    Raises:
        YamlProblem: the bytes are too many, binary, or not UTF-8.
    """
    if len(raw) > MAX_BYTES:
        raise YamlProblem(1, f"the file is larger than {MAX_BYTES // 1_000_000} MB; a spec is text")
    if b"\x00" in raw:
        raise YamlProblem(1, "the file holds binary data, not YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise YamlProblem(line, "the file is not UTF-8 text; save it as UTF-8") from err
    if not text.strip():
        raise YamlProblem(1, "the file is empty; start from specs/ or `new-ai-project spec new`")
    return text
