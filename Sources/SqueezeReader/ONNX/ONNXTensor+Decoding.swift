import Foundation
import SqueezeModel

/// Where the values of a `TensorProto` are and how many there must be, worked
/// out and checked before any value is converted (so that the memory the
/// conversion needs can be planned first).
struct ONNXTensorLayout {
    /// The field the values are in.
    enum Storage {
        case raw, floatData, int32Data, int64Data, doubleData, uint64Data
    }

    /// The element type in the file (one the reader converts).
    var dataType: ONNXTensor.DataType
    /// The checked dimensions.
    var dimensions: [Int]
    /// Their product, at most ``SizeLimits/maximumElementCount``.
    var count: Int
    /// Where the values are.
    var storage: Storage

    /// Bytes the converted values take.
    var convertedBytes: Int { Checked.saturatingMultiply(count, dataType.convertedElementSize) }
}

extension ONNXTensor {
    /// Checks the header of `proto` and locates its values: a type the reader
    /// converts, data in the file (not external, not a segment), dimensions
    /// within ``SizeLimits``, and either `raw_data` of exactly the right length
    /// or exactly one value per element in the one typed field ONNX uses for
    /// the type. `what` names the tensor in errors about `source`.
    static func layout(of proto: Onnx_TensorProto, what: String, source: String) throws(ReaderError) -> ONNXTensorLayout {
        if proto.dataLocation == .external || !proto.externalData.isEmpty {
            let location = proto.externalData.first { $0.key == "location" }.map { " (\(ONNXText.quoted($0.value)))" } ?? ""
            throw .invalidWeights(file: source, reason: "\(what) keeps its values in an external file\(location), "
                                      + "which this reader does not follow")
        }
        if proto.hasSegment {
            throw .invalidWeights(file: source, reason: "\(what) is one segment of a larger tensor, which this reader does not join")
        }
        guard let dataType = DataType(rawValue: Int(proto.dataType)) else {
            throw .invalidWeights(file: source, reason: "\(what) has data type \(proto.dataType), which ONNX does not define")
        }
        switch dataType {
        case .undefined:
            throw .invalidWeights(file: source, reason: "\(what) has no data type")
        case .string:
            throw .invalidWeights(file: source, reason: "\(what) is a STRING tensor; only numeric tensors are read")
        default:
            guard dataType.isConverted else {
                throw .invalidWeights(file: source, reason: "\(what) is a \(dataType) tensor, which this reader does not "
                                          + "convert (it reads \(DataType.convertedNames))")
            }
        }
        let dimensions = try ShapeCheck.dimensions(proto.dims, what: what, source: source)
        let count = try ShapeCheck.elementCount(dimensions, what: what, source: source)

        let typed: [(field: String, count: Int, storage: ONNXTensorLayout.Storage?)] = [
            ("float_data", proto.floatData.count, .floatData),
            ("int32_data", proto.int32Data.count, .int32Data),
            ("string_data", proto.stringData.count, nil),
            ("int64_data", proto.int64Data.count, .int64Data),
            ("double_data", proto.doubleData.count, .doubleData),
            ("uint64_data", proto.uint64Data.count, .uint64Data),
        ]
        let present = typed.filter { $0.count > 0 }
        let storage: ONNXTensorLayout.Storage
        if proto.hasRawData {
            if let other = present.first {
                throw .invalidWeights(file: source, reason: "\(what) has values in both raw_data and \(other.field)")
            }
            let elementSize = dataType.rawElementSize ?? 1
            let needed = Checked.saturatingMultiply(count, elementSize)
            guard proto.rawData.count == needed else {
                throw .invalidWeights(file: source, reason: "\(what) has \(ByteCount.grouped(proto.rawData.count)) bytes of "
                                          + "raw_data; \(ByteCount.grouped(count)) \(dataType) values of shape \(dimensions) "
                                          + "take \(ByteCount.grouped(needed))")
            }
            storage = .raw
        } else {
            let expected = typedStorage(for: dataType)
            if let other = present.first(where: { $0.storage != expected }) {
                throw .invalidWeights(file: source, reason: "\(what) has values in \(other.field), which a \(dataType) tensor does not use")
            }
            let held = typed.first { $0.storage == expected }?.count ?? 0
            guard held == count else {
                let field = typed.first { $0.storage == expected }?.field ?? "its typed field"
                throw .invalidWeights(file: source, reason: "\(what) has \(ByteCount.grouped(held)) values in \(field); "
                                          + "its shape \(dimensions) needs \(ByteCount.grouped(count))")
            }
            storage = expected
        }
        return ONNXTensorLayout(dataType: dataType, dimensions: dimensions, count: count, storage: storage)
    }

    /// The typed field ONNX keeps values of `type` in when there is no `raw_data`.
    private static func typedStorage(for type: DataType) -> ONNXTensorLayout.Storage {
        switch type {
        case .float: .floatData
        case .double: .doubleData
        case .int64: .int64Data
        case .uint32, .uint64: .uint64Data
        // INT32, INT16, INT8, UINT16, UINT8, BOOL, and the bits of FLOAT16 and BFLOAT16.
        default: .int32Data
        }
    }

    /// Checks and converts `proto` (``layout(of:what:source:)``, then the values).
    init(_ proto: Onnx_TensorProto, what: String, source: String) throws(ReaderError) {
        try self.init(proto, layout: Self.layout(of: proto, what: what, source: source), what: what, source: source)
    }

    /// Converts the values of `proto`, located by `layout`.
    ///
    /// - Throws: only for a UINT64 value above `Int64.max`.
    init(_ proto: Onnx_TensorProto, layout: ONNXTensorLayout, what: String, source: String) throws(ReaderError) {
        let type = layout.dataType, count = layout.count
        let values: Values
        switch layout.storage {
        case .raw:
            values = try proto.rawData.withUnsafeBytes { raw in
                Result { () throws(ReaderError) in try Self.convertRaw(raw, type: type, count: count, what: what, source: source) }
            }.get()
        case .floatData:
            values = .float(proto.floatData)
        case .doubleData:
            values = .float(proto.doubleData.map { Float($0) })
        case .int64Data:
            values = .int64(proto.int64Data)
        case .int32Data:
            let data = proto.int32Data
            // Narrow types are cut to their width, as ONNX's reference reader does.
            switch type {
            case .float16: values = .float(data.map { Self.float(fromHalf: UInt16(truncatingIfNeeded: $0)) })
            case .bfloat16: values = .float(data.map { Self.float(fromBFloat16: UInt16(truncatingIfNeeded: $0)) })
            case .int16: values = .int64(data.map { Int64(Int16(truncatingIfNeeded: $0)) })
            case .int8: values = .int64(data.map { Int64(Int8(truncatingIfNeeded: $0)) })
            case .uint16: values = .int64(data.map { Int64(UInt16(truncatingIfNeeded: $0)) })
            case .uint8: values = .int64(data.map { Int64(UInt8(truncatingIfNeeded: $0)) })
            case .bool: values = .int64(data.map { $0 != 0 ? 1 : 0 })
            default: values = .int64(data.map { Int64($0) })
            }
        case .uint64Data:
            let data = proto.uint64Data
            if type == .uint32 {
                values = .int64(data.map { Int64(UInt32(truncatingIfNeeded: $0)) })
            } else {
                values = .int64(try Self.signed(data, what: what, source: source))
            }
        }
        self.init(name: proto.name, dataType: type, dimensions: layout.dimensions, values: values)
    }

    /// The values of `raw` (`count` little-endian elements of `type`; the
    /// layout checked the length).
    private static func convertRaw(_ raw: UnsafeRawBufferPointer, type: DataType, count: Int,
                                   what: String, source: String) throws(ReaderError) -> Values {
        func load<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
        }
        switch type {
        case .float: return .float(make(count) { Float(bitPattern: load(UInt32.self, $0)) })
        case .float16: return .float(make(count) { float(fromHalf: load(UInt16.self, $0)) })
        case .bfloat16: return .float(make(count) { float(fromBFloat16: load(UInt16.self, $0)) })
        case .double: return .float(make(count) { Float(Double(bitPattern: load(UInt64.self, $0))) })
        case .int8: return .int64(make(count) { Int64(Int8(bitPattern: raw[$0])) })
        case .uint8: return .int64(make(count) { Int64(raw[$0]) })
        case .bool: return .int64(make(count) { raw[$0] != 0 ? 1 : 0 })
        case .int16: return .int64(make(count) { Int64(Int16(bitPattern: load(UInt16.self, $0))) })
        case .uint16: return .int64(make(count) { Int64(load(UInt16.self, $0)) })
        case .int32: return .int64(make(count) { Int64(Int32(bitPattern: load(UInt32.self, $0))) })
        case .uint32: return .int64(make(count) { Int64(load(UInt32.self, $0)) })
        case .int64: return .int64(make(count) { Int64(bitPattern: load(UInt64.self, $0)) })
        case .uint64: return .int64(try signed(make(count) { load(UInt64.self, $0) }, what: what, source: source))
        default:
            // Not reached: the layout admits only converted types.
            throw .invalidWeights(file: source, reason: "\(what) is a \(type) tensor, which this reader does not convert")
        }
    }

    /// `count` values made by `element`, without zero-filling first.
    private static func make<T>(_ count: Int, _ element: (Int) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer.initializeElement(at: i, to: element(i)) }
            initialized = count
        }
    }

    /// UINT64 values as `Int64`, refusing one above `Int64.max`.
    private static func signed(_ values: [UInt64], what: String, source: String) throws(ReaderError) -> [Int64] {
        if let big = values.first(where: { $0 > UInt64(Int64.max) }) {
            throw .invalidWeights(file: source, reason: "\(what) holds the UINT64 value \(big), more than a 64-bit signed integer can hold")
        }
        return values.map { Int64(bitPattern: $0) }
    }

    /// An IEEE 754 half-precision value (FLOAT16) as a float; exact.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa x 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity, or NaN with its payload.
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            // Rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// A bfloat16 value (the upper half of a float) as a float; exact.
    static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
