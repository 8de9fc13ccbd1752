/// How `SqueezeContainer.encode` stores a model.
public struct ContainerOptions: Hashable, Sendable, Codable {
    /// The entropy coder for codebook indices and relative indices.
    public var codec: EntropyCodec
    /// Bits per relative index in convolution layers (the paper: 8).
    public var convolutionIndexBits: Int
    /// Bits per relative index in fully connected layers (the paper: 5).
    public var fullyConnectedIndexBits: Int
    /// The zstd level when `codec` is zstd.
    public var zstdLevel: Int

    /// Options; the defaults are the paper's (Huffman, 8-bit conv and 5-bit fc indices).
    public init(codec: EntropyCodec = .huffman, convolutionIndexBits: Int = 8, fullyConnectedIndexBits: Int = 5,
                zstdLevel: Int = 19) {
        self.codec = codec
        self.convolutionIndexBits = convolutionIndexBits
        self.fullyConnectedIndexBits = fullyConnectedIndexBits
        self.zstdLevel = zstdLevel
    }
}
