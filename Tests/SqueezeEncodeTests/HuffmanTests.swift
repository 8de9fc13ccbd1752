import PropertyBased
import SqueezeEncode
import Testing

@Suite("Canonical Huffman coding")
struct HuffmanTests {
    /// Symbol streams with very different statistics.
    static let streams: [(String, [UInt16], Int)] = {
        var generator = SystemRandomNumberGenerator()
        var skewed: [UInt16] = []
        // Fibonacci frequencies force codes longer than the 12-bit limit.
        var (a, b) = (1, 1)
        for s in 0..<24 {
            skewed += [UInt16](repeating: UInt16(s), count: a)
            (a, b) = (b, a + b)
        }
        let uniform = (0..<20_000).map { _ in UInt16.random(in: 0..<256, using: &generator) }
        let geometric = (0..<20_000).map { _ -> UInt16 in
            var s: UInt16 = 0
            while Bool.random(using: &generator), s < 200 { s += 1 }
            return s
        }
        let wide = (0..<30_000).map { _ in UInt16.random(in: 0...UInt16.max, using: &generator) }
        return [
            ("empty", [], 256), ("one symbol", [UInt16](repeating: 7, count: 1000), 256),
            ("two symbols", [0, 1, 1, 0, 1], 2), ("uniform 256", uniform, 256), ("geometric", geometric, 256),
            ("Fibonacci", skewed, 24), ("alphabet 65536", wide, 1 << 16),
        ]
    }()

    @Test("round trip through lengths only", arguments: streams)
    func roundTrip(name: String, symbols: [UInt16], alphabet: Int) throws {
        let frequencies = Entropy.frequencies(of: symbols, alphabetSize: alphabet)
        let code = HuffmanCode(frequencies: frequencies)
        let bytes = try code.encode(symbols)
        let stored = code.serializedLengths()
        let (decoder, used) = try HuffmanCode.deserialize(stored[...], alphabetSize: alphabet)
        #expect(used == stored.count)
        #expect(try decoder.decode(bytes, count: symbols.count) == symbols, "\(name)")
        // Never worse than the Shannon bound by more than one bit per symbol.
        let bits = code.encodedBits(frequencies: frequencies)
        #expect(Double(bits) <= Entropy.shannonBits(of: frequencies) + Double(symbols.count) + 1e-6)
        #expect(bytes.count == (bits + 7) / 8 || code.lengths.filter { $0 > 0 }.count == 1)
    }

    @Test("lengths are limited and satisfy Kraft's inequality", arguments: [8, 10, 12, 15])
    func lengthLimit(limit: Int) {
        var frequencies: [Int] = []
        var (a, b) = (1, 1)
        for _ in 0..<30 { frequencies.append(a); (a, b) = (b, a + b) }
        let code = HuffmanCode(frequencies: frequencies, maximumLength: limit)
        #expect(code.longestLength <= limit)
        let kraft = code.lengths.filter { $0 > 0 }.reduce(0.0) { $0 + 1 / Double(1 << Int($1)) }
        #expect(kraft <= 1.0 + 1e-12)
        #expect(code.lengths.allSatisfy { $0 > 0 })
    }

    @Test("invalid length tables are refused")
    func invalidLengths() {
        #expect(throws: EncodingError.self) { try HuffmanCode(lengths: [1, 1, 1]) }
        #expect(throws: EncodingError.self) { try HuffmanCode(lengths: [1, 2, 0]) }
        #expect(throws: EncodingError.self) { try HuffmanCode(lengths: [30, 1]) }
    }

    @Test("every truncation and every flipped byte of a small stream throws or decodes, never crashes")
    func corruption() throws {
        let symbols: [UInt16] = (0..<300).map { UInt16(($0 * 7919) % 37) }
        let code = HuffmanCode(frequencies: Entropy.frequencies(of: symbols, alphabetSize: 40))
        let bytes = try code.encode(symbols)
        for length in 0..<bytes.count {
            #expect(throws: EncodingError.truncated) { try code.decode(Array(bytes.prefix(length)), count: symbols.count) }
        }
        for i in bytes.indices {
            var flipped = bytes
            flipped[i] ^= 0xFF
            // A complete code decodes any bits; what matters is that it never reads out of bounds.
            _ = try? code.decode(flipped, count: symbols.count)
        }
        #expect(throws: EncodingError.self) { try HuffmanCode.deserialize([0xFF, 0xFF, 0xFF][...], alphabetSize: 4) }
        #expect(throws: EncodingError.truncated) { try HuffmanCode.deserialize([4, 0x11][...], alphabetSize: 40) }
    }

    @Test("property: any symbol stream round-trips")
    func propertyRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint16(in: 0...300).array(of: 0...2000)) { symbols in
            let code = HuffmanCode(frequencies: Entropy.frequencies(of: symbols, alphabetSize: 301))
            let bytes = try code.encode(symbols)
            let (decoder, _) = try HuffmanCode.deserialize(code.serializedLengths()[...], alphabetSize: 301)
            #expect(try decoder.decode(bytes, count: symbols.count) == symbols)
        }
    }
}

@Suite("Bits, checksums, entropy, relative indices, zstd")
struct CodingPrimitiveTests {
    @Test("CRC-32C check value")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        let split = long.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[500...]),
                                                          continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<500]))) }
        #expect(split == CRC32C.checksum(long))
        // The instruction path (where present) against slicing-by-8, at every
        // length and alignment around its 8-byte steps.
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for end in stride(from: start, through: all.count, by: 7) {
                    let part = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    #expect(CRC32C.checksum(part, continuing: 0x1234_5678) == CRC32C.software(part, continuing: 0x1234_5678))
                }
            }
        }
    }

    @Test("entropy of known distributions")
    func entropy() {
        #expect(Entropy.shannonBits(of: [1, 1, 1, 1]) == 8)
        #expect(Entropy.shannonBits(of: [5, 0, 0]) == 0)
        #expect(abs(Entropy.shannonBits(of: [2, 1, 1]) - 6) < 1e-12)
    }

    @Test("property: bit fields round-trip")
    func bits() async {
        await propertyCheck(count: 200, input: Gen.uint32(in: 0...UInt32.max).array(of: 0...200), Gen.int(in: 1...32)) { values, width in
            var writer = BitWriter()
            for v in values { writer.write(v, width: width) }
            var reader = BitReader(writer.finish())
            let mask: UInt32 = width == 32 ? .max : (1 << UInt32(width)) - 1
            for v in values { #expect((try? reader.read(width: width)) == v & mask) }
            #expect(reader.remainingBits < 8)
        }
    }

    @Test("relative indices with fillers", arguments: [4, 5, 8])
    func relativeIndex(bits: Int) throws {
        let positions: [UInt32] = [0, 3, 4, 40, 41, 300, 1000, 1001]
        let (gaps, filler) = RelativeIndex.encode(positions: positions, bits: bits)
        #expect(gaps.allSatisfy { Int($0) < 1 << bits })
        let decoded = try RelativeIndex.decode(gaps: gaps, elementCount: 1002)
        #expect(zip(decoded, filler).filter { !$0.1 }.map(\.0) == positions)
        #expect(throws: EncodingError.self) { try RelativeIndex.decode(gaps: gaps, elementCount: 1001) }
    }

    @Test("property: zstd round-trips and checks the size")
    func zstd() async {
        await propertyCheck(count: 50, input: Gen.uint8(in: 0...3).array(of: 0...5000)) { bytes in
            let packed = try Zstd.compress(bytes, level: 3)
            #expect(try Zstd.decompress(packed, expectedSize: bytes.count) == bytes)
            #expect(throws: EncodingError.self) { try Zstd.decompress(packed, expectedSize: bytes.count + 1) }
        }
        #expect(throws: EncodingError.self) { try Zstd.decompress([1, 2, 3, 4], expectedSize: 10) }
    }
}
