import SqueezeData
import SqueezeExecutor
import SqueezeKernels
import SqueezeModel

/// Bias correction after pruning or weight sharing: each compressed layer's
/// bias moves by the mean change its own weight error causes in its output,
/// measured on the inputs it really sees (the corrected compressed layers
/// before it) over calibration images, layer by layer from the front.
///
/// For output channel c of a layer with weights W (reference) and W'
/// (compressed): b'_c = b_c - sum_i (W'_ci - W_ci) m_i, where m is the mean
/// receptive field of the layer's input (a convolution's mean im2col column,
/// zeros from padding included; a fully connected layer's mean input). Only
/// the layer's own error is removed, never the drift of its inputs, which
/// pulling the output mean back to the reference's does (and which made every
/// case worse in the prototype).
public enum BiasCorrection {
    /// What one layer's correction did.
    public struct LayerResult: Codable, Hashable, Sendable {
        /// The layer.
        public var name: String
        /// The largest and the mean absolute bias change.
        public var largestShift: Float
        public var meanShift: Float
    }

    /// The correction's outcome.
    public struct Outcome: Sendable {
        /// The compressed model with its biases corrected.
        public var model: Model
        /// Per corrected layer, in network order.
        public var layers: [LayerResult]
        /// Calibration images the means were taken over.
        public var images: Int
    }

    /// Corrects the biases of every layer of `compressed` whose weights differ
    /// from `reference`'s (same network).
    ///
    /// - Parameters:
    ///   - data: calibration images (labels unused), preprocessed for the model.
    ///   - images: how many of them (evenly spread) to average over.
    ///   - batchSize: images per forward pass.
    /// - Throws: `ExecutorError` from the dense engine, `DataError` from loading,
    ///   `BiasCorrectionError` when the two models do not match.
    public static func run(_ compressed: Model, reference: Model, data: TrainingData, images: Int = 256,
                           batchSize: Int = 16, threads: Int, observer: StageObserver = .silent) throws -> Outcome {
        guard compressed.network == reference.network else { throw BiasCorrectionError.differentNetworks }
        let shapes = try compressed.network.inferShapes()
        let count = max(1, min(images, data.samples.count))
        let indices = (0..<count).map { $0 * data.samples.count / count }
        var model = compressed
        var results: [LayerResult] = []
        let targets = compressed.network.layers.enumerated().filter { _, layer in
            guard layer.kind is Convolution || layer.kind is InnerProduct,
                  let mine = compressed.parameters[layer.name], let theirs = reference.parameters[layer.name] else { return false }
            return !mine.bias.isEmpty && mine.weights != theirs.weights
        }
        observer.phase("bias correction", targets.count * count)
        defer { observer.finish() }
        var done = 0
        for (index, layer) in targets {
            let input = shapes.layers[index].inputs[0]
            let mean = try meanInput(of: model, blob: layer.bottoms[0], shape: input, indices: indices, data: data,
                                     batchSize: batchSize, threads: threads) {
                done += $0
                observer.advance(done)
            }
            let fields = receptiveFieldMeans(layer.kind, input: input, mean: mean)
            guard var parameters = model.parameters[layer.name], let original = reference.parameters[layer.name] else { continue }
            let shift = biasShift(compressed: parameters.weights.denseValues(), reference: original.weights.denseValues(),
                                  outputs: parameters.bias.count, fields: fields, groups: (layer.kind as? Convolution)?.groups ?? 1)
            for c in parameters.bias.indices { parameters.bias[c] -= shift[c] }
            model.parameters[layer.name] = parameters
            let magnitudes = shift.map(abs)
            results.append(LayerResult(name: layer.name, largestShift: magnitudes.max() ?? 0,
                                       meanShift: magnitudes.reduce(0, +) / Float(max(magnitudes.count, 1))))
        }
        return Outcome(model: model, layers: results, images: count)
    }

    /// The mean over images of blob `blob` (one image's values), running
    /// `model` with the dense engine.
    static func meanInput(of model: Model, blob: String, shape: TensorShape, indices: [Int], data: TrainingData,
                          batchSize: Int, threads: Int, progress: (Int) -> Void) throws -> [Double] {
        let perImage = shape.itemCount
        var sum = [Double](repeating: 0, count: perImage)
        let batch = min(batchSize, indices.count)
        let program = try DenseProgram(model: model, batchSize: batch)
        let executor = try program.makeExecutor()
        let sampleCount = data.samples.sampleCount
        var input = [Float](repeating: 0, count: program.inputShape.elementCount)
        var output = [Float](repeating: 0, count: program.outputShape.elementCount)
        try BLAS.withThreadCount(threads) { () throws in
            for start in stride(from: 0, to: indices.count, by: batch) {
                let part = indices[start..<min(start + batch, indices.count)]
                for (k, index) in part.enumerated() {
                    var none: SeededGenerator?
                    try input.withUnsafeMutableBufferPointer { (b) throws(DataError) in
                        try data.samples.load(index, random: &none,
                                              into: UnsafeMutableBufferPointer(rebasing: b[(k * sampleCount)..<((k + 1) * sampleCount)]))
                    }
                }
                try input.withUnsafeBufferPointer { x in
                    try output.withUnsafeMutableBufferPointer { y in try executor.run(x, into: y) }
                }
                guard let values = executor.blob(named: blob) else { throw BiasCorrectionError.missingBlob(blob) }
                // A short last batch: the images past it are stale and not counted.
                for k in 0..<part.count {
                    for i in 0..<perImage { sum[i] += Double(values[k * perImage + i]) }
                }
                progress(part.count)
            }
        }
        return sum.map { $0 / Double(indices.count) }
    }

    /// Per input row of the layer's weights (input channel, kernel row,
    /// kernel column; or input value), the mean of what it multiplies over
    /// output positions, given the mean input plane `mean`.
    static func receptiveFieldMeans(_ kind: any Operator, input: TensorShape, mean: [Double]) -> [Double] {
        guard let c = kind as? Convolution else { return mean }
        let channels = input.channels, height = input.height, width = input.width
        let geometry = c.geometry(input: input)
        let outHeight = geometry.outputHeight, outWidth = geometry.outputWidth
        guard outHeight > 0, outWidth > 0 else { return [] }
        var fields = [Double](repeating: 0, count: channels * c.kernel.height * c.kernel.width)
        // Per tap, the sum of the input over the positions it reads: a sum over
        // a window of rows and columns (positions in the padding add zero).
        for ci in 0..<channels {
            for ky in 0..<c.kernel.height {
                for kx in 0..<c.kernel.width {
                    var total = 0.0
                    for y in 0..<outHeight {
                        let iy = y * c.stride.height + ky * c.dilation.height - c.padding.height
                        guard iy >= 0, iy < height else { continue }
                        for x in 0..<outWidth {
                            let ix = x * c.stride.width + kx * c.dilation.width - c.padding.width
                            guard ix >= 0, ix < width else { continue }
                            total += mean[(ci * height + iy) * width + ix]
                        }
                    }
                    fields[(ci * c.kernel.height + ky) * c.kernel.width + kx] = total / Double(outHeight * outWidth)
                }
            }
        }
        return fields
    }

    /// The bias shift per output channel: the weight error times the mean
    /// receptive field of the channel's group.
    static func biasShift(compressed: [Float], reference: [Float], outputs: Int, fields: [Double], groups: Int) -> [Float] {
        guard outputs > 0 else { return [] }
        let rows = compressed.count / outputs, perGroup = max(outputs / max(groups, 1), 1)
        return (0..<outputs).map { c in
            let group = c / perGroup, first = group * rows
            var shift = 0.0
            for r in 0..<rows where first + r < fields.count {
                shift += Double(compressed[c * rows + r] - reference[c * rows + r]) * fields[first + r]
            }
            return Float(shift)
        }
    }
}

/// Why bias correction refused its models.
public enum BiasCorrectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The compressed model's network is not the reference's.
    case differentNetworks
    /// The dense engine kept no blob of that name (a layer's input).
    case missingBlob(String)

    /// One line.
    public var description: String {
        switch self {
        case .differentNetworks: "bias correction needs the compressed model and the one it was made from to share a network"
        case .missingBlob(let name): "bias correction: blob '\(name)' is not kept by the dense engine"
        }
    }
}
