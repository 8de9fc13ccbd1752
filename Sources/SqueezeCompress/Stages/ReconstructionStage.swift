import SqueezeData
import SqueezeExecutor
import SqueezeKernels
import SqueezeModel
import SqueezeReconstruct

/// Layer-wise reconstruction over a whole network, front to back: for each
/// weighted layer, the statistics of its input as the already-compressed
/// layers before it feed it (and as the uncompressed teacher feeds it) are
/// gathered over calibration images, and the layer is pruned and/or weight-
/// shared by `LayerCompressor` to keep its output close to the teacher's.
/// Layers reading the same blob share one gathering pass.
public enum ReconstructionStage {
    /// What happened to one layer.
    public struct LayerResult: Codable, Hashable, Sendable {
        /// The layer.
        public var name: String
        /// The fraction of weights kept.
        public var density: Double
        /// Bits per codebook index (nil: not shared).
        public var bits: Int?
        /// Codebook entries (nil: not shared).
        public var centroids: Int?
        /// The output error left, relative to the output's energy.
        public var relativeError: Double
    }

    /// The stage's outcome.
    public struct Outcome: Sendable {
        /// The compressed model.
        public var model: Model
        /// Per compressed layer, in network order.
        public var layers: [LayerResult]
        /// Calibration images the statistics came from.
        public var images: Int
    }

    /// Compresses the layers named in `plan` of `model` (whose weights are the
    /// teacher's), each to keep its output close to the teacher's on `data`.
    ///
    /// - Parameters:
    ///   - teacher: the model the outputs are matched to (nil: `model` itself).
    ///   - images: calibration images, decoded.
    /// - Throws: `ReconstructError`, `ExecutorError`, `DataError`.
    public static func run(_ model: Model, teacher: Model? = nil, plan: [String: LayerCompressor.Options],
                           images: CalibrationSet, batchSize: Int = 8, threads: Int,
                           observer: StageObserver = .silent) throws -> Outcome {
        let known = model.network.weightedLayers.map(\.name)
        for name in plan.keys.sorted() where !known.contains(name) { throw ReconstructError.invalidOption("layer '\(name)' (not a weighted layer)") }
        try StageSupport.checkMemory(of: model, work: "reconstruction", perWeight: 24)
        let teacher = teacher ?? model
        guard teacher.network == model.network else { throw BiasCorrectionError.differentNetworks }
        let shapes = try model.network.inferShapes()
        // Consecutive planned layers reading one blob form a pass.
        var passes: [[Int]] = []
        for (index, layer) in model.network.layers.enumerated() where plan[layer.name] != nil {
            if let last = passes.last?.last, model.network.layers[last].bottoms.first == layer.bottoms.first,
               !model.network.layers[(last + 1)..<index].contains(where: { $0.kind.hasWeights && plan[$0.name] == nil }) {
                passes[passes.count - 1].append(index)
            } else {
                passes.append([index])
            }
        }
        var current = model
        var results: [LayerResult] = []
        var changed = model.parameters != teacher.parameters
        observer.phase("reconstruct layers", passes.count * images.count)
        defer { observer.finish() }
        var done = 0
        for pass in passes {
            let statistics: [LayerStatistics]
            if pass.allSatisfy({ plan[model.network.layers[$0].name]?.method == .magnitude }) {
                // The weight-only baseline reads no statistics.
                statistics = pass.map { emptyStatistics(current, layer: $0, shapes: shapes) }
                done += images.count
                observer.advance(done)
            } else {
                statistics = try gather(student: current, teacher: changed ? teacher : nil, layers: pass, shapes: shapes,
                                        images: images, batchSize: batchSize, threads: threads) {
                    done += $0
                    observer.advance(done)
                }
            }
            for (index, stats) in zip(pass, statistics) {
                let layer = model.network.layers[index]
                guard let options = plan[layer.name], let parameters = current.parameters[layer.name] else { continue }
                let outcome = try LayerCompressor.compress(weights: parameters.weights, bias: parameters.bias,
                                                           statistics: stats, options: options)
                var updated = parameters
                updated.weights = outcome.weights
                if !outcome.bias.isEmpty { updated.bias = outcome.bias }
                current.parameters[layer.name] = updated
                results.append(LayerResult(name: layer.name, density: Double(outcome.kept) / Double(max(parameters.weights.elementCount, 1)),
                                           bits: options.bits, centroids: options.bits.map { options.centroids ?? 1 << $0 },
                                           relativeError: outcome.relativeError))
            }
            changed = true
        }
        return Outcome(model: current, layers: results, images: images.count)
    }

    /// The statistics of each of `layers` (indices into the network), from
    /// the student's and, when given, the teacher's forward passes over `images`.
    static func gather(student: Model, teacher: Model?, layers: [Int], shapes: NetworkShapes, images: CalibrationSet,
                       batchSize: Int, threads: Int, progress: (Int) -> Void) throws -> [LayerStatistics] {
        let network = student.network
        var statistics = layers.map { emptyStatistics(student, layer: $0, shapes: shapes) }
        let studentRun = try CalibrationSet.Runner(student, images: images, batchSize: batchSize)
        let teacherRun = try teacher.map { try CalibrationSet.Runner($0, images: images, batchSize: batchSize) }
        try BLAS.withThreadCount(threads) { () throws in
            for range in images.batches(of: studentRun.batch) {
                try studentRun.run(range)
                try teacherRun?.run(range)
                for (s, index) in layers.enumerated() {
                    let blob = network.layers[index].bottoms[0], input = shapes.layers[index].inputs[0]
                    let mine = try studentRun.blob(blob)
                    let theirs = try teacherRun?.blob(blob)
                    for k in 0..<range.count {
                        accumulate(&statistics[s], layer: network.layers[index].kind, input: input,
                                   student: mine, teacher: theirs, offset: k * input.itemCount)
                    }
                }
                progress(range.count)
            }
        }
        return statistics
    }

    /// Zero statistics shaped for layer `index` of `model`.
    static func emptyStatistics(_ model: Model, layer index: Int, shapes: NetworkShapes) -> LayerStatistics {
        let layer = model.network.layers[index]
        let weights = shapes.layers[index].weight ?? TensorShape([1, 1])
        let groups = (layer.kind as? Convolution)?.groups ?? 1
        let rows = weights.elementCount / max(weights.dimensions.first ?? 1, 1)
        return LayerStatistics(groups: groups, rows: rows, hasBias: !(model.parameters[layer.name]?.bias.isEmpty ?? true))
    }

    /// Adds one image's columns to `statistics`.
    static func accumulate(_ statistics: inout LayerStatistics, layer: any Operator, input: TensorShape,
                           student: [Float], teacher: [Float]?, offset: Int) {
        let rows = statistics.rows
        var scratch = [Float](repeating: 0, count: rows * rows)
        guard let c = layer as? Convolution else {
            // Fully connected: one column, the whole input.
            add(&statistics, group: 0, student: student, teacher: teacher, offset: offset, count: 1, scratch: &scratch)
            return
        }
        let g = c.geometry(input: input)
        let columns = g.columnCount, plane = input.height * input.width
        var mine = [Float](repeating: 0, count: rows * columns)
        var theirs: [Float]? = teacher.map { _ in [Float](repeating: 0, count: rows * columns) }
        for group in 0..<c.groups {
            let base = offset + group * g.channels * plane
            layOut(g, student, from: base, into: &mine)
            if let teacher { layOut(g, teacher, from: base, into: &theirs!) }
            add(&statistics, group: group, student: mine, teacher: theirs, offset: 0, count: columns, scratch: &scratch)
        }
    }

    /// im2col of the image planes at `base` of `values` into `columns`.
    private static func layOut(_ g: ConvolutionGeometry, _ values: [Float], from base: Int, into columns: inout [Float]) {
        values.withUnsafeBufferPointer { v in
            columns.withUnsafeMutableBufferPointer { im2col(g, input: v.baseAddress! + base, columns: $0.baseAddress!) }
        }
    }

    /// Adds `count` columns (at `offset` of each matrix) to group `group`.
    private static func add(_ statistics: inout LayerStatistics, group: Int, student: [Float], teacher: [Float]?, offset: Int,
                            count: Int, scratch: inout [Float]) {
        student.withUnsafeBufferPointer { s in
            // Without a teacher the same buffer is read, and nil tells the statistics so.
            (teacher ?? student).withUnsafeBufferPointer { t in
                scratch.withUnsafeMutableBufferPointer { m in
                    statistics.accumulate(group: group, student: s.baseAddress! + offset,
                                          teacher: teacher == nil ? nil : t.baseAddress! + offset, count: count, scratch: m.baseAddress!)
                }
            }
        }
    }
}
