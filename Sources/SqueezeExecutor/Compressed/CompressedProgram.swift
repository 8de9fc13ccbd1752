import Foundation
import SqueezeKernels
internal import CSqueezeMicrokernels
import SqueezeModel

/// A `CompressedNetwork` compiled for one batch size: every blob placed in one
/// activation arena (padded for the convolution that reads it, concatenation
/// inputs written straight into their channel slice, buffers reused once their
/// last reader has run) and every layer turned into a step.
///
/// Immutable; each `CompressedExecutor` made from it owns an arena.
public final class CompressedProgram: Sendable {
    /// The compact network.
    public let network: CompressedNetwork
    /// The batch size.
    public let batchSize: Int
    /// Threads each executor runs a batch on.
    public let threads: Int
    /// The build of the sparse kernels its convolutions run.
    public let kernels: SparseKernelSet
    /// The shape of one batch of input.
    public let inputShape: TensorShape
    /// The shape of one batch of output.
    public let outputShape: TensorShape

    let steps: [Step]
    /// A name per step for profiles.
    let stepNames: [String]
    let input: View
    let output: View
    /// Floats of the activation arena, the kernels' reads past a blob included.
    let arenaSize: Int
    /// Per-thread scratch sizes: the largest grid (a chunk of rows), fan-in,
    /// and decoded entries of a chunk.
    let gridSize: Int
    let maxFanIn: Int
    let entryCapacity: Int
    let maxChunkRows: Int
    let maxChannelBlocks: Int
    /// Per-thread scratch for partial sums (all zero when no step has them).
    let partialScratch: PartialSums.ScratchSize
    /// Floats of staging and scratch generic steps need.
    let genericScratch: Int

    /// Bytes of weight data an executor reads: the compact weights plus each
    /// layer's table from row position to input offset.
    public var weightBytesResident: Int {
        network.weightBytes + steps.reduce(0) { total, step in
            switch step {
            case .convolutions(let group): group.reduce(total) { $0 + $1.table.count * 4 }
            case .convolutionsWithPartials(let group, let adding, _):
                group.reduce(total + (adding?.convolution.table.count ?? 0) * 4) { $0 + $1.table.count * 4 }
            // Counted with the job that adds them up.
            case .sumPartials: total
            case .innerProduct(let f): total + f.table.count * 4
            default: total
            }
        }
    }

    /// Bytes of one executor's activation arena.
    public var arenaBytes: Int { arenaSize * 4 }

    /// A new executor with its own arena and threads.
    ///
    /// - Throws: `ExecutorError.resource` when the system refuses its memory.
    public func makeExecutor() throws(ExecutorError) -> CompressedExecutor { try CompressedExecutor(program: self) }

    init(network: CompressedNetwork, batchSize: Int, threads: Int, kernels: SparseKernelSet) throws(ExecutorError) {
        self.network = network
        self.batchSize = batchSize
        self.threads = threads
        self.kernels = kernels
        var planner = try Planner(network: network, batchSize: batchSize, threads: threads, kernels: kernels)
        let plan = try planner.plan()
        steps = plan.steps
        stepNames = plan.names
        input = plan.input
        output = plan.output
        arenaSize = plan.arenaSize
        gridSize = plan.gridSize
        maxFanIn = plan.maxFanIn
        entryCapacity = plan.entryCapacity
        maxChunkRows = plan.maxChunkRows
        maxChannelBlocks = plan.maxChannelBlocks
        partialScratch = plan.partialScratch
        genericScratch = plan.genericScratch
        inputShape = plan.inputShape
        outputShape = plan.outputShape
    }
}

extension CompressedProgram {
    /// A tensor of any rank as planes of its last two axes (NCHW as is; rank 5
    /// and up folds the middle axes into channels).
    static func planes(_ shape: TensorShape) -> (channels: Int, height: Int, width: Int) {
        guard shape.rank > 4 else { return (shape.channels, shape.height, shape.width) }
        let d = shape.dimensions
        return (d[1..<(d.count - 2)].reduce(1, *), d[d.count - 2], d[d.count - 1])
    }
}

extension CompressedProgram: InferenceEngineFactory {
    /// A new compressed executor.
    public func makeEngine() throws(ExecutorError) -> any InferenceEngine { try makeExecutor() }
}

extension CompressedProgram {
    /// A blob's place in the arena: channel 0 of image 0 at `offset`, images
    /// `imageStride` floats apart, planes laid out as `layout`.
    struct View: Sendable {
        let offset: Int
        let imageStride: Int
        let channels: Int
        let layout: PlaneLayout

        func plane(_ image: Int, _ channel: Int) -> Int { offset + image * imageStride + channel * layout.planeStride }
    }

    /// One layer (or a relayout the executor adds), ready to run.
    enum Step: Sendable {
        /// Convolutions run as one job: none reads what another writes
        /// (a fire module's two expand layers), so no barrier between them.
        case convolutions([Convolution])
        /// Convolutions run as one job whose items each also add what their
        /// output planes contribute to the 1x1 convolution that reads only
        /// them, into per-thread partial sums (`adding`, see `PartialSums`).
        /// With `gathering`, each thread first sums those partial sums into
        /// its own copy of that convolution's output, which the group reads
        /// instead of the arena.
        case convolutionsWithPartials([Convolution], adding: PartialSums?, gathering: PartialSums?)
        /// The 1x1 convolution's output: the threads' partial sums added, with
        /// bias and ReLU, stored in its output layout.
        case sumPartials(PartialSums)
        case innerProduct(InnerProduct)
        case splitPhases(PhaseSplit)
        case maxPool(PoolingGeometry, input: View, output: View)
        case averagePool(PoolingGeometry, input: View, output: View)
        case globalAveragePool(input: View, output: View)
        /// Copies planes between layouts, through an activation.
        case copy(input: View, output: View, activation: Activation)
        case softmax(input: View, output: View)
        /// Any other operator: its dense kernel on dense copies of its blobs.
        case generic(Generic)
        /// A depthwise 3x3 convolution (stride 1 or 2) straight from the input planes.
        case depthwise(Depthwise)
        /// A one-band GEMM and the depthwise convolution that alone reads its
        /// output, as one job: each panel's depthwise runs right after the
        /// panel, on planes still in the core's cache (MobileNet v2's
        /// expansions and their depthwise steps).
        case gemmDepthwise(Gemm, Depthwise)
        /// A nearly dense pointwise convolution as one GEMM per image.
        case gemm(Gemm)
        /// An element-wise sum, product, maximum or minimum of planes (residual
        /// connections, squeeze-and-excitation gates) straight between layouts.
        case combine(Combine)
    }

    struct Depthwise: Sendable {
        let name: String
        let input: View
        let output: View
        let stride: Int
        let padTop: Int, padLeft: Int
        /// Nine weights per channel, then the biases.
        let weights: [Float]
        let bias: [Float]
        let activation: Activation

        /// Whether the kernel writes the output planes itself: they have no
        /// border and the activation is a clamp. Otherwise it writes a dense
        /// plane into scratch, stored through the layout and activation.
        var direct: Bool { output.layout.isRowDense && activation.bounds != nil }
        /// Floats of a thread's scratch: the kernel's padded rows, and the
        /// dense plane when not `direct`.
        var scratchFloats: Int {
            let rows = squeeze_f32_dwconv3x3_scratch(output.layout.width, stride)
            return rows + (direct ? 0 : output.layout.height * output.layout.width)
        }
    }

    /// A nearly dense float convolution as an indirect GEMM
    /// (`squeeze_f32_igemm`): every input row (channel and kernel tap) is a
    /// shifted run of an input plane, as in the sparse kernels, so no
    /// im2col unless the convolution is strided.
    struct Gemm: Sendable {
        let name: String
        let input: View
        let output: View
        /// A residual connection added before the activation.
        var residual: View?
        /// Weights in panels of eight output channels: per panel, per input
        /// row, eight floats (channels past the last are zero).
        let packed: [Float]
        let bias: [Float]
        var activation: Activation
        /// Per input row: where its run for grid value 0 starts, from the
        /// image's first input plane (or from the column matrix).
        let offsets: [Int]
        /// The column matrix's geometry when the convolution is strided
        /// (im2col first, on a dense copy of the input).
        let geometry: ConvolutionGeometry?
        /// Output rows on the grid are this far apart (the input's row
        /// stride, or the output width after im2col).
        let gridWidth: Int
        /// Output rows per work item: the item's input runs stay in L2.
        let bandRows: Int

        /// Whether the kernel cannot add the residual as it stores: it is laid
        /// out unlike the output, or the activation is not a clamp. The
        /// planner then leaves the sum to a step of its own.
        var separateResidual: Bool {
            guard let residual else { return false }
            return residual.layout != output.layout || activation.bounds == nil || output.layout.shiftedCopies != 1
        }

        /// Output channels per panel (`SQUEEZE_F32_IGEMM_MR`).
        static let panelRows = 8

        var panels: Int { (output.channels + Self.panelRows - 1) / Self.panelRows }
        var bands: Int { (output.layout.height + bandRows - 1) / bandRows }
        /// Grid values of one band (at most): a thread's scratch holds a panel of them.
        var bandSpan: Int { (bandRows - 1) * gridWidth + output.layout.width }

        /// Floats of scratch per image: the dense copy of the input and the
        /// column matrix of a strided convolution.
        var scratchPerImage: Int {
            guard let geometry else { return 0 }
            let dense = input.layout.isDense ? 0 : input.channels * input.layout.height * input.layout.width
            return dense + geometry.columnRows * geometry.columnCount
        }

        /// Output rows per band: the input runs one band reads are about 96 K
        /// floats at most (384 KB, inside a 1 MB L2 with the weights), and a
        /// band's grid at most 2,048 values (a thread's scratch holds a panel).
        static func bandRows(inputRows: Int, gridWidth: Int, height: Int) -> Int {
            let span = min(2048, max(48, 98304 / max(inputRows, 1)))
            return max(1, min(height, span / max(gridWidth, 1)))
        }
    }

    struct Combine: Sendable {
        let inputs: [View]
        /// Operands that are one value per plane.
        let broadcast: [Bool]
        let output: View
        let operation: UInt8
        let activation: Activation
    }

    /// An operator without a fast path: its inputs are copied from their
    /// layouts into dense staging memory, its dense kernel runs the batch, and
    /// the outputs are copied into their layouts.
    struct Generic: Sendable {
        let name: String
        let kernel: any LayerKernel
        let inputs: [View]
        let outputs: [View]
        /// Floats of staging per blob (the whole batch), inputs then outputs.
        let sizes: [Int]
        /// Expanded weights and biases of a weighted operator.
        let weights: [Float]?
        let bias: [Float]?

        /// Staging and kernel scratch, in floats.
        var scratchSize: Int { sizes.reduce(0, +) + max(kernel.scratchCount, 1) }
    }

    /// A convolution as sums of shifted input runs (see `sparseConvolveRow`).
    struct Convolution: Sendable {
        let name: String
        let weights: CompactWeights
        /// Row position -> offset of its shifted input run from the group's first channel.
        let table: [Int32]
        /// Where image 0's first input channel starts, images apart, groups apart.
        let source: Int
        let sourceImageStride: Int
        let sourceGroupStride: Int
        /// The grid the output is accumulated on: row width and values computed.
        let gridWidth: Int
        let count: Int
        let output: View
        let rowsPerGroup: Int
        let activation: Activation
        /// Rows that share each entry's input loads: 1, 4 or 8 (see
        /// `SparseKernelSet.rowsPerEntry`).
        let rowsPerEntry: Int
        /// A 1x1 convolution with stride 1, no padding and one group: output
        /// value i reads input value i of every channel.
        let pointwise: Bool
        /// Rows decoded together and run over each spatial block in turn, so a
        /// block of input is read from cache by all of them (set by `splitItems`).
        var chunkRows = 1
        /// Grid values per spatial block.
        var blockLength: Int
        /// Bands of output rows run as separate items, so layers with few
        /// chunks still keep every thread busy (set by `splitItems`).
        var bands = 1
        /// A row's entries run one block of input channels at a time over each
        /// spatial block, so the input runs they read stay in L1: blocks per
        /// group, and row positions per block.
        var channelBlocks: Int
        var channelBlockPositions: Int
        /// Multiply-adds of one work item (a chunk of rows over one band), roughly.
        var itemCost: Double {
            Double(weights.weightCount) / Double(max(weights.rows, 1)) * Double(chunkRows) * Double(gridSpan(count))
                / Double(bands)
        }
        /// Pooling that reads only this convolution's output: the grid is
        /// pooled straight into `output` (the pooled blob, bands counted in
        /// its rows), and the unpooled output is never stored. Max pooling,
        /// or global average pooling when `poolAverages`.
        let pool: PoolingGeometry?
        let poolAverages: Bool
    }

    /// A fully connected layer over a blob in any layout.
    struct InnerProduct: Sendable {
        let name: String
        let weights: CompactWeights
        let table: [Int32]
        let input: View
        let output: View
        let activation: Activation
    }

    /// Splits a strided convolution's input into stride phases.
    struct PhaseSplit: Sendable {
        let input: View
        let output: Int
        let outputImageStride: Int
        let strideHeight: Int, strideWidth: Int
        let padHeight: Int, padWidth: Int
        let phaseHeight: Int, phaseWidth: Int
    }
}

/// Works out storage, layouts and steps for one batch size.
private struct Planner {
    /// A region of the arena: one blob, a concatenation and its inputs, or phase scratch.
    struct Storage {
        var channels: Int
        var height: Int, width: Int
        var padHeight = 0, padWidth = 0
        /// Set for convolution inputs (see `SparseKernelSet.planeAlignment`).
        var planeAlignment = 1
        /// Set for the inputs of kernels wider or taller than one (see
        /// `PlaneLayout.shiftedCopies`).
        var rowAlignment = 1, shiftedCopies = 1
        /// Floats per image when not planes (phase scratch).
        var flatImageSize: Int?
        var first = Int.max, last = Int.min
        var offset = 0
        var layout: PlaneLayout {
            PlaneLayout(height: height, width: width, padHeight: padHeight, padWidth: padWidth, planeAlignment: planeAlignment,
                        rowAlignment: rowAlignment, shiftedCopies: shiftedCopies)
        }
        var imageStride: Int { flatImageSize ?? channels * layout.planeStride }
    }

    struct Blob {
        var storage: Int
        var channelOffset: Int
        var channels: Int
        /// Part of a concatenation's storage (written in place by its producer).
        var isShared = false
    }

    /// A pooling folded into the convolutions that produce its input.
    struct FoldedPool {
        var geometry: PoolingGeometry
        /// Global average pooling (else max pooling).
        var average: Bool
    }

    /// A step before the arena is laid out: which blobs it reads and writes.
    enum Pending {
        case convolution(layer: Layer, Convolution, LayerShapes, input: Int, output: Int, phases: Int?, relu: Activation?,
                         pool: FoldedPool? = nil)
        case innerProduct(layer: Layer, LayerShapes, input: Int, output: Int, relu: Activation?)
        case pool(Pooling, LayerShapes, input: Int, output: Int)
        case copy(input: Int, output: Int, activation: Activation)
        case softmax(input: Int, output: Int)
        case generic(layer: Layer, LayerShapes, inputs: [Int], outputs: [Int])
        case depthwise(layer: Layer, Convolution, input: Int, output: Int, relu: Activation?)
        /// A dense convolution, or a fully connected layer when the convolution
        /// is nil; with `residual`, the sum of its output and that blob.
        case gemm(layer: Layer, Convolution?, input: Int, output: Int, relu: Activation?, residual: Int? = nil)
        case combine(Eltwise.Operation, inputs: [Int], broadcast: [Bool], output: Int, relu: Activation?)

        var reads: [Int] {
            switch self {
            case .depthwise(_, _, let i, _, _): [i]
            case .gemm(_, _, let i, _, _, let r): [i] + (r.map { [$0] } ?? [])
            case .combine(_, let inputs, _, _, _): inputs
            case .convolution(_, _, _, let i, _, _, _, _), .innerProduct(_, _, let i, _, _), .pool(_, _, let i, _),
                 .copy(let i, _, _), .softmax(let i, _): [i]
            case .generic(_, _, let inputs, _): inputs
            }
        }

        /// The first blob written.
        var writes: Int { outputs[0] }

        var outputs: [Int] {
            switch self {
            case .convolution(_, _, _, _, let o, _, _, _), .innerProduct(_, _, _, let o, _), .pool(_, _, _, let o),
                 .copy(_, let o, _), .softmax(_, let o): [o]
            case .generic(_, _, _, let outputs): outputs
            case .depthwise(_, _, _, let o, _), .gemm(_, _, _, let o, _, _), .combine(_, _, _, let o, _): [o]
            }
        }
    }

    struct Plan {
        var steps: [CompressedProgram.Step]
        var names: [String]
        var input: CompressedProgram.View
        var output: CompressedProgram.View
        var arenaSize: Int
        var gridSize: Int
        var maxFanIn: Int
        var entryCapacity: Int
        var maxChunkRows: Int
        var maxChannelBlocks: Int
        var partialScratch: CompressedProgram.PartialSums.ScratchSize
        var genericScratch: Int
        var inputShape: TensorShape
        var outputShape: TensorShape
    }

    let network: CompressedNetwork
    let batchSize: Int
    let shapes: NetworkShapes
    var storages: [Storage] = []
    var blobs: [Blob] = []
    var pending: [Pending] = []
    /// The layer each pending step belongs to, for profiles.
    var pendingNames: [String] = []
    /// The layer being added.
    var layerName = ""
    var current: [String: Int] = [:]
    /// Phase scratch storage of each strided convolution, by pending index.
    var phaseStorage: [Int: Int] = [:]
    /// Readers of each value, keyed `producer:blob` (producer -1: the input;
    /// the network's outputs have one reader more): an activation folds into
    /// the step before only when it alone reads that step's output.
    var consumers: [String: Int] = [:]
    /// The layer that last wrote each blob name, while layers are added.
    var versions: [String: Int] = [:]

    let threads: Int
    let kernels: SparseKernelSet

    init(network: CompressedNetwork, batchSize: Int, threads: Int, kernels: SparseKernelSet) throws(ExecutorError) {
        self.network = network
        self.batchSize = batchSize
        self.threads = threads
        self.kernels = kernels
        guard network.network.inputs.count == 1 else {
            throw .unsupportedTopology("it has \(network.network.inputs.count) inputs; one is supported")
        }
        do { shapes = try network.network.inferShapes(batchSize: batchSize) } catch { throw .invalidModel(error) }
    }

    /// A new blob: a tensor of any rank is planes of its last two axes (NCHW
    /// as is; rank 5 and up folds the middle axes into channels).
    private mutating func newBlob(_ shape: TensorShape) -> Int {
        let (channels, height, width) = Self.planes(shape)
        storages.append(Storage(channels: channels, height: height, width: width))
        blobs.append(Blob(storage: storages.count - 1, channelOffset: 0, channels: channels))
        return blobs.count - 1
    }

    static func planes(_ shape: TensorShape) -> (channels: Int, height: Int, width: Int) {
        CompressedProgram.planes(shape)
    }

    mutating func plan() throws(ExecutorError) -> Plan {
        let net = network.network
        let inputName = net.inputs[0].name
        guard let outputName = net.outputNames.last else { throw .unsupportedTopology("it has no output") }
        let inputShape = net.inputs[0].shape.withBatch(batchSize)
        current[inputName] = newBlob(inputShape)
        var producer: [String: Int] = [:]
        for (index, layer) in net.layers.enumerated() {
            for b in layer.bottoms { consumers["\(producer[b] ?? -1):\(b)", default: 0] += 1 }
            for t in layer.tops { producer[t] = index }
        }
        for name in net.outputNames { consumers["\(producer[name] ?? -1):\(name)", default: 0] += 1 }
        for (index, (layer, layerShapes)) in zip(net.layers, shapes.layers).enumerated() {
            try add(layer, layerShapes)
            for t in layer.tops { versions[t] = index }
        }
        guard let outputBlob = current[outputName], let outputShape = shapes.blobs[outputName] else {
            throw .unsupportedTopology("no layer produces '\(outputName)'")
        }
        let inputBlob = current[inputName]!
        fusePooling(keeping: [inputBlob, outputBlob])
        try assignLifetimes(input: inputBlob, output: outputBlob)
        try checkLayoutSizes()
        var arenaSize = allocate()
        var steps: [CompressedProgram.Step] = [], names: [String] = []
        var gridSize = 32, maxFanIn = 1, entryCapacity = 1, maxChunkRows = 1, maxChannelBlocks = 1
        func account(_ c: CompressedProgram.Convolution) {
            gridSize = max(gridSize, c.chunkRows * gridSpan(c.count))
            maxFanIn = max(maxFanIn, c.weights.fanIn)
            entryCapacity = max(entryCapacity, c.chunkRows * c.weights.fanIn)
            maxChunkRows = max(maxChunkRows, c.chunkRows)
            maxChannelBlocks = max(maxChannelBlocks, c.channelBlocks)
            // The kernels read whole vectors past the last grid value of the
            // last row's runs: keep every such read inside the arena.
            let furthest = (c.table.max().map(Int.init) ?? 0) + gridSpan(c.count)
            let groups = c.weights.rows / c.rowsPerGroup
            arenaSize = max(arenaSize, c.source + (batchSize - 1) * c.sourceImageStride
                + (groups - 1) * c.sourceGroupStride + furthest)
        }
        // While the last step is a group of convolutions: the storages it reads and writes.
        var groupReads: [Int] = [], groupWrites: [Int] = []
        // Per step: the storages it reads and writes (for folding 1x1 readers).
        var stepReads: [[Int]] = [], stepWrites: [[Int]] = []
        for (p, name) in zip(pending, pendingNames) {
            let resolved = try resolve(p)
            // A convolution joins the group before it when it neither reads
            // what the group writes nor writes over what the group reads.
            if case .convolution(_, _, _, let i, let o, nil, _, _) = p, case .convolutions(let group) = resolved[0] {
                let input = blobs[i].storage, output = blobs[o].storage
                if !groupWrites.isEmpty, !groupWrites.contains(input),
                   !groupReads.contains(where: { overlap($0, output) }),
                   case .convolutions(let previous) = steps[steps.count - 1] {
                    steps[steps.count - 1] = .convolutions(previous + group)
                    names[names.count - 1] += " + " + name
                } else {
                    steps.append(resolved[0])
                    names.append(name)
                    groupReads = []
                    groupWrites = []
                }
                groupReads.append(input)
                groupWrites.append(output)
                if stepReads.count < steps.count {
                    stepReads.append([])
                    stepWrites.append([])
                }
                stepReads[steps.count - 1] = groupReads
                stepWrites[steps.count - 1] = groupWrites
                continue
            }
            groupReads = []
            groupWrites = []
            // (`assignLifetimes` kept the GEMM's inputs alive through the depthwise.)
            if case .depthwise(_, _, let i, _, _) = p, case .depthwise(let d) = resolved[0], let last = steps.indices.last,
               case .gemm(let g) = steps[last], g.bands == 1, g.output.offset == d.input.offset, i != outputBlob,
               pending.filter({ $0.reads.contains(i) }).count == 1 {
                steps[last] = .gemmDepthwise(g, d)
                names[last] += " + " + name
                stepWrites[last] += p.outputs.map { blobs[$0].storage }
                continue
            }
            for step in resolved {
                if case .splitPhases = step { names.append(name + " (phases)") } else { names.append(name) }
                steps.append(step)
                stepReads.append(p.reads.map { blobs[$0].storage })
                stepWrites.append(p.outputs.map { blobs[$0].storage })
            }
        }
        for (i, step) in steps.enumerated() {
            if case .convolutions(var group) = step {
                // A job's items are shared between its convolutions; costliest
                // first: the last items taken are the cheap ones, so the
                // threads finish close together.
                let share = (itemsPerJob * threads + group.count - 1) / group.count
                for k in group.indices { group[k].splitItems(desired: share, threads: threads, batchSize: batchSize) }
                group.sort { $0.itemCost > $1.itemCost }
                group.forEach(account)
                steps[i] = .convolutions(group)
            }
            if case .innerProduct(let f) = step { maxFanIn = max(maxFanIn, f.weights.fanIn) }
            if case .gemm(let g) = step { gridSize = max(gridSize, CompressedProgram.Gemm.panelRows * g.bandSpan) }
            if case .depthwise(let d) = step { gridSize = max(gridSize, d.scratchFloats) }
            if case .gemmDepthwise(let g, let d) = step {
                gridSize = max(gridSize, CompressedProgram.Gemm.panelRows * g.bandSpan, d.scratchFloats)
            }
        }
        let genericScratch = steps.reduce(0) { size, step in
            switch step {
            case .generic(let g): max(size, g.scratchSize)
            case .gemm(let g), .gemmDepthwise(let g, _): max(size, g.scratchPerImage)
            default: size
            }
        }
        var partialSizes = CompressedProgram.PartialSums.ScratchSize()
        if batchSize == 1, threads > 1 {
            let kept = [blobs[inputBlob].storage, blobs[outputBlob].storage]
            /// Whether only step `i` reads `storage`.
            func readsAlone(_ i: Int, _ storage: Int) -> Bool {
                !kept.contains(storage) && Set(stepReads[i]) == [storage]
                    && stepReads.indices.allSatisfy({ $0 == i || !stepReads[$0].contains(storage) })
            }
            var folds = 0
            for i in steps.indices.dropLast() {
                guard case .convolutions(let group) = steps[i], case .convolutions(let next) = steps[i + 1], next.count == 1,
                      readsAlone(i + 1, stepReads[i + 1].first ?? -1), stepWrites[i].allSatisfy({ $0 == stepReads[i + 1][0] }),
                      var partial = CompressedProgram.PartialSums(consumer: next[0], producers: group)
                else { continue }
                // Two sets of partial sums, alternating: a job gathers one set
                // while its items add to the other.
                partial.buffer = folds % 2
                folds += 1
                steps[i] = .convolutionsWithPartials(group, adding: partial, gathering: nil)
                steps[i + 1] = .sumPartials(partial)
                names[i] += " + " + next[0].name + " (partial sums)"
                names[i + 1] = next[0].name + " (sum)"
                partialSizes.include(partial)
            }
            // A sum read only by the next job: each of its threads gathers
            // the sum into its own copy first (no step, and reads of its own).
            var removed = Set<Int>()
            for i in steps.indices.dropLast() {
                guard case .sumPartials(let partial) = steps[i], stepWrites[i].count == 1,
                      readsAlone(i + 1, stepWrites[i][0]) else { continue }
                let gathered = partial.convolution
                var readers: [CompressedProgram.Convolution], adding: CompressedProgram.PartialSums?
                switch steps[i + 1] {
                case .convolutions(let group): (readers, adding) = (group, nil)
                case .convolutionsWithPartials(let group, let a, nil): (readers, adding) = (group, a)
                default: continue
                }
                guard readers.allSatisfy({ $0.source >= gathered.output.offset }) else { continue }
                steps[i + 1] = .convolutionsWithPartials(readers, adding: adding, gathering: partial)
                names[i + 1] = gathered.name + " (summed per thread) + " + names[i + 1]
                removed.insert(i)
                for c in readers {
                    // The copy holds the output's planes and what the kernels read past them.
                    let furthest = (c.table.max().map(Int.init) ?? 0) + gridSpan(c.count)
                    let groups = c.weights.rows / c.rowsPerGroup
                    partialSizes.threadCopy = max(partialSizes.threadCopy, gathered.output.imageStride,
                                                  c.source - gathered.output.offset + (groups - 1) * c.sourceGroupStride + furthest)
                }
            }
            steps = steps.indices.filter { !removed.contains($0) }.map { steps[$0] }
            names = names.indices.filter { !removed.contains($0) }.map { names[$0] }
        }
        return Plan(steps: steps, names: names, input: view(inputBlob), output: view(outputBlob), arenaSize: arenaSize,
                    gridSize: gridSize, maxFanIn: maxFanIn, entryCapacity: entryCapacity,
                    maxChunkRows: maxChunkRows, maxChannelBlocks: maxChannelBlocks, partialScratch: partialSizes,
                    genericScratch: genericScratch, inputShape: inputShape, outputShape: outputShape)
    }

    private mutating func emit(_ step: Pending) {
        pending.append(step)
        pendingNames.append(layerName)
    }

    /// The activation an operator is, for the ones folded into stores.
    static func activation(of op: any Operator) -> Activation? {
        switch op {
        case let r as ReLU: .relu(slope: r.negativeSlope)
        case let c as Clip: Activation(.clip, c.minimum, c.maximum)
        case let h as HardSigmoid: Activation(.hardSigmoid, h.alpha, h.beta)
        case is HardSwish: Activation(.hardSwish)
        case is Sigmoid: Activation(.sigmoid)
        default: nil
        }
    }

    private func unsupported(_ layer: Layer, _ reason: String) -> ExecutorError {
        .unsupportedLayer(layer: layer.name, reason: reason + " in the compressed engine (use --engine dense)")
    }

    /// Pads storage `st` as stride-1 convolution `p` pads its input, planes
    /// aligned for the kernels: each kernel tap then reads a run of a plane.
    private mutating func padForTaps(_ st: Int, of p: Convolution) {
        storages[st].padHeight = max(storages[st].padHeight, p.padding.height, p.paddingEnd.height)
        storages[st].padWidth = max(storages[st].padWidth, p.padding.width, p.paddingEnd.width)
        storages[st].planeAlignment = max(storages[st].planeAlignment, kernels.planeAlignment)
    }

    private mutating func add(_ layer: Layer, _ s: LayerShapes) throws(ExecutorError) {
        let bottoms = layer.bottoms.map { current[$0] }
        guard let input = bottoms.first ?? nil, !bottoms.contains(where: { $0 == nil }) else {
            throw .unsupportedTopology("layer '\(layer.name)' reads a blob nothing produces")
        }
        let top = layer.tops[0]
        layerName = layer.name
        let fourDimensional = s.inputs.allSatisfy({ $0.rank == 4 }) && s.outputs.allSatisfy({ $0.rank == 4 })
        switch layer.kind {
        case let p as Convolution where fourDimensional && network.gemmLayers.contains(layer.name):
            let output = newBlob(s.outputs[0])
            if p.stride.height == 1 && p.stride.width == 1 { padForTaps(blobs[input].storage, of: p) }
            emit(.gemm(layer: layer, p, input: input, output: output, relu: nil))
            current[top] = output
        case let p as Convolution where fourDimensional && CompressedNetwork.isDepthwise3x3(p, s):
            // Its kernel pads rows as it reads them: the input keeps its layout.
            let output = newBlob(s.outputs[0])
            emit(.depthwise(layer: layer, p, input: input, output: output, relu: nil))
            current[top] = output
        case let e as Eltwise where fourDimensional && e.constant.isEmpty && e.operation != .difference && e.operation != .quotient
            && s.inputs.allSatisfy({ $0 == s.outputs[0] || ($0.height == 1 && $0.width == 1 && $0.channels == s.outputs[0].channels) })
            && s.inputs.contains(s.outputs[0]):
            // A residual connection: the GEMM that made one operand (read by
            // nothing else) adds the other as it stores.
            if e.operation == .sum, bottoms.count == 2, s.inputs[0] == s.inputs[1], let last = pending.indices.last,
               case .gemm(let l, let p, let i, let o, nil, nil) = pending[last],
               let k = bottoms.firstIndex(where: { $0 == o }), let other = bottoms[1 - k], other != o,
               consumers["\(versions[layer.bottoms[k]] ?? -1):\(layer.bottoms[k])"] == 1 {
                pending[last] = .gemm(layer: l, p, input: i, output: o, relu: nil, residual: other)
                current[top] = o
                return
            }
            let output = newBlob(s.outputs[0])
            // A full plane first, so the gate's single value combines into it.
            var order = Array(s.inputs.indices)
            if let full = order.firstIndex(where: { s.inputs[$0] == s.outputs[0] }) { order.swapAt(0, full) }
            emit(.combine(e.operation, inputs: order.map { bottoms[$0]! }, broadcast: order.map { s.inputs[$0] != s.outputs[0] },
                          output: output, relu: nil))
            current[top] = output
        case let p as Convolution where fourDimensional:
            let output = newBlob(s.outputs[0])
            var phases: Int?
            let x = s.inputs[0]
            // Shapes passed the ceilings, but padding and strides lay the input
            // out larger: keep every layout within them too, so the arena's
            // arithmetic cannot overflow.
            let paddedHeight = x.height + p.padding.height + p.paddingEnd.height
            let paddedWidth = x.width + p.padding.width + p.paddingEnd.width
            guard let padded = Checked.product([x.channels, paddedHeight, paddedWidth]),
                  padded <= SizeLimits.maximumElementCount else {
                throw unsupported(layer, "padding \(p.padding) makes its input a \(x.channels)x\(paddedHeight)x\(paddedWidth) "
                                      + "layout, more than the \(SizeLimits.maximumElementCount) floats a tensor may hold")
            }
            if p.stride.height != 1 || p.stride.width != 1 {
                let ph = (paddedHeight + p.stride.height - 1) / p.stride.height
                let pw = (paddedWidth + p.stride.width - 1) / p.stride.width
                guard let flat = Checked.product([x.channels, p.stride.height, p.stride.width, ph, pw]),
                      flat <= SizeLimits.maximumElementCount else {
                    throw unsupported(layer, "stride \(p.stride) splits its input into phases of more than the "
                                          + "\(SizeLimits.maximumElementCount) floats a tensor may hold")
                }
                storages.append(Storage(channels: x.channels, height: ph, width: pw, flatImageSize: flat))
                phases = storages.count - 1
            } else {
                let st = blobs[input].storage
                padForTaps(st, of: p)
                if kernels.keepsShiftedCopies, p.kernel.height > 1 || p.kernel.width > 1 {
                    // Rows on 64-byte lines, and a copy per column shift of
                    // the kernel: every tap's loads stay on lines.
                    storages[st].rowAlignment = 16
                    storages[st].shiftedCopies = max(storages[st].shiftedCopies,
                                                     min(16, (p.kernel.width - 1) * p.dilation.width + 1))
                }
            }
            emit(.convolution(layer: layer, p, s, input: input, output: output, phases: phases, relu: nil))
            if let phases { phaseStorage[pending.count - 1] = phases }
            current[top] = output
        case is InnerProduct where network.gemmLayers.contains(layer.name):
            let output = newBlob(s.outputs[0])
            emit(.gemm(layer: layer, nil, input: input, output: output, relu: nil))
            current[top] = output
        case is InnerProduct:
            let output = newBlob(s.outputs[0])
            emit(.innerProduct(layer: layer, s, input: input, output: output, relu: nil))
            current[top] = output
        case let op where Self.activation(of: op) != nil && s.inputs[0].rank <= 4:
            let activation = Self.activation(of: op)!
            let bottom = layer.bottoms[0]
            if let last = pending.indices.last, pending[last].writes == input,
               consumers["\(versions[bottom] ?? -1):\(bottom)"] == 1 {
                // Fuse into the producer: the value is final when first stored.
                switch pending[last] {
                case .convolution(let l, let p, let sh, let i, let o, let ph, let existing, nil):
                    if let combined = activation.after(existing ?? .identity) {
                        pending[last] = .convolution(layer: l, p, sh, input: i, output: o, phases: ph, relu: combined)
                        current[top] = input
                        return
                    }
                case .innerProduct(let l, let sh, let i, let o, let existing):
                    if let combined = activation.after(existing ?? .identity) {
                        pending[last] = .innerProduct(layer: l, sh, input: i, output: o, relu: combined)
                        current[top] = input
                        return
                    }
                case .depthwise(let l, let p, let i, let o, let existing):
                    if let combined = activation.after(existing ?? .identity) {
                        pending[last] = .depthwise(layer: l, p, input: i, output: o, relu: combined)
                        current[top] = input
                        return
                    }
                case .gemm(let l, let p, let i, let o, let existing, let r):
                    if let combined = activation.after(existing ?? .identity) {
                        pending[last] = .gemm(layer: l, p, input: i, output: o, relu: combined, residual: r)
                        current[top] = input
                        return
                    }
                case .combine(let op, let i, let b, let o, let existing):
                    if let combined = activation.after(existing ?? .identity) {
                        pending[last] = .combine(op, inputs: i, broadcast: b, output: o, relu: combined)
                        current[top] = input
                        return
                    }
                default:
                    break
                }
            }
            if bottom == top, !blobs[input].isShared {
                emit(.copy(input: input, output: input, activation: activation))
            } else {
                // A shared storage may hold a concatenation already made from
                // this blob: write the result elsewhere so it stays unchanged.
                let output = newBlob(s.outputs[0])
                emit(.copy(input: input, output: output, activation: activation))
                current[top] = output
            }
        case let op where op.placement == .alias && s.inputs[0] == s.outputs[0]:
            current[top] = input
        case let p as Pooling where fourDimensional:
            let output = newBlob(s.outputs[0])
            emit(.pool(p, s, input: input, output: output))
            current[top] = output
        case let c as Concat where fourDimensional && Layer.normalizedAxis(c.axis, rank: 4) == 1:
            let output = newBlob(s.outputs[0])
            let target = blobs[output].storage
            var offset = 0
            for (bottom, shape) in zip(bottoms.map { $0! }, s.inputs) {
                let b = blobs[bottom]
                let ownsStorage = !b.isShared && b.channels == storages[b.storage].channels
                    && storages[b.storage].flatImageSize == nil
                    && !blobs.indices.contains { $0 != bottom && blobs[$0].storage == b.storage }
                    && bottom != blobs.startIndex
                if ownsStorage {
                    // Its producer writes straight into the slice: no copy. Its
                    // readers so far asked for borders: the slice needs them too.
                    storages[target].padHeight = max(storages[target].padHeight, storages[b.storage].padHeight)
                    storages[target].padWidth = max(storages[target].padWidth, storages[b.storage].padWidth)
                    storages[target].planeAlignment = max(storages[target].planeAlignment, storages[b.storage].planeAlignment)
                    storages[target].rowAlignment = max(storages[target].rowAlignment, storages[b.storage].rowAlignment)
                    storages[target].shiftedCopies = max(storages[target].shiftedCopies, storages[b.storage].shiftedCopies)
                    blobs[bottom] = Blob(storage: target, channelOffset: offset, channels: shape.channels, isShared: true)
                } else {
                    let slice = blobs.count
                    blobs.append(Blob(storage: target, channelOffset: offset, channels: shape.channels, isShared: true))
                    emit(.copy(input: bottom, output: slice, activation: .identity))
                }
                offset += shape.channels
            }
            blobs[output].isShared = true
            current[top] = output
        case let p as Softmax where Layer.normalizedAxis(p.axis, rank: s.inputs[0].rank) == 1 && s.inputs[0].rank <= 2:
            // Over logits (no planes, so never padded).
            let output = newBlob(s.outputs[0])
            emit(.softmax(input: input, output: output))
            current[top] = output
        default:
            let outputs = s.outputs.map { newBlob($0) }
            emit(.generic(layer: layer, s, inputs: bottoms.map { $0! }, outputs: outputs))
            for (name, blob) in zip(layer.tops, outputs) { current[name] = blob }
        }
    }

    /// Folds each max pooling, and each global average pooling, into the
    /// convolutions that produce its input, when nothing else reads that
    /// input: they pool their grids straight into the pooled blob (each its
    /// own channel slice), so the full-size output is never written nor read
    /// back. Max pooling commutes with the bias and a ReLU of slope at least
    /// zero, so the results are the same; the average is taken of the
    /// finished values (bias and ReLU first), as the pooling would.
    private mutating func fusePooling(keeping kept: [Int]) {
        var fused = Set<Int>()
        for (index, step) in pending.enumerated() {
            guard case .pool(let params, let s, let input, let output) = step,
                  params.method == .max && !params.isGlobal || params.method == .average && params.isGlobal,
                  params.paddingEnd == params.padding
            else { continue }
            let average = params.method == .average
            let storage = blobs[input].storage
            guard !kept.contains(where: { blobs[$0].storage == storage }),
                  blobs[input].channelOffset == 0, blobs[input].channels == storages[storage].channels else { continue }
            let touching = pending.indices.filter { i in
                !fused.contains(i) && (pending[i].reads + pending[i].outputs).contains { blobs[$0].storage == storage }
            }
            let writers = touching.filter { $0 != index }
            // Only convolutions write it, all before the pooling, and only it reads it.
            guard !writers.isEmpty, writers.allSatisfy({ w in
                guard w < index, case .convolution(_, _, _, let i, _, _, let relu, nil) = pending[w] else { return false }
                return blobs[i].storage != storage && (average || (relu ?? .identity).isNonDecreasing)
            }) else { continue }
            let geometry = FoldedPool(geometry: params.geometry(input: s.inputs[0], output: s.outputs[0]),
                                      average: average)
            for w in writers {
                guard case .convolution(let l, let p, let sh, let i, let o, let ph, let relu, nil) = pending[w] else { continue }
                let slice = blobs.count
                blobs.append(Blob(storage: blobs[output].storage, channelOffset: blobs[output].channelOffset + blobs[o].channelOffset,
                                  channels: blobs[o].channels, isShared: true))
                pending[w] = .convolution(layer: l, p, sh, input: i, output: slice, phases: ph, relu: relu, pool: geometry)
            }
            pendingNames[writers[writers.count - 1]] += " + " + pendingNames[index]
            fused.insert(index)
        }
        guard !fused.isEmpty else { return }
        let kept = pending.indices.filter { !fused.contains($0) }
        let newIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        pending = kept.map { pending[$0] }
        pendingNames = kept.map { pendingNames[$0] }
        phaseStorage = Dictionary(uniqueKeysWithValues: phaseStorage.compactMap { key, value in newIndex[key].map { ($0, value) } })
    }

    /// First and last step touching each storage; the input is written before
    /// step 0 and the output read after the last.
    private mutating func assignLifetimes(input: Int, output: Int) throws(ExecutorError) {
        for (index, p) in pending.enumerated() {
            // A GEMM may run as one job with the depthwise after it (see
            // `Step.gemmDepthwise`): what it reads must outlive that step too,
            // or the depthwise's output could be laid over it.
            var through = index
            if case .gemm(_, _, _, let o, _, _) = p, index + 1 < pending.count,
               case .depthwise(_, _, let i, _, _) = pending[index + 1], i == o {
                through = index + 1
            }
            for b in p.reads + p.outputs {
                let s = blobs[b].storage
                storages[s].first = min(storages[s].first, index)
                storages[s].last = max(storages[s].last, p.reads.contains(b) ? through : index)
            }
            if let phases = phaseStorage[index] {
                storages[phases].first = index
                storages[phases].last = index
            }
        }
        let i = blobs[input].storage, o = blobs[output].storage
        storages[i].first = -1
        storages[i].last = max(storages[i].last, -1)
        storages[o].first = min(storages[o].first, pending.count)
        storages[o].last = pending.count
    }

    /// Refuses layouts whose sizes the arena's unchecked arithmetic could not
    /// hold: every storage's padded, aligned and copied image within 2^31 - 1
    /// floats (the kernels' offset tables are 32-bit), and all of them
    /// together at the batch size within 2^50 floats (the memory check
    /// refuses far less).
    private func checkLayoutSizes() throws(ExecutorError) {
        var total = 0
        for st in storages where st.first <= st.last {
            let image: Int?
            if let flat = st.flatImageSize {
                image = flat
            } else {
                let rows = Checked.add(st.height, 2 * st.padHeight).flatMap { Checked.add($0, st.rowAlignment) }
                let row = Checked.add(st.width, 2 * st.padWidth).flatMap { Checked.add($0, st.rowAlignment) }
                image = rows.flatMap { r in row.flatMap { Checked.product([r, $0, st.shiftedCopies, st.channels]) } }
                    .flatMap { Checked.add($0, st.channels * st.planeAlignment) }
            }
            guard let image, image <= Int(Int32.max),
                  let sum = Checked.multiply(image, batchSize).flatMap({ Checked.add(total, $0 + 16) }), sum <= 1 << 50 else {
                throw .unsupportedTopology("a blob of \(st.channels)x\(st.height)x\(st.width) laid out with padding "
                                           + "\(st.padHeight)x\(st.padWidth) would need more floats than a tensor may hold")
            }
            total = sum
        }
    }

    /// First-fit placement: storages whose lifetimes overlap never share floats.
    private mutating func allocate() -> Int {
        let order = storages.indices.filter { storages[$0].first <= storages[$0].last }
            .sorted { (storages[$0].first, $0) < (storages[$1].first, $1) }
        var placed: [Int] = []
        var end = 0
        for s in order {
            // 16 floats = one cache line between storages.
            let size = (batchSize * storages[s].imageStride + 15) & ~15
            let conflicts = placed.filter { storages[$0].first <= storages[s].last && storages[s].first <= storages[$0].last }
                .map { (storages[$0].offset, storages[$0].offset + (batchSize * storages[$0].imageStride + 15) & ~15) }
                .sorted { $0.0 < $1.0 }
            var offset = 0
            for (start, stop) in conflicts {
                if offset + size <= start { break }
                offset = max(offset, stop)
            }
            storages[s].offset = offset
            placed.append(s)
            end = max(end, offset + size)
        }
        return end
    }

    /// Whether two storages share floats of the arena.
    private func overlap(_ a: Int, _ b: Int) -> Bool {
        func range(_ s: Int) -> Range<Int> {
            storages[s].offset..<(storages[s].offset + batchSize * storages[s].imageStride)
        }
        return a == b || range(a).overlaps(range(b))
    }

    private func view(_ b: Int) -> CompressedProgram.View {
        let blob = blobs[b], st = storages[blob.storage]
        let layout = st.layout
        return .init(offset: st.offset + blob.channelOffset * layout.planeStride, imageStride: st.imageStride,
                     channels: blob.channels, layout: layout)
    }

    private func resolve(_ p: Pending) throws(ExecutorError) -> [CompressedProgram.Step] {
        switch p {
        case .convolution(let layer, let c, let s, let i, let o, let phases, let relu, let pool):
            let step = CompressedProgram.Step.convolutions(
                [try convolution(layer, c, s, input: view(i), output: view(o), phases: phases.map { storages[$0] }, relu: relu,
                                 pool: pool)])
            guard let phases else { return [step] }
            let st = storages[phases]
            let split = CompressedProgram.PhaseSplit(
                input: view(i), output: st.offset, outputImageStride: st.imageStride,
                strideHeight: c.stride.height, strideWidth: c.stride.width,
                padHeight: c.padding.height, padWidth: c.padding.width, phaseHeight: st.height, phaseWidth: st.width)
            return [.splitPhases(split), step]
        case .gemm:
            // A residual the kernel cannot add becomes the sum step it was,
            // with the activation after it.
            let step = try resolveSimple(p)
            guard case .gemm(var g) = step, g.separateResidual, let residual = g.residual else { return [step] }
            let sum = CompressedProgram.Combine(inputs: [g.output, residual], broadcast: [false, false], output: g.output,
                                                operation: 0, activation: g.activation)
            g.residual = nil
            g.activation = .identity
            return [.gemm(g), .combine(sum)]
        default:
            return [try resolveSimple(p)]
        }
    }

    /// Where each value of one image of `x` sits, from its first plane, in
    /// (channel, row, column) order: the inputs of a fully connected layer.
    private func valueOffsets(_ x: CompressedProgram.View) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(x.channels * x.layout.height * x.layout.width)
        let layout = x.layout
        for c in 0..<x.channels {
            for y in 0..<layout.height {
                for column in 0..<layout.width { offsets.append(c * layout.planeStride + layout.origin + y * layout.rowStride + column) }
            }
        }
        return offsets
    }

    private func resolveSimple(_ p: Pending) throws(ExecutorError) -> CompressedProgram.Step {
        switch p {
        case .convolution:
            preconditionFailure("convolutions resolve in resolve(_:)")
        case .innerProduct(let layer, _, let i, let o, let relu):
            guard let weights = network.weights[layer.name] else { throw .invalidModel(.missingWeights(layer: layer.name)) }
            let x = view(i)
            // Layout sizes were checked to fit 32 bits (`checkLayoutSizes`).
            let table = valueOffsets(x).map { Int32($0) }
            return .innerProduct(.init(name: layer.name, weights: weights, table: table, input: x, output: view(o),
                                       activation: relu ?? .identity))
        case .pool(let params, let s, let i, let o):
            let x = s.inputs[0], y = s.outputs[0]
            if params.isGlobal, params.method == .average {
                return .globalAveragePool(input: view(i), output: view(o))
            }
            let g = params.geometry(input: x, output: y)
            return params.method == .max ? .maxPool(g, input: view(i), output: view(o))
                : .averagePool(g, input: view(i), output: view(o))
        case .copy(let i, let o, let activation):
            return .copy(input: view(i), output: view(o), activation: activation)
        case .softmax(let i, let o):
            let x = view(i), y = view(o)
            guard x.layout.isDense, y.layout.isDense else {
                throw .unsupportedTopology("softmax over a padded blob")
            }
            return .softmax(input: x, output: y)
        case .depthwise(let layer, let p, let i, let o, let relu):
            guard let dense = network.genericWeights[layer.name] else { throw .invalidModel(.missingWeights(layer: layer.name)) }
            return .depthwise(.init(name: layer.name, input: view(i), output: view(o), stride: p.stride.height,
                                    padTop: p.padding.height, padLeft: p.padding.width, weights: dense.weights,
                                    bias: dense.bias.isEmpty ? [Float](repeating: 0, count: p.outputChannels) : dense.bias,
                                    activation: relu ?? .identity))
        case .gemm(let layer, let convolution, let i, let o, let relu, let residual):
            guard let dense = network.genericWeights[layer.name] else { throw .invalidModel(.missingWeights(layer: layer.name)) }
            let shape = shapes.layers[network.network.layerIndex(named: layer.name) ?? 0].inputs[0]
            let x = view(i), y = view(o)
            let outputs = y.channels
            let rows = dense.weights.count / max(outputs, 1)
            var offsets: [Int] = [], geometry: ConvolutionGeometry?, gridWidth: Int
            let layout = x.layout
            if let p = convolution, p.stride.height == 1 && p.stride.width == 1 {
                // Output (y, x) on the grid reads tap (ky, kx) at the input's
                // padded row y + ky*dh, column x + kx*dw: runs of one plane.
                gridWidth = layout.rowStride
                let shift = (layout.padHeight - p.padding.height) * layout.rowStride + (layout.padWidth - p.padding.width)
                for c in 0..<x.channels {
                    for ky in 0..<p.kernel.height {
                        for kx in 0..<p.kernel.width {
                            offsets.append(c * layout.planeStride + shift + ky * p.dilation.height * layout.rowStride
                                + kx * p.dilation.width)
                        }
                    }
                }
            } else if let p = convolution {
                let g = p.geometry(input: shape)
                geometry = g
                gridWidth = g.outputWidth
                offsets = (0..<g.columnRows).map { $0 * g.columnCount }
            } else {
                // Fully connected: one grid value, every input value a row.
                gridWidth = 1
                offsets = valueOffsets(x)
            }
            guard offsets.count == rows else {
                throw unsupported(layer, "its \(rows) weights per output do not match its \(offsets.count) inputs")
            }
            let panelRows = CompressedProgram.Gemm.panelRows
            let panels = (outputs + panelRows - 1) / panelRows
            var packed = [Float](repeating: 0, count: panels * rows * panelRows)
            for m in 0..<outputs {
                let panel = m / panelRows, lane = m % panelRows
                for r in 0..<rows { packed[(panel * rows + r) * panelRows + lane] = dense.weights[m * rows + r] }
            }
            return .gemm(.init(name: layer.name, input: x, output: y, residual: residual.map(view), packed: packed,
                               bias: dense.bias.isEmpty ? [Float](repeating: 0, count: outputs) : dense.bias,
                               activation: relu ?? .identity, offsets: offsets, geometry: geometry, gridWidth: gridWidth,
                               bandRows: CompressedProgram.Gemm.bandRows(inputRows: rows, gridWidth: gridWidth,
                                                                         height: y.layout.height)))
        case .combine(let op, let i, let b, let o, let relu):
            let code: UInt8 = switch op {
            case .sum: 0
            case .product: 1
            case .max: 2
            default: 3
            }
            return .combine(.init(inputs: i.map(view), broadcast: b, output: view(o), operation: code, activation: relu ?? .identity))
        case .generic(let layer, let s, let i, let o):
            var one = s
            one.inputs = s.inputs.map { $0.withBatch(1) }
            one.outputs = s.outputs.map { $0.withBatch(1) }
            let parameters = network.genericWeights[layer.name]
            if s.weight != nil, parameters == nil { throw .invalidModel(.missingWeights(layer: layer.name)) }
            return .generic(.init(name: layer.name, kernel: layer.kind.makeKernel(one), inputs: i.map(view), outputs: o.map(view),
                                  sizes: (s.inputs + s.outputs).map(\.elementCount), weights: parameters?.weights,
                                  bias: parameters.flatMap { $0.bias.isEmpty ? nil : $0.bias }))
        }
    }

    private func convolution(_ layer: Layer, _ p: Convolution, _ s: LayerShapes, input x: CompressedProgram.View,
                             output y: CompressedProgram.View, phases: Storage?, relu: Activation?,
                             pool: FoldedPool?) throws(ExecutorError)
        -> CompressedProgram.Convolution
    {
        guard let weights = network.weights[layer.name] else { throw .invalidModel(.missingWeights(layer: layer.name)) }
        let inputShape = s.inputs[0], outputShape = s.outputs[0]
        let channelsPerGroup = inputShape.channels / p.groups
        let kh = p.kernel.height, kw = p.kernel.width
        let dh = p.dilation.height, dw = p.dilation.width
        let rows = outputShape.height, columns = outputShape.width
        var table: [Int32] = []
        table.reserveCapacity(weights.fanIn)
        let source: Int, imageStride: Int, groupStride: Int, gridWidth: Int
        if let phases {
            // Tap (ky, kx) reads phase (r % sh, c % sw) from row r / sh, column c / sw.
            let sh = p.stride.height, sw = p.stride.width
            let phaseSize = phases.height * phases.width
            let channelStride = sh * sw * phaseSize
            gridWidth = phases.width
            for ci in 0..<channelsPerGroup {
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let r = ky * dh, c = kx * dw
                        table.append(Int32(ci * channelStride + ((r % sh) * sw + c % sw) * phaseSize
                            + (r / sh) * phases.width + c / sw))
                    }
                }
            }
            source = phases.offset
            imageStride = phases.imageStride
            groupStride = channelsPerGroup * channelStride
        } else {
            // The input's border is at least the convolution's padding: start
            // where the padded window of output (0, 0) starts.
            let layout = x.layout
            gridWidth = layout.rowStride
            let shift = (layout.padHeight - p.padding.height) * layout.rowStride + (layout.padWidth - p.padding.width)
            for ci in 0..<channelsPerGroup {
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let offset = ci * layout.planeStride + shift + ky * dh * layout.rowStride + kx * dw
                        // The copy whose shift puts this tap's run on a line
                        // (planes, rows and the source start on lines).
                        let k = offset % 16 < layout.shiftedCopies ? offset % 16 : 0
                        table.append(Int32(offset + k * layout.copyStride - k))
                    }
                }
            }
            source = x.offset
            imageStride = x.imageStride
            groupStride = channelsPerGroup * layout.planeStride
        }
        guard columns <= gridWidth else {
            throw unsupported(layer, "output wider than its input grid")
        }
        let rowsPerGroup = p.outputChannels / p.groups
        let rowsPerEntry = kernels.rowsPerEntry(density: weights.density, rows: rowsPerGroup)
        let count = (rows - 1) * gridWidth + columns
        // A block's input runs, for one block of input channels (every plane
        // those channels have, plus the taps' reach), fit the kernel set's
        // budget (see `SparseKernelSet.blockBudget`);
        // channel blocks hold enough entries (~32) that adding each block's
        // sums to the grid costs little. Blocks are whole tiles (eight of the
        // kernel set's vectors, or 96 values for four or eight rows at once) and whole
        // 32-value granules, so that the rounding up of the last block stays
        // inside the grid's span.
        let plane = phases.map { $0.height * $0.width } ?? x.layout.copyStride
        let planesPerChannel = phases == nil ? Set(table.map { Int($0) / plane % x.layout.shiftedCopies }).count
            : p.stride.height * p.stride.width
        let reach = Int(table.max() ?? 0) % plane
        let tile = rowsPerEntry > 1 ? 96 : kernels.rowTile
        let density = weights.density
        let perChannel = Double(kh * kw) * (1 - pow(1 - density, Double(rowsPerEntry)))
        let budget = kernels.blockBudget, target = 32.0
        func fitting(_ channels: Int) -> Int { (budget / (channels * planesPerChannel) - reach) / tile * tile }
        var blockChannels = min(channelsPerGroup, max(1, Int((target / max(perChannel, 1e-3)).rounded(.up))))
        // One channel's taps already fill a block (large kernels: conv1's 7x7):
        // all channels in one block write each grid value once, where a block
        // per channel re-read the grid from L2 per channel (conv1 2-5 % faster).
        if perChannel >= target { blockChannels = channelsPerGroup }
        var block = fitting(blockChannels)
        if block < tile {
            blockChannels = min(channelsPerGroup, max(1, budget / (planesPerChannel * (tile + reach))))
            block = max(tile, fitting(blockChannels))
        }
        if blockChannels == channelsPerGroup {
            // One block of all channels: no grid re-reads, so a longer block
            // (input runs ~64 KB, from L2) pays for fewer passes over the rows.
            block = max(tile, (16384 / (channelsPerGroup * planesPerChannel) - reach) / tile * tile)
        }
        let channelBlocks = (channelsPerGroup + blockChannels - 1) / blockChannels
        return .init(name: layer.name, weights: weights, table: table, source: source, sourceImageStride: imageStride,
                     sourceGroupStride: groupStride, gridWidth: gridWidth, count: count,
                     output: y, rowsPerGroup: rowsPerGroup, activation: relu ?? .identity, rowsPerEntry: rowsPerEntry,
                     pointwise: phases == nil && kh == 1 && kw == 1 && p.groups == 1
                        && p.padding == Spatial(0) && p.paddingEnd == Spatial(0),
                     blockLength: block, channelBlocks: channelBlocks, channelBlockPositions: blockChannels * kh * kw,
                     pool: pool?.geometry, poolAverages: pool?.average ?? false)
    }
}

/// Work items a job aims at, per thread, shared by the convolutions of a
/// group: enough that whichever thread ends last waits little, few enough
/// that smaller chunks and thinner bands (less input reuse, more decoding, a
/// chunk decoded by each thread that runs one of its bands) do not cost more
/// than balance gains. At two threads, in alternating runs: six per thread
/// 3-7 % slower than three; three per convolution (a fire module's two
/// expands then made twelve items) 1-2 % slower than three per group; two
/// and one per group within 2 % of three, two a little ahead.
let itemsPerJob = 2

extension CompressedProgram.Convolution {
    /// Splits the rows into chunks and the output rows into bands for about
    /// `desired` items over `threads` threads (with one thread: chunks as
    /// large as the cache allows, one band).
    ///
    /// A chunk first gets as many rows as keep its decoded entries (~64 KB)
    /// and grids (~256 KB) in L2. Bands (whole output rows, each at least ~256
    /// grid values: thinner ones waste their rounding to whole tiles) come
    /// next; then smaller chunks (each decoded by every thread that runs one
    /// of its bands). Pooled, bands are of pooled rows, each reading a few
    /// more grid rows.
    mutating func splitItems(desired: Int, threads: Int, batchSize: Int) {
        let unit = rowsPerEntry
        let entriesPerRow = max(Double(weights.weightCount) / Double(max(weights.rows, 1)), 1)
        var chunk = min(64, Int(8192 / entriesPerRow), 65536 / gridSpan(count), rowsPerGroup)
        chunk = max(unit, chunk / unit * unit)
        while rowsPerGroup % chunk != 0 { chunk -= unit }
        bands = 1
        if threads > 1 {
            let maxBands = max(1, min(output.layout.height, count / 256))
            while true {
                let items = batchSize * weights.rows / chunk
                bands = min(maxBands, max(1, (desired + items - 1) / items))
                guard items * bands < desired else { break }
                var smaller = chunk - unit
                while smaller >= unit, rowsPerGroup % smaller != 0 { smaller -= unit }
                guard smaller >= unit else { break }
                chunk = smaller
            }
        }
        chunkRows = chunk
    }
}
