import Foundation
import SqueezeModel
internal import SwiftProtobuf

extension HostTensor {
    /// Reads an ONNX `TensorProto` file (`test_data_set_0/input_0.pb`) with
    /// the checks of `ONNXModel.decodeTensor`;
    /// its values are converted to `Float`. Returns the tensor's name too.
    public static func readTensorProto(contentsOf url: URL,
                                       memoryLimit: MemoryLimit = .current) throws(ReaderError) -> (name: String, tensor: HostTensor) {
        try decodeTensorProto(FileBytes.read(url, maximumSize: maximumFileSize), source: url.path, memoryLimit: memoryLimit)
    }

    /// Decodes a serialized `TensorProto`; `source` names it in errors.
    public static func decodeTensorProto(_ bytes: Data, source: String,
                                         memoryLimit: MemoryLimit = .current) throws(ReaderError) -> (name: String, tensor: HostTensor) {
        host(try ONNXModel.decodeTensorProto(bytes, source: source, memoryLimit: memoryLimit,
                                             extraBytesPerElement: MemoryLayout<Float>.stride))
    }

    /// Decodes a serialized `TensorProto`; `source` names it in errors.
    public static func decodeTensorProto(_ bytes: [UInt8], source: String,
                                         memoryLimit: MemoryLimit = .current) throws(ReaderError) -> (name: String, tensor: HostTensor) {
        host(try ONNXModel.decodeTensorProto(bytes, source: source, memoryLimit: memoryLimit,
                                             extraBytesPerElement: MemoryLayout<Float>.stride))
    }

    /// The tensor as a serialized `TensorProto` named `name`: FLOAT, its
    /// dimensions, and its values in `raw_data` (little-endian), as ONNX's
    /// `numpy_helper.from_array` writes a float32 array.
    ///
    /// - Throws: ``ReaderError/invalidWeights(file:reason:)`` when ``shapeFailure`` is not nil.
    public func tensorProtoBytes(name: String) throws(ReaderError) -> [UInt8] {
        try checkedForWriting()
        var proto = Onnx_TensorProto()
        proto.dims = shape.map { Int64($0) }
        proto.dataType = Int32(ONNXTensor.DataType.float.rawValue)
        // An unnamed tensor has no name field, as onnx writes it.
        if !name.isEmpty { proto.name = name }
        var raw = Data(capacity: values.count * MemoryLayout<Float>.size)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) }
        }
        proto.rawData = raw
        do {
            return try proto.serializedBytes()
        } catch {
            throw .invalidWeights(file: "HostTensor", reason: "cannot serialize the tensor (\(error))")
        }
    }

    /// An ONNX tensor's name, shape and values as floats.
    private static func host(_ tensor: ONNXTensor) -> (name: String, tensor: HostTensor) {
        (tensor.name, HostTensor(shape: tensor.dimensions, values: tensor.values.floats))
    }
}
