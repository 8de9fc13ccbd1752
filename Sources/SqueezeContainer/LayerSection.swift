import SqueezeEncode
import SqueezeModel

/// One `LAYR` section: a weighted layer's name, storage, shape, biases, codebook
/// and coded streams (docs/FORMAT.md).
enum LayerSection {
    /// What encoding one layer produced.
    struct Encoded {
        var payload: [UInt8]
        var streams: [StreamStatistics]
        var kind: SqueezeFormat.StorageKind
        var indexBits: Int?
        var codeBits: Int?
        var codebookCount: Int
    }

    static func encode(name: String, parameters: LayerParameters, indexBits: Int,
                       options: ContainerOptions) throws(ContainerError) -> Encoded {
        let sparse = try encodeAsStored(name: name, parameters: parameters, indexBits: indexBits, options: options)
        // A barely pruned layer is cheaper with a code for every weight (zeros
        // included) than with an index stream that is almost all zero gaps.
        guard case .shared(let codebook, let codes, let positions?) = parameters.weights.storage,
              positions.count * 4 > parameters.weights.elementCount * 3
        else { return sparse }
        var book = codebook
        let zero: UInt16
        if let z = book.firstIndex(where: { $0 == 0 && $0.sign == .plus }) {
            zero = UInt16(z)
        } else {
            guard book.count < 1 << 16 else { return sparse }
            zero = UInt16(book.count)
            book.append(0)
        }
        var all = [UInt16](repeating: zero, count: parameters.weights.elementCount)
        for (p, c) in zip(positions, codes) { all[Int(p)] = c }
        var dense = parameters
        dense.weights.storage = .shared(codebook: book, codes: all, positions: nil)
        let alternative = try encodeAsStored(name: name, parameters: dense, indexBits: indexBits, options: options)
        return alternative.payload.count < sparse.payload.count ? alternative : sparse
    }

    private static func encodeAsStored(name: String, parameters: LayerParameters, indexBits: Int,
                                       options: ContainerOptions) throws(ContainerError) -> Encoded {
        var w = ByteWriter()
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= Int(UInt16.max) else { throw .invalidModel("layer name too long") }
        let weights = parameters.weights
        let kind: SqueezeFormat.StorageKind
        switch weights.storage {
        case .dense: kind = .dense
        case .sparse: kind = .sparse
        case .shared(_, _, let positions): kind = positions == nil ? .shared : .sparseShared
        }
        w.u16(UInt16(nameBytes.count))
        w.append(nameBytes)
        w.u8(kind.rawValue)
        w.u8(UInt8(weights.shape.rank))
        for d in weights.shape.dimensions { w.u32(UInt32(d)) }
        w.u32(UInt32(parameters.bias.count))
        w.f32s(parameters.bias)
        var streams: [StreamStatistics] = []
        var codeBits: Int?
        var codebookCount = 0
        var usedIndexBits: Int?
        switch weights.storage {
        case .dense(let values):
            streams.append(try StreamCoding.writeFloats(values, codec: options.codec, role: "values",
                                                        zstdLevel: options.zstdLevel, into: &w))
        case .sparse(let positions, let values):
            let (gaps, filler) = RelativeIndex.encode(positions: positions, bits: indexBits)
            var stored: [Float] = []
            stored.reserveCapacity(gaps.count)
            var v = values.makeIterator()
            for f in filler { stored.append(f ? 0 : v.next()!) }
            w.u8(UInt8(indexBits))
            usedIndexBits = indexBits
            streams.append(try StreamCoding.writeSymbols(gaps, alphabet: 1 << indexBits, width: indexBits, codec: options.codec,
                                                         role: "indices", zstdLevel: options.zstdLevel, into: &w))
            streams.append(try StreamCoding.writeFloats(stored, codec: options.codec, role: "values",
                                                        zstdLevel: options.zstdLevel, into: &w))
        case .shared(let codebook, let codes, let positions):
            // Keep only the codebook entries in use; expanded weights are unchanged.
            var used = [Bool](repeating: false, count: codebook.count)
            for c in codes { used[Int(c)] = true }
            var remap = [UInt16](repeating: 0, count: codebook.count)
            var compact: [Float] = []
            for (i, u) in used.enumerated() where u {
                remap[i] = UInt16(compact.count)
                compact.append(codebook[i])
            }
            if compact.isEmpty { compact = [0] }
            let mapped = codes.map { remap[Int($0)] }
            w.u32(UInt32(compact.count))
            w.f32s(compact)
            codebookCount = compact.count
            if let positions {
                // Symbol `compact.count` marks a filler entry (a zero weight).
                let alphabet = compact.count + 1
                let width = bitWidth(alphabet)
                codeBits = bitWidth(compact.count)
                let (gaps, filler) = RelativeIndex.encode(positions: positions, bits: indexBits)
                var stored: [UInt16] = []
                stored.reserveCapacity(gaps.count)
                var m = mapped.makeIterator()
                for f in filler { stored.append(f ? UInt16(compact.count) : m.next()!) }
                w.u8(UInt8(indexBits))
                usedIndexBits = indexBits
                streams.append(try StreamCoding.writeSymbols(stored, alphabet: alphabet, width: width, codec: options.codec,
                                                             role: "codes", zstdLevel: options.zstdLevel, into: &w))
                streams.append(try StreamCoding.writeSymbols(gaps, alphabet: 1 << indexBits, width: indexBits,
                                                             codec: options.codec, role: "indices",
                                                             zstdLevel: options.zstdLevel, into: &w))
            } else {
                let width = bitWidth(compact.count)
                codeBits = width
                streams.append(try StreamCoding.writeSymbols(mapped, alphabet: compact.count, width: width, codec: options.codec,
                                                             role: "codes", zstdLevel: options.zstdLevel, into: &w))
            }
        }
        return Encoded(payload: w.bytes, streams: streams, kind: kind, indexBits: usedIndexBits, codeBits: codeBits,
                       codebookCount: codebookCount)
    }

    /// Bits needed to write the values `0..<count` (at least 1).
    static func bitWidth(_ count: Int) -> Int {
        var bits = 1
        while (1 << bits) < count { bits += 1 }
        return bits
    }

    static func decode(_ reader: inout ByteReader) throws(ContainerError) -> (String, LayerParameters) {
        let nameLength = Int(try reader.u16("layer name length"))
        let nameBytes = try reader.slice(nameLength, "layer name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw reader.failure("layer name is not UTF-8") }
        let kindByte = try reader.u8("storage kind")
        guard let kind = SqueezeFormat.StorageKind(rawValue: kindByte) else { throw reader.failure("unknown storage kind \(kindByte)") }
        let rank = Int(try reader.u8("rank"))
        guard (1...4).contains(rank) else { throw reader.failure("weight rank \(rank)") }
        var dims: [Int] = []
        for _ in 0..<rank { dims.append(Int(try reader.u32("shape"))) }
        let elementCount = dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard elementCount > 0, elementCount <= 1 << 31 else { throw reader.failure("weight shape \(dims) is absurd") }
        let shape = TensorShape(dims)
        let biasCount = Int(try reader.u32("bias count"))
        let bias = try reader.f32s(biasCount, "biases")
        // No stream can hold more entries than the section has bits.
        let maxEntries = min(reader.remaining * 8, 2 * elementCount + 1)
        let storage: WeightTensor.Storage
        switch kind {
        case .dense:
            let values = try StreamCoding.readFloats(&reader, role: "values", maximumCount: elementCount)
            guard values.count == elementCount else { throw reader.failure("\(values.count) values for \(elementCount) weights") }
            storage = .dense(values)
        case .sparse:
            let bits = Int(try reader.u8("index bits"))
            guard (1...16).contains(bits) else { throw reader.failure("index width \(bits) bits") }
            let (gaps, _, _) = try StreamCoding.readSymbols(&reader, role: "indices", maximumCount: maxEntries)
            let values = try StreamCoding.readFloats(&reader, role: "values", maximumCount: maxEntries)
            guard values.count == gaps.count else { throw reader.failure("\(gaps.count) indices but \(values.count) values") }
            let positions = try entryPositions(gaps, elementCount: elementCount, reader: reader)
            var kept: [UInt32] = [], keptValues: [Float] = []
            for (p, v) in zip(positions, values) where v != 0 { kept.append(p); keptValues.append(v) }
            storage = .sparse(positions: kept, values: keptValues)
        case .shared, .sparseShared:
            let codebookCount = Int(try reader.u32("codebook size"))
            guard (1...(1 << 16)).contains(codebookCount) else { throw reader.failure("codebook of \(codebookCount) entries") }
            let codebook = try reader.f32s(codebookCount, "codebook")
            if kind == .shared {
                let (codes, alphabet, _) = try StreamCoding.readSymbols(&reader, role: "codes", maximumCount: elementCount)
                guard alphabet == codebookCount, codes.count == elementCount else {
                    throw reader.failure("\(codes.count) codes over \(alphabet) symbols for \(elementCount) weights and \(codebookCount) centroids")
                }
                storage = .shared(codebook: codebook, codes: codes, positions: nil)
            } else {
                let bits = Int(try reader.u8("index bits"))
                guard (1...16).contains(bits) else { throw reader.failure("index width \(bits) bits") }
                let (codes, alphabet, _) = try StreamCoding.readSymbols(&reader, role: "codes", maximumCount: maxEntries)
                guard alphabet == codebookCount + 1 else { throw reader.failure("codes over \(alphabet) symbols for \(codebookCount) centroids") }
                let (gaps, _, _) = try StreamCoding.readSymbols(&reader, role: "indices", maximumCount: maxEntries)
                guard gaps.count == codes.count else { throw reader.failure("\(gaps.count) indices but \(codes.count) codes") }
                let positions = try entryPositions(gaps, elementCount: elementCount, reader: reader)
                let (kept, keptCodes) = dropFillers(positions, codes, filler: UInt16(codebookCount))
                storage = .shared(codebook: codebook, codes: keptCodes, positions: kept)
            }
        }
        guard reader.remaining == 0 else { throw reader.failure("\(reader.remaining) unexplained bytes at the end of the layer") }
        return (name, LayerParameters(weights: WeightTensor(shape: shape, storage: storage), bias: bias))
    }

    /// The entries whose code is not the filler symbol.
    private static func dropFillers(_ positions: [UInt32], _ codes: [UInt16], filler: UInt16) -> ([UInt32], [UInt16]) {
        var kept = [UInt32](repeating: 0, count: codes.count), keptCodes = [UInt16](repeating: 0, count: codes.count)
        var n = 0
        kept.withUnsafeMutableBufferPointer { k in
            keptCodes.withUnsafeMutableBufferPointer { kc in
                for i in 0..<codes.count where codes[i] != filler {
                    k[n] = positions[i]
                    kc[n] = codes[i]
                    n += 1
                }
            }
        }
        kept.removeLast(codes.count - n)
        keptCodes.removeLast(codes.count - n)
        return (kept, keptCodes)
    }

    private static func entryPositions(_ gaps: [UInt16], elementCount: Int, reader: ByteReader) throws(ContainerError) -> [UInt32] {
        do { return try RelativeIndex.decode(gaps: gaps, elementCount: elementCount) } catch { throw reader.failure("indices: \(error)") }
    }
}
