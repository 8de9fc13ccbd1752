import SqueezeKernels
import SqueezeModel

extension ConvolutionGeometry {
    /// The geometry of one group of a convolution layer applied to an input of `shape` (NCHW).
    public init(input shape: TensorShape, convolution p: ConvolutionParameters) {
        self.init(
            channels: shape.channels / p.groups, height: shape.height, width: shape.width,
            kernelHeight: p.kernel.height, kernelWidth: p.kernel.width,
            strideHeight: p.stride.height, strideWidth: p.stride.width,
            padHeight: p.padding.height, padWidth: p.padding.width,
            dilationHeight: p.dilation.height, dilationWidth: p.dilation.width)
    }
}

extension PoolingGeometry {
    /// The geometry of a pooling layer from its input and (ceil- or
    /// floor-rounded) output shapes; global pooling is one window over the plane.
    public init(input x: TensorShape, output y: TensorShape, pooling p: PoolingParameters) {
        if p.isGlobal {
            self.init(height: x.height, width: x.width, outputHeight: 1, outputWidth: 1,
                      kernelHeight: x.height, kernelWidth: x.width, strideHeight: 1, strideWidth: 1, padHeight: 0, padWidth: 0)
            return
        }
        self.init(
            height: x.height, width: x.width, outputHeight: y.height, outputWidth: y.width,
            kernelHeight: p.kernel.height, kernelWidth: p.kernel.width,
            strideHeight: p.stride.height, strideWidth: p.stride.width,
            padHeight: p.padding.height, padWidth: p.padding.width)
    }
}
