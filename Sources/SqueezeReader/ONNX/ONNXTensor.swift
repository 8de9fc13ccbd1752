/// A tensor read from an ONNX file: an initializer, the value of a node's
/// attribute, or a standalone `TensorProto` (ONNX test data).
///
/// Its values are converted to one of two element types (``Values``); the
/// element type in the file is kept in ``dataType``. NaN and infinite values
/// are kept as they are: refusing them is the model validation's job.
public struct ONNXTensor: Sendable, Hashable {
    /// The values of a tensor, in row-major order.
    public enum Values: Sendable, Hashable {
        /// FLOAT, FLOAT16, BFLOAT16 and DOUBLE tensors (DOUBLE rounded to the
        /// nearest float, so values past the float range become infinite).
        case float([Float])
        /// INT64, INT32, INT16, INT8, UINT64, UINT32, UINT16, UINT8 and BOOL
        /// tensors (BOOL as 0 and 1).
        case int64([Int64])

        /// How many values there are.
        public var count: Int {
            switch self {
            case .float(let values): values.count
            case .int64(let values): values.count
            }
        }

        /// The values as floats (integers rounded to the nearest float).
        public var floats: [Float] {
            switch self {
            case .float(let values): values
            case .int64(let values): values.map { Float($0) }
            }
        }
    }

    /// The tensor's name (empty for an unnamed attribute value).
    public var name: String
    /// The element type in the file.
    public var dataType: DataType
    /// The dimensions, outermost first; empty for a scalar.
    public var dimensions: [Int]
    /// The values, as many as the dimensions' product.
    public var values: Values

    /// A tensor of `values`; the caller keeps `dimensions` and `values` consistent.
    public init(name: String, dataType: DataType, dimensions: [Int], values: Values) {
        self.name = name
        self.dataType = dataType
        self.dimensions = dimensions
        self.values = values
    }
}
