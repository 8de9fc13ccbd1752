import Foundation

extension ONNXAttribute {
    /// The attribute `proto` of the node named `node`.
    init(_ proto: Onnx_AttributeProto, node: String, source: String) throws(ReaderError) {
        if !proto.refAttrName.isEmpty {
            // Only function bodies refer to their caller's attributes.
            self = .unsupported(typeName: "a reference to \(ONNXText.quoted(proto.refAttrName))")
            return
        }
        let what = Self.what(proto.name, node: node)
        switch Self.type(of: proto) {
        case .float: self = .float(proto.f)
        case .int: self = .int(Int(truncatingIfNeeded: proto.i))  // Int is 64-bit where the toolkit runs
        case .string: self = .string(try Self.text(proto.s, what: what, source: source))
        case .tensor: self = .tensor(try ONNXTensor(proto.t, what: what, source: source))
        case .floats: self = .floats(proto.floats)
        case .ints: self = .ints(proto.ints.map { Int(truncatingIfNeeded: $0) })
        case .strings:
            var strings: [String] = []
            strings.reserveCapacity(proto.strings.count)
            for bytes in proto.strings { strings.append(try Self.text(bytes, what: what, source: source)) }
            self = .strings(strings)
        case let other: self = .unsupported(typeName: Self.name(of: other))
        }
    }

    /// `attribute 'value' of node 'Constant_0'`, for messages.
    static func what(_ name: String, node: String) -> String {
        "attribute \(ONNXText.quoted(name)) of node \(ONNXText.quoted(node))"
    }

    /// The attribute's type: the `type` field, or for files that predate it
    /// (IR version 1) the one value field that is set.
    static func type(of proto: Onnx_AttributeProto) -> Onnx_AttributeProto.AttributeType {
        if proto.hasType { return proto.type }
        if proto.hasF { return .float }
        if proto.hasI { return .int }
        if proto.hasS { return .string }
        if proto.hasT { return .tensor }
        if !proto.floats.isEmpty { return .floats }
        if !proto.ints.isEmpty { return .ints }
        if !proto.strings.isEmpty { return .strings }
        if !proto.tensors.isEmpty { return .tensors }
        return .undefined
    }

    /// ONNX's name for `type`.
    static func name(of type: Onnx_AttributeProto.AttributeType) -> String {
        switch type {
        case .undefined: "UNDEFINED"
        case .float: "FLOAT"
        case .int: "INT"
        case .string: "STRING"
        case .tensor: "TENSOR"
        case .graph: "GRAPH"
        case .sparseTensor: "SPARSE_TENSOR"
        case .typeProto: "TYPE_PROTO"
        case .floats: "FLOATS"
        case .ints: "INTS"
        case .strings: "STRINGS"
        case .tensors: "TENSORS"
        case .graphs: "GRAPHS"
        case .sparseTensors: "SPARSE_TENSORS"
        case .typeProtos: "TYPE_PROTOS"
        }
    }

    /// `bytes` as UTF-8 text, which ONNX requires of string attributes.
    private static func text(_ bytes: Data, what: String, source: String) throws(ReaderError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidNetwork(file: source, reason: "\(what) is not UTF-8 text")
        }
        return text
    }
}
