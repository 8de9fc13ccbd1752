import Foundation
import PropertyBased
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

/// `.npy` files as NumPy writes them: the header dict of `numpy.save`, padded
/// with spaces and a newline to a multiple of 64 bytes, then the data.
enum NPY {
    static func file(_ header: String, version: UInt8 = 1, data: [UInt8]) -> [UInt8] {
        let prefix = version == 1 ? 10 : 12
        var text = Array(header.utf8)
        text += repeatElement(UInt8(ascii: " "), count: 64 - (prefix + text.count + 1) % 64)
        text.append(UInt8(ascii: "\n"))
        let length: [UInt8] = version == 1 ? Wire.littleEndian(UInt16(text.count)) : Wire.littleEndian(UInt32(text.count))
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + text + data
    }

    static func header(_ descr: String, _ shape: String, fortran: Bool = false) -> String {
        "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8], limit: MemoryLimit = .unlimited) throws(ReaderError) -> HostTensor {
        try HostTensor(npyBytes: bytes, source: "a.npy", memoryLimit: limit)
    }
}

@Suite("NumPy .npy files")
struct NPYTests {
    // Data bytes from numpy 2.4 (`numpy.save` of the arrays noted).
    @Test("every dtype read converts as numpy's astype(float32) does", arguments: [
        // [[0.1, -2.5, 1e300]] as <f8: 1e300 is past the float range.
        ("<f8", "(1, 3)", "9a9999999999b93f00000000000004c09c7500883ce4377e", [1, 3], [0.1, -2.5, .infinity]),
        ("<f2", "(4,)", "003c00c0ff7b5535", [4], [1, -2, 65504, 0.333251953125]),
        ("|u1", "(3,)", "00ff07", [3], [0, 255, 7]),
        ("|i1", "(3,)", "807fff", [3], [-128, 127, -1]),
        ("<i4", "(2, 2)", "00000080ffffff7f05000000faffffff", [2, 2], [-2_147_483_648, 2_147_483_648, 5, -6]),
        ("<i8", "(2,)", "0100000100000000fdffffffffffffff", [2], [16_777_216, -3]),
        ("|b1", "(3,)", "010001", [3], [1, 0, 1]),
        ("<f4", "()", "00006040", [], [3.5]),
        ("<f4", "(2, 0)", "", [2, 0], []),
    ] as [(String, String, String, [Int], [Float])])
    func dtypes(_ descr: String, _ shape: String, _ data: String, _ dimensions: [Int], _ values: [Float]) throws {
        let tensor = try NPY.decode(NPY.file(NPY.header(descr, shape), data: NPY.hex(data)))
        #expect(tensor == HostTensor(shape: dimensions, values: values))
    }

    @Test("format versions 2.0 and 3.0 (four-byte header length)")
    func versions() throws {
        let data = NPY.hex("0000c03f00002040")
        #expect(try NPY.decode(NPY.file(NPY.header("<f4", "(2,)"), version: 2, data: data)) == HostTensor(shape: [2], values: [1.5, 2.5]))
        #expect(try NPY.decode(NPY.file(NPY.header("<f4", "(2, 1)"), version: 3, data: data)) == HostTensor(shape: [2, 1], values: [1.5, 2.5]))
    }

    @Test("writing gives numpy.save's bytes for a float32 array")
    func writesWhatNumPyWrites() throws {
        let tensor = HostTensor(shape: [2, 3], values: [0, 1, 2, 3.5, -4, 1e-8])
        let bytes = try tensor.npyBytes()
        #expect(bytes == NPY.file(NPY.header("<f4", "(2, 3)"), data: NPY.hex("000000000000803f0000004000006040000080c077cc2b32")))
        // numpy.save's header for this array: 118 bytes after the 10-byte preamble.
        #expect(bytes.count == 128 + 24 && bytes[8] == 118)
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }".utf8)
        #expect(try HostTensor(shape: [5], values: [1, 2, 3, 4, 5]).npyBytes()[10..<(10 + header.count)] == ArraySlice(header))
        #expect(try HostTensor(shape: [], values: [7]).npyBytes().count == 128 + 4)
    }

    @Test("Fortran order is refused with a clear error")
    func fortranOrder() {
        let bytes = NPY.file(NPY.header("<f4", "(2, 3)", fortran: true), data: NPY.hex("00000000000040400000803f00008040000000400000a040"))
        #expect(throws: ReaderError.invalidWeights(file: "a.npy", reason: "the .npy array is stored in Fortran (column-major) order; only C order is read")) {
            try NPY.decode(bytes)
        }
    }

    static let float2 = NPY.hex("0000c03f00002040")

    @Test("malformed and hostile headers are refused in one line", arguments: [
        (Array("NUMPY".utf8) + [1, 0, 0, 0], "not a NumPy .npy file"),
        ([0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0], ".npy format version 4.0 is not read"),
        ([0x93] + Array("NUMPY".utf8) + [2, 0, 0, 0], "the .npy header is cut short"),
        ([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF, 0x7B], "the .npy header claims 65,535 bytes, the file has 1"),
        ([0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF], "claims 4,294,967,295 bytes, more than the 65,536 read"),
        (NPY.file(NPY.header(">f4", "(2,)"), data: float2), "dtype '>f4', which is not read (these are: <f4, <f8"),
        (NPY.file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data: float2), "malformed at byte 10"),
        (NPY.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", data: float2), "unknown key 'x'"),
        (NPY.file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: float2), "gives 'descr' twice"),
        (NPY.file("{'descr': '<f4', 'shape': (2,), }", data: float2), "the .npy header has no 'fortran_order'"),
        (NPY.file("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", data: float2), "malformed at byte"),
        (NPY.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", data: float2), "shape is not a tuple"),
        (NPY.file("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", data: float2), "malformed at byte"),
        (NPY.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", data: float2), "text after its dict"),
        (NPY.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", data: float2), "malformed"),
        (NPY.file("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,), }", data: float2), "escape or control character"),
        (NPY.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'é': 1}", data: float2), "not ASCII"),
        (NPY.file(NPY.header("<f4", "(-2,)"), data: float2), "the .npy array has a negative dimension (-2)"),
        (NPY.file(NPY.header("<f4", "(4611686018427387904,)"), data: float2), "too large: the .npy array has a dimension of 4611686018427387904"),
        (NPY.file(NPY.header("<f4", "(99999999999999999999,)"), data: float2), "a dimension past 2^63"),
        (NPY.file(NPY.header("<f4", "(65536, 65536)"), data: float2), "has 4,294,967,296 elements, more than the 2,147,483,647"),
        (NPY.file(NPY.header("<f4", "(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)"), data: float2), "more than the 8 dimensions"),
        (NPY.file(NPY.header("<f4", "(3,)"), data: float2), "takes 12 bytes; 8 follow the header"),
        (NPY.file(NPY.header("<f4", "(1,)"), data: float2), "takes 4 bytes; 8 follow the header"),
        (NPY.file(NPY.header("<f8", "(2147483647,)"), data: float2), "takes 17,179,869,176 bytes; 8 follow"),
    ] as [([UInt8], String)])
    func hostile(_ bytes: [UInt8], _ message: String) {
        do {
            let tensor = try NPY.decode(bytes)
            Issue.record("read \(tensor.shape)")
        } catch {
            #expect(error.description.hasPrefix("a.npy: "))
            #expect(error.description.contains(message), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("the values are planned against the memory limit")
    func memoryLimit() {
        let bytes = NPY.file(NPY.header("|u1", "(1048576,)"), data: Array(repeating: 1, count: 1 << 20))
        #expect(throws: ReaderError.self) { try NPY.decode(bytes, limit: MemoryLimit(bytes: 2 << 20)) }
        #expect((try? NPY.decode(bytes, limit: MemoryLimit(bytes: 8 << 20)))?.values.count == 1 << 20)
    }

    @Test("every prefix and every bit flip of a small file is an error or a tensor, never a crash")
    func damage() throws {
        let bytes = try HostTensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).npyBytes()
        for length in 0..<bytes.count { #expect(throws: ReaderError.self) { try NPY.decode(Array(bytes.prefix(length))) } }
        for index in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                if let tensor = try? NPY.decode(flipped) {
                    #expect(tensor.shapeFailure == nil)
                }
            }
        }
    }

    @Test("write then read gives the same tensor, bit for bit")
    func roundTrip() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...4).array(of: 0...4), Gen.uint32(in: 0...UInt32.max).array(of: 256)) { shape, bits in
            let count = shape.reduce(1, *)
            let tensor = HostTensor(shape: shape, values: (0..<count).map { Float(bitPattern: bits[$0 % bits.count]) })
            let read = try HostTensor(npyBytes: tensor.npyBytes(), source: "r.npy")
            #expect(read.shape == shape)
            #expect(read.values.map(\.bitPattern) == tensor.values.map(\.bitPattern))
        }
    }

    @Test("integer arrays of any values read as numpy converts them")
    func integerProperty() async {
        await propertyCheck(count: 100, input: Gen.int64(in: Int64.min...Int64.max).array(of: 0...40)) { values in
            let shape = "(\(values.count),)"
            let i8 = try NPY.decode(NPY.file(NPY.header("<i8", shape), data: values.flatMap { Wire.littleEndian($0) }))
            #expect(i8.values == values.map { Float($0) })
            let i4 = try NPY.decode(NPY.file(NPY.header("<i4", shape), data: values.flatMap { Wire.littleEndian(Int32(truncatingIfNeeded: $0)) }))
            #expect(i4.values == values.map { Float(Int32(truncatingIfNeeded: $0)) })
            let f2 = try NPY.decode(NPY.file(NPY.header("<f2", shape), data: values.flatMap { Wire.littleEndian(UInt16(truncatingIfNeeded: $0)) }))
            #expect(zip(f2.values, values).allSatisfy { value, bits in
                let half = Float(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
                return value.bitPattern == half.bitPattern || (value.isNaN && half.isNaN)
            })
        }
    }

    @Test("writers refuse a tensor whose shape does not match its values")
    func inconsistentTensor() {
        #expect(HostTensor(shape: [2, 3], values: [1]).shapeFailure == "the tensor's shape [2, 3] needs 6 values, it has 1")
        #expect(throws: ReaderError.invalidWeights(file: "HostTensor", reason: "the tensor's shape [2, 3] needs 6 values, it has 1")) {
            try HostTensor(shape: [2, 3], values: [1]).npyBytes()
        }
        #expect(throws: ReaderError.self) { try HostTensor(shape: [-1], values: []).tensorProtoBytes(name: "x") }
        #expect(HostTensor(shape: [0, 5], values: []).shapeFailure == nil)
    }

    @Test("files: read from disk, a directory refused")
    func files() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.npy")
        let tensor = HostTensor(shape: [1, 2], values: [1, -1])
        try Data(tensor.npyBytes()).write(to: url)
        #expect(try HostTensor(npyContentsOf: url) == tensor)
        #expect(throws: ReaderError.unreadable(path: folder.path, reason: "it is a directory")) { try HostTensor(npyContentsOf: folder) }
    }
}

@Suite("ONNX TensorProto files")
struct TensorProtoFileTests {
    @Test("writing gives the bytes onnx's numpy_helper.from_array writes")
    func writesWhatONNXWrites() throws {
        let tensor = HostTensor(shape: [2, 3], values: [0, 1, 2, 3.5, -4, 1e-8])
        #expect(try tensor.tensorProtoBytes(name: "x") == NPY.hex("0802080310014201784a18000000000000803f0000004000006040000080c077cc2b32"))
        #expect(try HostTensor(shape: [], values: [3.5]).tensorProtoBytes(name: "") == NPY.hex("10014a0400006040"))
    }

    @Test("write then read gives the same tensor and name, bit for bit")
    func roundTrip() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...4).array(of: 0...4), Gen.uint32(in: 0...UInt32.max).array(of: 256),
                            Gen.int(in: 0...3)) { shape, bits, nameIndex in
            let count = shape.reduce(1, *)
            let tensor = HostTensor(shape: shape, values: (0..<count).map { Float(bitPattern: bits[$0 % bits.count]) })
            let name = ["", "x", "input_0", "a/b:0"][nameIndex]
            let bytes = try tensor.tensorProtoBytes(name: name)
            let (readName, read) = try HostTensor.decodeTensorProto(bytes, source: "r.pb")
            #expect(readName == name)
            #expect(read.shape == shape)
            #expect(read.values.map(\.bitPattern) == tensor.values.map(\.bitPattern))
            let onnx = try ONNXModel.decodeTensor(bytes, source: "r.pb")
            #expect(onnx.dataType == .float && onnx.dimensions == shape && onnx.name == name)
        }
    }

    @Test("integer tensors read as floats")
    func integers() throws {
        let bytes = ONNXBuilder.tensor(name: "shape", dims: [3], dataType: 7, int64s: [4, -2, 1 << 40])
        let (name, tensor) = try HostTensor.decodeTensorProto(bytes, source: "s.pb")
        #expect(name == "shape")
        #expect(tensor == HostTensor(shape: [3], values: [4, -2, 0x1p40]))
    }

    @Test("hostile tensor files are refused in one line", arguments: [
        (ONNXBuilder.tensor(name: "t", dims: [1 << 62], dataType: 1), "t.pb: too large: tensor 't' has a dimension of 4611686018427387904, more than the 2,147,483,647 a dimension may be"),
        (ONNXBuilder.tensor(dims: [4], dataType: 1, raw: [1, 2, 3]), "t.pb: the tensor has 3 bytes of raw_data; 4 FLOAT values of shape [4] take 16"),
        (ONNXBuilder.tensor(dims: [-4], dataType: 1), "t.pb: the tensor has a negative dimension (-4)"),
        (ONNXBuilder.tensor(dims: [1 << 30], dataType: 1, floats: [1]), "t.pb: the tensor has 1 values in float_data; its shape [1073741824] needs 1,073,741,824"),
        (Wire.tag(4, 2) + Wire.varint(1 << 50), "t.pb: not an ONNX tensor (malformed protobuf: field 4 at byte 0 claims 1125899906842624 bytes, 0 are left)"),
        ([], "t.pb: the tensor has no data type"),
    ] as [([UInt8], String)])
    func hostile(_ bytes: [UInt8], _ message: String) {
        #expect(throws: ReaderError.self) { try HostTensor.decodeTensorProto(bytes, source: "t.pb") }
        do {
            _ = try ONNXModel.decodeTensor(bytes, source: "t.pb")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("every prefix of a tensor file is an error or a tensor, never a crash")
    func truncated() throws {
        let bytes = try HostTensor(shape: [2, 2], values: [1, 2, 3, 4]).tensorProtoBytes(name: "x")
        for length in 0..<bytes.count {
            _ = try? HostTensor.decodeTensorProto(Array(bytes.prefix(length)), source: "t.pb")
        }
        #expect(try HostTensor.readTensorProtoBytesRoundTrip(bytes) == HostTensor(shape: [2, 2], values: [1, 2, 3, 4]))
    }
}

extension HostTensor {
    /// Reads `bytes` through a file, as `readTensorProto(contentsOf:)` does.
    static func readTensorProtoBytesRoundTrip(_ bytes: [UInt8]) throws -> HostTensor {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.pb")
        try Data(bytes).write(to: url)
        return try readTensorProto(contentsOf: url).tensor
    }
}
