import SqueezeModel

extension ONNXValueInfo {
    /// The value `proto` declares; `what` (`graph input 0`) names it in errors.
    /// Extents must be within ``SizeLimits`` like a tensor's.
    init(_ proto: Onnx_ValueInfoProto, what: String, source: String) throws(ReaderError) {
        guard !proto.name.isEmpty else { throw .invalidNetwork(file: source, reason: "\(what) has no name") }
        let what = "\(what) (\(ONNXText.quoted(proto.name)))"
        var elementType: ONNXTensor.DataType?
        var dimensions: [ONNXDimension]?
        if case .tensorType(let tensor)? = proto.type.value {
            // An undefined or unknown element type is left open.
            elementType = ONNXTensor.DataType(rawValue: Int(tensor.elemType)).flatMap { $0 == .undefined ? nil : $0 }
            if tensor.hasShape {
                let extents = tensor.shape.dim
                guard extents.count <= SizeLimits.maximumRank else {
                    throw .tooLarge(file: source, reason: "\(what) has \(extents.count) dimensions, more than the "
                                        + "\(SizeLimits.maximumRank) a tensor may have")
                }
                var shape: [ONNXDimension] = []
                for extent in extents {
                    switch extent.value {
                    case .dimValue(let value)?:
                        guard value >= 0 else {
                            throw .invalidNetwork(file: source, reason: "\(what) has a negative dimension (\(value))")
                        }
                        guard value <= SizeLimits.maximumDimension else {
                            throw .tooLarge(file: source, reason: "\(what) has a dimension of \(value), more than the "
                                                + "\(ByteCount.grouped(SizeLimits.maximumDimension)) a dimension may be")
                        }
                        shape.append(.value(Int(value)))
                    case .dimParam(let name)?:
                        shape.append(name.isEmpty ? .unknown : .symbol(name))
                    case nil:
                        shape.append(.unknown)
                    }
                }
                dimensions = shape
            }
        }
        self.init(name: proto.name, elementType: elementType, dimensions: dimensions)
    }
}
