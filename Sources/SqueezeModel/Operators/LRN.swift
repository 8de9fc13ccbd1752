import RealModule
import SqueezeKernels

/// Local response normalisation, Caffe semantics (ONNX `LRN` is the
/// across-channels form with `bias` as `k`).
public struct LRN: Operator, Hashable {
    public static let typeName = "LRN"

    /// Which neighbours a value is normalised over.
    public enum Region: String, Hashable, Sendable, CaseIterable {
        /// `localSize` adjacent channels at the same position.
        case acrossChannels = "across_channels"
        /// A `localSize x localSize` window in the same channel.
        case withinChannel = "within_channel"
    }

    /// The neighbourhood size (odd).
    public var localSize: Int
    /// The scale of the sum of squares.
    public var alpha: Float
    /// The exponent.
    public var beta: Float
    /// The additive constant.
    public var k: Float
    /// Which neighbours are used.
    public var region: Region

    /// An LRN layer with Caffe's defaults.
    public init(localSize: Int = 5, alpha: Float = 1, beta: Float = 0.75, k: Float = 1, region: Region = .acrossChannels) {
        self.localSize = localSize
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.region = region
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        localSize = try r.int("size", default: 5)
        alpha = try r.float("alpha", default: 1)
        beta = try r.float("beta", default: 0.75)
        k = try r.float("k", default: 1)
        region = try r.choice("region", default: Region.acrossChannels)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("size", localSize, default: 5)
        a.set("alpha", alpha, default: 1)
        a.set("beta", beta, default: 0.75)
        a.set("k", k, default: 1)
        a.set("region", region.rawValue, default: Region.acrossChannels.rawValue)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        try check.fourDimensional(inputs[0], "LRN")
        guard localSize > 0, localSize % 2 == 1, localSize <= SizeLimits.maximumDimension else {
            throw check.invalid("LRN local_size must be odd and in 1...\(SizeLimits.maximumDimension)")
        }
        guard alpha.isFinite, beta.isFinite, k.isFinite else { throw check.invalid("LRN alpha, beta and k must be finite") }
        return LayerShapes(inputs: inputs, outputs: inputs)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0]
        return Kernel(parameters: self, channels: x.channels, height: x.height, width: x.width)
    }

    private struct Kernel: LayerKernel {
        let parameters: LRN
        let channels: Int, height: Int, width: Int

        func forward(_ a: ForwardArguments) {
            let p = parameters, planeSize = height * width, image = channels * planeSize
            switch p.region {
            case .acrossChannels:
                for i in 0..<a.count {
                    lrnAcrossChannels(channels: channels, planeSize: planeSize, size: p.localSize, alpha: p.alpha,
                                      beta: p.beta, k: p.k, input: a.inputs[0] + i * image, output: a.outputs[0] + i * image)
                }
            case .withinChannel:
                lrnWithinChannel(planes: a.count * channels, height: height, width: width, size: p.localSize,
                                 alpha: p.alpha, beta: p.beta, input: a.inputs[0], output: a.outputs[0])
            }
        }

        /// With `s` the normaliser of each value and `y = x s^-beta`:
        /// `dx_i += dy_i s_i^-beta - (2 alpha beta / n) x_i * sum over the
        /// windows j that contain i of dy_j y_j / s_j` (n = size, or size^2
        /// within a channel).
        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            let p = parameters, planeSize = height * width, image = channels * planeSize
            let size = p.localSize, pre = (size - 1) / 2
            let across = p.region == .acrossChannels
            let n = Float(across ? size : size * size), k: Float = across ? p.k : 1
            let factor = 2 * p.alpha * p.beta / n
            let s = UnsafeMutablePointer<Float>.allocate(capacity: image)
            let ratio = UnsafeMutablePointer<Float>.allocate(capacity: image)
            defer { s.deallocate(); ratio.deallocate() }
            for i in 0..<a.count {
                let x = a.inputs[0] + i * image, y = a.outputs[0] + i * image
                let dy = a.outputGradients[0] + i * image, dxi = dx + i * image
                // The normaliser of every value, then dy * y / s.
                for c in 0..<channels {
                    for r in 0..<height {
                        for q in 0..<width {
                            var sum: Float = 0
                            if across {
                                for j in max(0, c - pre)..<min(channels, c - pre + size) {
                                    let v = x[j * planeSize + r * width + q]
                                    sum += v * v
                                }
                            } else {
                                for wy in max(0, r - pre)..<min(height, r - pre + size) {
                                    for wx in max(0, q - pre)..<min(width, q - pre + size) {
                                        let v = x[c * planeSize + wy * width + wx]
                                        sum += v * v
                                    }
                                }
                            }
                            let at = c * planeSize + r * width + q
                            s[at] = k + p.alpha / n * sum
                            ratio[at] = dy[at] * y[at] / s[at]
                        }
                    }
                }
                let after = size - 1 - pre
                for c in 0..<channels {
                    for r in 0..<height {
                        for q in 0..<width {
                            let at = c * planeSize + r * width + q
                            var sum: Float = 0
                            if across {
                                for j in max(0, c - after)..<min(channels, c + pre + 1) { sum += ratio[j * planeSize + r * width + q] }
                            } else {
                                for wy in max(0, r - after)..<min(height, r + pre + 1) {
                                    for wx in max(0, q - after)..<min(width, q + pre + 1) { sum += ratio[c * planeSize + wy * width + wx] }
                                }
                            }
                            dxi[at] += dy[at] * Float.pow(s[at], -p.beta) - factor * x[at] * sum
                        }
                    }
                }
            }
        }
    }
}
