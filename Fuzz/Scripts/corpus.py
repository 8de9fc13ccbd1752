#!/usr/bin/env python3
"""Writes the fuzzing seed corpora under fixtures/fuzz/ (run by tools/make-fuzz-corpus.sh).

Every seed is small (the largest is a few KB) and made here: prototxt text,
Deep-Compression .net and .caffemodel bytes for FuzzHarness.fixedPrototxt,
MNIST CSV (plain and gzip), JPEGs encoded with Pillow from synthetic pixels,
and .sqz containers made by the command-line tool (train, prune, quantize,
encode, import) from tiny networks and synthetic digits, plus copies whose
network definition is stored uncompressed (re-framed here, checksums
recomputed) so that mutations reach the protobuf definition; and for the onnx
target, tiny ONNX models, TensorProto files and .npy arrays, written field by
field here (no onnx package needed).

Usage: corpus.py --out fixtures/fuzz --cli PATH/squeeze-compress --work TMPDIR
       corpus.py --out fixtures/fuzz --only onnx     (targets that need neither)
"""

import argparse
import gzip
import io
import os
import random
import shutil
import struct
import subprocess
import sys

# ---------------------------------------------------------------------------
# The fixed network the .net and .caffemodel targets read weights for: taken
# from FuzzHarness.fixedPrototxt, its one definition.


def _fixed_prototxt():
    import re
    import textwrap
    here = os.path.dirname(os.path.abspath(__file__))
    harness = os.path.join(here, "..", "Sources", "FuzzHarness", "FuzzHarness.swift")
    with open(harness, encoding="utf-8") as f:
        source = f.read()
    match = re.search(r'fixedPrototxt = """\n(.*?)\n\s*"""', source, re.S)
    if not match:
        sys.exit("corpus.py: fixedPrototxt not found in " + harness)
    return textwrap.dedent(match.group(1)) + "\n"


FIXED_PROTOTXT = _fixed_prototxt()

FIXED_WEIGHTED = [
    ("conv1", [4, 3, 3, 3], 4),
    ("conv2", [4, 2, 1, 1], 4),
    ("conv3", [4, 4, 3, 3], 4),
    ("ip", [5, 8], 5),
]


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------
# Protobuf wire format, enough for NetParameter.


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3 | 0) + varint(value)


def field_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def packed_floats(number, values):
    return field_bytes(number, struct.pack("<%df" % len(values), *values))


def packed_doubles(number, values):
    return field_bytes(number, struct.pack("<%dd" % len(values), *values))


def blob(values, shape=None, double=False):
    """BlobProto: shape = 7 (BlobShape.dim = 1, packed int64), data = 5, double_data = 8."""
    out = b""
    if shape is not None:
        out += field_bytes(7, field_bytes(1, b"".join(varint(d) for d in shape)))
    out += packed_doubles(8, values) if double else packed_floats(5, values)
    return out


def layer(name, type_, blobs=(), bottoms=(), tops=()):
    """LayerParameter: name = 1, type = 2, bottom = 3, top = 4, blobs = 7."""
    out = field_bytes(1, name) + field_bytes(2, type_)
    for b in bottoms:
        out += field_bytes(3, b)
    for t in tops:
        out += field_bytes(4, t)
    for b in blobs:
        out += field_bytes(7, b)
    return out


def net(name, layers):
    """NetParameter: name = 1, layer = 100."""
    return field_bytes(1, name) + b"".join(field_bytes(100, l) for l in layers)


# ---------------------------------------------------------------------------
# CRC-32C and the .sqz framing (docs/FORMAT.md).

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def split_container(data):
    """(header bytes 0..<16, [(tag, payload)]) of a well-formed container."""
    assert data[:8] == b"\x89SQZ\r\n\x1a\n", "not a container"
    (n,) = struct.unpack_from("<I", data, 12)
    sections, offset = [], 20
    for _ in range(n):
        tag, length = struct.unpack_from("<II", data, offset)
        sections.append((tag, data[offset + 8:offset + 8 + length]))
        offset += 12 + length
    assert offset == len(data)
    return data[:16], sections


def join_container(header, sections):
    out = bytearray(header[:12] + struct.pack("<I", len(sections)))
    out += struct.pack("<I", crc32c(out))
    for tag, payload in sections:
        start = len(out)
        out += struct.pack("<II", tag, len(payload)) + payload
        out += struct.pack("<I", crc32c(out[start:]))
    return bytes(out)


NETW = 0x5754454E


def uncompressed_definition(data, work):
    """The container with its NETW definition stored uncompressed (compression byte 0)."""
    header, sections = split_container(data)
    tag, payload = sections[0]
    assert tag == NETW
    if payload[0] == 0:
        return data
    (size,) = struct.unpack_from("<I", payload, 1)
    frame = os.path.join(work, "netw.zst")
    write(frame, payload[5:])
    definition = subprocess.run(["zstd", "-d", "-c", "-q", frame], check=True, stdout=subprocess.PIPE).stdout
    assert len(definition) == size
    sections[0] = (tag, b"\x00" + struct.pack("<I", size) + definition)
    return join_container(header, sections)


# ---------------------------------------------------------------------------
# Prototxt seeds: small definitions over every layer type, parameter form and
# piece of text-format syntax the reader accepts.

PROTOTXTS = {
    "conv-pool-ip.prototxt": """# A small convolutional network in the deploy form.
name: "tiny"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 12
input_dim: 12
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 stride: 1 pad: 1 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
""",
    "fire-module.prototxt": """# A SqueezeNet fire module: squeeze 1x1, expand 1x1 and 3x3, concatenated.
name: "fire"
input: "data"
input_shape { dim: 1 dim: 3 dim: 15 dim: 15 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 8 kernel_size: 3 stride: 2 } }
layer { name: "relu_conv1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "fire2/squeeze1x1" type: "Convolution" bottom: "pool1" top: "fire2/squeeze1x1"
        convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "fire2/relu_squeeze1x1" type: "ReLU" bottom: "fire2/squeeze1x1" top: "fire2/squeeze1x1" }
layer { name: "fire2/expand1x1" type: "Convolution" bottom: "fire2/squeeze1x1" top: "fire2/expand1x1"
        convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "fire2/relu_expand1x1" type: "ReLU" bottom: "fire2/expand1x1" top: "fire2/expand1x1" }
layer { name: "fire2/expand3x3" type: "Convolution" bottom: "fire2/squeeze1x1" top: "fire2/expand3x3"
        convolution_param { num_output: 4 pad: 1 kernel_size: 3 } }
layer { name: "fire2/relu_expand3x3" type: "ReLU" bottom: "fire2/expand3x3" top: "fire2/expand3x3" }
layer { name: "fire2/concat" type: "Concat" bottom: "fire2/expand1x1" bottom: "fire2/expand3x3" top: "fire2/concat" }
layer { name: "drop9" type: "Dropout" bottom: "fire2/concat" top: "fire2/concat" dropout_param { dropout_ratio: 0.5 } }
layer { name: "conv10" type: "Convolution" bottom: "fire2/concat" top: "conv10"
        convolution_param { num_output: 5 pad: 1 kernel_size: 1 weight_filler { type: "gaussian" mean: 0.0 std: 0.01 } } }
layer { name: "relu_conv10" type: "ReLU" bottom: "conv10" top: "conv10" }
layer { name: "pool10" type: "Pooling" bottom: "conv10" top: "pool10" pooling_param { pool: AVE global_pooling: true } }
layer { name: "prob" type: "Softmax" bottom: "pool10" top: "prob" }
""",
    "alexnet-style.prototxt": """# AlexNet's pieces at toy size: LRN, grouped convolution, dropout, fc.
name: "AlexNet-mini"
layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 3 dim: 19 dim: 19 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
        convolution_param { num_output: 4 kernel_size: 5 stride: 2 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
layer { name: "pool1" type: "Pooling" bottom: "norm1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
        convolution_param { num_output: 6 pad: 2 kernel_size: 3 group: 2 } }
layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
layer { name: "norm2" type: "LRN" bottom: "conv2" top: "norm2"
        lrn_param { local_size: 3 alpha: 0.001 beta: 0.75 norm_region: WITHIN_CHANNEL } }
layer { name: "fc6" type: "InnerProduct" bottom: "norm2" top: "fc6" inner_product_param { num_output: 8 } }
layer { name: "relu6" type: "ReLU" bottom: "fc6" top: "fc6" }
layer { name: "drop6" type: "Dropout" bottom: "fc6" top: "fc6" dropout_param { dropout_ratio: 0.5 } }
layer { name: "fc8" type: "InnerProduct" bottom: "fc6" top: "fc8" inner_product_param { num_output: 3 } }
layer { name: "prob" type: "Softmax" bottom: "fc8" top: "prob" }
""",
    "spatial-forms.prototxt": """# Separate height and width for kernels, strides and padding; dilation; leaky ReLU.
name: "spatial"
input: "data"
input_shape { dim: 1 dim: 2 dim: 9 dim: 11 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 3 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0 } }
layer { name: "leaky" type: "ReLU" bottom: "conv1" top: "leaky" relu_param { negative_slope: 0.1 } }
layer { name: "dil" type: "Convolution" bottom: "leaky" top: "dil"
        convolution_param { num_output: 2 kernel_size: 3 dilation: 2 pad: 2 bias_term: false } }
layer { name: "pool" type: "Pooling" bottom: "dil" top: "pool"
        pooling_param { pool: AVE kernel_h: 2 kernel_w: 3 stride: 2 pad: 1 } }
layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 4 bias_term: false } }
""",
    "syntax-variety.prototxt": """# Text-format syntax: <> messages, colons before messages, lists, separators,
# adjacent strings, escapes, comments, and include/exclude rules.
name: "syn" "tax"
input: 'data'
input_shape < dim: [1, 1, 6, 6] >
state { phase: TEST }
layer {
  name: "conv\\x31"  # an escaped '1'
  type: "Convolution";
  bottom: "data", top: "c1"
  convolution_param: { num_output: 2, kernel_size: [3], stride: [1, 1] }
}
layer: < name: "relu" type: "ReLU" bottom: "c1" top: "c1" >
layer { name: "train-only" type: "Dropout" bottom: "c1" top: "c1" include { phase: TRAIN } }
layer { name: "test-only" type: "Dropout" bottom: "c1" top: "c1" include { phase: TEST } }
layer { name: "not-test" type: "Dropout" bottom: "c1" top: "c1" exclude { phase: TEST } }
layer { name: "pool" type: "Pooling" bottom: "c1" top: "p" pooling_param { pool: MAX kernel_size: 2 stride: 2 round_mode: FLOOR } }
layer { name: "ip" type: "InnerProduct" bottom: "p" top: "ip" inner_product_param { num_output: 3 } }
""",
    "concat-axes.prototxt": """name: "concat"
input: "a"
input_shape { dim: 1 dim: 2 dim: 4 dim: 4 }
layer { name: "c1" type: "Convolution" bottom: "a" top: "c1" convolution_param { num_output: 3 kernel_size: 1 } }
layer { name: "c2" type: "Convolution" bottom: "a" top: "c2" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "cat1" type: "Concat" bottom: "c1" bottom: "c2" bottom: "a" top: "cat1" concat_param { axis: 1 } }
layer { name: "cat2" type: "Concat" bottom: "cat1" bottom: "cat1" top: "cat2" concat_param { axis: -1 } }
layer { name: "cat3" type: "Concat" bottom: "cat2" bottom: "cat2" top: "cat3" concat_param { concat_dim: 2 } }
layer { name: "sm" type: "Softmax" bottom: "cat3" top: "sm" softmax_param { axis: 1 } }
""",
    "fc-only.prototxt": """# LeNet-300-100's shape at toy size.
name: "fc"
input: "data"
input_dim: 1
input_dim: 1
input_dim: 8
input_dim: 8
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: 12 } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 6 } }
layer { name: "relu2" type: "ReLU" bottom: "ip2" top: "ip2" }
layer { name: "ip3" type: "InnerProduct" bottom: "ip2" top: "ip3" inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "ip3" top: "prob" }
""",
    "lenet-tiny.prototxt": """# LeNet-5 at a quarter of its size.
name: "LeNet-tiny"
input: "data"
input_shape { dim: 1 dim: 1 dim: 14 dim: 14 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 3 kernel_size: 5 stride: 1 } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 4 kernel_size: 3 stride: 1 } }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1" inner_product_param { num_output: 10 } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "ip2" top: "prob" }
""",
    "pooling-edges.prototxt": """# Ceil-mode pooling whose last window starts in the padding; global max pooling.
name: "pool-edges"
input: "data"
input_shape { dim: 1 dim: 2 dim: 7 dim: 7 }
layer { name: "p1" type: "Pooling" bottom: "data" top: "p1" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "p2" type: "Pooling" bottom: "p1" top: "p2" pooling_param { pool: AVE kernel_size: 2 stride: 3 pad: 1 } }
layer { name: "c" type: "Convolution" bottom: "p2" top: "c" convolution_param { num_output: 2 kernel_size: 1 pad: 1 } }
layer { name: "g" type: "Pooling" bottom: "c" top: "g" pooling_param { pool: MAX global_pooling: true } }
layer { name: "ip" type: "InnerProduct" bottom: "g" top: "ip" inner_product_param { num_output: 2 } }
""",
    "two-inputs.prototxt": """# Two inputs: readable, but the engines take one.
name: "two"
input: "a"
input: "b"
input_shape { dim: 1 dim: 1 dim: 4 dim: 4 }
input_shape { dim: 1 dim: 2 dim: 4 dim: 4 }
layer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" }
layer { name: "c" type: "Convolution" bottom: "cat" top: "c" convolution_param { num_output: 2 kernel_size: 3 } }
""",
    "batch-and-rank.prototxt": """# A batch of 2 and a rank-2 input into fully connected layers.
name: "rank2"
input: "x"
input_shape { dim: 2 dim: 16 }
layer { name: "ip1" type: "InnerProduct" bottom: "x" top: "ip1" inner_product_param { num_output: 4 } }
layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" relu_param { negative_slope: -0.5 } }
layer { name: "drop" type: "Dropout" bottom: "ip1" top: "d" dropout_param { dropout_ratio: 0.25 } }
layer { name: "ip2" type: "InnerProduct" bottom: "d" top: "ip2" inner_product_param { num_output: 3 } }
layer { name: "sm" type: "Softmax" bottom: "ip2" top: "sm" softmax_param { axis: -1 } }
""",
    "unsupported-and-unnamed.prototxt": """# Unnamed layers, a layer on an unknown blob (an error), and an unknown type (an error).
input: "data"
input_shape { dim: 1 dim: 1 dim: 3 dim: 3 }
layer { type: "ReLU" bottom: "data" top: "r" }
layer { type: "Convolution" bottom: "r" top: "c" convolution_param { num_output: 1 kernel_size: 1 } }
layer { name: "th" type: "TanH" bottom: "c" top: "c" }
""",
    "squeezenet-stem.prototxt": """# SqueezeNet v1.1's stem and first fire module, shrunk.
name: "SqueezeNet-stem"
layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 3 dim: 23 dim: 23 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 stride: 2 weight_filler { type: "xavier" } } }
layer { name: "relu_conv1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "fire2/squeeze1x1" type: "Convolution" bottom: "pool1" top: "fire2/squeeze1x1" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "fire2/relu_squeeze1x1" type: "ReLU" bottom: "fire2/squeeze1x1" top: "fire2/squeeze1x1" }
layer { name: "fire2/expand1x1" type: "Convolution" bottom: "fire2/squeeze1x1" top: "fire2/expand1x1" convolution_param { num_output: 3 kernel_size: 1 } }
layer { name: "fire2/expand3x3" type: "Convolution" bottom: "fire2/squeeze1x1" top: "fire2/expand3x3" convolution_param { num_output: 3 pad: 1 kernel_size: 3 } }
layer { name: "fire2/concat" type: "Concat" bottom: "fire2/expand1x1" bottom: "fire2/expand3x3" top: "fire2/concat" }
layer { name: "conv10" type: "Convolution" bottom: "fire2/concat" top: "conv10" convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "pool10" type: "Pooling" bottom: "conv10" top: "pool10" pooling_param { pool: AVE kernel_size: 5 stride: 1 } }
layer { name: "prob" type: "Softmax" bottom: "pool10" top: "prob" }
""",
    "empty.prototxt": "",
    "inputs-only.prototxt": 'name: "no layers"\ninput: "data"\ninput_shape { dim: 1 dim: 3 dim: 2 dim: 2 }\n',
}


def prototxt_seeds(out):
    for name, text in PROTOTXTS.items():
        write(os.path.join(out, "prototxt", name), text)
    write(os.path.join(out, "prototxt", "fixed.prototxt"), FIXED_PROTOTXT)


# ---------------------------------------------------------------------------
# .net seeds for the fixed network.


def net_file(rng, density, codebook_zero_fraction=0.0, gap_limit=15, scale=1.0):
    """A .net file: nnz per layer, then per layer codebook[256], bias, codes, packed 4-bit gaps."""
    codebook_size = 256
    header, body = b"", b""
    for name, shape, bias_count in FIXED_WEIGHTED:
        n = count(shape)
        codebook = [0.0] + [rng.uniform(-1, 1) * scale for _ in range(codebook_size - 1)]
        for i in range(1, codebook_size):
            if rng.random() < codebook_zero_fraction:
                codebook[i] = 0.0
        nonzero = [i for i in range(1, codebook_size) if codebook[i] != 0.0] or [1]
        positions = sorted(p for p in range(n) if rng.random() < density) or [0]
        codes, gaps, previous = [], [], -1
        for p in positions:
            while p - previous - 1 > gap_limit:
                # A filler entry: code 0 maps to 0.0.
                previous += gap_limit + 1
                codes.append(0)
                gaps.append(gap_limit)
            codes.append(rng.choice(nonzero))
            gaps.append(p - previous - 1)
            previous = p
        header += struct.pack("<I", len(codes))
        packed = bytearray((len(gaps) - 1) // 2 + 1)
        for i, g in enumerate(gaps):
            packed[i >> 1] |= g << (4 * (i & 1))
        body += struct.pack("<%df" % codebook_size, *codebook)
        body += struct.pack("<%df" % bias_count, *[rng.uniform(-0.5, 0.5) for _ in range(bias_count)])
        body += bytes(codes) + bytes(packed)
    return header + body


def deep_compression_seeds(out):
    rng = random.Random(19)
    folder = os.path.join(out, "deep-compression")
    write(os.path.join(folder, "dense.net"), net_file(rng, 1.0))
    write(os.path.join(folder, "half.net"), net_file(rng, 0.5))
    write(os.path.join(folder, "sparse-fillers.net"), net_file(rng, 0.05))
    write(os.path.join(folder, "one-per-layer.net"), net_file(rng, 0.0))
    write(os.path.join(folder, "zero-codebook.net"), net_file(rng, 0.6, codebook_zero_fraction=0.5))
    # Finite weights near Float.greatestFiniteMagnitude: sums of them overflow.
    write(os.path.join(folder, "huge-weights.net"), net_file(rng, 0.7, scale=3.4e38))


# ---------------------------------------------------------------------------
# .caffemodel seeds for the fixed network.


def caffemodel_seeds(out):
    rng = random.Random(23)
    folder = os.path.join(out, "caffemodel")

    def weights(shape, bias_count, double=False, with_shape=True):
        w = [rng.uniform(-1, 1) for _ in range(count(shape))]
        b = [rng.uniform(-0.1, 0.1) for _ in range(bias_count)]
        return [blob(w, shape if with_shape else None, double), blob(b, [bias_count] if with_shape else None, double)]

    plain = [layer(n, "InnerProduct" if n == "ip" else "Convolution", weights(s, b)) for n, s, b in FIXED_WEIGHTED]
    write(os.path.join(folder, "floats.caffemodel"), net("fuzz-fixed", plain))
    doubles = [layer(n, "Convolution", weights(s, b, double=True, with_shape=False)) for n, s, b in FIXED_WEIGHTED]
    write(os.path.join(folder, "doubles.caffemodel"), net("fuzz-fixed", doubles))
    # As Caffe writes a trained model: data and loss layers around, bottoms and tops, shapes.
    full = [layer("data", "Data", tops=["data", "label"])]
    for n, s, b in FIXED_WEIGHTED:
        full.append(layer(n, "Convolution", weights(s, b), bottoms=["x"], tops=[n]))
        full.append(layer(n + "_relu", "ReLU", bottoms=[n], tops=[n]))
    full.append(layer("loss", "SoftmaxWithLoss", bottoms=["ip", "label"], tops=["loss"]))
    write(os.path.join(folder, "with-data-layers.caffemodel"), net("trained", full))
    # Extra blobs and layers the network does not have.
    extra = plain + [layer("unused", "Convolution", [blob([1.0, 2.0], [2])])]
    write(os.path.join(folder, "extra-layer.caffemodel"), net("", extra))


# ---------------------------------------------------------------------------
# MNIST CSV seeds.


def digit_line(rng, label, sep=",", blank_fields=False):
    pixels = [0] * 784
    # A blob of ink somewhere, like a digit.
    cx, cy = rng.randrange(6, 22), rng.randrange(6, 22)
    for y in range(28):
        for x in range(28):
            d = (x - cx) ** 2 + (y - cy) ** 2
            if d < 30:
                pixels[y * 28 + x] = max(0, min(255, 255 - d * 8 + rng.randrange(-5, 5)))
    fields = [str(p) for p in pixels] + [str(label)]
    if blank_fields:
        fields = [" %s" % f if i % 97 == 0 else ("+%s" % f if i % 89 == 0 else f) for i, f in enumerate(fields)]
    return sep.join(fields)


def mnist_seeds(out):
    rng = random.Random(29)
    folder = os.path.join(out, "mnist")
    one = digit_line(rng, 7) + "\n"
    write(os.path.join(folder, "one.csv"), one)
    write(os.path.join(folder, "three-crlf.csv"), "\r\n".join(digit_line(rng, d) for d in (0, 5, 9)) + "\r\n")
    write(os.path.join(folder, "bom-blank-lines.csv"),
          b"\xef\xbb\xbf" + ("\n\n" + digit_line(rng, 3) + "\n  \t\n" + digit_line(rng, 1)).encode())
    write(os.path.join(folder, "blanks-and-signs.csv"), digit_line(rng, 4, blank_fields=True) + "\n")
    write(os.path.join(folder, "no-final-newline.csv"), digit_line(rng, 2))
    two = (digit_line(rng, 6) + "\n" + digit_line(rng, 8) + "\n").encode()
    write(os.path.join(folder, "two.csv.gz"), gzip.compress(two, mtime=0))
    members = gzip.compress(one.encode(), mtime=0) + gzip.compress(two, mtime=0)
    write(os.path.join(folder, "two-members.csv.gz"), members)
    write(os.path.join(folder, "zero-padded.csv.gz"), gzip.compress(one.encode(), mtime=0) + b"\x00" * 16)
    # Error paths: a short line, a pixel out of range, a bad label.
    write(os.path.join(folder, "short-line.csv"), "1,2,3,4\n")
    write(os.path.join(folder, "bad-values.csv"), digit_line(rng, 5).replace(",0,", ",256,", 1) + "\n" + "0," * 784 + "10\n")


# ---------------------------------------------------------------------------
# JPEG seeds: Pillow encodes synthetic pixels (no image data is copied).


def jpeg_seeds(out, work):
    try:
        from PIL import Image
    except ImportError:
        sys.exit("corpus.py: the JPEG seeds need Pillow (pip install pillow)")
    rng = random.Random(31)
    folder = os.path.join(out, "jpeg")

    def image(mode, w, h):
        img = Image.new(mode, (w, h))
        bands = len(img.getbands())
        data = []
        for y in range(h):
            for x in range(w):
                px = tuple((x * 255 // max(w - 1, 1) + c * 60 + y * 7 + rng.randrange(0, 20)) % 256 for c in range(bands))
                data.append(px if bands > 1 else px[0])
        img.putdata(data)
        return img

    def save(name, img, **options):
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", **options)
        write(os.path.join(folder, name), buffer.getvalue())

    save("rgb-16x16.jpg", image("RGB", 16, 16), quality=90)
    save("rgb-32x24-420.jpg", image("RGB", 32, 24), quality=75, subsampling=2)
    save("rgb-17x13-444-optimized.jpg", image("RGB", 17, 13), quality=95, subsampling=0, optimize=True)
    save("progressive-24x24.jpg", image("RGB", 24, 24), quality=80, progressive=True)
    save("gray-8x8.jpg", image("L", 8, 8), quality=85)
    save("gray-progressive-20x9.jpg", image("L", 20, 9), quality=60, progressive=True)
    save("cmyk-16x16.jpg", image("CMYK", 16, 16), quality=90)
    save("one-pixel.jpg", image("RGB", 1, 1), quality=50)
    save("wide-64x2.jpg", image("RGB", 64, 2), quality=70, subsampling=1)
    save("restarts-16x16.jpg", image("RGB", 16, 16), quality=90, restart_marker_blocks=1)
    save("exif-comment-12x12.jpg", image("RGB", 12, 12), quality=90, comment=b"fuzz seed",
         exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")


# ---------------------------------------------------------------------------
# .sqz seeds, made by the command-line tool.

# Networks on MNIST's 1x28x28 input, with few weights so that every seed stays small.
SQZ_PROTOTXTS = {
    "conv": """name: "sqz-conv"
input: "data"
input_shape { dim: 1 dim: 1 dim: 28 dim: 28 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 3 kernel_size: 5 stride: 3 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
""",
    "fc": """name: "sqz-fc"
input: "data"
input_shape { dim: 1 dim: 1 dim: 28 dim: 28 }
layer { name: "pool0" type: "Pooling" bottom: "data" top: "pool0" pooling_param { pool: AVE kernel_size: 4 stride: 4 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool0" top: "ip1" inner_product_param { num_output: 12 } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "drop1" type: "Dropout" bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.2 } }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 } }
""",
    "fire": """name: "sqz-fire"
input: "data"
input_shape { dim: 1 dim: 1 dim: 28 dim: 28 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 stride: 3 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "squeeze" type: "Convolution" bottom: "conv1" top: "squeeze" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "e1" type: "Convolution" bottom: "squeeze" top: "e1" convolution_param { num_output: 3 kernel_size: 1 } }
layer { name: "e3" type: "Convolution" bottom: "squeeze" top: "e3" convolution_param { num_output: 3 kernel_size: 3 pad: 1 group: 1 } }
layer { name: "cat" type: "Concat" bottom: "e1" bottom: "e3" top: "cat" }
layer { name: "conv10" type: "Convolution" bottom: "cat" top: "conv10" convolution_param { num_output: 10 kernel_size: 1 } }
layer { name: "pool10" type: "Pooling" bottom: "conv10" top: "pool10" pooling_param { pool: AVE global_pooling: true } }
layer { name: "prob" type: "Softmax" bottom: "pool10" top: "prob" }
""",
}


def container_seeds(out, cli, work):
    rng = random.Random(37)
    digits = os.path.join(work, "digits.csv")
    write(digits, "".join(digit_line(rng, i % 10) + "\n" for i in range(40)))
    folder = os.path.join(out, "container")
    structured = os.path.join(out, "container-structured")
    os.makedirs(folder, exist_ok=True)

    def run(*args):
        subprocess.run([cli, *args], check=True, stdout=subprocess.DEVNULL)

    made = {}
    for name, text in SQZ_PROTOTXTS.items():
        prototxt = os.path.join(work, name + ".prototxt")
        write(prototxt, text)
        dense = os.path.join(work, name + "-dense.sqz")
        run("train", "--prototxt", prototxt, "--mnist", digits, "--epochs", "1", "--batch", "8", "--lr", "0.01",
            "--seed", "5", "--threads", "1", "-o", dense)
        pruned = os.path.join(work, name + "-sparse.sqz")
        run("prune", dense, "-o", pruned, "--density", "0.3")
        shared = os.path.join(work, name + "-shared.sqz")
        run("quantize", dense, "-o", shared, "--bits", "conv=3,fc=2")
        both = os.path.join(work, name + "-sparse-shared.sqz")
        run("quantize", pruned, "-o", both, "--bits", "conv=4,fc=3")
        made[name] = {"dense": dense, "sparse": pruned, "shared": shared, "sparse-shared": both}

    # Every storage form in every codec, for the conv network; the others in one codec each.
    for form, path in made["conv"].items():
        for codec in ("raw", "huffman", "zstd"):
            target = os.path.join(folder, "conv-%s-%s.sqz" % (form, codec))
            run("encode", path, "-o", target, "--codec", codec)
    for name in ("fc", "fire"):
        for form, path in made[name].items():
            codec = {"dense": "raw", "sparse": "huffman", "shared": "zstd", "sparse-shared": "huffman"}[form]
            run("encode", path, "-o", os.path.join(folder, "%s-%s-%s.sqz" % (name, form, codec)), "--codec", codec)
    # Narrow and wide relative indices: many fillers, and none.
    run("encode", made["conv"]["sparse-shared"], "-o", os.path.join(folder, "conv-sparse-shared-index2.sqz"),
        "--codec", "huffman", "--conv-index-bits", "2", "--fc-index-bits", "1")
    run("encode", made["fc"]["sparse"], "-o", os.path.join(folder, "fc-sparse-index16.sqz"),
        "--codec", "raw", "--conv-index-bits", "16", "--fc-index-bits", "16")
    # The fixed network imported from a .net file (pruned + 8-bit shared).
    fixed = os.path.join(work, "fixed.prototxt")
    write(fixed, FIXED_PROTOTXT)
    run("import", "--prototxt", fixed, "--weights", os.path.join(out, "deep-compression", "half.net"),
        "-o", os.path.join(folder, "fixed-imported.sqz"))

    # Uncompressed network definitions, so that mutations reach the protobuf message.
    for name in sorted(os.listdir(folder)):
        if name.endswith("-huffman.sqz") or name.startswith("fixed") or name.endswith("index2.sqz"):
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            write(os.path.join(structured, name.replace(".sqz", "-netw0.sqz")), uncompressed_definition(data, work))


# ---------------------------------------------------------------------------
# ONNX (onnx.proto field numbers) and .npy seeds for the onnx target.


def field_float(number, value):
    return varint(number << 3 | 5) + struct.pack("<f", value)


def packed_varints(number, values):
    return field_bytes(number, b"".join(varint(v) for v in values))


def onnx_tensor(name, dims, data_type, raw=None, floats=(), int32s=(), int64s=(), doubles=(), uint64s=()):
    """TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9,
    double_data 10, uint64_data 11."""
    out = b"".join(field_varint(1, d) for d in dims) + field_varint(2, data_type)
    if floats:
        out += packed_floats(4, floats)
    if int32s:
        out += packed_varints(5, int32s)
    if int64s:
        out += packed_varints(7, int64s)
    if name:
        out += field_bytes(8, name)
    if raw is not None:
        out += field_bytes(9, raw)
    if doubles:
        out += packed_doubles(10, doubles)
    if uint64s:
        out += packed_varints(11, uint64s)
    return out


def onnx_float_tensor(name, dims, values):
    return onnx_tensor(name, dims, 1, raw=struct.pack("<%df" % len(values), *values))


def onnx_attribute(name, kind, body):
    """AttributeProto: name 1, type 20, and the value field(s) in body."""
    kinds = {"FLOAT": 1, "INT": 2, "STRING": 3, "TENSOR": 4, "GRAPH": 5, "FLOATS": 6, "INTS": 7, "STRINGS": 8,
             "TENSORS": 9}
    return field_bytes(1, name) + body + field_varint(20, kinds[kind])


def onnx_ints(name, values):
    return onnx_attribute(name, "INTS", b"".join(field_varint(8, v) for v in values))


def onnx_int(name, value):
    return onnx_attribute(name, "INT", field_varint(3, value))


def onnx_node(op_type, inputs, outputs, name="", attributes=(), domain=""):
    """NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7."""
    out = b"".join(field_bytes(1, i) for i in inputs) + b"".join(field_bytes(2, o) for o in outputs)
    if name:
        out += field_bytes(3, name)
    out += field_bytes(4, op_type) + b"".join(field_bytes(5, a) for a in attributes)
    if domain:
        out += field_bytes(7, domain)
    return out


def onnx_value_info(name, elem_type=1, dims=None):
    """ValueInfoProto name 1, type 2 > TypeProto tensor_type 1 > elem_type 1, shape 2 > dim 1 > dim_value 1 | dim_param 2."""
    tensor_type = field_varint(1, elem_type)
    if dims is not None:
        shape = b"".join(field_bytes(1, field_bytes(2, d) if isinstance(d, str) else field_varint(1, d)) for d in dims)
        tensor_type += field_bytes(2, shape)
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor_type))


def onnx_graph(name, nodes, initializers, inputs, outputs):
    """GraphProto: node 1, name 2, initializer 5, input 11, output 12."""
    return (b"".join(field_bytes(1, n) for n in nodes) + field_bytes(2, name)
            + b"".join(field_bytes(5, t) for t in initializers)
            + b"".join(field_bytes(11, i) for i in inputs) + b"".join(field_bytes(12, o) for o in outputs))


def onnx_model(graph, opsets=(("", 13),), ir_version=8, metadata=()):
    """ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8, metadata_props 14."""
    out = field_varint(1, ir_version) + field_bytes(2, "corpus.py") + field_bytes(3, "1") + field_bytes(7, graph)
    for domain, version in opsets:
        out += field_bytes(8, field_bytes(1, domain) + field_varint(2, version))
    for key, value in metadata:
        out += field_bytes(14, field_bytes(1, key) + field_bytes(2, value))
    return out


def npy(descr, shape, data, version=1, fortran=False):
    """A .npy file as numpy.save writes it (the header padded to a multiple of 64 bytes)."""
    dims = "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", dims)
    prefix = 10 if version == 1 else 12
    header = header.encode() + b" " * (64 - (prefix + len(header) + 1) % 64) + b"\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + data


def onnx_seeds(out):
    folder = os.path.join(out, "onnx")
    rng = random.Random(11)

    def floats(n):
        return [round(rng.uniform(-1, 1), 3) for _ in range(n)]

    # A small convolutional network, as the toolkit's models are.
    conv = onnx_graph(
        "conv-net",
        [onnx_node("Conv", ["data", "w1", "b1"], ["c1"], "conv1",
                   [onnx_ints("kernel_shape", [3, 3]), onnx_ints("pads", [1, 1, 1, 1]), onnx_ints("strides", [1, 1]),
                    onnx_int("group", 1)]),
         onnx_node("Relu", ["c1"], ["r1"], "relu1"),
         onnx_node("MaxPool", ["r1"], ["p1"], "pool1",
                   [onnx_ints("kernel_shape", [2, 2]), onnx_ints("strides", [2, 2]), onnx_int("ceil_mode", 1)]),
         onnx_node("Conv", ["p1", "w2"], ["c2"], "conv2", [onnx_ints("kernel_shape", [1, 1]), onnx_int("group", 2)]),
         onnx_node("Concat", ["c2", "p1"], ["cat"], "cat", [onnx_int("axis", 1)]),
         onnx_node("GlobalAveragePool", ["cat"], ["gap"], "gap"),
         onnx_node("Flatten", ["gap"], ["flat"], "flat", [onnx_int("axis", 1)]),
         onnx_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], "fc", [onnx_int("transB", 1)])],
        [onnx_float_tensor("w1", [4, 3, 3, 3], floats(108)), onnx_float_tensor("b1", [4], floats(4)),
         onnx_float_tensor("w2", [4, 2, 1, 1], floats(8)),
         onnx_float_tensor("fc_w", [5, 8], floats(40)), onnx_tensor("fc_b", [5], 1, floats=floats(5))],
        [onnx_value_info("data", dims=[1, 3, 8, 8])],
        [onnx_value_info("logits", dims=[1, 5])])
    write(os.path.join(folder, "conv-net.onnx"),
          onnx_model(conv, metadata=[("preprocessing_json", '{"mean": [104, 117, 123]}'), ("source", "corpus.py")]))

    # Unnamed nodes, a constant tensor attribute, optional inputs left out, a
    # subgraph (skipped), symbolic dimensions, another operator set.
    then_branch = onnx_graph("then", [onnx_node("Identity", ["k"], ["o"])], [], [], [onnx_value_info("o")])
    mixed = onnx_graph(
        "mixed",
        [onnx_node("Constant", [], ["k"], attributes=[onnx_attribute("value", "TENSOR", field_bytes(5, onnx_float_tensor("", [2], [0.5, -1])))]),
         onnx_node("Clip", ["x", "", "k"], ["y"]),
         onnx_node("Resize", ["y", "", "scales"], ["z"],
                   attributes=[onnx_attribute("mode", "STRING", field_bytes(4, "nearest")),
                               onnx_attribute("extrapolation_value", "FLOAT", field_float(2, 0.25)),
                               onnx_attribute("pads", "FLOATS", packed_floats(7, [0.5, 1.5])),
                               onnx_attribute("names", "STRINGS", field_bytes(9, "a") + field_bytes(9, "b"))]),
         onnx_node("If", ["cond"], ["out"], attributes=[onnx_attribute("then_branch", "GRAPH", field_bytes(6, then_branch))]),
         onnx_node("LabelEncoder", ["out"], ["label"], domain="ai.onnx.ml",
                   attributes=[onnx_attribute("values", "TENSORS", field_bytes(10, onnx_float_tensor("", [1], [1])))])],
        [onnx_tensor("scales", [4], 1, floats=[1, 1, 2, 2]), onnx_tensor("cond", [], 9, raw=b"\x01")],
        [onnx_value_info("x", dims=["N", 3, "H", "W"]), onnx_value_info("cond", elem_type=9, dims=[])],
        [onnx_value_info("label", elem_type=7)])
    write(os.path.join(folder, "mixed.onnx"), onnx_model(mixed, opsets=[("", 17), ("ai.onnx.ml", 3)]))

    # Initializers of every element type the reader converts, raw and typed.
    half = [0x3C00, 0xC000, 0x0001, 0x7BFF]
    typed = onnx_graph(
        "types",
        [onnx_node("Identity", ["f16"], ["y"])],
        [onnx_tensor("f16", [2, 2], 10, raw=struct.pack("<4H", *half)),
         onnx_tensor("f16_typed", [4], 10, int32s=half),
         onnx_tensor("bf16", [2], 16, raw=struct.pack("<2H", 0x3F80, 0xC040)),
         onnx_tensor("f64", [2], 11, doubles=[0.1, -1e300]),
         onnx_tensor("f64_raw", [1], 11, raw=struct.pack("<d", 2.5)),
         onnx_tensor("i8", [3], 3, raw=b"\xff\x80\x7f"),
         onnx_tensor("u8", [3], 2, int32s=[0, 255, 7]),
         onnx_tensor("i16", [1], 5, raw=struct.pack("<h", -300)),
         onnx_tensor("u16", [1], 4, int32s=[65535]),
         onnx_tensor("i32", [2], 6, int32s=[(1 << 64) - 5, 7]),
         onnx_tensor("u32", [1], 12, uint64s=[(1 << 32) - 1]),
         onnx_tensor("i64", [2], 7, int64s=[(1 << 64) - 1, 1 << 40]),
         onnx_tensor("u64", [1], 13, raw=struct.pack("<Q", (1 << 63) - 1)),
         onnx_tensor("bool", [3], 9, raw=b"\x00\x01\x02"),
         onnx_tensor("empty", [0, 3], 1, raw=b""),
         onnx_tensor("scalar", [], 1, floats=[float("nan")])],
        [onnx_value_info("f16", elem_type=10, dims=[2, 2])],
        [onnx_value_info("y", elem_type=10)])
    write(os.path.join(folder, "types.onnx"), onnx_model(typed))

    # Standalone TensorProto files, as ONNX test data keeps them.
    write(os.path.join(folder, "input_0.pb"), onnx_float_tensor("x", [1, 1, 3, 3], floats(9)))
    write(os.path.join(folder, "shape.pb"), onnx_tensor("shape", [3], 7, int64s=[4, 2, 3]))
    write(os.path.join(folder, "half.pb"), onnx_tensor("h", [4], 10, int32s=half))
    write(os.path.join(folder, "bool-scalar.pb"), onnx_tensor("cond", [], 9, raw=b"\x01"))

    # .npy arrays: the three format versions and several dtypes.
    write(os.path.join(folder, "f4.npy"), npy("<f4", [2, 3], struct.pack("<6f", *floats(6))))
    write(os.path.join(folder, "f8-v2.npy"), npy("<f8", [3], struct.pack("<3d", 0.1, -2.5, 1e300), version=2))
    write(os.path.join(folder, "i8-v3.npy"), npy("<i8", [2, 1], struct.pack("<2q", 1 << 40, -3), version=3))
    write(os.path.join(folder, "f2.npy"), npy("<f2", [4], struct.pack("<4H", *half)))
    write(os.path.join(folder, "u1.npy"), npy("|u1", [2, 2], bytes([0, 255, 7, 128])))
    write(os.path.join(folder, "b1.npy"), npy("|b1", [3], b"\x01\x00\x01"))
    write(os.path.join(folder, "scalar.npy"), npy("<f4", [], struct.pack("<f", 3.5)))


# ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="fixtures/fuzz")
    parser.add_argument("--cli", help="the squeeze-compress binary")
    parser.add_argument("--work", help="a scratch folder")
    parser.add_argument("--only", choices=["onnx"], help="write only this target's seeds (needs neither --cli nor --work)")
    args = parser.parse_args()
    if args.only:
        shutil.rmtree(os.path.join(args.out, args.only), ignore_errors=True)
        onnx_seeds(args.out)
    else:
        if not args.cli or not args.work:
            parser.error("--cli and --work are needed for every target")
        for target in ("container", "container-structured", "deep-compression", "prototxt", "caffemodel", "mnist", "jpeg",
                       "onnx"):
            shutil.rmtree(os.path.join(args.out, target), ignore_errors=True)
        prototxt_seeds(args.out)
        deep_compression_seeds(args.out)
        caffemodel_seeds(args.out)
        mnist_seeds(args.out)
        jpeg_seeds(args.out, args.work)
        container_seeds(args.out, args.cli, args.work)
        onnx_seeds(args.out)
    for target in sorted(os.listdir(args.out)):
        path = os.path.join(args.out, target)
        if target == "regressions" or not os.path.isdir(path):
            continue
        sizes = [os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)]
        print("%-22s %3d seeds, largest %6d bytes" % (target, len(sizes), max(sizes)))


if __name__ == "__main__":
    main()
