#!/usr/bin/env python3
"""Generates docs/api.md from every .proto under proto/.

Compiles the protos with grpcio-tools' bundled protoc into a FileDescriptorSet
with source info (comments), then writes markdown for every service, RPC,
message, field, enum and enum value, in declaration order, with their
comments. Deterministic: the same protos always give the same file.

    pip install grpcio-tools
    python scripts/gen-api-docs.py            # writes docs/api.md
    python scripts/gen-api-docs.py -o -       # prints it
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"

FDP = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    FDP.TYPE_DOUBLE: "double", FDP.TYPE_FLOAT: "float", FDP.TYPE_INT64: "int64",
    FDP.TYPE_UINT64: "uint64", FDP.TYPE_INT32: "int32", FDP.TYPE_FIXED64: "fixed64",
    FDP.TYPE_FIXED32: "fixed32", FDP.TYPE_BOOL: "bool", FDP.TYPE_STRING: "string",
    FDP.TYPE_BYTES: "bytes", FDP.TYPE_UINT32: "uint32", FDP.TYPE_SFIXED32: "sfixed32",
    FDP.TYPE_SFIXED64: "sfixed64", FDP.TYPE_SINT32: "sint32", FDP.TYPE_SINT64: "sint64",
}

# Field numbers of the descriptor messages, as used in SourceCodeInfo paths.
FILE_SYNTAX, FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 12, 4, 5, 6
MSG_FIELD, MSG_NESTED, MSG_ENUM = 2, 3, 4
ENUM_VALUE = 2
SERVICE_METHOD = 2


def descriptor_set(protos: list[str]) -> descriptor_pb2.FileDescriptorSet:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "api.pb"
        subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}",
             f"--descriptor_set_out={out}", "--include_source_info", "--include_imports",
             *protos],
            check=True,
        )
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(out.read_bytes())
        return fds


class Comments:
    def __init__(self, fd: descriptor_pb2.FileDescriptorProto) -> None:
        self.by_path: dict[tuple[int, ...], str] = {}
        for loc in fd.source_code_info.location:
            text = loc.leading_comments or loc.trailing_comments
            if text.strip():
                self.by_path[tuple(loc.path)] = text

    def block(self, path: tuple[int, ...]) -> str:
        """The comment as markdown paragraphs (one leading space removed)."""
        raw = self.by_path.get(path, "")
        lines = [ln[1:] if ln.startswith(" ") else ln for ln in raw.rstrip().split("\n")]
        return "\n".join(ln.rstrip() for ln in lines).strip()

    def cell(self, path: tuple[int, ...]) -> str:
        """The comment on one line, for a table cell."""
        text = self.block(path)
        paras = [" ".join(p.split()) for p in text.split("\n\n")]
        return "<br><br>".join(p for p in paras if p).replace("|", "\\|")


def anchor(full_name: str) -> str:
    return full_name.replace(".", "-").replace("/", "-").lower()


class Writer:
    def __init__(self, fds: descriptor_pb2.FileDescriptorSet, documented: set[str]) -> None:
        self.fds = fds
        self.documented = [fd for fd in fds.file if fd.name in documented]
        self.local_types: set[str] = set()
        self.map_entries: dict[str, descriptor_pb2.DescriptorProto] = {}
        for fd in fds.file:
            for name, msg in self._all_messages(fd):
                if msg.options.map_entry:
                    self.map_entries[name] = msg
        for fd in self.documented:
            for name, _ in self._all_messages(fd):
                self.local_types.add(name)
            for name, _ in self._all_enums(fd):
                self.local_types.add(name)
        self.out: list[str] = []

    @staticmethod
    def _all_messages(fd, prefix=None, msgs=None):
        prefix = prefix if prefix is not None else f".{fd.package}" if fd.package else ""
        msgs = fd.message_type if msgs is None else msgs
        for m in msgs:
            name = f"{prefix}.{m.name}"
            yield name, m
            yield from Writer._all_messages(fd, name, m.nested_type)

    @staticmethod
    def _all_enums(fd):
        prefix = f".{fd.package}" if fd.package else ""
        for e in fd.enum_type:
            yield f"{prefix}.{e.name}", e
        for name, m in Writer._all_messages(fd):
            for e in m.enum_type:
                yield f"{name}.{e.name}", e

    def type_ref(self, type_name: str) -> str:
        name = type_name.lstrip(".")
        if type_name in self.local_types:
            return f"[`{name}`](#{anchor(name)})"
        return f"`{name}`"

    def field_type(self, f: descriptor_pb2.FieldDescriptorProto) -> tuple[str, str]:
        if f.type_name in self.map_entries:
            entry = self.map_entries[f.type_name]
            k, v = entry.field[0], entry.field[1]
            return f"map<{self.field_type(k)[0]}, {self.field_type(v)[0]}>", ""
        t = SCALARS.get(f.type) or self.type_ref(f.type_name)
        if f.type in SCALARS:
            t = f"`{t}`"
        if f.label == FDP.LABEL_REPEATED:
            return t, "repeated"
        if f.proto3_optional:
            return t, "optional"
        return t, ""

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)

    def render(self) -> str:
        self.emit(
            "# claimdb API reference",
            "",
            "<!-- Generated by scripts/gen-api-docs.py from proto/. Do not edit: edit the .proto",
            "     comments and run `python scripts/gen-api-docs.py`. -->",
            "",
            "Every service, RPC, message, field and enum of the contract in "
            "[`proto/`](../proto/), with the comments written there.",
            "",
        )
        self.toc()
        for fd in self.documented:
            self.file(fd)
        return "\n".join(self.out).rstrip() + "\n"

    def toc(self) -> None:
        self.emit("## Contents", "")
        for fd in self.documented:
            self.emit(f"- [`{fd.name}`](#{anchor(fd.name)})")
            pkg = fd.package
            for s in fd.service:
                self.emit(f"  - service [`{s.name}`](#{anchor(f'{pkg}.{s.name}')})")
            for name, _ in self._all_messages(fd):
                if name not in self.map_entries:
                    self.emit(f"  - message [`{name.lstrip('.')[len(pkg) + 1:]}`](#{anchor(name.lstrip('.'))})")
            for name, _ in self._all_enums(fd):
                self.emit(f"  - enum [`{name.lstrip('.')[len(pkg) + 1:]}`](#{anchor(name.lstrip('.'))})")
        self.emit("")

    def heading(self, level: int, full_name: str, title: str) -> None:
        self.emit(f'<a id="{anchor(full_name)}"></a>', "", f"{'#' * level} {title}", "")

    def file(self, fd: descriptor_pb2.FileDescriptorProto) -> None:
        c = Comments(fd)
        self.heading(2, fd.name, f"`{fd.name}`")
        self.emit(f"Package `{fd.package}`.", "")
        if text := c.block((FILE_SYNTAX,)):
            self.emit(text, "")
        for i, s in enumerate(fd.service):
            self.service(fd, c, s, (FILE_SERVICE, i))
        for i, m in enumerate(fd.message_type):
            self.message(c, f".{fd.package}", m, (FILE_MESSAGE, i))
        for i, e in enumerate(fd.enum_type):
            self.enum(c, f"{fd.package}.{e.name}", e, (FILE_ENUM, i))

    def service(self, fd, c: Comments, s, path) -> None:
        full = f"{fd.package}.{s.name}"
        self.heading(3, full, f"service `{full}`")
        if text := c.block(path):
            self.emit(text, "")
        self.emit("| RPC | Request | Response | Description |", "|---|---|---|---|")
        for j, m in enumerate(s.method):
            req = ("stream " if m.client_streaming else "") + self.type_ref(m.input_type)
            resp = ("stream " if m.server_streaming else "") + self.type_ref(m.output_type)
            self.emit(f"| `{m.name}` | {req} | {resp} | {c.cell(path + (SERVICE_METHOD, j))} |")
        self.emit("")

    def message(self, c: Comments, prefix: str, m, path) -> None:
        full = f"{prefix}.{m.name}"
        if m.options.map_entry:
            return
        name = full.lstrip(".")
        self.heading(3, name, f"message `{name}`")
        if text := c.block(path):
            self.emit(text, "")
        if m.field:
            self.emit("| Field | Number | Type | Label | Description |", "|---|---|---|---|---|")
            for j, f in enumerate(m.field):
                t, label = self.field_type(f)
                if f.HasField("oneof_index") and not f.proto3_optional:
                    label = f"oneof `{m.oneof_decl[f.oneof_index].name}`"
                self.emit(f"| `{f.name}` | {f.number} | {t} | {label} | {c.cell(path + (MSG_FIELD, j))} |")
            self.emit("")
        else:
            self.emit("No fields.", "")
        for j, n in enumerate(m.nested_type):
            self.message(c, full, n, path + (MSG_NESTED, j))
        for j, e in enumerate(m.enum_type):
            self.enum(c, f"{name}.{e.name}", e, path + (MSG_ENUM, j))

    def enum(self, c: Comments, full: str, e, path) -> None:
        self.heading(3, full, f"enum `{full}`")
        if text := c.block(path):
            self.emit(text, "")
        self.emit("| Name | Number | Description |", "|---|---|---|")
        for j, v in enumerate(e.value):
            self.emit(f"| `{v.name}` | {v.number} | {c.cell(path + (ENUM_VALUE, j))} |")
        self.emit("")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=str(ROOT / "docs" / "api.md"), help="file to write, or - for stdout")
    args = ap.parse_args()
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    if not protos:
        print(f"gen-api-docs: no .proto files under {PROTO_DIR}", file=sys.stderr)
        return 1
    text = Writer(descriptor_set(protos), set(protos)).render()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"gen-api-docs: wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} from {len(protos)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
