import SqueezeEncode
import SqueezeModel

/// The `GRPH` section (version 1.1): the network in the project's own typed
/// graph encoding, `u8 compression (0 none, 1 zstd), u32 size, bytes` of:
///
/// ```
/// string name
/// count inputs, per input: string name, u8 rank, rank x count dimensions
/// count layers, per layer:
///   string name, string operator type
///   count inputs, strings; count outputs, strings
///   count attributes, per attribute: string name, u8 type, value
/// ```
///
/// Counts and integers are zigzag LEB128 varints; strings are `count
/// length, UTF-8`. Attribute types: 0 int, 1 float (`f32`), 2 ints (`count n`,
/// n ints), 3 floats (`count n, n x f32`), 4 string.
enum GraphSection {
    /// The largest uncompressed graph read (64 MiB, as for `NETW`).
    static let maximumSize = 1 << 26

    static func encode(_ network: Network) throws(ContainerError) -> [UInt8] {
        var w = ByteWriter()
        func string(_ s: String, _ what: String) throws(ContainerError) {
            guard s.utf8.count <= Int(UInt16.max) else { throw .invalidModel("\(what) '\(s.prefix(40))...' is longer than 65535 bytes") }
            w.varint(Int64(s.utf8.count))
            w.append(Array(s.utf8))
        }
        func count16(_ n: Int, _ what: String) throws(ContainerError) {
            guard n <= Int(UInt16.max) else { throw .invalidModel("\(n) \(what) is more than 65535") }
            w.varint(Int64(n))
        }
        try string(network.name, "the network name")
        try count16(network.inputs.count, "inputs")
        for input in network.inputs {
            try string(input.name, "an input name")
            guard input.shape.rank <= SizeLimits.maximumRank,
                  input.shape.dimensions.allSatisfy({ (0...Int(UInt32.max)).contains($0) }) else {
                throw .invalidModel("input '\(input.name)' has shape \(input.shape), which cannot be stored")
            }
            w.u8(UInt8(input.shape.rank))
            for d in input.shape.dimensions { w.varint(Int64(d)) }
        }
        w.varint(Int64(network.layers.count))
        for layer in network.layers {
            try string(layer.name, "a layer name")
            try string(layer.kind.typeName, "an operator type")
            try count16(layer.bottoms.count, "inputs of layer '\(layer.name)'")
            for b in layer.bottoms { try string(b, "a blob name") }
            try count16(layer.tops.count, "outputs of layer '\(layer.name)'")
            for t in layer.tops { try string(t, "a blob name") }
            let attributes = layer.kind.attributes.entries
            try count16(attributes.count, "attributes of layer '\(layer.name)'")
            for (name, value) in attributes {
                try string(name, "an attribute name")
                switch value {
                case .int(let v):
                    w.u8(0)
                    w.varint(Int64(v))
                case .float(let v):
                    w.u8(1)
                    w.f32(v)
                case .ints(let v):
                    w.u8(2)
                    w.varint(Int64(v.count))
                    for x in v { w.varint(Int64(x)) }
                case .floats(let v):
                    w.u8(3)
                    w.varint(Int64(v.count))
                    w.f32s(v)
                case .string(let v):
                    w.u8(4)
                    try string(v, "attribute '\(name)'")
                }
            }
        }
        let graph = w.bytes
        var out = ByteWriter()
        // Names and attribute names repeat; zstd shrinks the graph several times.
        let packed: [UInt8]
        do { packed = try Zstd.compress(graph, level: 19) } catch { throw .invalidModel("network graph: \(error)") }
        let compressed = packed.count < graph.count
        out.u8(compressed ? 1 : 0)
        out.u32(UInt32(graph.count))
        out.append(compressed ? packed : graph)
        return out.bytes
    }

    static func decode(_ reader: inout ByteReader) throws(ContainerError) -> Network {
        let compression = try reader.u8("graph compression")
        let size = Int(try reader.u32("graph size"))
        guard size <= maximumSize else { throw reader.failure("a graph of \(size) bytes is more than the \(maximumSize) allowed") }
        let body = Array(try reader.slice(reader.remaining, "graph"))
        let graph: [UInt8]
        switch compression {
        case 0:
            guard body.count == size else { throw reader.failure("graph of \(body.count) bytes, header says \(size)") }
            graph = body
        case 1:
            do { graph = try Zstd.decompress(body, expectedSize: size) } catch { throw reader.failure("graph: \(error)") }
        default:
            throw reader.failure("unknown graph compression \(compression)")
        }
        var r = GraphReader(bytes: ByteReader(graph, range: 0..<graph.count, file: reader.file, section: reader.section))
        let name = try r.string("the network name")
        var inputs: [NetworkInput] = []
        for _ in 0..<(try r.count("input count", limit: SizeLimits.maximumLayerArity)) {
            let inputName = try r.string("an input name")
            let rank = Int(try r.u8("input rank"))
            guard rank <= SizeLimits.maximumRank else { throw r.failure("input '\(ModelError.printable(inputName))' has rank \(rank)") }
            var dims: [Int] = []
            for _ in 0..<rank { dims.append(try r.count("an input dimension", limit: Int(UInt32.max))) }
            inputs.append(NetworkInput(name: inputName, shape: TensorShape(dims)))
        }
        let layerCount = try r.count("layer count", limit: SizeLimits.maximumLayerCount)
        guard layerCount <= r.remaining / 6 else {
            throw r.failure("\(layerCount) layers cannot fit in \(r.remaining) bytes")
        }
        var layers: [Layer] = []
        layers.reserveCapacity(layerCount)
        for index in 0..<layerCount {
            let layerName = try r.string("the name of layer \(index + 1)")
            let type = try r.string("the operator type of layer '\(ModelError.printable(layerName))'")
            var bottoms: [String] = [], tops: [String] = []
            for _ in 0..<(try r.count("input count", limit: SizeLimits.maximumLayerArity)) { bottoms.append(try r.string("a blob name")) }
            for _ in 0..<(try r.count("output count", limit: SizeLimits.maximumLayerArity)) { tops.append(try r.string("a blob name")) }
            var attributes = Attributes()
            for _ in 0..<(try r.count("attribute count", limit: Int(UInt16.max))) {
                let key = try r.string("an attribute name")
                guard attributes[key] == nil else { throw r.failure("layer '\(ModelError.printable(layerName))' has attribute '\(ModelError.printable(key))' twice") }
                let kind = try r.u8("the type of attribute '\(ModelError.printable(key))'")
                switch kind {
                case 0:
                    attributes[key] = .int(Int(try r.varint("attribute '\(ModelError.printable(key))'")))
                case 1:
                    attributes[key] = .float(try r.f32s(1, "attribute '\(ModelError.printable(key))'")[0])
                case 2:
                    let n = try r.count("the length of attribute '\(ModelError.printable(key))'", limit: r.remaining)
                    var values: [Int] = []
                    values.reserveCapacity(n)
                    for _ in 0..<n { values.append(Int(try r.varint("attribute '\(ModelError.printable(key))'"))) }
                    attributes[key] = .ints(values)
                case 3:
                    let n = try r.count("the length of attribute '\(ModelError.printable(key))'", limit: r.remaining / 4)
                    attributes[key] = .floats(try r.f32s(n, "attribute '\(ModelError.printable(key))'"))
                case 4:
                    attributes[key] = .string(try r.string("attribute '\(ModelError.printable(key))'"))
                default:
                    throw r.failure("attribute '\(ModelError.printable(key))' of layer '\(ModelError.printable(layerName))' has unknown type \(kind)")
                }
            }
            let op: any Operator
            do { op = try OperatorRegistry.make(type, attributes: attributes) } catch {
                throw r.failure("layer '\(ModelError.printable(layerName))': \(error)")
            }
            layers.append(Layer(name: layerName, kind: op, bottoms: bottoms, tops: tops))
        }
        guard r.bytes.remaining == 0 else { throw r.failure("\(r.bytes.remaining) bytes after the last layer of the graph") }
        let network = Network(name: name, inputs: inputs, layers: layers)
        do throws(ModelError) { _ = try network.inferShapes() } catch { throw reader.failure(error.description) }
        return network
    }
}

/// Reads the graph's varint counts and strings (`varint length, UTF-8`).
private struct GraphReader {
    var bytes: ByteReader

    var remaining: Int { bytes.remaining }

    func failure(_ reason: String) -> ContainerError { bytes.failure(reason) }

    mutating func count(_ what: String, limit: Int) throws(ContainerError) -> Int {
        let v = try bytes.varint(what)
        guard v >= 0, v <= Int64(limit) else { throw failure("\(what) \(v) is outside 0...\(limit)") }
        return Int(v)
    }

    mutating func string(_ what: String) throws(ContainerError) -> String {
        let n = try count("\(what) length", limit: Int(UInt16.max))
        let raw = try bytes.slice(n, what)
        guard let text = String(validating: raw, as: UTF8.self) else { throw failure("\(what) is not valid UTF-8") }
        return text
    }

    mutating func u8(_ what: String) throws(ContainerError) -> UInt8 { try bytes.u8(what) }
    mutating func varint(_ what: String) throws(ContainerError) -> Int64 { try bytes.varint(what) }
    mutating func f32s(_ n: Int, _ what: String) throws(ContainerError) -> [Float] { try bytes.f32s(n, what) }
}
