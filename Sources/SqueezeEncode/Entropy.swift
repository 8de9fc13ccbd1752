import Foundation

/// Shannon's bound: the fewest bits any symbol-by-symbol code can spend.
public enum Entropy {
    /// The total information of a message with these symbol `frequencies`, in bits:
    /// the sum over symbols of `-log2(p)`.
    public static func shannonBits(of frequencies: [Int]) -> Double {
        let total = Double(frequencies.reduce(0, +))
        guard total > 0 else { return 0 }
        var bits = 0.0
        for f in frequencies where f > 0 {
            bits -= Double(f) * log2(Double(f) / total)
        }
        return bits
    }

    /// The frequency of each symbol `0..<alphabetSize` in `symbols`.
    public static func frequencies(of symbols: [UInt16], alphabetSize: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: alphabetSize)
        for s in symbols where Int(s) < alphabetSize { counts[Int(s)] += 1 }
        return counts
    }
}
