import SqueezeModel

/// A weighted layer in the executor's resident form: per output channel (row),
/// the positions of its non-zero weights as one-byte gaps and one codebook
/// index (or float value) per weight.
///
/// Rows decode independently (`rowGaps` / `rowCodes` give where each starts),
/// so threads take rows in any order. A gap byte `g < 255` means "skip `g`
/// positions, then a weight"; `255` means "skip 255 positions, no weight", so
/// long runs of zeros cost a byte per 255 positions and no filler weights.
struct CompactWeights: Sendable {
    /// Where each weight's value comes from.
    enum Values: Sendable {
        /// Weight-shared with at most 256 centroids: one byte per weight.
        case codes8(codebook: [Float], codes: [UInt8])
        /// Weight-shared with more centroids: two bytes per weight.
        case codes16(codebook: [Float], codes: [UInt16])
        /// Not weight-shared: the float value of each stored weight.
        case direct([Float])
    }

    /// Output channels.
    let rows: Int
    /// Positions per row (input channels per group x kernel taps, or inputs).
    let fanIn: Int
    /// `rows + 1` starts into `gaps`.
    let rowGaps: [UInt32]
    /// `rows + 1` starts into the codes (or values).
    let rowCodes: [UInt32]
    /// The gap stream of all rows.
    let gaps: [UInt8]
    /// The weights' values.
    let values: Values
    /// One bias per row, or empty.
    let bias: [Float]

    static let skip: UInt8 = 255

    /// Builds the compact form of `parameters` whose weight tensor has `rows`
    /// rows of `fanIn` elements. Weights equal to zero (fillers, zero centroids)
    /// are dropped: they contribute nothing.
    init(_ parameters: LayerParameters, rows: Int) {
        let weights = parameters.weights
        let fanIn = weights.elementCount / rows
        self.rows = rows
        self.fanIn = fanIn
        self.bias = parameters.bias
        var streams = StreamBuilder(rows: rows, fanIn: fanIn, capacity: weights.storedCount)
        switch weights.storage {
        case .dense(let all):
            values = .direct(all.withUnsafeBufferPointer { v in
                Self.collect(v.count, positions: nil, into: &streams) { v[$0] != 0 ? v[$0] : nil }
            })
        case .sparse(let positions, let all):
            values = .direct(all.withUnsafeBufferPointer { v in
                positions.withUnsafeBufferPointer { p in
                    Self.collect(v.count, positions: p, into: &streams) { v[$0] != 0 ? v[$0] : nil }
                }
            })
        case .shared(let book, let codes, let positions):
            let zero = book.map { $0 == 0 }
            values = codes.withUnsafeBufferPointer { c in
                zero.withUnsafeBufferPointer { z in
                    func withPositions<R>(_ body: (UnsafeBufferPointer<UInt32>?) -> R) -> R {
                        guard let positions else { return body(nil) }
                        return positions.withUnsafeBufferPointer { body($0) }
                    }
                    return withPositions { p in
                        if book.count <= 256 {
                            return .codes8(codebook: book, codes: Self.collect(c.count, positions: p, into: &streams) { i in
                                z[Int(c[i])] ? nil : UInt8(truncatingIfNeeded: c[i])
                            })
                        }
                        return .codes16(codebook: book, codes: Self.collect(c.count, positions: p, into: &streams) { i in
                            z[Int(c[i])] ? nil : c[i]
                        })
                    }
                }
            }
        }
        (rowGaps, rowCodes, gaps) = streams.finish()
    }

    /// The values of entries `0..<count` that `value` keeps (non-nil), in order;
    /// each kept entry's flat position (`positions[i]`, increasing, or `i`
    /// without positions) goes to `streams`.
    @inline(__always)
    private static func collect<Value>(_ count: Int, positions: UnsafeBufferPointer<UInt32>?,
                                       into streams: inout StreamBuilder, value: (Int) -> Value?) -> [Value] {
        [Value](unsafeUninitializedCapacity: count) { out, initialized in
            var n = 0
            // Two loops, so the per-entry work has no branch on the storage form.
            if let positions {
                for i in 0..<count {
                    guard let v = value(i) else { continue }
                    out[n] = v
                    streams.append(Int(positions[i]), entry: n)
                    n += 1
                }
            } else {
                for i in 0..<count {
                    guard let v = value(i) else { continue }
                    out[n] = v
                    streams.append(i, entry: n)
                    n += 1
                }
            }
            initialized = n
        }
    }

    /// Builds the gap stream of increasing flat positions and where each row
    /// starts in it and in the values.
    private struct StreamBuilder {
        let rows: Int, fanIn: Int
        var rowGaps: [UInt32], rowCodes: [UInt32]
        let gaps: UnsafeMutableBufferPointer<UInt8>
        var written = 0, entries = 0, row = 0, rowEnd: Int
        /// The flat position just after the previous weight (or the row's start).
        var next = 0

        init(rows: Int, fanIn: Int, capacity: Int) {
            self.rows = rows
            self.fanIn = fanIn
            rowGaps = [UInt32](repeating: 0, count: rows + 1)
            rowCodes = [UInt32](repeating: 0, count: rows + 1)
            // At most one byte per weight plus one per 255 positions skipped.
            gaps = .allocate(capacity: capacity + rows * fanIn / Int(CompactWeights.skip) + rows + 1)
            rowEnd = fanIn
        }

        /// A weight at flat position `flat`, the values' `entry`-th.
        @inline(__always)
        mutating func append(_ flat: Int, entry: Int) {
            if flat >= rowEnd { startRow(containing: flat, entry: entry) }
            var gap = flat - next
            while gap >= Int(CompactWeights.skip) {
                gaps[written] = CompactWeights.skip
                written += 1
                gap -= Int(CompactWeights.skip)
            }
            gaps[written] = UInt8(truncatingIfNeeded: gap)
            written += 1
            next = flat + 1
            entries = entry + 1
        }

        private mutating func startRow(containing flat: Int, entry: Int) {
            while flat >= rowEnd, row < rows {
                row += 1
                rowGaps[row] = UInt32(written)
                rowCodes[row] = UInt32(entry)
                rowEnd += fanIn
            }
            next = rowEnd - fanIn
        }

        /// The row starts and the gap stream; the builder is spent.
        consuming func finish() -> (rowGaps: [UInt32], rowCodes: [UInt32], gaps: [UInt8]) {
            while row < rows {
                row += 1
                rowGaps[row] = UInt32(written)
                rowCodes[row] = UInt32(entries)
            }
            let stream = Array(UnsafeBufferPointer(rebasing: gaps[..<written]))
            gaps.deallocate()
            return (rowGaps, rowCodes, stream)
        }
    }

    /// Non-zero weights stored.
    var weightCount: Int { Int(rowCodes[rows]) }

    /// Bytes held: gaps, codes or values, codebook, biases and row starts.
    var residentBytes: Int {
        let valueBytes: Int
        switch values {
        case .codes8(let book, let codes): valueBytes = book.count * 4 + codes.count
        case .codes16(let book, let codes): valueBytes = book.count * 4 + codes.count * 2
        case .direct(let v): valueBytes = v.count * 4
        }
        return gaps.count + valueBytes + bias.count * 4 + (rowGaps.count + rowCodes.count) * 4
    }

    /// Decodes row `r`: writes each weight's position in the row and its value,
    /// and returns how many (at most `fanIn`).
    func decodeRow(_ r: Int, positions: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>) -> Int {
        let start = Int(rowGaps[r]), end = Int(rowGaps[r + 1])
        let first = Int(rowCodes[r])
        return gaps.withUnsafeBufferPointer { g in
            // One loop per value kind keeps the switch out of the per-weight loop.
            switch values {
            case .codes8(let book, let codes):
                return book.withUnsafeBufferPointer { b in
                    codes.withUnsafeBufferPointer { c in
                        decode(g, start, end, positions) { weights[$0] = b[Int(c[first + $0])] }
                    }
                }
            case .codes16(let book, let codes):
                return book.withUnsafeBufferPointer { b in
                    codes.withUnsafeBufferPointer { c in
                        decode(g, start, end, positions) { weights[$0] = b[Int(c[first + $0])] }
                    }
                }
            case .direct(let v):
                return v.withUnsafeBufferPointer { d in
                    decode(g, start, end, positions) { weights[$0] = d[first + $0] }
                }
            }
        }
    }

    /// Decodes row `r` straight into kernel entries from entry `at` on: each
    /// weight's input offset (`table[position]`) and value; returns how many.
    /// `splits[0...blocks]` receive where the entries of each block of
    /// `blockPositions` row positions start (then the end).
    // Not inlined: inside the convolution item's closure the loop spilled its
    // pointers and ran ~13 cycles per weight; on its own it keeps them in registers.
    @inline(never)
    func decodeEntries(_ r: Int, table: UnsafePointer<Int32>, offsets: UnsafeMutablePointer<Int32>,
                       weights: UnsafeMutablePointer<Float>, at: Int,
                       blockPositions: Int, blocks: Int, splits: UnsafeMutablePointer<Int>) -> Int {
        let start = Int(rowGaps[r]), end = Int(rowGaps[r + 1])
        let first = Int(rowCodes[r])
        let o = offsets + at, w = weights + at
        // A row without weights (its gap and code streams may be empty: no base address).
        guard Int(rowCodes[r + 1]) > first else {
            for b in 0...blocks { splits[b] = at }
            return 0
        }
        return gaps.withUnsafeBufferPointer { g in
            let g = g.baseAddress! + start, count = end - start
            switch values {
            case .codes8(let book, let codes):
                return book.withUnsafeBufferPointer { b in
                    codes.withUnsafeBufferPointer { c in
                        let b = b.baseAddress!, c = c.baseAddress! + first
                        return entries(g, count, table, o, at, blockPositions, blocks, splits) { w[$0] = b[Int(c[$0])] }
                    }
                }
            case .codes16(let book, let codes):
                return book.withUnsafeBufferPointer { b in
                    codes.withUnsafeBufferPointer { c in
                        let b = b.baseAddress!, c = c.baseAddress! + first
                        return entries(g, count, table, o, at, blockPositions, blocks, splits) { w[$0] = b[Int(c[$0])] }
                    }
                }
            case .direct(let v):
                return v.withUnsafeBufferPointer { d in
                    let d = d.baseAddress! + first
                    return entries(g, count, table, o, at, blockPositions, blocks, splits) { w[$0] = d[$0] }
                }
            }
        }
    }

    /// The decoding loop. Wrapping arithmetic: positions stay below `fanIn`
    /// (the weight tensor's positions were validated on load) and counts below
    /// the row's gap bytes.
    @inline(__always)
    private func entries(_ gaps: UnsafePointer<UInt8>, _ count: Int, _ table: UnsafePointer<Int32>,
                         _ offsets: UnsafeMutablePointer<Int32>, _ at: Int, _ blockPositions: Int, _ blocks: Int,
                         _ splits: UnsafeMutablePointer<Int>, value: (Int) -> Void) -> Int {
        var column = 0, n = 0, block = 1, boundary = blocks > 1 ? blockPositions : Int.max
        splits[0] = at
        var i = 0
        while i < count {
            let g = Int(gaps[i])
            i &+= 1
            column &+= g
            if g == Int(Self.skip) { continue }
            // Positions stay below fanIn <= blocks * blockPositions: `block` stays below `blocks`.
            while column >= boundary {
                splits[block] = at &+ n
                block &+= 1
                boundary &+= blockPositions
            }
            offsets[n] = table[column]
            value(n)
            n &+= 1
            column &+= 1
        }
        while block < blocks {
            splits[block] = at &+ n
            block &+= 1
        }
        splits[blocks] = at &+ n
        return n
    }

    @inline(__always)
    private func decode(_ gaps: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                        _ positions: UnsafeMutablePointer<Int32>, value: (Int) -> Void) -> Int {
        var column = 0, n = 0
        for i in start..<end {
            let g = Int(gaps[i])
            if g == Int(Self.skip) {
                column += g
                continue
            }
            column += g
            positions[n] = Int32(column)
            value(n)
            n += 1
            column += 1
        }
        return n
    }

    /// The share of the row's positions that hold a weight.
    var density: Double { Double(weightCount) / Double(max(rows * fanIn, 1)) }
}
