import SqueezeEncode

/// What one coded stream of a layer holds and costs.
public struct StreamStatistics: Hashable, Sendable, Codable {
    /// Which stream: `codes`, `indices` or `values`.
    public var role: String
    /// The number of symbols (entries).
    public var count: Int
    /// Bits per symbol in the fixed-width form.
    public var width: Int
    /// The codec used.
    public var codec: EntropyCodec
    /// Bytes of the coded payload (with its Huffman table, if any).
    public var payloadBytes: Int
    /// Shannon's bound for the symbols, in bits (fixed width for float values).
    public var entropyBits: Double

    /// Bytes of the fixed-width form.
    public var rawBytes: Int { (count * width + 7) / 8 }
}
