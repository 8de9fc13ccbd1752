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
    /// The geometry of a windowed pooling layer from its input and (ceil- or
    /// floor-rounded) output shapes.
    public init(input x: TensorShape, output y: TensorShape, pooling p: PoolingParameters) {
        self.init(
            height: x.height, width: x.width, outputHeight: y.height, outputWidth: y.width,
            kernelHeight: p.kernel.height, kernelWidth: p.kernel.width,
            strideHeight: p.stride.height, strideWidth: p.stride.width,
            padHeight: p.padding.height, padWidth: p.padding.width)
    }
}
