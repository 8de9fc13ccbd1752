import SqueezeKernels

extension CompressedProgram {
    /// A 1x1 convolution run inside the job that produces all of its input
    /// (a fire module's squeeze, inside the previous module's expands).
    ///
    /// Each producer item, right after writing its chunk of output planes,
    /// adds those planes' share of the 1x1 convolution into its thread's
    /// partial sums: it reads planes it has just written, from its own cache.
    /// Run as a separate job, every item of the 1x1 convolution read all of its
    /// input channels, half of them written by the other core (measured at two
    /// threads: 12-50 % more time per item than at one); partial sums instead
    /// move only the (4-8x smaller) output between cores, in `sumPartials`.
    struct PartialSums: Sendable {
        /// The 1x1 convolution, its channel blocks one producer chunk or a
        /// divisor of one, its rows one chunk.
        var convolution: Convolution
        /// Per producer (in the group's order): the input channel of its row 0.
        let channelBases: [Int]
        /// Input channels per channel block of `convolution`.
        let blockChannels: Int
        /// Which of the two sets of per-thread partial sums it uses.
        var buffer = 0
        /// Channel blocks an item runs in one pass over the partial sums: as
        /// many as the convolution's own blocks held (its inputs per spatial
        /// block stay in L1), so that thin producer chunks do not make
        /// passes of a few entries each.
        let blocksPerPass: Int

        /// Builds the partial sums of `consumer` over `producers`' items, or
        /// nil when they do not tile its input channels with whole planes.
        init?(consumer: Convolution, producers: [Convolution]) {
            guard consumer.pointwise, consumer.pool == nil, consumer.rowsPerGroup == consumer.weights.rows else { return nil }
            var bases: [Int] = [], covered = 0, granule = 0
            for p in producers {
                let layout = p.output.layout
                // Producer items must cover whole planes: one band, unpooled
                // or pooled into the planes the consumer reads.
                guard p.bands == 1, layout.height * layout.width == consumer.count,
                      consumer.gridWidth == layout.rowStride, layout.padHeight == 0, layout.padWidth == 0,
                      layout.shiftedCopies == 1,
                      (p.output.offset - consumer.source) % layout.planeStride == 0 else { return nil }
                let base = (p.output.offset - consumer.source) / layout.planeStride
                guard base >= 0, base + p.weights.rows <= consumer.weights.fanIn else { return nil }
                bases.append(base)
                covered += p.weights.rows
                granule = gcd(granule, gcd(base, p.chunkRows))
            }
            guard covered == consumer.weights.fanIn, granule > 0 else { return nil }
            var c = consumer
            c.channelBlocks = consumer.weights.fanIn / granule
            c.channelBlockPositions = granule
            c.chunkRows = consumer.weights.rows
            c.bands = 1
            convolution = c
            channelBases = bases
            blockChannels = granule
            blocksPerPass = max(1, consumer.channelBlockPositions / granule)
        }

        /// Per-thread buffer sizes for a program's partial sums.
        struct ScratchSize: Sendable {
            var grid = 0, fanIn = 0, entries = 0, splits = 0
            /// Floats of each thread's copy of a gathered output.
            var threadCopy = 0

            mutating func include(_ p: PartialSums) {
                let c = p.convolution
                grid = max(grid, c.weights.rows * gridSpan(c.count))
                fanIn = max(fanIn, c.weights.fanIn)
                entries = max(entries, c.weights.rows * c.weights.fanIn)
                splits = max(splits, c.weights.rows * (c.channelBlocks + 1))
            }
        }
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
