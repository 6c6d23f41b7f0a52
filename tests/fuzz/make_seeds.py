#!/usr/bin/env python3
"""Seed corpora and dictionaries for the fuzz targets, made from files in the repository.

    python3 tests/fuzz/make_seeds.py OUT      # OUT/<target>/ seeds, OUT/<target>.dict

Seeds are kept small (a few KiB to a few tens of KiB): libFuzzer runs each input many times, and
a 150 KiB SavedModel makes a protobuf target ten times slower than a 5 KiB one. Sources:
  graphdef, graphdef_text  tests/fuzz/graphdef_seeds/*.pbtxt (hand-made, encoded with protoc)
                           and the frozen graphs among the fixtures up to 12 KiB
  saved_model              tests/fuzz/saved_model_seeds/*.pbtxt (as .pb and as .pbtxt) and
                           the smallest SavedModels of each fixture folder, each packed as one
                           archive (fuzz_files.hpp)
  bundle                   the variables/ of the smallest fixture SavedModels, as archives
  npy                      small fixture .npy files and a few made here (every dtype, v2 header)
  ir_run                   tests/fuzz/ir_seeds/*.kir and the IR texts quoted in the C++ tests
Every target also gets tests/fuzz/regressions/<target>/: inputs that once crashed it.
Dictionaries hold the op names and attribute keys of Kiln's op catalogue, protobuf field tags,
and each format's keywords. Nothing here is committed: run.sh remakes it before each run.
"""
import pathlib
import re
import shutil
import struct
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUZZ = ROOT / "tests" / "fuzz"
FIXTURES = ROOT / "tests" / "fixtures"
PROTO_ROOT = ROOT / "importers"
ARCHIVE_MARKER = b"\x01KF:"

MAX_GRAPH_BYTES = 12 << 10     # frozen graphs from the fixtures
MAX_MODEL_BYTES = 40 << 10     # a whole SavedModel archive
MAX_MODELS_PER_GROUP = 3       # the smallest of each fixture folder: layers, control flow, ...
MAX_NPY_BYTES = 4 << 10
MAX_NPY = 24


def protoc(mode, message, proto, data):
    """protoc --encode / --decode with Kiln's own .proto files (package kiln.tf)."""
    return subprocess.run(
        ["protoc", f"--{mode}=kiln.tf.{message}", f"-I{PROTO_ROOT}",
         str(PROTO_ROOT / "savedmodel" / "proto" / proto)],
        input=data, capture_output=True, check=True).stdout


def archive(members):
    return b"".join(ARCHIVE_MARKER + name.encode() + b"\n" + data for name, data in members)


def write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def safe_name(path):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(path.relative_to(ROOT)))


# ---- Seeds ----------------------------------------------------------------------------------

def graphdef_seeds(out):
    for text_file in sorted((FUZZ / "graphdef_seeds").glob("*.pbtxt")):
        text = text_file.read_bytes()
        write(out / "graphdef_text", text_file.name, text)
        binary = protoc("encode", "GraphDef", "graph.proto", text)
        write(out / "graphdef", text_file.stem + ".pb", binary)
    frozen = [p for p in FIXTURES.rglob("*.pb")
              if p.name not in ("saved_model.pb", "fingerprint.pb", "keras_metadata.pb")
              and p.stat().st_size <= MAX_GRAPH_BYTES]
    for pb in sorted(frozen):
        data = pb.read_bytes()
        write(out / "graphdef", safe_name(pb), data)
        try:
            text = protoc("decode", "GraphDef", "graph.proto", data)
            write(out / "graphdef_text", safe_name(pb) + "txt", text)
        except subprocess.CalledProcessError:
            pass  # not a GraphDef after all


def model_files(folder):
    """(archive name, bytes) of a SavedModel folder's protobuf and variables."""
    members = [("saved_model.pb", (folder / "saved_model.pb").read_bytes())]
    variables = folder / "variables"
    if variables.is_dir():
        for f in sorted(variables.iterdir()):
            members.append(("variables/" + f.name, f.read_bytes()))
    return members


def saved_model_seeds(out):
    for text_file in sorted((FUZZ / "saved_model_seeds").glob("*.pbtxt")):
        text = text_file.read_bytes()
        pb = protoc("encode", "SavedModel", "saved_model.proto", text)
        write(out / "saved_model", text_file.stem, archive([("saved_model.pb", pb)]))
        write(out / "saved_model", text_file.stem + "_text", archive([("saved_model.pbtxt", text)]))
    groups = {}
    for pb in FIXTURES.rglob("saved_model.pb"):
        members = model_files(pb.parent)
        size = sum(len(data) for _, data in members)
        if size <= MAX_MODEL_BYTES:
            group = pb.relative_to(FIXTURES).parts[0]
            groups.setdefault(group, []).append((size, str(pb.parent), members))
    models = []
    for group in sorted(groups):
        models += sorted(groups[group], key=lambda m: m[:2])[:MAX_MODELS_PER_GROUP]
    for _, folder, members in models:
        folder = pathlib.Path(folder)
        write(out / "saved_model", safe_name(folder), archive(members))
        variables = [(name[len("variables/"):], data) for name, data in members
                     if name.startswith("variables/")]
        if variables:
            write(out / "bundle", safe_name(folder), archive(variables))


def npy_file(descr, shape, payload, version=1):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}".encode()
    length_bytes = 2 if version == 1 else 4
    pad = (64 - (6 + 2 + length_bytes + len(header) + 1) % 64) % 64
    header += b" " * pad + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + payload


def npy_seeds(out):
    made = {
        "f4_2x3.npy": npy_file("<f4", (2, 3), struct.pack("<6f", 0, 1, -1, 0.5, 2, 3)),
        "f2_scalar.npy": npy_file("<f2", (), b"\x00\x3c"),
        "f8_empty.npy": npy_file("<f8", (0, 4), b""),
        "i1_4.npy": npy_file("|i1", (4,), b"\x01\xff\x7f\x80"),
        "u1_2x2.npy": npy_file("|u1", (2, 2), b"\x00\x01\x02\xff"),
        "i4_v2.npy": npy_file("<i4", (3,), struct.pack("<3i", 1, -2, 3), version=2),
        "i8_1x1x1.npy": npy_file("<i8", (1, 1, 1), struct.pack("<q", -5)),
        "b1_3.npy": npy_file("|b1", (3,), b"\x01\x00\x01"),
    }
    for name, data in made.items():
        write(out / "npy", name, data)
    small = sorted((p for p in FIXTURES.rglob("*.npy") if p.stat().st_size <= MAX_NPY_BYTES),
                   key=lambda p: (p.stat().st_size, str(p)))
    # Every few files rather than the smallest few: the smallest are all scalars.
    step = max(1, len(small) // MAX_NPY)
    for p in small[::step][:MAX_NPY]:
        write(out / "npy", safe_name(p), p.read_bytes())


RAW_STRING = re.compile(r'R"\((.*?)\)"', re.S)


def ir_seeds(out):
    for kir in sorted((FUZZ / "ir_seeds").glob("*.kir")):
        write(out / "ir_run", kir.name, kir.read_bytes())
    # The IR texts in the C++ tests: graphs someone already thought worth checking.
    count = 0
    for test in sorted((ROOT / "tests").rglob("test_*.cpp")):
        for text in RAW_STRING.findall(test.read_text(errors="replace")):
            if text.lstrip().startswith("graph {") and "..." not in text and len(text) <= 4096:
                write(out / "ir_run", f"{test.stem}_{count}.kir", text.encode())
                count += 1


# ---- Dictionaries ---------------------------------------------------------------------------

def catalogue_words():
    """Op names and attribute keys, read from the op catalogue's source."""
    ops_dir = ROOT / "include" / "kiln" / "core"
    ops, attrs = set(), set()
    for header in ops_dir.rglob("*.hpp"):
        text = header.read_text(errors="replace")
        ops.update(re.findall(r'\(\s*"([A-Z][A-Za-z0-9]+)"', text))
        attrs.update(re.findall(r'\{\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,', text))
    return sorted(ops), sorted(attrs)


def dict_entry(data):
    escaped = "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}"
                      for b in data)
    return f'"{escaped}"'


def write_dict(path, words):
    unique = sorted({w if isinstance(w, bytes) else w.encode() for w in words})
    path.write_text("".join(dict_entry(w) + "\n" for w in unique if w))


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


PROTO_WORDS = ["DT_FLOAT", "DT_INT32", "DT_INT64", "DT_BOOL", "DT_STRING", "DT_HALF",
               "DT_RESOURCE", "DT_VARIANT", "NHWC", "NCHW", "SAME", "VALID", "serve",
               "serving_default", "tensorflow/serving/predict", "saver_filename", "save/Const",
               "StatefulPartitionedCall", "PartitionedCall", "VarHandleOp", "ReadVariableOp",
               "RestoreV2", "_output_shapes", ":0", ":1", "^"]
TEXT_PROTO_WORDS = ["node {", "name: ", "op: ", "input: ", "attr {", "key: ", "value {",
                    "type: ", "shape {", "dim {", "size: ", "unknown_rank: true", "tensor {",
                    "dtype: ", "tensor_shape {", "float_val: ", "int_val: ", "int64_val: ",
                    "bool_val: ", "tensor_content: ", "list {", "i: ", "s: ", "f: ", "b: ",
                    "func {", "library {", "function {", "signature {", "input_arg {",
                    "output_arg {", "node_def {", "ret {", "versions {", "producer: ", "}"]
IR_WORDS = ["graph {", "inputs: ", "outputs: ", "regions {", "cond: ", "body: ", "then: ",
            "else: ", "branches: ", " = ", "%", "^%", ":1", "()", "[?,", "[]", "[2]", "[?]",
            ": list(int)", ": list(float)", "float32", "float16", "bfloat16", "float64", "int8",
            "uint8", "int32", "int64", "boolean", "variant", "true", "false", "{0}", "{-1}",
            "{dtype = float32, shape = [2]}", "Placeholder()", "Const()", "// ", "\"NHWC\"",
            "\"SAME\"", "\"VALID\"", "loc(fused["]
NPY_WORDS = [b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00", b"{'descr': ", b"'fortran_order': ",
             b"'shape': ", b"False", b"True", b"'<f4'", b"'<f2'", b"'<f8'", b"'|i1'", b"'|u1'",
             b"'<i4'", b"'<i8'", b"'|b1'", b"'>f4'", b"(", b")", b", ", b"9223372036854775807"]
BUNDLE_WORDS = [ARCHIVE_MARKER + b"variables.index\n",
                ARCHIVE_MARKER + b"variables.data-00000-of-00001\n",
                ARCHIVE_MARKER + b"variables.data-00001-of-00002\n",
                b"\x57\xfb\x80\x8b\x24\x75\x47\xdb",  # LevelDB table magic, little-endian
                b"_CHECKPOINTABLE_OBJECT_GRAPH", b".ATTRIBUTES/VARIABLE_VALUE", b"\x00\x00\x00\x00"]


def dictionaries(out):
    ops, attrs = catalogue_words()
    # Field tags: (field << 3 | wire type) for the field numbers Kiln's protos use.
    tags = [varint(field << 3 | wire) for field in range(1, 17) for wire in (0, 2, 5)]
    binary = ops + attrs + PROTO_WORDS + tags
    write_dict(out / "graphdef.dict", binary)
    quoted_attrs = [f'"{a}"' for a in attrs]
    write_dict(out / "graphdef_text.dict", ops + quoted_attrs + PROTO_WORDS + TEXT_PROTO_WORDS)
    write_dict(out / "saved_model.dict", binary + BUNDLE_WORDS + [
        ARCHIVE_MARKER + b"saved_model.pb\n", ARCHIVE_MARKER + b"saved_model.pbtxt\n",
        ARCHIVE_MARKER + b"variables/variables.index\n",
        ARCHIVE_MARKER + b"variables/variables.data-00000-of-00001\n"])
    write_dict(out / "bundle.dict", BUNDLE_WORDS + tags)
    write_dict(out / "npy.dict", NPY_WORDS)
    write_dict(out / "ir_run.dict", ops + [a + " = " for a in attrs] + IR_WORDS)


def regressions(out):
    for folder in sorted((FUZZ / "regressions").glob("*")):
        for f in sorted(folder.iterdir()):
            write(out / folder.name, "regression_" + f.name, f.read_bytes())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    graphdef_seeds(out)
    saved_model_seeds(out)
    npy_seeds(out)
    ir_seeds(out)
    regressions(out)
    dictionaries(out)
    for target in sorted(p for p in out.iterdir() if p.is_dir()):
        files = list(target.iterdir())
        print(f"seeds: {target.name:<14} {len(files):4d} files, "
              f"{sum(f.stat().st_size for f in files) // 1024:5d} KiB")


if __name__ == "__main__":
    main()
