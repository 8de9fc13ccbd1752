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
        // Flat positions of the weights kept, in increasing order.
        var kept: [UInt32] = []
        kept.reserveCapacity(weights.storedCount)
        switch weights.storage {
        case .dense(let all):
            var v: [Float] = []
            for (p, x) in all.enumerated() where x != 0 { kept.append(UInt32(p)); v.append(x) }
            values = .direct(v)
        case .sparse(let positions, let all):
            var v: [Float] = []
            v.reserveCapacity(all.count)
            for (p, x) in zip(positions, all) where x != 0 { kept.append(p); v.append(x) }
            values = .direct(v)
        case .shared(let book, let codes, let positions):
            let zero = book.map { $0 == 0 }
            if book.count <= 256 {
                let c8 = Self.keep(codes, positions: positions, zero: zero, into: &kept) { UInt8(truncatingIfNeeded: $0) }
                values = .codes8(codebook: book, codes: c8)
            } else {
                values = .codes16(codebook: book, codes: Self.keep(codes, positions: positions, zero: zero, into: &kept) { $0 })
            }
        }
        (rowGaps, rowCodes, gaps) = Self.positionStreams(kept, rows: rows, fanIn: fanIn)
    }

    /// The codes whose centroid is not zero (converted by `convert`); their
    /// positions (`positions[i]`, or `i` for an unpruned tensor) go to `kept`.
    private static func keep<Code>(_ codes: [UInt16], positions: [UInt32]?, zero: [Bool], into kept: inout [UInt32],
                                   _ convert: (UInt16) -> Code) -> [Code] {
        var out: [Code] = []
        out.reserveCapacity(codes.count)
        codes.withUnsafeBufferPointer { c in
            zero.withUnsafeBufferPointer { z in
                if let positions {
                    positions.withUnsafeBufferPointer { p in
                        for i in c.indices where !z[Int(c[i])] { kept.append(p[i]); out.append(convert(c[i])) }
                    }
                } else {
                    for i in c.indices where !z[Int(c[i])] { kept.append(UInt32(i)); out.append(convert(c[i])) }
                }
            }
        }
        return out
    }

    /// The gap stream of increasing flat `positions` and where each row starts
    /// in it and in the values.
    private static func positionStreams(_ positions: [UInt32], rows: Int, fanIn: Int)
        -> (rowGaps: [UInt32], rowCodes: [UInt32], gaps: [UInt8])
    {
        var rowGaps = [UInt32](repeating: 0, count: rows + 1)
        var rowCodes = [UInt32](repeating: 0, count: rows + 1)
        // At most one byte per weight plus one per 255 positions skipped.
        let capacity = positions.count + rows * fanIn / Int(skip) + rows + 1
        let gaps = [UInt8](unsafeUninitializedCapacity: capacity) { g, written in
            var n = 0, row = 0, column = 0
            positions.withUnsafeBufferPointer { p in
                for (i, position) in p.enumerated() {
                    let flat = Int(position)
                    while flat >= (row + 1) * fanIn {
                        row += 1
                        rowGaps[row] = UInt32(n)
                        rowCodes[row] = UInt32(i)
                        column = 0
                    }
                    var gap = flat - row * fanIn - column
                    while gap >= Int(skip) {
                        g[n] = skip
                        n += 1
                        gap -= Int(skip)
                    }
                    g[n] = UInt8(truncatingIfNeeded: gap)
                    n += 1
                    column = flat - row * fanIn + 1
                }
            }
            while row < rows {
                row += 1
                rowGaps[row] = UInt32(n)
                rowCodes[row] = UInt32(positions.count)
            }
            written = n
        }
        return (rowGaps, rowCodes, gaps)
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
    func decodeEntries(_ r: Int, table: UnsafePointer<Int32>, offsets: UnsafeMutablePointer<Int32>,
                       weights: UnsafeMutablePointer<Float>, at: Int,
                       blockPositions: Int, blocks: Int, splits: UnsafeMutablePointer<Int>) -> Int {
        let start = Int(rowGaps[r]), end = Int(rowGaps[r + 1])
        let first = Int(rowCodes[r])
        let o = offsets + at, w = weights + at
        return gaps.withUnsafeBufferPointer { g in
            switch values {
            case .codes8(let book, let codes):
                return book.withUnsafeBufferPointer { b in
                    codes.withUnsafeBufferPointer { c in
                        entries(g, start, end, table, o, at, blockPositions, blocks, splits) { w[$0] = b[Int(c[first + $0])] }
                    }
                }
            case .codes16(let book, let codes):
                return book.withUnsafeBufferPointer { b in
                    codes.withUnsafeBufferPointer { c in
                        entries(g, start, end, table, o, at, blockPositions, blocks, splits) { w[$0] = b[Int(c[first + $0])] }
                    }
                }
            case .direct(let v):
                return v.withUnsafeBufferPointer { d in
                    entries(g, start, end, table, o, at, blockPositions, blocks, splits) { w[$0] = d[first + $0] }
                }
            }
        }
    }

    @inline(__always)
    private func entries(_ gaps: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ table: UnsafePointer<Int32>,
                         _ offsets: UnsafeMutablePointer<Int32>, _ at: Int, _ blockPositions: Int, _ blocks: Int,
                         _ splits: UnsafeMutablePointer<Int>, value: (Int) -> Void) -> Int {
        var column = 0, n = 0, block = 1, boundary = blocks > 1 ? blockPositions : Int.max
        splits[0] = at
        for i in start..<end {
            let g = Int(gaps[i])
            column += g
            if g == Int(Self.skip) { continue }
            // Positions stay below fanIn <= blocks * blockPositions: `block` stays below `blocks`.
            while column >= boundary {
                splits[block] = at + n
                block += 1
                boundary += blockPositions
            }
            offsets[n] = table[column]
            value(n)
            n += 1
            column += 1
        }
        while block < blocks {
            splits[block] = at + n
            block += 1
        }
        splits[blocks] = at + n
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
