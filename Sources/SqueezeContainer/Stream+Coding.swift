import SqueezeEncode

/// One coded stream inside a layer section:
/// `u8 codec, u8 width, u32 count, u32 alphabet, u32 payloadLength, payload`.
enum StreamCoding {
    /// Writes integer symbols (each `< alphabet`, fitting `width` bits).
    static func writeSymbols(_ symbols: [UInt16], alphabet: Int, width: Int, codec: EntropyCodec, role: String,
                             zstdLevel: Int, into writer: inout ByteWriter) throws(ContainerError) -> StreamStatistics {
        let payload: [UInt8]
        let frequencies = Entropy.frequencies(of: symbols, alphabetSize: alphabet)
        do {
            switch codec {
            case .raw:
                payload = pack(symbols, width: width)
            case .zstd:
                payload = try Zstd.compress(pack(symbols, width: width), level: zstdLevel)
            case .huffman:
                let code = HuffmanCode(frequencies: frequencies)
                payload = code.serializedLengths() + (try code.encode(symbols))
            }
        } catch {
            throw .invalidModel("\(role) stream: \(error)")
        }
        writer.u8(codec.byte)
        writer.u8(UInt8(width))
        writer.u32(UInt32(symbols.count))
        writer.u32(UInt32(alphabet))
        writer.u32(UInt32(payload.count))
        writer.append(payload)
        return StreamStatistics(role: role, count: symbols.count, width: width, codec: codec,
                                payloadBytes: payload.count, entropyBits: Entropy.shannonBits(of: frequencies))
    }

    /// Writes float32 values: raw little-endian, or zstd over that.
    static func writeFloats(_ values: [Float], codec: EntropyCodec, role: String, zstdLevel: Int,
                            into writer: inout ByteWriter) throws(ContainerError) -> StreamStatistics {
        var raw = ByteWriter()
        raw.f32s(values)
        let useZstd = codec == .zstd
        var payload = raw.bytes
        if useZstd {
            do { payload = try Zstd.compress(raw.bytes, level: zstdLevel) } catch { throw .invalidModel("\(role) stream: \(error)") }
        }
        writer.u8(useZstd ? EntropyCodec.zstd.byte : EntropyCodec.raw.byte)
        writer.u8(32)
        writer.u32(UInt32(values.count))
        writer.u32(0)
        writer.u32(UInt32(payload.count))
        writer.append(payload)
        return StreamStatistics(role: role, count: values.count, width: 32, codec: useZstd ? .zstd : .raw,
                                payloadBytes: payload.count, entropyBits: Double(32 * values.count))
    }

    /// Reads a symbol stream; checks every symbol against the alphabet.
    static func readSymbols(_ reader: inout ByteReader, role: String, maximumCount: Int) throws(ContainerError) -> (symbols: [UInt16], alphabet: Int, width: Int) {
        let (codec, width, count, alphabet, payload) = try header(&reader, role: role, maximumCount: maximumCount)
        guard (1...16).contains(width), alphabet >= 1, alphabet <= 1 << width else {
            throw reader.failure("\(role) stream: width \(width) bits with an alphabet of \(alphabet)")
        }
        let symbols: [UInt16]
        do {
            switch codec {
            case .raw:
                symbols = try unpack(Array(payload), count: count, width: width)
            case .zstd:
                let raw = try Zstd.decompress(Array(payload), expectedSize: (count * width + 7) / 8)
                symbols = try unpack(raw, count: count, width: width)
            case .huffman:
                let (code, used) = try HuffmanCode.deserialize(payload, alphabetSize: alphabet)
                symbols = try code.decode(Array(payload.dropFirst(used)), count: count)
            }
        } catch {
            throw reader.failure("\(role) stream: \(error)")
        }
        // A Huffman table built for `alphabet` symbols cannot produce others.
        if codec != .huffman, let bad = symbols.first(where: { Int($0) >= alphabet }) {
            throw reader.failure("\(role) stream: symbol \(bad) outside the alphabet of \(alphabet)")
        }
        return (symbols, alphabet, width)
    }

    /// Reads a float32 stream.
    static func readFloats(_ reader: inout ByteReader, role: String, maximumCount: Int) throws(ContainerError) -> [Float] {
        let (codec, width, count, _, payload) = try header(&reader, role: role, maximumCount: maximumCount)
        guard width == 32, codec != .huffman else { throw reader.failure("\(role) stream is not float32") }
        var raw = Array(payload)
        if codec == .zstd {
            do { raw = try Zstd.decompress(raw, expectedSize: 4 * count) } catch { throw reader.failure("\(role) stream: \(error)") }
        }
        guard raw.count == 4 * count else { throw reader.failure("\(role) stream holds \(raw.count) bytes for \(count) values") }
        var inner = ByteReader(raw, range: 0..<raw.count, file: reader.file, section: reader.section)
        return try inner.f32s(count, role)
    }

    private static func header(_ reader: inout ByteReader, role: String, maximumCount: Int) throws(ContainerError)
        -> (EntropyCodec, Int, Int, Int, ArraySlice<UInt8>)
    {
        let codecByte = try reader.u8("\(role) codec")
        guard let codec = EntropyCodec(byte: codecByte) else { throw reader.failure("\(role) stream: unknown codec \(codecByte)") }
        let width = Int(try reader.u8("\(role) width"))
        let count = Int(try reader.u32("\(role) count"))
        guard count <= maximumCount else {
            throw reader.failure("\(role) stream claims \(count) entries, more than the layer can hold")
        }
        let alphabet = Int(try reader.u32("\(role) alphabet"))
        let length = Int(try reader.u32("\(role) length"))
        let payload = try reader.slice(length, "\(role) payload")
        return (codec, width, count, alphabet, payload)
    }

    /// Fixed-width packing, least-significant bit first.
    static func pack(_ symbols: [UInt16], width: Int) -> [UInt8] {
        var writer = BitWriter(capacity: (symbols.count * width + 7) / 8)
        for s in symbols { writer.write(UInt32(s), width: width) }
        return writer.finish()
    }

    static func unpack(_ bytes: [UInt8], count: Int, width: Int) throws(EncodingError) -> [UInt16] {
        guard bytes.count == (count * width + 7) / 8 else { throw .corrupt("\(bytes.count) bytes for \(count) entries of \(width) bits") }
        var reader = BitReader(bytes)
        var symbols = [UInt16](repeating: 0, count: count)
        for i in 0..<count { symbols[i] = UInt16(try reader.read(width: width)) }
        return symbols
    }
}
