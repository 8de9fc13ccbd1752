extension HuffmanCode {
    /// Encodes `symbols`, least-significant bit first, zero-padded to a byte.
    public func encode(_ symbols: [UInt16]) throws(EncodingError) -> [UInt8] {
        var writer = BitWriter(capacity: symbols.count)
        let size = alphabetSize
        let single = lengths.filter { $0 > 0 }.count == 1
        for s in symbols {
            let symbol = Int(s)
            guard symbol < size, lengths[symbol] > 0 else { throw .symbolOutOfRange(symbol, alphabetSize: size) }
            // A one-symbol code needs no bits: the count says everything.
            if single { continue }
            writer.write(reversedCodes[symbol], width: Int(lengths[symbol]))
        }
        return writer.finish()
    }

    /// Decodes exactly `count` symbols from `bytes`.
    public func decode(_ bytes: [UInt8], count: Int) throws(EncodingError) -> [UInt16] {
        guard count >= 0 else { throw .absurdSize(count) }
        let used = lengths.indices.filter { lengths[$0] > 0 }
        if count == 0 { return [] }
        guard !used.isEmpty else { throw .corrupt("symbols stored with an empty code") }
        if used.count == 1 { return [UInt16](repeating: UInt16(used[0]), count: count) }
        // Every symbol takes at least one bit: refuse counts the bytes cannot hold
        // before allocating for them.
        guard count <= bytes.count * 8 else { throw .truncated }
        let table = DecodingTable(self)
        return try table.decode(bytes, count: count)
    }
}

/// A lookup table on the next `bits` input bits (at most 11, so building it
/// stays cheap for every stream of a container) holding the symbol and code
/// length; the rare longer codes are looked up by length afterwards.
struct DecodingTable {
    let bits: Int
    let longest: Int
    /// `symbol << 8 | length`; length 0 marks bit patterns no code starts
    /// with, `longMark` the prefixes of codes longer than `bits`.
    let entries: [UInt32]
    /// Per length above `bits`: reversed code -> symbol.
    let long: [[UInt32: UInt16]]
    static let longMark: UInt32 = 0xFF
    static let maximumBits = 11

    init(_ code: HuffmanCode) {
        let longest = max(code.longestLength, 1)
        let bits = min(longest, Self.maximumBits)
        var entries = [UInt32](repeating: 0, count: 1 << bits)
        var long = [[UInt32: UInt16]](repeating: [:], count: longest + 1)
        for (symbol, l) in code.lengths.enumerated() where l > 0 {
            let length = Int(l)
            if length > bits {
                long[length][code.reversedCodes[symbol]] = UInt16(symbol)
                entries[Int(code.reversedCodes[symbol]) & ((1 << bits) - 1)] = Self.longMark
                continue
            }
            let entry = UInt32(symbol) << 8 | UInt32(length)
            // Every table index whose low `length` bits are this code.
            var index = Int(code.reversedCodes[symbol])
            while index < entries.count {
                entries[index] = entry
                index += 1 << length
            }
        }
        self.bits = bits
        self.longest = longest
        self.entries = entries
        self.long = long
    }

    /// The symbol and length of a code longer than `bits` at the start of `buffer`.
    private func longCode(_ buffer: UInt64) -> UInt32? {
        for length in (bits + 1)...longest {
            if let symbol = long[length][UInt32(truncatingIfNeeded: buffer & ((1 << UInt64(length)) - 1))] {
                return UInt32(symbol) << 8 | UInt32(length)
            }
        }
        return nil
    }

    func decode(_ bytes: [UInt8], count: Int) throws(EncodingError) -> [UInt16] {
        let totalBits = bytes.count * 8
        let mask = UInt64((1 << bits) - 1)
        var failure: EncodingError?
        let output = [UInt16](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBufferPointer { input in
                entries.withUnsafeBufferPointer { table in
                    var buffer: UInt64 = 0
                    var buffered = 0
                    var next = 0
                    var i = 0
                    // The table entry of the code at the start of the buffer
                    // (length 0: no code starts with these bits).
                    func lookup() -> UInt32 {
                        let entry = table[Int(truncatingIfNeeded: buffer & mask)]
                        return entry == Self.longMark ? longCode(buffer) ?? 0 : entry
                    }
                    // Stores the entry's symbol and drops its bits. Wrapping
                    // operators: codes are at most 24 bits, so every shift is
                    // below 64, and no count can overflow.
                    func take(_ entry: UInt32) {
                        let length = Int(truncatingIfNeeded: entry & 0xFF)
                        out[i] = UInt16(truncatingIfNeeded: entry &>> 8)
                        buffer &>>= UInt64(length)
                        buffered &-= length
                        i &+= 1
                    }
                    // While eight whole bytes remain, refill with one load: the
                    // buffer then holds at least 56 bits, so codes up to that
                    // long decode without refills or bounds checks. Bits above
                    // `buffered` are the stream's next bits, so the next load
                    // ORs the same values over them.
                    if longest <= 56, let base = input.baseAddress {
                        let raw = UnsafeRawPointer(base)
                        while next + 8 <= input.count, i < count {
                            buffer |= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: next, as: UInt64.self)) &<< UInt64(buffered)
                            next &+= (63 &- buffered) &>> 3
                            buffered |= 56
                            while buffered >= longest, i < count {
                                let entry = lookup()
                                if entry & 0xFF == 0 {
                                    failure = .corrupt("a bit pattern that starts no code")
                                    initialized = i
                                    return
                                }
                                take(entry)
                            }
                        }
                    }
                    // The last bytes, one at a time; past the end the buffer reads
                    // as zeros, so every code is checked against the bits there are.
                    var consumed = 8 * next - buffered
                    while i < count {
                        if buffered < longest {
                            while buffered <= 56 {
                                if next < input.count { buffer |= UInt64(input[next]) << buffered }
                                next += 1
                                buffered += 8
                            }
                        }
                        let entry = lookup()
                        if entry & 0xFF == 0 {
                            failure = .corrupt("a bit pattern that starts no code")
                            initialized = i
                            return
                        }
                        consumed += Int(entry & 0xFF)
                        if consumed > totalBits {
                            failure = .truncated
                            initialized = i
                            return
                        }
                        take(entry)
                    }
                    initialized = count
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
