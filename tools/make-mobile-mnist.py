"""Writes fixtures/mobile-mnist.onnx: a MobileNet-style network for 28x28 digits
(depthwise convolution, residual add, h-swish, squeeze-and-excitation gate,
channel shuffle), whose definition `squeeze-compress train --onnx` trains.

The weights in the file are only there because ONNX needs initializers for
Conv and Gemm; training draws fresh ones. Needs the onnx and numpy packages.

    python3 tools/make-mobile-mnist.py fixtures/mobile-mnist.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
inits = []


def weight(name, *shape):
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name))
    return name


def const(name, values, dtype=np.int64):
    inits.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
    return name


n = helper.make_node
nodes = [
    # Stem: 3x3 stride 2 to 16 channels, batch norm, h-swish.
    n("Conv", ["data", weight("stem.w", 16, 1, 3, 3), weight("stem.b", 16)], ["stem"], name="stem",
      kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    n("BatchNormalization", ["stem", weight("bn.scale", 16), weight("bn.bias", 16), const("bn.mean", [0.0] * 16, np.float32),
                             const("bn.var", [1.0] * 16, np.float32)], ["stem_bn"], name="stem_bn"),
    n("HardSwish", ["stem_bn"], ["stem_act"], name="stem_hswish"),
    # Inverted residual: depthwise 3x3 + ReLU6, pointwise 1x1, add the block input.
    n("Conv", ["stem_act", weight("dw.w", 16, 1, 3, 3), weight("dw.b", 16)], ["dw"], name="dw",
      kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=16),
    n("Clip", ["dw", const("zero", 0.0, np.float32), const("six", 6.0, np.float32)], ["dw_act"], name="dw_relu6"),
    n("Conv", ["dw_act", weight("pw.w", 16, 16, 1, 1), weight("pw.b", 16)], ["pw"], name="pw", kernel_shape=[1, 1]),
    n("Add", ["pw", "stem_act"], ["res"], name="residual"),
    # Squeeze and excitation: pool, two small fully connected layers, a hard-sigmoid gate.
    n("GlobalAveragePool", ["res"], ["se_pool"], name="se_pool"),
    n("Flatten", ["se_pool"], ["se_flat"], name="se_flat"),
    n("Gemm", ["se_flat", weight("se1.w", 4, 16), weight("se1.b", 4)], ["se1"], name="se_fc1", transB=1),
    n("Relu", ["se1"], ["se1_act"], name="se_relu"),
    n("Gemm", ["se1_act", weight("se2.w", 16, 4), weight("se2.b", 16)], ["se2"], name="se_fc2", transB=1),
    n("HardSigmoid", ["se2"], ["se_gate"], name="se_gate", alpha=1 / 6, beta=0.5),
    n("Reshape", ["se_gate", const("gate_shape", [0, 16, 1, 1])], ["se_gate4"], name="se_gate4"),
    n("Mul", ["res", "se_gate4"], ["se"], name="se_scale"),
    # Channel shuffle of two groups of eight.
    n("Reshape", ["se", const("groups", [0, 2, 8, 14, 14])], ["g5"], name="shuffle_split"),
    n("Transpose", ["g5"], ["g5t"], name="shuffle", perm=[0, 2, 1, 3, 4]),
    n("Reshape", ["g5t", const("back", [0, 16, 14, 14])], ["shuffled"], name="shuffle_merge"),
    # Head.
    n("MaxPool", ["shuffled"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
    n("Flatten", ["pool"], ["flat"], name="flat"),
    n("Gemm", ["flat", weight("fc.w", 10, 16 * 7 * 7), weight("fc.b", 10)], ["logits"], name="fc", transB=1),
]
graph = helper.make_graph(nodes, "mobile-mnist",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 1, 28, 28])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="make-mobile-mnist.py")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1] if len(sys.argv) > 1 else "fixtures/mobile-mnist.onnx")
