import Foundation
internal import CSqueezeMicrokernels
import SqueezeKernels
import SqueezeModel

/// Runs a `CompressedProgram`: decodes each row of weights as it goes and adds
/// shifted input runs into the output planes, in one preallocated arena.
///
/// Owns the arena, per-thread scratch and (for more than one thread) a pool of
/// worker threads. Use one executor from one thread at a time.
public final class CompressedExecutor: InferenceEngine {
    /// The compiled program.
    public let program: CompressedProgram
    private let arena: UnsafeMutableBufferPointer<Float>
    private let allocation: UnsafeMutableRawPointer
    private let scratch: [RowScratch]
    /// Two sets (see `PartialSums.buffer`) of per-thread partial sums of a
    /// 1x1 convolution and its decoded entries (empty when the program has none).
    private let partials: [[RowScratch]]
    /// Per set: the run of the job whose items made its partial sums.
    private var partialRuns = [-1, -1]
    /// Per thread: its copy of a gathered 1x1 convolution's output.
    private let threadCopies: [UnsafeMutablePointer<Float>]
    private let copyAllocations: [UnsafeMutableRawPointer]
    private let pool: WorkerPool
    /// Staging and scratch of generic steps.
    private let genericScratch: UnsafeMutableBufferPointer<Float>
    /// The indirect GEMM kernel of the program's instruction set.
    private let gemmKernel: squeeze_f32_igemm_fn
    /// The depthwise 3x3 kernel of the program's instruction set.
    private let depthwiseKernel: squeeze_f32_dwconv3x3_fn
    /// Counts convolutions run, so scratch can tell a chunk it decoded for this one.
    private var convolutionRun = 0

    /// - Throws: `ExecutorError.resource` when the system refuses the arena or
    ///   the threads' copies (the program's memory check passed, but the
    ///   machine or `ulimit` allows less).
    init(program: CompressedProgram) throws(ExecutorError) {
        // calloc: zeroed pages arrive on first touch, so opening stays fast.
        // 16 floats more, to start the arena on a cache line (planes aligned
        // by their layout are then aligned in memory). Like the arena, the
        // threads' copies are zeroed so reads past the planes see numbers.
        let sizes = program.partialScratch
        var blocks: [UnsafeMutableRawPointer] = []
        for (floats, what) in [(program.arenaSize, "the activation arena"), (program.genericScratch, "generic steps' staging")]
            + Array(repeating: (sizes.threadCopy, "a thread's copy of a layer's output"),
                    count: sizes.threadCopy == 0 ? 0 : program.threads) {
            guard let zeroed = calloc(floats + 16, MemoryLayout<Float>.stride) else {
                blocks.forEach { free($0) }
                throw .resource(.allocationFailed(what: what, bytes: Checked.saturatingMultiply(floats + 16, 4)))
            }
            blocks.append(zeroed)
        }
        self.program = program
        allocation = blocks[0]
        let zeroed = blocks[0]
        let lineStart = (64 - Int(bitPattern: zeroed) % 64) % 64
        arena = UnsafeMutableBufferPointer(start: (zeroed + lineStart).bindMemory(to: Float.self, capacity: program.arenaSize),
                                           count: program.arenaSize)
        genericScratch = UnsafeMutableBufferPointer(start: blocks[1].bindMemory(to: Float.self, capacity: program.genericScratch),
                                                    count: program.genericScratch)
        copyAllocations = Array(blocks.dropFirst(2))
        scratch = (0..<program.threads).map { _ in
            RowScratch(gridSize: program.gridSize, fanIn: program.maxFanIn, entries: program.entryCapacity,
                       splits: program.maxChunkRows * (program.maxChannelBlocks + 1))
        }
        partials = sizes.grid == 0 ? [] : (0..<2).map { _ in
            (0..<program.threads).map { _ in
                RowScratch(gridSize: sizes.grid, fanIn: sizes.fanIn, entries: sizes.entries, splits: sizes.splits)
            }
        }
        threadCopies = copyAllocations.map { zeroed in
            (zeroed + (64 - Int(bitPattern: zeroed) % 64) % 64).bindMemory(to: Float.self, capacity: sizes.threadCopy)
        }
        pool = WorkerPool(threads: program.threads)
        gemmKernel = squeeze_f32_igemm_kernel(program.kernels.microkernelISA)
        depthwiseKernel = squeeze_f32_dwconv3x3_kernel(program.kernels.microkernelISA)
    }

    deinit {
        free(allocation)
        free(genericScratch.baseAddress)
        copyAllocations.forEach { free($0) }
    }

    /// Time per step, accumulated over runs while profiling is on.
    public final class Profile {
        /// The steps' names, in order (layer names; relayouts are named after their layer).
        public let names: [String]
        /// Nanoseconds spent in each step over all runs.
        public fileprivate(set) var nanoseconds: [UInt64]
        /// Runs recorded.
        public fileprivate(set) var runs = 0

        init(names: [String]) {
            self.names = names
            nanoseconds = Array(repeating: 0, count: names.count)
        }
    }

    /// Set to record per-step times (`startProfiling()`), nil otherwise.
    public private(set) var profile: Profile?

    /// Starts (or restarts) recording per-step times.
    public func startProfiling() { profile = Profile(names: program.stepNames) }

    /// The shape of one batch of input.
    public var inputShape: TensorShape { program.inputShape }

    /// The shape of one batch of output.
    public var outputShape: TensorShape { program.outputShape }

    /// Runs the network on one batch.
    public func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(ExecutorError) {
        let inShape = program.inputShape, outShape = program.outputShape
        guard input.count == inShape.elementCount, let source = input.baseAddress else {
            throw .inputSize(expected: inShape.elementCount, actual: input.count)
        }
        guard output.count == outShape.elementCount, let destination = output.baseAddress else {
            throw .outputSize(expected: outShape.elementCount, actual: output.count)
        }
        let a = arena.baseAddress!
        let x = program.input, y = program.output
        let inPlanes = CompressedProgram.planes(inShape), outPlanes = CompressedProgram.planes(outShape)
        let inDense = PlaneLayout(height: inPlanes.height, width: inPlanes.width)
        let outDense = PlaneLayout(height: outPlanes.height, width: outPlanes.width)
        for n in 0..<program.batchSize {
            copyPlanes(x.channels, input: source + n * inShape.itemCount, inputLayout: inDense,
                       output: a + x.plane(n, 0), outputLayout: x.layout)
        }
        if let profile {
            for (i, step) in program.steps.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                execute(step)
                profile.nanoseconds[i] += DispatchTime.now().uptimeNanoseconds - start
            }
            profile.runs += 1
        } else {
            for step in program.steps { execute(step) }
        }
        for n in 0..<program.batchSize {
            copyPlanes(y.channels, input: a + y.plane(n, 0), inputLayout: y.layout,
                       output: destination + n * outShape.itemCount, outputLayout: outDense)
        }
    }

    private func execute(_ step: CompressedProgram.Step) {
        let a = arena.baseAddress!
        let batch = program.batchSize
        switch step {
        case .generic(let g):
            runGeneric(g)
        case .depthwise(let d):
            runDepthwise(d)
        case .gemm(let g):
            runGemm(g)
        case .gemmDepthwise(let g, let d):
            runGemmDepthwise(g, d)
        case .combine(let m):
            let width = m.output.layout.width
            forChunks(of: m.output.channels, batch: batch) { n, c, count in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: width + 8) { scratch in
                    for k in c..<(c + count) {
                        let operands = zip(m.inputs, m.broadcast).map { v, b in
                            (pointer: UnsafePointer(a + v.plane(n, k)), layout: v.layout, broadcast: b)
                        }
                        combinePlanes(operands, operation: m.operation, activation: m.activation,
                                      output: a + m.output.plane(n, k), outputLayout: m.output.layout, scratch: scratch.baseAddress!)
                    }
                }
            }
        case .convolutions(let group):
            convolve(group, adding: nil, gathering: nil)
        case .convolutionsWithPartials(let group, let adding, let gathering):
            convolve(group, adding: adding, gathering: gathering)
        case .sumPartials(let partial):
            sumPartials(partial)
        case .innerProduct(let f):
            innerProduct(f)
        case .splitPhases(let s):
            let phases = s.strideHeight * s.strideWidth
            let planeFloats = phases * s.phaseHeight * s.phaseWidth
            // An item per phase plane: per channel, conv1's three made three items for two threads.
            forChunks(of: s.input.channels * phases, batch: batch, chunk: 1) { n, k, _ in
                let c = k / phases, phase = k % phases
                splitPhases(1, input: a + s.input.plane(n, c), inputLayout: s.input.layout,
                            strideHeight: s.strideHeight, strideWidth: s.strideWidth,
                            padHeight: s.padHeight, padWidth: s.padWidth,
                            phaseHeight: s.phaseHeight, phaseWidth: s.phaseWidth, phases: phase..<(phase + 1),
                            output: a + s.output + n * s.outputImageStride + c * planeFloats)
            }
        case .maxPool(let g, let x, let y):
            forChunks(of: x.channels, batch: batch) { n, c, count in
                maxPool(g, planes: count, input: a + x.plane(n, c), inputLayout: x.layout,
                        output: a + y.plane(n, c), outputLayout: y.layout)
            }
        case .averagePool(let g, let x, let y):
            forChunks(of: x.channels, batch: batch) { n, c, count in
                averagePool(g, planes: count, input: a + x.plane(n, c), inputLayout: x.layout,
                            output: a + y.plane(n, c), outputLayout: y.layout)
            }
        case .globalAveragePool(let x, let y):
            forChunks(of: x.channels, batch: batch) { n, c, count in
                for k in c..<(c + count) {
                    var mean: Float = 0
                    globalAveragePool(planes: 1, input: a + x.plane(n, k), inputLayout: x.layout, output: &mean)
                    storeGridPlane(&mean, gridWidth: 1, bias: 0, activation: .identity, output: a + y.plane(n, k), layout: y.layout)
                }
            }
        case .copy(let x, let y, let activation):
            forChunks(of: x.channels, batch: batch) { n, c, count in
                copyPlanes(count, input: a + x.plane(n, c), inputLayout: x.layout,
                           output: a + y.plane(n, c), outputLayout: y.layout, activation: activation)
            }
        case .softmax(let x, let y):
            for n in 0..<batch {
                softmax(outer: 1, classes: x.channels, inner: x.layout.planeStride, input: a + x.plane(n, 0),
                        output: a + y.plane(n, 0))
            }
        }
    }

    /// Each chunk of channels is one item and one kernel call.
    private func runDepthwise(_ d: CompressedProgram.Depthwise) {
        d.weights.withUnsafeBufferPointer { w in
            d.bias.withUnsafeBufferPointer { bias in
                forChunks(of: d.output.channels, batch: program.batchSize) { n, c, count, thread in
                    depthwiseChunk(d, image: n, channels: c..<(c + count), thread: thread, weights: w.baseAddress!,
                                   bias: bias.baseAddress!)
                }
            }
        }
    }

    /// The depthwise convolution of some channels of one image.
    private func depthwiseChunk(_ d: CompressedProgram.Depthwise, image n: Int, channels: Range<Int>, thread: Int,
                                weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        let a = arena.baseAddress!, kernel = depthwiseKernel
        let x = d.input.layout, y = d.output.layout, c = channels.lowerBound
        let direct = d.direct, bounds = d.activation.bounds ?? (-.infinity, .infinity)
        let grid = scratch[thread].grid, plane = grid + squeeze_f32_dwconv3x3_scratch(y.width, d.stride)
        var args = squeeze_dwconv3x3_args(
            planes: direct ? channels.count : 1, input: a + d.input.plane(n, c) + x.origin, input_height: x.height,
            input_width: x.width, input_row_stride: x.rowStride, input_plane_stride: x.planeStride,
            stride: d.stride, pad_top: d.padTop, pad_left: d.padLeft, weights: w + 9 * c,
            bias: direct ? bias + c : nil, lo: bounds.0, hi: bounds.1,
            output: direct ? a + d.output.plane(n, c) + y.origin : plane, output_height: y.height,
            output_width: y.width, output_row_stride: direct ? y.rowStride : y.width,
            output_plane_stride: y.planeStride, scratch: grid)
        if direct {
            kernel(&args)
            return
        }
        // A plane at a time through scratch, then the layout and activation.
        for k in channels {
            args.input = UnsafePointer(a + d.input.plane(n, k) + x.origin)
            args.weights = w + 9 * k
            kernel(&args)
            storeGridPlane(plane, gridWidth: y.width, bias: bias[k], activation: d.activation,
                           output: a + d.output.plane(n, k), layout: y)
        }
    }

    /// Each panel of eight output channels over each band of output rows is
    /// one item (see `gemmItem`).
    private func runGemm(_ g: CompressedProgram.Gemm) {
        for n in 0..<program.batchSize {
            let source = gemmSource(g, image: n)
            pool.run(items: g.panels * g.bands) { item, thread in gemmItem(g, image: n, item: item, thread: thread, source: source) }
        }
    }

    /// A one-band GEMM and its depthwise convolution: per panel, the GEMM and
    /// then the depthwise of the panel's channels.
    private func runGemmDepthwise(_ g: CompressedProgram.Gemm, _ d: CompressedProgram.Depthwise) {
        let panelRows = CompressedProgram.Gemm.panelRows, channels = g.output.channels
        d.weights.withUnsafeBufferPointer { w in
            d.bias.withUnsafeBufferPointer { bias in
                for n in 0..<program.batchSize {
                    let source = gemmSource(g, image: n)
                    pool.run(items: g.panels) { panel, thread in
                        gemmItem(g, image: n, item: panel, thread: thread, source: source)
                        let first = panel * panelRows
                        depthwiseChunk(d, image: n, channels: first..<min(channels, first + panelRows), thread: thread,
                                       weights: w.baseAddress!, bias: bias.baseAddress!)
                    }
                }
            }
        }
    }

    /// Where the GEMM of image `n` reads: its input planes, or (strided) the
    /// column matrix, made here by im2col over the pool.
    private func gemmSource(_ g: CompressedProgram.Gemm, image n: Int) -> UnsafePointer<Float> {
        let a = arena.baseAddress!
        let source = UnsafePointer(a + g.input.plane(n, 0))
        guard let geometry = g.geometry else { return source }
        let scratch = genericScratch.baseAddress!
        var dense = source
        let x = g.input.layout
        if !x.isDense {
            copyPlanes(g.input.channels, input: source, inputLayout: x, output: scratch,
                       outputLayout: PlaneLayout(height: x.height, width: x.width))
            dense = UnsafePointer(scratch)
        }
        let columns = scratch + (x.isDense ? 0 : g.input.channels * x.height * x.width)
        let height = geometry.outputHeight, bands = min(height, 4 * program.threads)
        pool.run(items: bands) { band, _ in
            im2col(geometry, input: dense, columns: columns, outputRows: band * height / bands..<(band + 1) * height / bands)
        }
        return UnsafePointer(columns)
    }

    /// One panel of eight output channels over one band of output rows.
    /// Where the activation is a clamp, the kernel stores into the output
    /// planes with bias and clamp (and the residual, which the planner gives
    /// only a GEMM whose kernel can add it): as one run where the
    /// planes are the grid itself (no border, rows as wide as the grid's),
    /// else row by row (the border's zeros written beside). Otherwise it
    /// fills the thread's grid, which is stored through the layout and
    /// activation while still in cache.
    private func gemmItem(_ g: CompressedProgram.Gemm, image n: Int, item: Int, thread: Int, source: UnsafePointer<Float>) {
        let a = arena.baseAddress!
        let panelRows = CompressedProgram.Gemm.panelRows
        let layout = g.output.layout, width = layout.width, gridWidth = g.gridWidth
        let rows = g.offsets.count, panels = g.panels
        let bounds = layout.shiftedCopies == 1 ? g.activation.bounds : nil
        let band = item / panels, panel = item % panels
        let first = band * g.bandRows, last = min(layout.height, first + g.bandRows)
        let start = first * gridWidth, count = (last - 1 - first) * gridWidth + width
        let mr = min(panelRows, g.output.channels - panel * panelRows)
        let planes = a + g.output.plane(n, panel * panelRows)
        assert(bounds != nil || g.residual == nil, "the planner gives a residual only to a GEMM that can add it")
        let residual = g.residual.map { UnsafePointer(a + $0.plane(n, panel * panelRows)) }
        g.packed.withUnsafeBufferPointer { w in
            g.offsets.withUnsafeBufferPointer { offsets in
                g.bias.withUnsafeBufferPointer { bias in
                    let weights = w.baseAddress! + panel * rows * panelRows
                    if let bounds, layout.isRowDense && gridWidth == width {
                        gemmKernel(mr, count, 1, 0, 0, rows, source + start, offsets.baseAddress!, weights,
                                   bias.baseAddress! + panel * panelRows, bounds.low, bounds.high, residual.map { $0 + start },
                                   planes + start, layout.planeStride)
                        return
                    }
                    if let bounds {
                        let offset = layout.origin + first * layout.rowStride
                        gemmKernel(mr, width, last - first, gridWidth, layout.rowStride, rows, source + start,
                                   offsets.baseAddress!, weights, bias.baseAddress! + panel * panelRows, bounds.low,
                                   bounds.high, residual.map { $0 + offset }, planes + offset, layout.planeStride)
                        for m in 0..<mr { clearBorder(of: planes + m * layout.planeStride, layout, rows: first..<last) }
                        return
                    }
                    let grid = scratch[thread].grid
                    gemmKernel(mr, count, 1, 0, 0, rows, source + start, offsets.baseAddress!, weights, nil, -.infinity,
                               .infinity, nil, grid, count)
                    for m in 0..<mr {
                        let c = panel * panelRows + m
                        storeGridPlane(grid + m * count - start, gridWidth: gridWidth, rows: first..<last, bias: bias[c],
                                       activation: g.activation, output: a + g.output.plane(n, c), layout: layout)
                    }
                }
            }
        }
    }

    /// Copies the inputs into dense staging, runs the dense kernel on the
    /// batch, copies the outputs into their layouts.
    private func runGeneric(_ g: CompressedProgram.Generic) {
        let a = arena.baseAddress!, batch = program.batchSize
        var staged: [UnsafeMutablePointer<Float>] = []
        var next = genericScratch.baseAddress!
        for size in g.sizes {
            staged.append(next)
            next += size
        }
        func dense(_ v: CompressedProgram.View) -> PlaneLayout { PlaneLayout(height: v.layout.height, width: v.layout.width) }
        for (k, v) in g.inputs.enumerated() {
            let perImage = g.sizes[k] / batch
            for n in 0..<batch {
                copyPlanes(v.channels, input: a + v.plane(n, 0), inputLayout: v.layout,
                           output: staged[k] + n * perImage, outputLayout: dense(v))
            }
        }
        let outputs = Array(staged[g.inputs.count...])
        func run(_ weights: UnsafePointer<Float>?, _ bias: UnsafePointer<Float>?) {
            g.kernel.forward(ForwardArguments(count: batch, inputs: staged[..<g.inputs.count].map { UnsafePointer($0) },
                                              outputs: outputs, weights: weights, bias: bias, scratch: next))
        }
        switch (g.weights, g.bias) {
        case (let w?, let b?): w.withUnsafeBufferPointer { w in b.withUnsafeBufferPointer { b in run(w.baseAddress, b.baseAddress) } }
        case (let w?, nil): w.withUnsafeBufferPointer { run($0.baseAddress, nil) }
        default: run(nil, nil)
        }
        for (k, v) in g.outputs.enumerated() {
            let perImage = g.sizes[g.inputs.count + k] / batch
            for n in 0..<batch {
                copyPlanes(v.channels, input: outputs[k] + n * perImage, inputLayout: dense(v),
                           output: a + v.plane(n, 0), outputLayout: v.layout)
            }
        }
    }

    /// Splits `channels` planes of every image into chunks over the threads.
    private func forChunks(of channels: Int, batch: Int, chunk: Int = 8, _ body: (Int, Int, Int) -> Void) {
        forChunks(of: channels, batch: batch, chunk: chunk) { n, c, count, _ in body(n, c, count) }
    }

    /// `forChunks` whose body also gets the thread (for its scratch).
    private func forChunks(of channels: Int, batch: Int, chunk: Int = 8, _ body: (Int, Int, Int, Int) -> Void) {
        let perImage = (channels + chunk - 1) / chunk
        pool.run(items: batch * perImage) { item, thread in
            let n = item / perImage, c = (item % perImage) * chunk
            body(n, c, min(chunk, channels - c), thread)
        }
    }

    /// Runs independent convolutions as one job: their items side by side,
    /// each adding its share of `partial` when given; with `gathering`, they
    /// read their thread's own copy of that convolution's output.
    private func convolve(_ group: [CompressedProgram.Convolution], adding partial: CompressedProgram.PartialSums?,
                          gathering: CompressedProgram.PartialSums?) {
        var ends: [Int] = []
        var total = 0
        for c in group {
            total += program.batchSize * (c.weights.rows / c.chunkRows) * c.bands
            ends.append(total)
        }
        let firstRun = convolutionRun &+ 1
        convolutionRun &+= group.count + 1
        let run = convolutionRun
        if let partial { partialRuns[partial.buffer] = run }
        pool.run(items: total) { item, thread in
            var k = 0
            while item >= ends[k] { k += 1 }
            let local = item - (k == 0 ? 0 : ends[k - 1])
            var input: UnsafePointer<Float>?
            if let gathering {
                gather(gathering, thread: thread, run: run)
                input = UnsafePointer(threadCopies[thread] + (group[k].source - gathering.convolution.output.offset))
            }
            convolutionItem(group[k], local, thread: thread, run: firstRun &+ k, input: input)
            if let partial {
                // Partial sums need whole planes: their producers run one band, batch 1.
                let channels = partial.channelBases[k] + local * group[k].chunkRows
                addPartial(partial, channels: channels..<(channels + group[k].chunkRows), thread: thread, run: run)
            }
        }
    }

    /// Adds input channels `channels`' share of `partial`'s convolution to this
    /// thread's partial sums (the first share this run sets them).
    private func addPartial(_ partial: CompressedProgram.PartialSums, channels: Range<Int>, thread: Int, run: Int) {
        let c = partial.convolution
        let p = partials[partial.buffer][thread]
        let first = p.decodedChunk.run != run
        c.table.withUnsafeBufferPointer { table in
            if first {
                p.decodedChunk = (run, 0)
                decodeChunk(c, first: 0, scratch: p, table: table.baseAddress!)
            }
        }
        let blocks = (channels.lowerBound / partial.blockChannels)..<(channels.upperBound / partial.blockChannels)
        accumulateGrid(c, scratch: p, source: UnsafePointer(arena.baseAddress! + c.source), blocks: blocks,
                       values: 0..<c.count, setsGrid: first, blocksPerPass: partial.blocksPerPass)
    }

    /// The 1x1 convolution's output, from the threads' partial sums, into the arena.
    private func sumPartials(_ partial: CompressedProgram.PartialSums) {
        let rows = partial.convolution.weights.rows, rowsPerItem = 4
        pool.run(items: (rows + rowsPerItem - 1) / rowsPerItem) { item, thread in
            for k in (item * rowsPerItem)..<min(rows, (item + 1) * rowsPerItem) {
                storeSum(partial, row: k, scratch: scratch[thread], arena: arena.baseAddress!)
            }
        }
    }

    /// Sums `partial`'s partial sums into this thread's copy of its output,
    /// once per `run` (on the thread's first item of the job).
    private func gather(_ partial: CompressedProgram.PartialSums, thread: Int, run: Int) {
        let s = scratch[thread]
        guard s.gatheredRun != run else { return }
        s.gatheredRun = run
        for k in 0..<partial.convolution.weights.rows {
            storeSum(partial, row: k, scratch: s, arena: threadCopies[thread] - partial.convolution.output.offset)
        }
    }

    /// Output plane `k` of `partial`'s convolution: the partial sums of every
    /// thread that made some (added in `s`'s grid when more than one did, as
    /// other threads may read the same sums), plus bias, through its ReLU,
    /// stored where `arena` puts the convolution's output.
    private func storeSum(_ partial: CompressedProgram.PartialSums, row k: Int, scratch s: RowScratch,
                          arena: UnsafeMutablePointer<Float>) {
        let c = partial.convolution
        let span = gridSpan(c.count), made = partialRuns[partial.buffer]
        var sum: UnsafePointer<Float>?
        for p in partials[partial.buffer] where p.decodedChunk.run == made {
            guard let first = sum else {
                sum = UnsafePointer(p.grid + k * span)
                continue
            }
            if first != UnsafePointer(s.grid) { s.grid.update(from: first, count: c.count) }
            add(count: c.count, p.grid + k * span, into: s.grid)
            sum = UnsafePointer(s.grid)
        }
        guard let sum else { return }
        storeGridPlane(sum, gridWidth: c.gridWidth, bias: c.weights.bias.isEmpty ? 0 : c.weights.bias[k],
                       activation: c.activation, output: arena + c.output.plane(0, k), layout: c.output.layout)
    }

    /// One item of convolution `c`: a chunk of its rows over a band of output
    /// rows of one image, reading its input from the arena or from `input`
    /// (where its input channel 0 of image 0 starts). `run` tells this
    /// convolution from others for the decoded-chunk cache.
    private func convolutionItem(_ c: CompressedProgram.Convolution, _ item: Int, thread: Int, run convolutionRun: Int,
                                 input: UnsafePointer<Float>? = nil) {
        let a = arena.baseAddress!
        let chunksPerImage = c.weights.rows / c.chunkRows
        let span = gridSpan(c.count)
        let height = c.output.layout.height
        // The grid's plane: the convolution's output, before any pooling.
        let gridColumns = c.pool?.width ?? c.output.layout.width
        c.table.withUnsafeBufferPointer { table in
                let s = scratch[thread]
                let band = item % c.bands, chunkItem = item / c.bands
                let n = chunkItem / chunksPerImage, first = (chunkItem % chunksPerImage) * c.chunkRows
                let rows = (band * height / c.bands)..<((band + 1) * height / c.bands)
                guard !rows.isEmpty else { return }
                // Pooled, the band needs the grid rows its windows read.
                let gridRows = c.pool.map { g in
                    g.window(output: rows.lowerBound, axis: .vertical).positions.lowerBound
                        ..< g.window(output: rows.upperBound - 1, axis: .vertical).positions.upperBound
                } ?? rows
                let source = (input ?? UnsafePointer(a + c.source)) + n * c.sourceImageStride
                    + (first / c.rowsPerGroup) * c.sourceGroupStride
                // Bands of one chunk come one after another: a thread that
                // decoded this chunk for the previous band still holds it.
                if s.decodedChunk != (convolutionRun, first) {
                    s.decodedChunk = (convolutionRun, first)
                    decodeChunk(c, first: first, scratch: s, table: table.baseAddress!)
                }
                // The band's grid values from a 32-value boundary (the extra
                // values before it land in this thread's own grid, unused).
                accumulateGrid(c, scratch: s, source: source, blocks: 0..<c.channelBlocks,
                               values: (gridRows.lowerBound * c.gridWidth & ~31)
                                   ..< ((gridRows.upperBound - 1) * c.gridWidth + gridColumns),
                               setsGrid: true)
                for k in 0..<c.chunkRows {
                    let bias = c.weights.bias.isEmpty ? 0 : c.weights.bias[first + k]
                    let output = a + c.output.plane(n, first + k)
                    if let g = c.pool, c.poolAverages {
                        var mean = meanOfGridPlane(s.grid + k * span, gridWidth: c.gridWidth, height: g.height, width: g.width,
                                                   bias: bias, activation: c.activation)
                        storeGridPlane(&mean, gridWidth: 1, bias: 0, activation: .identity, output: output, layout: c.output.layout)
                    } else if let g = c.pool {
                        maxPoolPlane(g, input: s.grid + k * span, rowStride: c.gridWidth, rows: rows, bias: bias,
                                     activation: c.activation, output: output, outputLayout: c.output.layout)
                    } else {
                        storeGridPlane(s.grid + k * span, gridWidth: c.gridWidth, rows: rows, bias: bias, activation: c.activation,
                                       output: output, layout: c.output.layout)
                    }
                }
        }
    }

    /// Decodes rows `first ..< first + c.chunkRows` into `s`: unit u's entries
    /// of channel block b are splits[u * (blocks + 1) + b] ..< splits[u * (blocks + 1) + b + 1].
    private func decodeChunk(_ c: CompressedProgram.Convolution, first: Int, scratch s: RowScratch, table: UnsafePointer<Int32>) {
        let unit = c.rowsPerEntry, blocks = c.channelBlocks
        var total = 0
        for u in 0..<(c.chunkRows / unit) {
            let splits = s.splits + u * (blocks + 1)
            total += unit > 1
                ? s.decodeRows(c.weights, firstRow: first + unit * u, count: unit, table: table, at: total,
                               blockPositions: c.channelBlockPositions, blocks: blocks, splits: splits)
                : s.decodeRow(c.weights, row: first + u, table: table, at: total,
                              blockPositions: c.channelBlockPositions, blocks: blocks, splits: splits)
        }
    }

    /// Adds the decoded chunk's entries of channel blocks `blocks` into its
    /// grids over grid values `values`, one spatial block at a time and
    /// `blocksPerPass` channel blocks per pass over it; with `setsGrid`, the
    /// first pass sets the grids instead (even to zeros).
    private func accumulateGrid(_ c: CompressedProgram.Convolution, scratch s: RowScratch, source: UnsafePointer<Float>,
                                blocks: Range<Int>, values: Range<Int>, setsGrid: Bool, blocksPerPass: Int = 1) {
        let kernels = program.kernels
        let unit = c.rowsPerEntry, units = c.chunkRows / unit, stride = c.channelBlocks + 1
        let span = gridSpan(c.count)
        var start = values.lowerBound
        while start < values.upperBound {
            let length = min(c.blockLength, values.upperBound - start)
            for b in Swift.stride(from: blocks.lowerBound, to: blocks.upperBound, by: blocksPerPass) {
                let accumulate = !setsGrid || b > blocks.lowerBound
                let next = min(b + blocksPerPass, blocks.upperBound)
                for u in 0..<units {
                    let e = s.splits[u * stride + b], entries = s.splits[u * stride + next] - e
                    if accumulate, entries == 0 { continue }
                    let grid = s.grid + u * unit * span + start
                    switch unit {
                    case 8:
                        kernels.convolveRows8(entries: entries, offsets: s.offsets + e, weights: s.weights + 8 * e,
                                              input: source + start, count: length, grid: grid, gridStride: span,
                                              accumulate: accumulate)
                    case 4:
                        kernels.convolveRows4(entries: entries, offsets: s.offsets + e, weights: s.weights + 4 * e,
                                              input: source + start, count: length, grid: grid, gridStride: span,
                                              accumulate: accumulate)
                    default:
                        kernels.convolveRow(entries: entries, offsets: s.offsets + e, weights: s.weights + e,
                                            input: source + start, count: length, grid: grid, accumulate: accumulate)
                    }
                }
            }
            start += length
        }
    }

    private func innerProduct(_ f: CompressedProgram.InnerProduct) {
        let a = arena.baseAddress!
        let chunk = 16
        let perImage = (f.weights.rows + chunk - 1) / chunk
        f.table.withUnsafeBufferPointer { table in
            pool.run(items: program.batchSize * perImage) { item, thread in
                let s = scratch[thread]
                let n = item / perImage, first = (item % perImage) * chunk
                let source = UnsafePointer(a + f.input.plane(n, 0))
                for r in first..<min(first + chunk, f.weights.rows) {
                    let entries = s.decodeRow(f.weights, row: r, table: table.baseAddress!, at: 0,
                                              blockPositions: f.weights.fanIn, blocks: 1, splits: s.splits)
                    var value = sparseDot(entries: entries, offsets: s.offsets, weights: s.weights, input: source)
                    if !f.weights.bias.isEmpty { value += f.weights.bias[r] }
                    storeGridPlane(&value, gridWidth: 1, bias: 0, activation: f.activation,
                                   output: a + f.output.plane(n, r), layout: f.output.layout)
                }
            }
        }
    }
}

extension CompressedProgram {
    /// What one executor allocates, as `CompressedExecutor.init` does: the
    /// arena, each thread's scratch, the partial sums' scratch and the threads'
    /// copies of gathered outputs.
    public var executorMemory: MemoryEstimate {
        var estimate = MemoryEstimate("one compressed executor")
        estimate.add("activation arena at batch \(batchSize)", count: Checked.saturatingAdd(arenaSize, 16), elementBytes: 4)
        let scratch = RowScratch.bytes(gridSize: gridSize, fanIn: maxFanIn, entries: entryCapacity,
                                       splits: Checked.saturatingMultiply(maxChunkRows, maxChannelBlocks + 1))
        estimate.add("row scratch of \(threads) thread(s)", bytes: Checked.saturatingMultiply(scratch, threads))
        let sizes = partialScratch
        if sizes.grid > 0 {
            let partial = RowScratch.bytes(gridSize: sizes.grid, fanIn: sizes.fanIn, entries: sizes.entries, splits: sizes.splits)
            estimate.add("partial-sum scratch", bytes: Checked.saturatingMultiply(partial, 2 * threads))
        }
        if genericScratch > 0 {
            estimate.add("generic steps' staging", count: Checked.saturatingAdd(genericScratch, 16), elementBytes: 4)
        }
        if threads > 1 {
            estimate.add("stacks of \(threads - 1) worker thread(s)", bytes: (threads - 1) * WorkerPool.stackSize)
        }
        if sizes.threadCopy > 0 {
            estimate.add("threads' copies of gathered outputs",
                         count: Checked.saturatingMultiply(Checked.saturatingAdd(sizes.threadCopy, 16), threads), elementBytes: 4)
        }
        return estimate
    }
}

/// One thread's buffers for decoding a chunk of rows and accumulating its grids.
private final class RowScratch: @unchecked Sendable {
    /// The bytes `init` allocates for these sizes.
    static func bytes(gridSize: Int, fanIn: Int, entries: Int, splits: Int) -> Int {
        let decoded = max(entries, fanIn)
        return [Checked.saturatingMultiply(gridSize, 4), Checked.saturatingMultiply(decoded, 4 + 8 * 4),
                Checked.saturatingMultiply(splits, 8), Checked.saturatingMultiply(fanIn, 4 + 4 + 8 * 4 + 1)]
            .reduce(0, Checked.saturatingAdd)
    }

    let grid: UnsafeMutablePointer<Float>
    /// Decoded entries: input offsets and one weight per row sharing the entry.
    let offsets: UnsafeMutablePointer<Int32>
    let weights: UnsafeMutablePointer<Float>
    /// Where each row's (or row group's) entries of each channel block start, plus the end.
    let splits: UnsafeMutablePointer<Int>
    /// The convolution run and first row of the chunk the buffers hold.
    var decodedChunk = (run: -1, first: -1)
    /// The run of the job whose input this thread last gathered.
    var gatheredRun = -1
    private let positions: UnsafeMutablePointer<Int32>
    private let rowWeights: UnsafeMutablePointer<Float>
    private let slots: UnsafeMutablePointer<Float>
    private let present: UnsafeMutablePointer<Bool>

    init(gridSize: Int, fanIn: Int, entries: Int, splits: Int) {
        grid = .allocate(capacity: gridSize)
        offsets = .allocate(capacity: max(entries, fanIn))
        weights = .allocate(capacity: 8 * max(entries, fanIn))
        self.splits = .allocate(capacity: splits)
        positions = .allocate(capacity: fanIn)
        rowWeights = .allocate(capacity: fanIn)
        slots = .allocate(capacity: 8 * fanIn)
        present = .allocate(capacity: fanIn)
    }

    deinit {
        grid.deallocate()
        offsets.deallocate()
        weights.deallocate()
        splits.deallocate()
        positions.deallocate()
        rowWeights.deallocate()
        slots.deallocate()
        present.deallocate()
    }

    /// Row `row` as (input offset, weight) entries from entry `at` on; returns
    /// how many. `splits[0...blocks]` receive where the entries of each block of
    /// `blockPositions` row positions start (then the end).
    func decodeRow(_ w: CompactWeights, row: Int, table: UnsafePointer<Int32>, at: Int,
                   blockPositions: Int, blocks: Int, splits: UnsafeMutablePointer<Int>) -> Int {
        w.decodeEntries(row, table: table, offsets: offsets, weights: weights, at: at,
                        blockPositions: blockPositions, blocks: blocks, splits: splits)
    }

    /// Rows `firstRow ..< firstRow + count` (four or eight) merged from entry
    /// `at` on: one entry per position any of them uses, with `count` weights
    /// (zero where a row has none). Splits as `decodeRow`.
    func decodeRows(_ w: CompactWeights, firstRow: Int, count: Int, table: UnsafePointer<Int32>, at: Int,
                    blockPositions: Int, blocks: Int, splits: UnsafeMutablePointer<Int>) -> Int {
        slots.update(repeating: 0, count: count * w.fanIn)
        present.update(repeating: false, count: w.fanIn)
        for k in 0..<count {
            let stored = w.decodeRow(firstRow + k, positions: positions, weights: rowWeights)
            for e in 0..<stored {
                let p = Int(positions[e])
                slots[count * p + k] = rowWeights[e]
                present[p] = true
            }
        }
        var m = at
        for p in 0..<w.fanIn where present[p] {
            offsets[m] = table[p]
            positions[m - at] = Int32(p)
            // One vector move per entry (four or eight weights), not a loop.
            if count == 4 {
                UnsafeMutableRawPointer(weights + 4 * m).storeBytes(
                    of: UnsafeRawPointer(slots + 4 * p).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            } else {
                UnsafeMutableRawPointer(weights + 8 * m).storeBytes(
                    of: UnsafeRawPointer(slots + 8 * p).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            }
            m += 1
        }
        split(m - at, at: at, blockPositions: blockPositions, blocks: blocks, splits: splits)
        return m - at
    }

    /// Block boundaries of `count` entries whose (increasing) positions are in `positions`.
    private func split(_ count: Int, at: Int, blockPositions: Int, blocks: Int, splits: UnsafeMutablePointer<Int>) {
        var e = 0
        splits[0] = at
        for b in 1..<max(blocks, 1) {
            let limit = Int32(clamping: b * blockPositions)
            while e < count, positions[e] < limit { e += 1 }
            splits[b] = at + e
        }
        splits[blocks] = at + count
    }

}
