import SqueezeEncode
import SqueezeModel

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

    /// A stream's header read and checked, its payload located but not decoded.
    struct Layout {
        var role: String
        var codec: EntropyCodec
        var width: Int
        var count: Int
        var alphabet: Int
        var payload: ArraySlice<UInt8>

        /// Bytes the decoded form takes while decoding: the unpacked symbols
        /// (2 bytes each) or floats (4 bytes, and a raw copy), plus the
        /// fixed-width bytes a zstd frame expands to.
        var decodedBytes: Int {
            let entries = alphabet == 0 ? Checked.saturatingMultiply(count, 8) : Checked.saturatingMultiply(count, 2)
            let packed = codec == .zstd ? Checked.saturatingMultiply(count, width) / 8 + 1 : 0
            return Checked.saturatingAdd(entries, packed)
        }
    }

    /// Reads a symbol stream's header; checks width, alphabet and count.
    static func symbolLayout(_ reader: inout ByteReader, role: String, maximumCount: Int) throws(ContainerError) -> Layout {
        let layout = try header(&reader, role: role, maximumCount: maximumCount)
        guard (1...16).contains(layout.width), layout.alphabet >= 1, layout.alphabet <= 1 << layout.width else {
            throw reader.failure("\(role) stream: width \(layout.width) bits with an alphabet of \(layout.alphabet)")
        }
        return layout
    }

    /// Reads a float32 stream's header.
    static func floatLayout(_ reader: inout ByteReader, role: String, maximumCount: Int) throws(ContainerError) -> Layout {
        let layout = try header(&reader, role: role, maximumCount: maximumCount)
        guard layout.width == 32, layout.codec != .huffman else { throw reader.failure("\(role) stream is not float32") }
        if layout.codec == .raw, layout.payload.count != 4 * layout.count {
            throw reader.failure("\(role) stream holds \(layout.payload.count) bytes for \(layout.count) values")
        }
        return layout
    }

    /// Decodes a symbol stream; checks every symbol against the alphabet.
    static func decodeSymbols(_ layout: Layout, failure: (String) -> ContainerError) throws(ContainerError) -> [UInt16] {
        let (role, count, width, alphabet, payload) = (layout.role, layout.count, layout.width, layout.alphabet, layout.payload)
        let symbols: [UInt16]
        do {
            switch layout.codec {
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
            throw failure("\(role) stream: \(error)")
        }
        // A Huffman table built for `alphabet` symbols cannot produce others.
        if layout.codec != .huffman, let bad = symbols.first(where: { Int($0) >= alphabet }) {
            throw failure("\(role) stream: symbol \(bad) outside the alphabet of \(alphabet)")
        }
        return symbols
    }

    /// Decodes a float32 stream.
    static func decodeFloats(_ layout: Layout, failure: (String) -> ContainerError) throws(ContainerError) -> [Float] {
        let (role, count) = (layout.role, layout.count)
        var raw = Array(layout.payload)
        if layout.codec == .zstd {
            do { raw = try Zstd.decompress(raw, expectedSize: 4 * count) } catch { throw failure("\(role) stream: \(error)") }
        }
        guard raw.count == 4 * count else { throw failure("\(role) stream holds \(raw.count) bytes for \(count) values") }
        return raw.withUnsafeBytes { bytes in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    private static func header(_ reader: inout ByteReader, role: String, maximumCount: Int) throws(ContainerError) -> Layout {
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
        return Layout(role: role, codec: codec, width: width, count: count, alphabet: alphabet, payload: payload)
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
