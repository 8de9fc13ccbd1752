// Protobuf wire encoding, enough to build ONNX models and tensors by hand
// (field numbers from onnx.proto), so that tests can write files valid and
// hostile in exactly the ways they need.

/// Protobuf fields.
enum Wire {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    static func tag(_ number: Int, _ wireType: UInt64) -> [UInt8] { varint(UInt64(number) << 3 | wireType) }

    /// A varint field (int64, int32, enum; negative values as ten bytes).
    static func int(_ number: Int, _ value: Int64) -> [UInt8] { tag(number, 0) + varint(UInt64(bitPattern: value)) }

    static func bytes(_ number: Int, _ data: [UInt8]) -> [UInt8] { tag(number, 2) + varint(UInt64(data.count)) + data }

    static func string(_ number: Int, _ text: String) -> [UInt8] { bytes(number, Array(text.utf8)) }

    static func float(_ number: Int, _ value: Float) -> [UInt8] { tag(number, 5) + littleEndian(value.bitPattern) }

    static func packedFloats(_ number: Int, _ values: [Float]) -> [UInt8] {
        bytes(number, values.flatMap { littleEndian($0.bitPattern) })
    }

    static func packedDoubles(_ number: Int, _ values: [Double]) -> [UInt8] {
        bytes(number, values.flatMap { littleEndian($0.bitPattern) })
    }

    static func packedVarints(_ number: Int, _ values: [UInt64]) -> [UInt8] {
        bytes(number, values.flatMap { varint($0) })
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// ONNX messages.
enum ONNXBuilder {
    /// TensorProto. `raw` is written when not nil (even empty); typed fields when not empty.
    static func tensor(name: String = "", dims: [Int64], dataType: Int, raw: [UInt8]? = nil, floats: [Float] = [],
                       int32s: [Int32] = [], int64s: [Int64] = [], doubles: [Double] = [], uint64s: [UInt64] = [],
                       strings: [String] = [], extra: [UInt8] = []) -> [UInt8] {
        var out = dims.flatMap { Wire.int(1, $0) } + Wire.int(2, Int64(dataType))
        if !floats.isEmpty { out += Wire.packedFloats(4, floats) }
        if !int32s.isEmpty { out += Wire.packedVarints(5, int32s.map { UInt64(bitPattern: Int64($0)) }) }
        for s in strings { out += Wire.string(6, s) }
        if !int64s.isEmpty { out += Wire.packedVarints(7, int64s.map { UInt64(bitPattern: $0) }) }
        if !name.isEmpty { out += Wire.string(8, name) }
        if let raw { out += Wire.bytes(9, raw) }
        if !doubles.isEmpty { out += Wire.packedDoubles(10, doubles) }
        if !uint64s.isEmpty { out += Wire.packedVarints(11, uint64s) }
        return out + extra
    }

    /// A FLOAT tensor with its values in raw_data.
    static func floatTensor(name: String, dims: [Int64], values: [Float]) -> [UInt8] {
        tensor(name: name, dims: dims, dataType: 1, raw: values.flatMap { Wire.littleEndian($0.bitPattern) })
    }

    // AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, strings 9, type 20.
    static func intAttribute(_ name: String, _ value: Int64) -> [UInt8] {
        Wire.string(1, name) + Wire.int(3, value) + Wire.int(20, 2)
    }

    static func intsAttribute(_ name: String, _ values: [Int64]) -> [UInt8] {
        Wire.string(1, name) + values.flatMap { Wire.int(8, $0) } + Wire.int(20, 7)
    }

    static func floatAttribute(_ name: String, _ value: Float) -> [UInt8] {
        Wire.string(1, name) + Wire.float(2, value) + Wire.int(20, 1)
    }

    static func stringAttribute(_ name: String, _ value: [UInt8]) -> [UInt8] {
        Wire.string(1, name) + Wire.bytes(4, value) + Wire.int(20, 3)
    }

    static func tensorAttribute(_ name: String, _ tensor: [UInt8]) -> [UInt8] {
        Wire.string(1, name) + Wire.bytes(5, tensor) + Wire.int(20, 4)
    }

    /// A GRAPH attribute holding `graph` (a GraphProto), which the reader skips.
    static func graphAttribute(_ name: String, _ graph: [UInt8]) -> [UInt8] {
        Wire.string(1, name) + Wire.bytes(6, graph) + Wire.int(20, 5)
    }

    // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
    static func node(name: String = "", opType: String, inputs: [String], outputs: [String],
                     attributes: [[UInt8]] = [], domain: String = "") -> [UInt8] {
        var out = inputs.flatMap { Wire.string(1, $0) } + outputs.flatMap { Wire.string(2, $0) }
        if !name.isEmpty { out += Wire.string(3, name) }
        out += Wire.string(4, opType)
        for a in attributes { out += Wire.bytes(5, a) }
        if !domain.isEmpty { out += Wire.string(7, domain) }
        return out
    }

    /// ValueInfoProto of a tensor: dims as numbers, or names for symbolic ones.
    static func valueInfo(_ name: String, elementType: Int = 1, dims: [Any]? = nil) -> [UInt8] {
        var tensorType = Wire.int(1, Int64(elementType))
        if let dims {
            let shape = dims.flatMap { dim -> [UInt8] in
                let body: [UInt8] = if let value = dim as? Int { Wire.int(1, Int64(value)) }
                    else if let symbol = dim as? String { Wire.string(2, symbol) } else { [] }
                return Wire.bytes(1, body)
            }
            tensorType += Wire.bytes(2, shape)
        }
        return Wire.string(1, name) + Wire.bytes(2, Wire.bytes(1, tensorType))
    }

    // GraphProto: node 1, name 2, initializer 5, input 11, output 12.
    static func graph(name: String = "g", nodes: [[UInt8]], initializers: [[UInt8]] = [], inputs: [[UInt8]],
                      outputs: [[UInt8]]) -> [UInt8] {
        nodes.flatMap { Wire.bytes(1, $0) } + Wire.string(2, name) + initializers.flatMap { Wire.bytes(5, $0) }
            + inputs.flatMap { Wire.bytes(11, $0) } + outputs.flatMap { Wire.bytes(12, $0) }
    }

    // ModelProto: ir_version 1, producer 2, producer_version 3, graph 7, opset_import 8, metadata_props 14.
    static func model(irVersion: Int64? = 8, opsets: [(String, Int64)] = [("", 13)], graph: [UInt8]?,
                      producer: String = "tests", metadata: [(String, String)] = []) -> [UInt8] {
        var out: [UInt8] = []
        if let irVersion { out += Wire.int(1, irVersion) }
        out += Wire.string(2, producer) + Wire.string(3, "1.0")
        if let graph { out += Wire.bytes(7, graph) }
        for (domain, version) in opsets { out += Wire.bytes(8, Wire.string(1, domain) + Wire.int(2, version)) }
        for (key, value) in metadata { out += Wire.bytes(14, Wire.string(1, key) + Wire.string(2, value)) }
        return out
    }

    /// A model with one Conv and one Relu, weights as initializers, a Constant
    /// with a tensor attribute and a subgraph attribute the reader skips.
    static let small: [UInt8] = model(
        graph: graph(
            name: "small",
            nodes: [
                node(name: "conv", opType: "Conv", inputs: ["data", "w", "b"], outputs: ["c"],
                     attributes: [intsAttribute("kernel_shape", [3, 3]), intsAttribute("pads", [1, 1, 1, 1]),
                                  intAttribute("group", 1)]),
                node(opType: "Relu", inputs: ["c"], outputs: ["r"]),
                node(opType: "Constant", inputs: [], outputs: ["k"],
                     attributes: [tensorAttribute("value", floatTensor(name: "", dims: [2], values: [0.5, -1]))]),
                node(opType: "If", inputs: ["r", ""], outputs: ["out"],
                     attributes: [graphAttribute("then_branch", graph(nodes: [node(opType: "Identity", inputs: ["k"], outputs: ["o"])],
                                                                      inputs: [], outputs: [valueInfo("o")])),
                                  floatAttribute("alpha", 0.25), stringAttribute("mode", Array("nearest".utf8))]),
            ],
            initializers: [
                floatTensor(name: "w", dims: [2, 1, 3, 3], values: (0..<18).map { Float($0) / 4 }),
                tensor(name: "b", dims: [2], dataType: 1, floats: [0.5, -0.5]),
            ],
            inputs: [valueInfo("data", dims: ["N", 1, 5, 5]), valueInfo("w", dims: [2, 1, 3, 3])],
            outputs: [valueInfo("out", dims: nil)]),
        metadata: [("b_key", "2"), ("a_key", "1")])
}
