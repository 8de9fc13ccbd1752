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

    /// Entries the streams of `weights` hold: every weight for the dense
    /// forms, and for pruned ones the stored entries plus the fillers that
    /// bridge gaps wider than `indexBits` (and at most every weight, the form
    /// a barely pruned shared layer may take instead).
    static func storedEntries(_ weights: WeightTensor, indexBits: Int) -> Int {
        guard let positions = weights.positions else { return weights.elementCount }
        let span = 1 << indexBits
        var entries = positions.count, previous = -1
        for p in positions {
            entries = Checked.saturatingAdd(entries, (Int(p) - previous - 1) / span)
            previous = Int(p)
        }
        return weights.isShared ? max(entries, min(weights.elementCount, entries * 4)) : entries
    }

    /// Bits needed to write the values `0..<count` (at least 1).
    static func bitWidth(_ count: Int) -> Int {
        var bits = 1
        while (1 << bits) < count { bits += 1 }
        return bits
    }

    /// A layer section's fields read and checked, its streams located but not
    /// decoded: cheap, so the container can check names, order and memory for
    /// every layer before decoding any.
    struct Layout {
        var name: String
        var kind: SqueezeFormat.StorageKind
        var shape: TensorShape
        var bias: [Float]
        var codebook: [Float]
        var streams: [StreamCoding.Layout]
        /// For failure messages.
        var reader: ByteReader

        /// Bytes decoding allocates: the expanded streams, and per stored entry
        /// a position and the kept value or code.
        var decodedBytes: Int {
            var total = 0
            for stream in streams { total = Checked.saturatingAdd(total, stream.decodedBytes) }
            let entries = streams.first?.count ?? 0
            let perEntry: Int
            switch kind {
            case .dense, .shared: perEntry = 0
            case .sparse: perEntry = 12
            case .sparseShared: perEntry = 10
            }
            return Checked.saturatingAdd(total, Checked.saturatingMultiply(entries, perEntry))
        }
    }

    /// Reads a section's fields and stream headers (docs/FORMAT.md).
    static func layout(_ reader: inout ByteReader) throws(ContainerError) -> Layout {
        let nameLength = Int(try reader.u16("layer name length"))
        let nameBytes = try reader.slice(nameLength, "layer name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw reader.failure("layer name is not UTF-8") }
        let kindByte = try reader.u8("storage kind")
        guard let kind = SqueezeFormat.StorageKind(rawValue: kindByte) else { throw reader.failure("unknown storage kind \(kindByte)") }
        let rank = Int(try reader.u8("rank"))
        guard (1...4).contains(rank) else { throw reader.failure("weight rank \(rank)") }
        var dims: [Int] = []
        for _ in 0..<rank { dims.append(Int(try reader.u32("shape"))) }
        let shape = TensorShape(dims)
        if let failure = shape.limitFailure { throw reader.failure("weight \(failure)") }
        let elementCount = shape.elementCount
        let biasCount = Int(try reader.u32("bias count"))
        let bias = try reader.f32s(biasCount, "biases")
        // No stream can hold more entries than the section has bits, nor more
        // than every weight and a filler before each.
        var maxEntries: Int { min(reader.remaining * 8, 2 * elementCount + 1) }
        var codebook: [Float] = []
        var streams: [StreamCoding.Layout] = []
        switch kind {
        case .dense:
            streams.append(try StreamCoding.floatLayout(&reader, role: "values", maximumCount: elementCount))
            guard streams[0].count == elementCount else {
                throw reader.failure("\(streams[0].count) values for \(elementCount) weights")
            }
        case .sparse:
            let bits = Int(try reader.u8("index bits"))
            guard (1...16).contains(bits) else { throw reader.failure("index width \(bits) bits") }
            streams.append(try StreamCoding.symbolLayout(&reader, role: "indices", maximumCount: maxEntries))
            streams.append(try StreamCoding.floatLayout(&reader, role: "values", maximumCount: maxEntries))
            guard streams[1].count == streams[0].count else {
                throw reader.failure("\(streams[0].count) indices but \(streams[1].count) values")
            }
        case .shared, .sparseShared:
            let codebookCount = Int(try reader.u32("codebook size"))
            guard (1...(1 << 16)).contains(codebookCount) else { throw reader.failure("codebook of \(codebookCount) entries") }
            codebook = try reader.f32s(codebookCount, "codebook")
            if kind == .shared {
                let codes = try StreamCoding.symbolLayout(&reader, role: "codes", maximumCount: elementCount)
                guard codes.alphabet == codebookCount, codes.count == elementCount else {
                    throw reader.failure("\(codes.count) codes over \(codes.alphabet) symbols for \(elementCount) weights and \(codebookCount) centroids")
                }
                streams.append(codes)
            } else {
                let bits = Int(try reader.u8("index bits"))
                guard (1...16).contains(bits) else { throw reader.failure("index width \(bits) bits") }
                let codes = try StreamCoding.symbolLayout(&reader, role: "codes", maximumCount: maxEntries)
                guard codes.alphabet == codebookCount + 1 else {
                    throw reader.failure("codes over \(codes.alphabet) symbols for \(codebookCount) centroids")
                }
                let gaps = try StreamCoding.symbolLayout(&reader, role: "indices", maximumCount: maxEntries)
                guard gaps.count == codes.count else { throw reader.failure("\(gaps.count) indices but \(codes.count) codes") }
                streams += [codes, gaps]
            }
        }
        guard reader.remaining == 0 else { throw reader.failure("\(reader.remaining) unexplained bytes at the end of the layer") }
        return Layout(name: name, kind: kind, shape: shape, bias: bias, codebook: codebook, streams: streams, reader: reader)
    }

    /// Decodes the streams of a section read by ``layout(_:)``.
    static func decode(_ layout: Layout) throws(ContainerError) -> LayerParameters {
        let reader = layout.reader
        let elementCount = layout.shape.elementCount
        let storage: WeightTensor.Storage
        switch layout.kind {
        case .dense:
            storage = .dense(try StreamCoding.decodeFloats(layout.streams[0], failure: reader.failure))
        case .sparse:
            let gaps = try StreamCoding.decodeSymbols(layout.streams[0], failure: reader.failure)
            let values = try StreamCoding.decodeFloats(layout.streams[1], failure: reader.failure)
            let positions = try entryPositions(gaps, elementCount: elementCount, reader: reader)
            var kept: [UInt32] = [], keptValues: [Float] = []
            for (p, v) in zip(positions, values) where v != 0 { kept.append(p); keptValues.append(v) }
            storage = .sparse(positions: kept, values: keptValues)
        case .shared:
            let codes = try StreamCoding.decodeSymbols(layout.streams[0], failure: reader.failure)
            storage = .shared(codebook: layout.codebook, codes: codes, positions: nil)
        case .sparseShared:
            let codes = try StreamCoding.decodeSymbols(layout.streams[0], failure: reader.failure)
            let gaps = try StreamCoding.decodeSymbols(layout.streams[1], failure: reader.failure)
            let positions = try entryPositions(gaps, elementCount: elementCount, reader: reader)
            let (kept, keptCodes) = dropFillers(positions, codes, filler: UInt16(layout.codebook.count))
            storage = .shared(codebook: layout.codebook, codes: keptCodes, positions: kept)
        }
        return LayerParameters(weights: WeightTensor(shape: layout.shape, storage: storage), bias: layout.bias)
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
