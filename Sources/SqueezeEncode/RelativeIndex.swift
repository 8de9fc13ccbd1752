/// Deep Compression's sparse index format: each stored entry's position as the
/// gap to the previous one in a fixed number of bits, with filler entries (zero
/// weights) where a gap does not fit.
///
/// Entry i sits `gap_i + 1` positions after entry i-1; the first at `gap_0`.
public enum RelativeIndex {
    /// The stored entries for `positions` (strictly increasing): each entry's gap,
    /// and whether it is a filler.
    public static func encode(positions: [UInt32], bits: Int) -> (gaps: [UInt16], isFiller: [Bool]) {
        precondition((1...16).contains(bits), "index width must be 1...16 bits")
        let maxGap = (1 << bits) - 1
        var gaps: [UInt16] = []
        var isFiller: [Bool] = []
        gaps.reserveCapacity(positions.count)
        isFiller.reserveCapacity(positions.count)
        var previous = -1
        for p in positions {
            var gap = Int(p) - previous - 1
            while gap > maxGap {
                // A filler at previous + maxGap + 1 carries the position forward.
                gaps.append(UInt16(maxGap))
                isFiller.append(true)
                gap -= maxGap + 1
            }
            gaps.append(UInt16(gap))
            isFiller.append(false)
            previous = Int(p)
        }
        return (gaps, isFiller)
    }

    /// The position of every stored entry (fillers included) from the gaps;
    /// throws when one lands at or beyond `elementCount`.
    public static func decode(gaps: [UInt16], elementCount: Int) throws(EncodingError) -> [UInt32] {
        var last = -1
        let positions = [UInt32](unsafeUninitializedCapacity: gaps.count) { out, initialized in
            gaps.withUnsafeBufferPointer { g in
                var position = -1
                for i in 0..<g.count {
                    position += Int(g[i]) + 1
                    out[i] = UInt32(truncatingIfNeeded: position)
                }
                last = position
            }
            initialized = gaps.count
        }
        // Positions only grow, so checking the last one checks them all.
        guard last < elementCount else {
            let i = positions.firstIndex { Int($0) >= elementCount } ?? gaps.count - 1
            throw .corrupt("entry \(i) lands at \(Int(positions[i])), beyond the \(elementCount) weights")
        }
        return positions
    }
}
