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
        var rowGaps: [UInt32] = [0], rowCodes: [UInt32] = [0]
        rowGaps.reserveCapacity(rows + 1)
        rowCodes.reserveCapacity(rows + 1)
        var gaps: [UInt8] = []
        gaps.reserveCapacity(weights.storedCount + weights.storedCount / 8)
        var row = 0, column = 0, stored = 0
        // Appends the weight at flat position `p` (increasing) to the streams.
        func append(_ p: Int) {
            while p >= (row + 1) * fanIn {
                rowGaps.append(UInt32(gaps.count))
                rowCodes.append(UInt32(stored))
                row += 1
                column = 0
            }
            var gap = p - row * fanIn - column
            while gap >= Int(Self.skip) {
                gaps.append(Self.skip)
                gap -= Int(Self.skip)
            }
            gaps.append(UInt8(truncatingIfNeeded: gap))
            column = p - row * fanIn + 1
            stored += 1
        }
        switch weights.storage {
        case .dense(let all):
            var kept: [Float] = []
            for (p, v) in all.enumerated() where v != 0 { append(p); kept.append(v) }
            values = .direct(kept)
        case .sparse(let positions, let all):
            var kept: [Float] = []
            kept.reserveCapacity(all.count)
            for (p, v) in zip(positions, all) where v != 0 { append(Int(p)); kept.append(v) }
            values = .direct(kept)
        case .shared(let book, let codes, let positions):
            let zero = book.map { $0 == 0 }
            let stored = positions ?? []
            let hasPositions = positions != nil
            if book.count <= 256 {
                var kept: [UInt8] = []
                kept.reserveCapacity(codes.count)
                for (i, c) in codes.enumerated() where !zero[Int(c)] {
                    append(hasPositions ? Int(stored[i]) : i)
                    kept.append(UInt8(truncatingIfNeeded: c))
                }
                values = .codes8(codebook: book, codes: kept)
            } else {
                var kept: [UInt16] = []
                kept.reserveCapacity(codes.count)
                for (i, c) in codes.enumerated() where !zero[Int(c)] {
                    append(hasPositions ? Int(stored[i]) : i)
                    kept.append(c)
                }
                values = .codes16(codebook: book, codes: kept)
            }
        }
        while row < rows {
            rowGaps.append(UInt32(gaps.count))
            rowCodes.append(UInt32(stored))
            row += 1
        }
        self.rowGaps = rowGaps
        self.rowCodes = rowCodes
        self.gaps = gaps
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
