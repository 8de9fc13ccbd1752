/// Why a stream could not be encoded or decoded.
public enum EncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The encoded bytes end before the stream does.
    case truncated
    /// A Huffman code-length table that describes no valid prefix code.
    case invalidCodeLengths(String)
    /// Bits that decode to no symbol, or a stream that does not fit its header.
    case corrupt(String)
    /// A symbol outside the alphabet was given to an encoder.
    case symbolOutOfRange(Int, alphabetSize: Int)
    /// zstd refused the data.
    case zstd(String)
    /// A size that cannot be right (negative, or beyond what a model can need).
    case absurdSize(Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .truncated: "the stream ends early"
        case .invalidCodeLengths(let why): "invalid Huffman code lengths: \(why)"
        case .corrupt(let why): "corrupt stream: \(why)"
        case .symbolOutOfRange(let symbol, let size): "symbol \(symbol) is outside the alphabet of \(size)"
        case .zstd(let message): "zstd: \(message)"
        case .absurdSize(let size): "absurd size \(size)"
        }
    }
}
