import HeapModule

/// A canonical, length-limited Huffman code over the symbols `0..<alphabetSize`.
///
/// Only the code lengths are stored; codes are assigned canonically (shorter
/// codes first, then by symbol). Lengths are limited to `maximumLength` so that
/// decoding is one lookup in a table of `2^maximumLength` entries.
public struct HuffmanCode: Hashable, Sendable {
    /// The longest code the decoder's single-level table allows by default.
    public static let defaultMaximumLength = 15

    /// The code length of each symbol; 0 for symbols that never occur.
    public let lengths: [UInt8]
    /// Each symbol's code, bit-reversed so it can be written least-significant bit first.
    let reversedCodes: [UInt32]

    /// The alphabet size.
    public var alphabetSize: Int { lengths.count }

    /// The longest code length used.
    public var longestLength: Int { Int(lengths.max() ?? 0) }

    /// The code from known lengths; throws when they describe no prefix code.
    public init(lengths: [UInt8]) throws(EncodingError) {
        self.lengths = lengths
        self.reversedCodes = try Self.canonicalCodes(lengths)
    }

    /// The optimal code for `frequencies`, limited to `maximumLength` bits
    /// (raised when the alphabet needs more).
    public init(frequencies: [Int], maximumLength: Int = defaultMaximumLength) {
        let used = frequencies.filter { $0 > 0 }.count
        var limit = maximumLength
        while (1 << limit) < used { limit += 1 }
        let lengths = Self.limitedLengths(frequencies, limit: limit)
        // Lengths built here always satisfy Kraft's inequality.
        self.lengths = lengths
        self.reversedCodes = (try? Self.canonicalCodes(lengths)) ?? []
    }

    /// The total encoded size of a message with these frequencies, in bits.
    public func encodedBits(frequencies: [Int]) -> Int {
        zip(lengths, frequencies).reduce(0) { $0 + Int($1.0) * $1.1 }
    }

    /// Huffman's algorithm, then the lengths pushed under `limit` by lengthening
    /// the cheapest codes until Kraft's inequality holds again.
    static func limitedLengths(_ frequencies: [Int], limit: Int) -> [UInt8] {
        let n = frequencies.count
        var lengths = [UInt8](repeating: 0, count: n)
        let symbols = (0..<n).filter { frequencies[$0] > 0 }
        if symbols.isEmpty { return lengths }
        if symbols.count == 1 {
            lengths[symbols[0]] = 1
            return lengths
        }
        struct Node: Comparable {
            var weight: Int
            var id: Int
            static func < (a: Node, b: Node) -> Bool { (a.weight, a.id) < (b.weight, b.id) }
        }
        var heap = Heap<Node>()
        var parent = [Int](repeating: -1, count: 2 * symbols.count)
        for (i, s) in symbols.enumerated() { heap.insert(Node(weight: frequencies[s], id: i)) }
        var next = symbols.count
        while heap.count > 1 {
            let a = heap.removeMin(), b = heap.removeMin()
            parent[a.id] = next
            parent[b.id] = next
            heap.insert(Node(weight: a.weight + b.weight, id: next))
            next += 1
        }
        var depth = [Int](repeating: 0, count: next)
        for id in stride(from: next - 2, through: 0, by: -1) { depth[id] = depth[parent[id]] + 1 }
        var length = symbols.indices.map { min(depth[$0], limit) }

        // Kraft sum in units of 2^-limit; over-subscribed after clamping.
        var kraft = length.reduce(0) { $0 + (1 << (limit - $1)) }
        let capacity = 1 << limit
        if kraft > capacity {
            // Lengthen the least frequent codes still shorter than the limit.
            let byRarity = symbols.indices.sorted { (frequencies[symbols[$0]], $0) < (frequencies[symbols[$1]], $1) }
            while kraft > capacity {
                guard let i = byRarity.filter({ length[$0] < limit }).max(by: { length[$0] < length[$1] }) else { break }
                kraft -= 1 << (limit - length[i] - 1)
                length[i] += 1
            }
            // Give back slack to the most frequent codes where it fits.
            for i in byRarity.reversed() where length[i] > 1 {
                while length[i] > 1, kraft + (1 << (limit - length[i])) <= capacity {
                    kraft += 1 << (limit - length[i])
                    length[i] -= 1
                }
            }
        }
        for (i, s) in symbols.enumerated() { lengths[s] = UInt8(length[i]) }
        return lengths
    }

    /// Canonical codes, bit-reversed for LSB-first output.
    static func canonicalCodes(_ lengths: [UInt8]) throws(EncodingError) -> [UInt32] {
        let maxLength = Int(lengths.max() ?? 0)
        guard maxLength <= 24 else { throw .invalidCodeLengths("a code of \(maxLength) bits") }
        var countPerLength = [Int](repeating: 0, count: maxLength + 1)
        for l in lengths where l > 0 { countPerLength[Int(l)] += 1 }
        let used = countPerLength.reduce(0, +)
        if used == 0 { return [UInt32](repeating: 0, count: lengths.count) }
        // Kraft: sum 2^-l <= 1; a lone symbol may have any length.
        var kraft = 0
        for l in 1..<(maxLength + 1) { kraft += countPerLength[l] << (maxLength - l) }
        guard kraft <= 1 << maxLength else { throw .invalidCodeLengths("over-subscribed") }
        guard used == 1 || kraft == 1 << maxLength else { throw .invalidCodeLengths("incomplete code") }
        // DEFLATE's canonical assignment: shorter codes first, then by symbol.
        var nextCode = [UInt32](repeating: 0, count: maxLength + 1)
        var code: UInt32 = 0
        var counts = countPerLength
        counts[0] = 0
        for l in 1..<(maxLength + 1) {
            code = (code + UInt32(counts[l - 1])) << 1
            nextCode[l] = code
        }
        var reversed = [UInt32](repeating: 0, count: lengths.count)
        for (symbol, l) in lengths.enumerated() where l > 0 {
            let c = nextCode[Int(l)]
            nextCode[Int(l)] += 1
            var r: UInt32 = 0
            for bit in 0..<Int(l) where c & (1 << UInt32(bit)) != 0 { r |= 1 << UInt32(Int(l) - 1 - bit) }
            reversed[symbol] = r
        }
        return reversed
    }
}
