internal import CZlib

/// Why gzip data could not be decompressed.
public struct GzipError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A one-line explanation, such as "truncated gzip data".
    public var reason: String

    /// An error with the given explanation.
    public init(reason: String) {
        self.reason = reason
    }

    /// The reason, for messages.
    public var description: String { reason }
}

/// gzip (RFC 1952) decompression through zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses gzip data. Concatenated members (as `cat a.gz b.gz` makes)
    /// are decompressed one after another; zero padding after the last member
    /// is ignored, as `gzip -d` does.
    ///
    /// - Parameter maximumSize: output larger than this is refused, so that a
    ///   tiny malicious file cannot exhaust memory.
    /// - Throws: ``GzipError`` for empty, truncated or corrupt data, data that is
    ///   not gzip, or trailing bytes that are not another gzip member.
    public static func decompress(_ bytes: [UInt8], maximumSize: Int = 1 << 32) throws(GzipError) -> [UInt8] {
        guard !bytes.isEmpty else { throw GzipError(reason: "empty gzip data") }
        guard isGzip(bytes) else { throw GzipError(reason: "not gzip data (no 1f 8b signature)") }
        let result = bytes.withUnsafeBufferPointer { input in
            Result { () throws(GzipError) in try inflateAll(input, maximumSize: maximumSize) }
        }
        return try result.get()
    }

    private static func inflateAll(_ input: UnsafeBufferPointer<UInt8>, maximumSize: Int) throws(GzipError) -> [UInt8] {
        guard let inputBase = input.baseAddress else { throw GzipError(reason: "empty gzip data") }
        var stream = z_stream()
        // 16 + MAX_WBITS: expect the gzip wrapper, not raw zlib.
        let initStatus = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw GzipError(reason: "zlib initialisation failed (\(initStatus))") }
        defer { inflateEnd(&stream) }

        let chunkSize = 1 << 16
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }

        var output: [UInt8] = []
        output.reserveCapacity(min(maximumSize, expectedSize(input)))
        // avail_in is 32-bit: feed larger inputs piecewise.
        var fed = 0
        func feed() {
            let piece = min(input.count - fed, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(mutating: inputBase + fed)
            stream.avail_in = UInt32(piece)
            fed += piece
        }
        feed()

        while true {
            if stream.avail_in == 0 && fed < input.count { feed() }
            stream.next_out = chunk
            stream.avail_out = UInt32(chunkSize)
            let status = inflate(&stream, Z_NO_FLUSH)
            let produced = chunkSize - Int(stream.avail_out)
            if produced > 0 {
                guard output.count + produced <= maximumSize else {
                    throw GzipError(reason: "decompressed data exceeds \(maximumSize) bytes")
                }
                output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: produced))
            }
            let consumed = fed - Int(stream.avail_in)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let rest = UnsafeBufferPointer(rebasing: input[consumed...])
                if rest.allSatisfy({ $0 == 0 }) { return output }
                guard rest.count >= 2, rest[0] == 0x1F, rest[1] == 0x8B else {
                    throw GzipError(reason: "\(rest.count) bytes of trailing data after the gzip stream")
                }
                guard inflateReset(&stream) == Z_OK else { throw GzipError(reason: "zlib reset failed") }
            case Z_BUF_ERROR where consumed == input.count:
                throw GzipError(reason: "truncated gzip data (ends after \(input.count) bytes)")
            case Z_DATA_ERROR:
                throw GzipError(reason: "corrupt gzip data at byte \(consumed): \(message(stream))")
            case Z_MEM_ERROR:
                throw GzipError(reason: "out of memory while decompressing")
            default:
                throw GzipError(reason: "zlib error \(status) at byte \(consumed): \(message(stream))")
            }
        }
    }

    /// A capacity hint: the last member's size field (the input size mod 2^32),
    /// when deflate's largest ratio (about 1032:1) makes it believable.
    private static func expectedSize(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        let fallback = input.count.multipliedReportingOverflow(by: 4).partialValue
        guard input.count >= 18 else { return fallback }
        var size = 0
        for i in (input.count - 4)..<input.count { size |= Int(input[i]) << (8 * (i - input.count + 4)) }
        return size <= input.count.multipliedReportingOverflow(by: 1032).partialValue ? size : fallback
    }

    private static func message(_ stream: z_stream) -> String {
        guard let text = stream.msg else { return "no detail" }
        return String(cString: text)
    }
}
