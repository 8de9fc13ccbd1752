import CZlib
import Foundation
import Testing
import TestSupport

import SqueezeData
import SqueezeModel

/// gzip (one member) of `text` repeated `times` times, made with zlib in
/// memory without ever holding the repeated text: a gzip bomb when the text
/// is long and `times` large.
func gzipRepeating(_ text: [UInt8], times: Int, level: Int32 = 9) -> [UInt8] {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deinitialize(count: 1); stream.deallocate() }
    // 31 = 15 window bits + 16 for the gzip wrapper.
    let status = deflateInit2_(stream, level, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    defer { deflateEnd(stream) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    func run(_ input: UnsafeBufferPointer<UInt8>, flush: Int32) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = UInt32(input.count)
        var result: Int32 = Z_OK
        repeat {
            buffer.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                result = deflate(stream, flush)
                output.append(contentsOf: out.prefix(out.count - Int(stream.pointee.avail_out)))
            }
        } while stream.pointee.avail_in > 0 || (flush == Z_FINISH && result != Z_STREAM_END)
    }
    // Repeating a block of many copies keeps the number of deflate calls small.
    let perBlock = max(1, min(times, (1 << 20) / max(1, text.count)))
    let block = [UInt8]([[UInt8]](repeating: text, count: perBlock).joined())
    var left = times
    block.withUnsafeBufferPointer { all in
        while left > 0 {
            let copies = min(left, perBlock)
            run(UnsafeBufferPointer(rebasing: all[0..<(copies * text.count)]), flush: Z_NO_FLUSH)
            left -= copies
        }
        run(UnsafeBufferPointer(rebasing: all[0..<0]), flush: Z_FINISH)
    }
    return output
}

/// An error `chunk` throws in the tests, to see it come out unchanged.
private struct Stop: Error, Equatable {
    var after: Int
}

/// Streams `bytes` through the decompressor and returns the chunks it handed over.
private func chunks(
    _ bytes: [UInt8], maximumSize: Int = .max, chunkSize: Int
) throws(GzipError) -> (chunks: [[UInt8]], progress: [Gzip.Progress]) {
    var chunks: [[UInt8]] = [], progress: [Gzip.Progress] = []
    try Gzip.decompress(bytes, maximumSize: maximumSize, chunkSize: chunkSize, failure: { $0 }) { (chunk, p) throws(GzipError) in
        chunks.append(Array(chunk))
        progress.append(p)
    }
    return (chunks, progress)
}

/// What `gzip -dc` makes of a file.
private func systemGunzip(_ url: URL) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc", url.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let reference = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](reference)
}

@Suite("gzip")
struct GzipTests {
    @Test("the shared file decompresses like gzip -d does")
    func gzipMatchesSystemGzip() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        #expect(Gzip.isGzip(compressed))
        #expect(try Gzip.decompress(compressed) == systemGunzip(SharedData.mnistDigits))
    }

    @Test("concatenated gzip members decompress to the concatenated data")
    func concatenatedMembers() throws {
        let first = Array("hello, ".utf8), second = Array("world\n".utf8)
        let joined = try gzipped(first) + gzipped(second)
        #expect(try Gzip.decompress(joined) == first + second)
        #expect(try Gzip.decompress(try gzipped([])) == [])
        #expect(!Gzip.isGzip(first))
        #expect(!Gzip.isGzip([0x1F]))
    }

    @Test("bad gzip data throws a one-line GzipError")
    func badGzip() throws {
        let good = try gzipped(Array(csvLine(label: 1).utf8))
        let cases: [[UInt8]] = [
            [],
            Array("plain".utf8),
            Array(good.prefix(good.count / 2)),
            Array(good.dropLast(3)),
            good + [0x42, 0x42],
            {
                var corrupt = good
                corrupt[12] ^= 0xFF
                corrupt[20] ^= 0xFF
                return corrupt
            }(),
        ]
        for bytes in cases {
            #expect(throws: GzipError.self) { try Gzip.decompress(bytes) }
            do {
                _ = try Gzip.decompress(bytes)
            } catch {
                #expect(!error.description.isEmpty && !error.description.contains("\n"))
            }
        }
        // Trailing zero padding is what some tools leave; gzip -d accepts it.
        #expect(try Gzip.decompress(good + [0, 0, 0, 0]).count == csvLine(label: 1).utf8.count)
    }

    @Test("streaming hands over bounded chunks that add up to what gzip -d makes", arguments: [1000, 4096, 1 << 16, 1 << 20])
    func streamingMatchesSystemGzip(chunkSize: Int) throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        let reference = try systemGunzip(SharedData.mnistDigits)
        let (pieces, progress) = try chunks(compressed, chunkSize: chunkSize)
        #expect(Array(pieces.joined()) == reference)
        #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= chunkSize })
        var produced = 0, consumed = 0
        for (piece, p) in zip(pieces, progress) {
            produced += piece.count
            #expect(p.produced == produced)
            #expect(p.consumed >= consumed && p.consumed <= compressed.count)
            consumed = p.consumed
        }
        #expect(progress.last?.consumed == compressed.count)
    }

    @Test("chunks of a few bytes, across concatenated members, give the same output", arguments: [1, 2, 3, 7, 64])
    func tinyChunks(chunkSize: Int) throws {
        let first = Array(csvLine(label: 4).utf8), second = Array("tail\r\n".utf8)
        let joined = try gzipped(first) + gzipped([]) + gzipped(second) + [0, 0]
        let (pieces, _) = try chunks(joined, chunkSize: chunkSize)
        #expect(Array(pieces.joined()) == first + second)
        #expect(pieces.allSatisfy { $0.count <= chunkSize })
    }

    @Test("output is refused as soon as it passes the maximum, never handed over", arguments: [1, 100, 1 << 16])
    func maximumSize(chunkSize: Int) throws {
        let text = Array(csvLine(label: 7).utf8)
        let compressed = try gzipped(text)
        // Exactly the maximum is fine.
        let (exact, _) = try chunks(compressed, maximumSize: text.count, chunkSize: chunkSize)
        #expect(exact.joined().count == text.count)
        #expect(try Gzip.decompress(compressed, maximumSize: text.count) == text)

        var seen = 0
        do {
            try Gzip.decompress(compressed, maximumSize: text.count - 1, chunkSize: chunkSize, failure: { $0 }) {
                (chunk, _) throws(GzipError) in seen += chunk.count
            }
            Issue.record("output past the maximum was accepted")
        } catch {
            #expect(error.reason == "decompressed data passes \(ByteCount.describe(text.count - 1))")
        }
        #expect(seen <= text.count - 1)
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed, maximumSize: text.count - 1) }
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed, maximumSize: 0) }
    }

    @Test("a bomb is refused at the maximum without holding its output")
    func bomb() throws {
        // 16 MiB of zeros in about 16 KB.
        let bomb = gzipRepeating([UInt8](repeating: 0, count: 1 << 16), times: 256)
        #expect(bomb.count < 1 << 15)
        var largest = 0
        let maximum = 1 << 20
        do {
            try Gzip.decompress(bomb, maximumSize: maximum, failure: { $0 }) { (chunk, _) throws(GzipError) in
                largest = max(largest, chunk.count)
            }
            Issue.record("the bomb was accepted")
        } catch {
            #expect(error.description == "decompressed data passes 1,048,576 bytes (1.0 MiB)")
        }
        #expect(largest <= Gzip.defaultChunkSize)
    }

    @Test("the whole-output form refuses output the memory limit does not allow")
    func memoryLimit() throws {
        let text = Array([String](repeating: csvLine(label: 1), count: 64).joined(separator: "\n").utf8)
        let compressed = try gzipped(text)
        #expect(try Gzip.decompress(compressed, memoryLimit: MemoryLimit(bytes: 4 * text.count)) == text)
        do {
            _ = try Gzip.decompress(compressed, memoryLimit: MemoryLimit(bytes: text.count / 2))
            Issue.record("output past the memory limit was accepted")
        } catch {
            #expect(error.reason.contains("decompressing gzip data needs"))
            #expect(error.reason.contains("memory limit"))
            #expect(!error.reason.contains("\n"))
        }
    }

    @Test("what the chunk handler throws ends decompression and comes out unchanged")
    func handlerError() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        var calls = 0
        do {
            try Gzip.decompress(compressed, maximumSize: .max, failure: { _ in Stop(after: -1) }) { (_, _) throws(Stop) in
                calls += 1
                if calls == 3 { throw Stop(after: calls) }
            }
            Issue.record("the handler's error was lost")
        } catch {
            #expect(error == Stop(after: 3))
        }
        #expect(calls == 3)
        // Gzip's own errors go through `failure`.
        do {
            try Gzip.decompress([0x1F, 0x8B, 8], maximumSize: .max, failure: { _ in Stop(after: -1) }) { (_, _) throws(Stop) in }
            Issue.record("truncated data was accepted")
        } catch {
            #expect(error == Stop(after: -1))
        }
    }

    @Test("random and damaged gzip data never traps and fails with one line")
    func randomData() throws {
        var random = SeededGenerator(seed: 19)
        let good = try gzipped(Array([csvLine(label: 2), csvLine(label: 5)].joined(separator: "\n").utf8))
        for round in 0..<400 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = [0x1F, 0x8B] + (0..<Int.random(in: 0...600, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:
                bytes = good
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 2..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            default:
                bytes = Array(good.prefix(Int.random(in: 0...good.count, using: &random)))
                    + (0..<Int.random(in: 0...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            do {
                let out = try Gzip.decompress(bytes, maximumSize: 1 << 20)
                #expect(out.count <= 1 << 20)
            } catch {
                #expect(!error.reason.isEmpty && !error.reason.contains("\n"))
            }
        }
    }
}
