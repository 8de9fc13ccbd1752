internal import CZlib
import SqueezeModel

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
///
/// The streaming form, ``decompress(_:maximumSize:chunkSize:failure:chunk:)``,
/// inflates into one bounded buffer and hands each piece to the caller, so a
/// file that expands to gigabytes needs no more memory than one chunk; the
/// caller decides what the output may plausibly be and stops it early.
public enum Gzip {
    /// The output chunk of the streaming decompressor when none is given (64 KiB).
    public static let defaultChunkSize = 1 << 16

    /// How far a streaming decompression has got, passed along with each chunk.
    public struct Progress: Hashable, Sendable {
        /// Compressed bytes consumed so far (a few bytes of look-ahead may be in zlib's bit buffer).
        public var consumed: Int
        /// Decompressed bytes produced so far, the chunk being handed over included.
        public var produced: Int

        /// Progress with the given counts.
        public init(consumed: Int, produced: Int) {
            self.consumed = consumed
            self.produced = produced
        }
    }

    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses gzip data into one array. Concatenated members (as
    /// `cat a.gz b.gz` makes) are decompressed one after another; zero padding
    /// after the last member is ignored, as `gzip -d` does.
    ///
    /// The array grows as output arrives (from the size the trailer claims,
    /// when that is believable), never past `maximumSize`, and each growth is
    /// checked against `memoryLimit` first.
    ///
    /// - Parameters:
    ///   - maximumSize: output larger than this is refused as soon as it passes
    ///     it, so that a tiny malicious file cannot exhaust memory.
    ///   - memoryLimit: the memory the output array may take, old and new
    ///     buffer together while it grows.
    /// - Throws: ``GzipError`` for empty, truncated or corrupt data, data that is
    ///   not gzip, trailing bytes that are not another gzip member, output past
    ///   `maximumSize`, or an output array the memory limit does not allow.
    public static func decompress(
        _ bytes: [UInt8], maximumSize: Int = 1 << 32, memoryLimit: MemoryLimit = .current
    ) throws(GzipError) -> [UInt8] {
        let maximumSize = max(0, maximumSize)
        var output: [UInt8] = []
        // Reserving what the trailer claims saves copies; a claim the limit
        // refuses is only a claim, so the array then grows as data arrives.
        let hint = min(expectedSize(bytes), maximumSize)
        if hint > 0, (try? memoryLimit.check(outputEstimate(hint, previous: 0))) != nil {
            output.reserveCapacity(hint)
        }
        try bytes.withUnsafeBufferPointer { (input) throws(GzipError) in
            try decompress(input, maximumSize: maximumSize, failure: { $0 }) { (chunk, _) throws(GzipError) in
                let needed = output.count + chunk.count  // cannot overflow: bounded by maximumSize
                if needed > output.capacity {
                    // Doubling keeps appends linear; the step is capped at the maximum.
                    let grown = min(maximumSize, max(needed, Checked.saturatingMultiply(output.capacity, 2)))
                    do throws(ResourceError) {
                        try memoryLimit.check(outputEstimate(grown, previous: output.capacity))
                    } catch {
                        throw GzipError(reason: error.description)
                    }
                    output.reserveCapacity(grown)
                }
                output.append(contentsOf: chunk)
            }
        }
        return output
    }

    /// The memory an output array of `capacity` bytes takes while it is
    /// copied out of one of `previous` bytes.
    private static func outputEstimate(_ capacity: Int, previous: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate("decompressing gzip data")
        estimate.add("the decompressed data", bytes: capacity)
        if previous > 0 { estimate.add("its previous buffer while it grows", bytes: previous) }
        return estimate
    }

    /// Decompresses gzip data a chunk at a time, as ``decompress(_:maximumSize:memoryLimit:)``
    /// does, without ever holding more than one chunk of output.
    ///
    /// - Parameters:
    ///   - bytes: the whole compressed data.
    ///   - maximumSize: output past this many bytes is refused before the chunk
    ///     that passes it is handed over (zlib is never asked for more than one
    ///     byte beyond it).
    ///   - chunkSize: the most bytes one call of `chunk` receives (at least 1).
    ///   - failure: turns a ``GzipError`` into the caller's error type.
    ///   - chunk: receives each piece of output, valid only during the call,
    ///     with the progress so far; what it throws ends the decompression.
    /// - Throws: `failure` of a ``GzipError`` for the problems
    ///   ``decompress(_:maximumSize:memoryLimit:)`` lists, or what `chunk` throws.
    public static func decompress<E: Error>(
        _ bytes: UnsafeBufferPointer<UInt8>, maximumSize: Int, chunkSize: Int = defaultChunkSize,
        failure: (GzipError) -> E,
        chunk: (UnsafeBufferPointer<UInt8>, Progress) throws(E) -> Void
    ) throws(E) {
        guard let inputBase = bytes.baseAddress, !bytes.isEmpty else { throw failure(GzipError(reason: "empty gzip data")) }
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else {
            throw failure(GzipError(reason: "not gzip data (no 1f 8b signature)"))
        }
        let maximumSize = max(0, maximumSize)
        // avail_out is 32-bit.
        let chunkSize = min(max(1, chunkSize), Int(UInt32.max))

        // zlib keeps a pointer back to the stream and checks it, so the stream
        // needs an address that stays put: not a Swift local.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // 16 + MAX_WBITS: expect the gzip wrapper, not raw zlib.
        let initStatus = inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw failure(GzipError(reason: "zlib initialisation failed (\(initStatus))")) }
        defer { inflateEnd(stream) }

        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { buffer.deallocate() }

        // avail_in is 32-bit: feed larger inputs piecewise.
        var fed = 0
        func feed() {
            let piece = min(bytes.count - fed, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBase + fed)
            stream.pointee.avail_in = UInt32(piece)
            fed += piece
        }
        feed()

        var produced = 0
        while true {
            if stream.pointee.avail_in == 0 && fed < bytes.count { feed() }
            // One byte past the maximum is enough to tell that output passes it.
            let room = min(chunkSize, Checked.saturatingAdd(maximumSize - produced, 1))
            stream.pointee.next_out = buffer
            stream.pointee.avail_out = UInt32(room)
            let status = inflate(stream, Z_NO_FLUSH)
            let count = room - Int(stream.pointee.avail_out)
            let consumed = fed - Int(stream.pointee.avail_in)
            if count > 0 {
                guard count <= maximumSize - produced else {
                    throw failure(GzipError(reason: "decompressed data passes \(ByteCount.describe(maximumSize))"))
                }
                produced += count
                try chunk(UnsafeBufferPointer(start: buffer, count: count), Progress(consumed: consumed, produced: produced))
            }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let rest = UnsafeBufferPointer(rebasing: bytes[consumed...])
                if rest.allSatisfy({ $0 == 0 }) { return }
                guard rest.count >= 2, rest[0] == 0x1F, rest[1] == 0x8B else {
                    throw failure(GzipError(reason: "\(rest.count) bytes of trailing data after the gzip stream"))
                }
                guard inflateReset(stream) == Z_OK else { throw failure(GzipError(reason: "zlib reset failed")) }
            case Z_BUF_ERROR where consumed == bytes.count:
                throw failure(GzipError(reason: "truncated gzip data (ends after \(bytes.count) bytes)"))
            case Z_DATA_ERROR:
                throw failure(GzipError(reason: "corrupt gzip data at byte \(consumed): \(message(stream))"))
            case Z_MEM_ERROR:
                throw failure(GzipError(reason: "out of memory while decompressing"))
            default:
                throw failure(GzipError(reason: "zlib error \(status) at byte \(consumed): \(message(stream))"))
            }
        }
    }

    /// Streaming decompression of an array; see ``decompress(_:maximumSize:chunkSize:failure:chunk:)``.
    public static func decompress<E: Error>(
        _ bytes: [UInt8], maximumSize: Int, chunkSize: Int = defaultChunkSize,
        failure: (GzipError) -> E,
        chunk: (UnsafeBufferPointer<UInt8>, Progress) throws(E) -> Void
    ) throws(E) {
        try bytes.withUnsafeBufferPointer { (input) throws(E) in
            try decompress(input, maximumSize: maximumSize, chunkSize: chunkSize, failure: failure, chunk: chunk)
        }
    }

    /// The size the last member's trailer gives (the size mod 2^32), when
    /// deflate's largest ratio (about 1032:1) makes it believable; 0 otherwise.
    /// Only a hint: the trailer is not checked until the end, and covers only
    /// the last member.
    static func trailerSize(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard bytes.count >= 18 else { return 0 }
        var size = 0
        for i in 0..<4 { size |= Int(bytes[bytes.count - 4 + i]) << (8 * i) }
        return size <= Checked.saturatingMultiply(bytes.count, 1032) ? size : 0
    }

    /// A capacity hint for the whole output: ``trailerSize(_:)``, or four times
    /// the input when the trailer is not believable.
    private static func expectedSize(_ bytes: [UInt8]) -> Int {
        let size = bytes.withUnsafeBufferPointer { trailerSize($0) }
        return size > 0 ? size : Checked.saturatingMultiply(bytes.count, 4)
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String {
        guard let text = stream.pointee.msg else { return "no detail" }
        // zlib's messages are fixed one-line texts; bound them all the same.
        return String(String(cString: text).prefix(200)).filter { !$0.isNewline }
    }
}
