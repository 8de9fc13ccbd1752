import Foundation
import SqueezeModel

/// Reads the weight file of the Deep-Compression release (`compressed_SqueezeNet.net`).
///
/// Layout (little-endian): `uint32 nnz[L]` for the L weighted layers in
/// definition order, then per layer `float32 codebook[256]`, `float32 bias[out]`,
/// `uint8 code[nnz]`, and `nnz` 4-bit gaps packed two per byte, low nibble first
/// (`(nnz - 1) / 2 + 1` bytes). Entry i sits `gap_i + 1` after entry i-1; the first
/// at `gap_0`. Entries whose code maps to 0.0 only bridge long gaps ("filler
/// zeros") and are dropped: the result stores exactly the non-zero weights, as
/// 8-bit codes into the layer's codebook, so expanding it gives the same dense
/// tensor bit for bit.
public enum DeepCompressionFile {
    /// The codebook size of the release: 8-bit weight sharing.
    public static let codebookSize = 256

    /// The largest file read: 1 GiB (the release's is 660 KiB; a layer stores
    /// at most 2^32 - 1 entries, one byte and a half each).
    public static let maximumFileSize = 1 << 30

    /// Reads the file at `url` for `network`, refusing a decode that would need
    /// more than `memoryLimit`.
    public static func read(contentsOf url: URL, network: Network,
                            memoryLimit: MemoryLimit = .current) throws(ReaderError) -> Model {
        try decode(FileBytes.read(url, maximumSize: maximumFileSize), network: network, source: url.path,
                   memoryLimit: memoryLimit)
    }

    /// Decodes the file's bytes for `network`; `source` names it in errors.
    public static func decode(_ data: Data, network: Network, source: String,
                              memoryLimit: MemoryLimit = .current) throws(ReaderError) -> Model {
        let shapes: NetworkShapes
        do { shapes = try network.inferShapes() } catch { throw .invalidNetwork(file: source, reason: "\(error)") }
        let weighted = zip(network.layers, shapes.layers).filter { $0.0.kind.hasWeights }
        guard !weighted.isEmpty else { throw .invalidNetwork(file: source, reason: "the network has no weighted layers") }

        let result = data.withUnsafeBytes { raw in
            Result { () throws(ReaderError) -> Model in
                try decode(raw, weighted: weighted, network: network, source: source, memoryLimit: memoryLimit)
            }
        }
        return try result.get()
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, weighted: [(Layer, LayerShapes)], network: Network,
                               source: String, memoryLimit: MemoryLimit) throws(ReaderError) -> Model {
        var reader = LittleEndianCursor(raw)
        let headerBytes = 4 * weighted.count
        guard reader.remaining >= headerBytes else {
            throw .truncated(file: source, layer: "header (\(weighted.count) entry counts)",
                             needed: headerBytes, available: reader.remaining)
        }
        let counts = (0..<weighted.count).map { _ in Int(reader.uint32()) }
        // Each stored entry becomes a position and a code (6 bytes); the file
        // must hold 1.5 bytes per entry, so only a file that is truncated
        // anyway can ask for more than 4 bytes per byte of it.
        var estimate = MemoryEstimate("decoding the weights")
        for ((layer, _), stored) in zip(weighted, counts) {
            estimate.add("layer '\(layer.name)' (\(stored) stored entries)", count: min(stored, 2 * raw.count), elementBytes: 6)
        }
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }
        var parameters: [String: LayerParameters] = [:]
        for ((layer, layerShapes), stored) in zip(weighted, counts) {
            guard let shape = layerShapes.weight else { continue }
            let outputs = shape[0]
            let gapBytes = (stored - 1) / 2 + 1
            let needed = 4 * codebookSize + 4 * outputs + stored + gapBytes
            guard reader.remaining >= needed else {
                throw .truncated(file: source, layer: layer.name, needed: needed, available: reader.remaining)
            }
            let codebook = reader.floats(codebookSize)
            let bias = reader.floats(outputs)
            let codes = reader.bytes(stored)
            let gaps = reader.bytes(gapBytes)
            let tensor = try decodeLayer(codebook: codebook, codes: codes, gaps: gaps, shape: shape,
                                         layer: layer.name, source: source)
            parameters[layer.name] = LayerParameters(weights: tensor, bias: layerShapes.biasCount > 0 ? bias : [])
        }
        if reader.remaining > 0 { throw .trailingBytes(file: source, count: reader.remaining) }
        let model = Model(network: network, parameters: parameters)
        do { try model.validate() } catch { throw .invalidWeights(file: source, reason: "\(error)") }
        return model
    }

    private static func decodeLayer(codebook: [Float], codes: UnsafeRawBufferPointer, gaps: UnsafeRawBufferPointer,
                                    shape: TensorShape, layer: String, source: String) throws(ReaderError) -> WeightTensor {
        let count = shape.elementCount
        var positions: [UInt32] = []
        var kept: [UInt16] = []
        positions.reserveCapacity(codes.count)
        kept.reserveCapacity(codes.count)
        var position = -1
        for i in 0..<codes.count {
            let byte = gaps[i >> 1]
            let gap = Int(i & 1 == 0 ? byte & 0x0F : byte >> 4)
            position += gap + 1
            guard position < count else {
                throw .invalidWeights(file: source, reason: "layer '\(layer)': entry \(i) lands at position \(position), beyond its \(count) weights")
            }
            let code = codes[i]
            // Filler entries only bridge gaps longer than 15.
            if codebook[Int(code)] != 0 {
                positions.append(UInt32(position))
                kept.append(UInt16(code))
            }
        }
        return WeightTensor(shape: shape, storage: .shared(codebook: codebook, codes: kept, positions: positions))
    }
}
