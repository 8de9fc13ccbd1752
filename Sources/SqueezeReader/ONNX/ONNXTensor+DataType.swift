extension ONNXTensor {
    /// ONNX's element types (`TensorProto.DataType`), by their number in the file.
    ///
    /// The reader converts FLOAT, FLOAT16, BFLOAT16, DOUBLE and the integer and
    /// BOOL types (``isConverted``); a tensor of another type is refused.
    public enum DataType: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case undefined = 0
        case float = 1
        case uint8 = 2
        case int8 = 3
        case uint16 = 4
        case int16 = 5
        case int32 = 6
        case int64 = 7
        case string = 8
        case bool = 9
        case float16 = 10
        case double = 11
        case uint32 = 12
        case uint64 = 13
        case complex64 = 14
        case complex128 = 15
        case bfloat16 = 16
        case float8e4m3fn = 17
        case float8e4m3fnuz = 18
        case float8e5m2 = 19
        case float8e5m2fnuz = 20
        case uint4 = 21
        case int4 = 22
        case float4e2m1 = 23
        case float8e8m0 = 24
        case uint2 = 25
        case int2 = 26
        case float6e2m3 = 27
        case float6e3m2 = 28

        /// ONNX's name for the type (`FLOAT16`).
        public var name: String {
            switch self {
            case .undefined: "UNDEFINED"
            case .float: "FLOAT"
            case .uint8: "UINT8"
            case .int8: "INT8"
            case .uint16: "UINT16"
            case .int16: "INT16"
            case .int32: "INT32"
            case .int64: "INT64"
            case .string: "STRING"
            case .bool: "BOOL"
            case .float16: "FLOAT16"
            case .double: "DOUBLE"
            case .uint32: "UINT32"
            case .uint64: "UINT64"
            case .complex64: "COMPLEX64"
            case .complex128: "COMPLEX128"
            case .bfloat16: "BFLOAT16"
            case .float8e4m3fn: "FLOAT8E4M3FN"
            case .float8e4m3fnuz: "FLOAT8E4M3FNUZ"
            case .float8e5m2: "FLOAT8E5M2"
            case .float8e5m2fnuz: "FLOAT8E5M2FNUZ"
            case .uint4: "UINT4"
            case .int4: "INT4"
            case .float4e2m1: "FLOAT4E2M1"
            case .float8e8m0: "FLOAT8E8M0"
            case .uint2: "UINT2"
            case .int2: "INT2"
            case .float6e2m3: "FLOAT6E2M3"
            case .float6e3m2: "FLOAT6E3M2"
            }
        }

        public var description: String { name }

        /// Whether the reader converts tensors of this type: to
        /// ``Values/float(_:)`` or ``Values/int64(_:)``.
        public var isConverted: Bool { rawElementSize != nil }

        /// Whether tensors of this type become ``Values/float(_:)``.
        public var isFloatingPoint: Bool {
            self == .float || self == .float16 || self == .bfloat16 || self == .double
        }

        /// Bytes per element in `raw_data` (little-endian), for the converted types.
        var rawElementSize: Int? {
            switch self {
            case .uint8, .int8, .bool: 1
            case .uint16, .int16, .float16, .bfloat16: 2
            case .float, .int32, .uint32: 4
            case .int64, .uint64, .double: 8
            default: nil
            }
        }

        /// Bytes per element once converted (`Float` or `Int64`).
        var convertedElementSize: Int { isFloatingPoint ? MemoryLayout<Float>.stride : MemoryLayout<Int64>.stride }

        /// The converted types, for messages.
        static let convertedNames = allCases.filter(\.isConverted).map(\.name).joined(separator: ", ")
    }
}
