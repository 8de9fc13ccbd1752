"""Writes fixtures/onnx-probes: one- and two-node ONNX models of supported
operators and attribute combinations the libonnx-testdata node tests miss
(constant folding, Gemm C shapes, pooling pads, splits...), each with an input
and onnxruntime's output in ONNX test-data layout. Needs numpy, onnx and
onnxruntime.

    python3 tools/make-onnx-probes.py fixtures/onnx-probes
"""
import numpy as np, onnx, os, shutil
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
from onnx.reference import ReferenceEvaluator
rng = np.random.default_rng(0)
import sys
root = sys.argv[1] if len(sys.argv) > 1 else 'fixtures/onnx-probes'
shutil.rmtree(root, ignore_errors=True); os.makedirs(root)
def case(name, nodes, x, inits=(), opset=13, out_shape=None):
    xi = h.make_tensor_value_info('x', TP.FLOAT, list(x.shape))
    inits = [nh.from_array(np.asarray(v), n) for n, v in inits]
    yi = h.make_tensor_value_info('y', TP.FLOAT, None)
    g = h.make_graph(nodes, name, [xi], [yi], initializer=inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    m.ir_version = 8
    import onnxruntime as ort
    try:
        y = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x})[0]
    except Exception as e:
        print('ORT FAIL', name, e); return
    try:
        r = ReferenceEvaluator(m).run(None, {'x': x})[0]
        if r.shape != y.shape or not np.allclose(r, y, rtol=1e-3, atol=1e-6): print('REF DISAGREES', name, r.shape, y.shape)
    except Exception as e:
        print('REF FAIL', name, e)
    d = os.path.join(root, name, 'test_data_set_0'); os.makedirs(d)
    onnx.save(m, os.path.join(root, name, 'model.onnx'))
    open(os.path.join(d,'input_0.pb'),'wb').write(nh.from_array(x,'x').SerializeToString())
    open(os.path.join(d,'output_0.pb'),'wb').write(nh.from_array(np.asarray(y,dtype=np.float32),'y').SerializeToString())
f = lambda *s: rng.standard_normal(s).astype(np.float32)
N=h.make_node
# constant folding
case('fold_squeeze_axes', [N('Squeeze',['c','ax'],['cs']), N('Add',['x','cs'],['y'])], f(2,3,1,3),
     [('c', f(1,3,1,1)), ('ax', np.array([0],np.int64))])
case('fold_flatten_axis', [N('Flatten',['c'],['cf'],axis=1), N('Add',['x','cf'],['y'])], f(2,3,3), [('c', f(3,1))])
case('fold_flatten_axis2', [N('Flatten',['c'],['cf'],axis=2), N('Add',['x','cf'],['y'])], f(2,6,2), [('c', f(2,3,2))])
case('fold_reshape_zero', [N('Reshape',['c','s'],['cr']), N('Add',['x','cr'],['y'])], f(2,3,4), [('c', f(3,4)), ('s', np.array([0,-1],np.int64))])
# conv variants
case('conv_group3_dil2', [N('Conv',['x','w','b'],['y'],group=3,dilations=[2,2],pads=[1,2,2,1],strides=[1,2])], f(2,6,9,8), [('w', f(9,2,3,3)), ('b', f(9))])
case('conv_depthwise', [N('Conv',['x','w'],['y'],group=4,pads=[1,1,1,1])], f(2,4,7,7), [('w', f(4,1,3,3))])
case('conv_same_lower_s2', [N('Conv',['x','w'],['y'],auto_pad='SAME_LOWER',strides=[2,2])], f(1,2,8,7), [('w', f(3,2,4,4))])
case('conv_same_upper_s2_dil', [N('Conv',['x','w'],['y'],auto_pad='SAME_UPPER',strides=[2,2],dilations=[2,1])], f(1,2,9,7), [('w', f(3,2,3,2))])
case('conv_valid', [N('Conv',['x','w'],['y'],auto_pad='VALID',strides=[2,3])], f(2,2,9,10), [('w', f(3,2,3,2))])
case('conv_1x1_s2', [N('Conv',['x','w','b'],['y'],strides=[2,2])], f(2,8,7,7), [('w', f(5,8,1,1)), ('b', f(5))])
case('conv_bn_fold', [N('Conv',['x','w','b'],['t']), N('BatchNormalization',['t','s','bb','m','v'],['y'],epsilon=1e-3)], f(2,3,5,5),
     [('w', f(4,3,3,3)), ('b', f(4)), ('s', f(4)), ('bb', f(4)), ('m', f(4)), ('v', np.abs(f(4))+0.5)])
case('gemm_bn_fold', [N('Gemm',['x','w'],['t'],transB=1), N('BatchNormalization',['t','s','bb','m','v'],['y'])], f(3,5),
     [('w', f(4,5)), ('s', f(4)), ('bb', f(4)), ('m', f(4)), ('v', np.abs(f(4))+0.5)])
case('bn_standalone_4d', [N('Relu',['x'],['t']), N('BatchNormalization',['t','s','bb','m','v'],['y'])], f(2,3,4,5),
     [('s', f(3)), ('bb', f(3)), ('m', f(3)), ('v', np.abs(f(3))+0.5)])
# pooling
for cm in (0,1):
  for cip in (0,1):
    case(f'avgpool_ceil{cm}_cip{cip}_pads', [N('AveragePool',['x'],['y'],kernel_shape=[3,3],strides=[2,2],pads=[1,1,1,1],ceil_mode=cm,count_include_pad=cip)], f(1,2,6,6), opset=19)
    case(f'avgpool_ceil{cm}_cip{cip}_asym', [N('AveragePool',['x'],['y'],kernel_shape=[3,2],strides=[2,3],pads=[0,1,2,0],ceil_mode=cm,count_include_pad=cip)], f(2,2,7,8), opset=19)
case('maxpool_ceil_pads', [N('MaxPool',['x'],['y'],kernel_shape=[3,3],strides=[2,2],pads=[1,1,1,1],ceil_mode=1)], f(1,2,6,6))
case('maxpool_ceil_nopad', [N('MaxPool',['x'],['y'],kernel_shape=[2,2],strides=[2,2],ceil_mode=1)], f(1,2,5,5))
case('maxpool_same_lower_s2', [N('MaxPool',['x'],['y'],kernel_shape=[3,3],strides=[2,2],auto_pad='SAME_LOWER')], f(1,2,6,7))
case('avgpool_same_upper_s2', [N('AveragePool',['x'],['y'],kernel_shape=[3,3],strides=[2,2],auto_pad='SAME_UPPER')], f(1,2,6,7))
case('gap_13', [N('GlobalAveragePool',['x'],['y'])], f(2,3,4,5))
case('gmp_13', [N('GlobalMaxPool',['x'],['y'])], f(2,3,4,5))
# LRN
for size in (2,3,4,5):
    case(f'lrn_size{size}', [N('LRN',['x'],['y'],size=size,alpha=0.02,beta=0.6,bias=1.5)], f(2,7,3,3))
# softmax
case('softmax4d_axis1', [N('Softmax',['x'],['y'],axis=1)], f(2,5,3,4))
case('softmax4d_axis2', [N('Softmax',['x'],['y'],axis=2)], f(2,5,3,4))
case('softmax4d_default', [N('Softmax',['x'],['y'])], f(2,5,3,4))
case('softmax11_axis1_2d', [N('Softmax',['x'],['y'],axis=1)], f(3,6), opset=11)
case('softmax11_default_4d_flat', [N('Softmax',['x'],['y'])], f(2,5,1,1), opset=11)
# activations
case('hardsigmoid13', [N('HardSigmoid',['x'],['y'],alpha=0.3,beta=0.4)], f(2,3,4))
case('hardsigmoid13_default', [N('HardSigmoid',['x'],['y'])], f(2,3,4)*4)
case('hardswish', [N('HardSwish',['x'],['y'])], f(2,3,4)*4, opset=14)
case('leakyrelu', [N('LeakyRelu',['x'],['y'],alpha=0.3)], f(2,3,4))
case('clip_attr11', [N('Clip',['x','lo','hi'],['y'])], f(2,3,4), [('lo', np.array(-0.5,np.float32)), ('hi', np.array(0.7,np.float32))], opset=11)
case('clip_only_max', [N('Clip',['x','','hi'],['y'])], f(2,3,4), [('hi', np.array(0.2,np.float32))])
case('sigmoid_big', [N('Sigmoid',['x'],['y'])], f(2,3,4)*30)
# eltwise constants and broadcasts
case('sub_const_first', [N('Sub',['c','x'],['y'])], f(2,3,4), [('c', f(3,4))])
case('div_const_first', [N('Div',['c','x'],['y'])], f(2,3,4)+5, [('c', f(4))])
case('div_const_second', [N('Div',['x','c'],['y'])], f(2,3,4), [('c', f(3,1)+3)])
case('mul_const_chan', [N('Mul',['x','c'],['y'])], f(2,3,4,5), [('c', f(3,1,1))])
case('add_const_scalar', [N('Add',['x','c'],['y'])], f(2,3,4,5), [('c', np.array(1.5,np.float32))])
case('max_const', [N('Max',['x','c'],['y'])], f(2,3,4), [('c', f(1,3,4))])
case('min_const_first3', [N('Min',['c','x','x2'],['y']), ], f(2,3,4), [('c', f(4)), ('x2', f(4))]) if False else None
case('add_self_bcast', [N('ReduceMean',['x'],['m'],axes=[2],keepdims=1) ], f(2,3,4)) if False else None
case('add_two_runtime_bcast', [N('Relu',['x'],['a']), N('GlobalAveragePool',['x'],['g']), N('Mul',['a','g'],['y'])], f(2,3,4,5))
case('sub_two_runtime_bcast_first', [N('GlobalAveragePool',['x'],['g']), N('Sub',['g','x'],['y'])], f(2,3,4,5))
case('max3_runtime', [N('Relu',['x'],['a']), N('Sigmoid',['x'],['b']), N('Max',['x','a','b'],['y'])], f(2,3,4))
# slice / transpose / reshape / split
case('slice_negstep', [N('Slice',['x','s','e','a','st'],['y'])], f(2,5,6), [('s', np.array([4,-1],np.int64)), ('e', np.array([0,-7],np.int64)), ('a', np.array([1,2],np.int64)), ('st', np.array([-2,-2],np.int64))])
case('slice_step3', [N('Slice',['x','s','e','a','st'],['y'])], f(2,5,8,3), [('s', np.array([1,-100],np.int64)), ('e', np.array([100,7],np.int64)), ('a', np.array([-2,1],np.int64)), ('st', np.array([3,2],np.int64))])
case('transpose_0231', [N('Transpose',['x'],['y'],perm=[0,2,3,1])], f(2,3,4,5))
case('transpose_0312', [N('Transpose',['x'],['y'],perm=[0,3,1,2])], f(2,3,4,5))
case('transpose_021', [N('Transpose',['x'],['y'],perm=[0,2,1])], f(2,3,4))
case('reshape_flatten_then_gemm', [N('Reshape',['x','s'],['r']), N('Gemm',['r','w','b'],['y'],alpha=0.5,beta=2.0,transB=1)], f(2,3,2,2), [('s', np.array([0,-1],np.int64)), ('w', f(5,12)), ('b', f(5))])
case('flatten_then_matmul', [N('Flatten',['x'],['r']), N('MatMul',['r','w'],['y'])], f(2,3,2,2), [('w', f(12,5))])
case('split_last_out', [N('Split',['x','sp'],['a','y'],axis=1)], f(2,5,3), [('sp', np.array([2,3],np.int64))])
case('split_axis2_use_both', [N('Split',['x'],['a','b'],axis=2), N('Sub',['a','b'],['y'])], f(2,3,4))
case('concat_runtime', [N('Relu',['x'],['a']), N('Concat',['x','a'],['y'],axis=1)], f(2,3,4))
case('concat_runtime_axis2', [N('Relu',['x'],['a']), N('Concat',['a','x','a'],['y'],axis=-1)], f(2,3,4))
case('unsqueeze_squeeze', [N('Unsqueeze',['x','ax'],['u']), N('Relu',['u'],['r']), N('Squeeze',['r','ax'],['y'])], f(2,3,4), [('ax', np.array([2],np.int64))])
case('dropout_in_graph', [N('Relu',['x'],['r']), N('Dropout',['r'],['y'])], f(2,3,4))
case('identity_in_graph', [N('Relu',['x'],['r']), N('Identity',['r'],['y'])], f(2,3,4))
case('gemm_scalar_c_beta', [N('Gemm',['x','w','c'],['y'],beta=0.5)], f(3,4), [('w', f(4,2)), ('c', np.array(2.0,np.float32))])
case('gemm_c_1xn', [N('Gemm',['x','w','c'],['y'])], f(3,4), [('w', f(4,2)), ('c', f(1,2))])
case('softmax_after_gemm', [N('Gemm',['x','w'],['t']), N('Softmax',['t'],['y'])], f(3,4), [('w', f(4,6))])
case('gemm_c_mx1_square', [N('Gemm',['x','w','c'],['y'])], f(4,3), [('w', f(3,4)), ('c', f(4,1))])
case('mul_constant_node', [N('Constant',[],['k'],value_float=2.5), N('Mul',['x','k'],['y'])], f(2,3,4))
case('add_constant_floats', [N('Constant',[],['k'],value_floats=[1.0,2.0,3.0,4.0]), N('Add',['x','k'],['y'])], f(2,3,4))
case('shape_gather_reshape', [N('Shape',['x'],['s']), N('Gather',['s','i'],['b'],axis=0), N('Unsqueeze',['b','z'],['bu']), N('Concat',['bu','m1'],['ns'],axis=0), N('Reshape',['x','ns'],['y'])], f(2,3,4,5), [('i', np.array(0,np.int64)), ('z', np.array([0],np.int64)), ('m1', np.array([-1],np.int64))])
case('relu_split_tail_first', [N('Split',['x','sp'],['y','a'],axis=1)], f(2,5,3), [('sp', np.array([2,3],np.int64))])
case('clip_min_gt_max', [N('Clip',['x','lo','hi'],['y'])], f(2,3,4), [('lo', np.array(0.5,np.float32)), ('hi', np.array(-0.5,np.float32))])
case('eltwise_sum3_const', [N('Sum',['x','c'],['y'])], f(2,3), [('c', f(3))]) if False else None
case('softmax_opset11_axis_neg1_3d_ok', [N('Softmax',['x'],['y'],axis=-1)], f(2,3,4), opset=11)
case('softmax_opset11_axis1_3d_flat', [N('Softmax',['x'],['y'],axis=1)], f(2,3,4), opset=11)
case('avgpool_cip_ceil_bigpad', [N('AveragePool',['x'],['y'],kernel_shape=[2,2],strides=[2,2],pads=[1,1,1,1],ceil_mode=1,count_include_pad=1)], f(1,1,5,5), opset=19)
case('maxpool_pads_negative_inputs', [N('MaxPool',['x'],['y'],kernel_shape=[3,3],pads=[1,1,1,1])], -np.abs(f(1,2,4,4)))
case('conv_bias_bn_shared', [N('Conv',['x','w','b'],['t']), N('BatchNormalization',['t','s','bb','m','v'],['u']), N('Add',['t','u'],['y'])], f(1,2,4,4),
     [('w', f(3,2,3,3)), ('b', f(3)), ('s', f(3)), ('bb', f(3)), ('m', f(3)), ('v', np.abs(f(3))+0.5)], opset=15)
