import SqueezeContainer

// A map of every field of a `.sqz` container, walked exactly as
// docs/FORMAT.md lays the file out, and the means to set any one of them
// to another value: for the field walk (FieldWalkTests).

/// One field of a container that can be set to another value.
struct ContainerField: CustomStringConvertible {
    /// Where the field is and how it is written.
    enum Location {
        /// A little-endian unsigned integer of `width` bytes at `offset`.
        case fixed(offset: Int, width: Int)
        /// The `leaf`-th varint (wire type 0, or one entry of a packed
        /// field) of the `NETW` definition, in depth-first order.
        case varint(leaf: Int)
        /// The `leaf`-th fixed32 (wire type 5) of the `NETW` definition.
        case fixed32(leaf: Int)
        /// The `leaf`-th fixed64 (wire type 1) of the `NETW` definition.
        case fixed64(leaf: Int)
    }

    /// What the field is, e.g. `LAYR fc_shared: codes stream count` or
    /// `NETW definition: layer[1].convolution_param.num_output`.
    var name: String
    /// Where it is.
    var location: Location

    var description: String { name }

    /// The walk's values: 0, 1, 2^31-1, 2^32-1 and 2^63-1. A value wider than
    /// the field is clamped to the field's largest (so for a u32 both 2^32-1
    /// and 2^63-1 give 0xFFFFFFFF, for a u8 the last three give 0xFF), and a
    /// fixed32 inside the definition takes the value's low 32 bits; values
    /// that coincide after that are walked once. Varints take all five.
    static let walkValues: [UInt64] = [0, 1, 1 << 31 - 1, 1 << 32 - 1, 1 << 63 - 1]

    /// The distinct values this field is set to.
    var values: [UInt64] {
        let mapped: [UInt64] = switch location {
        case .fixed(_, let width):
            Self.walkValues.map { min($0, width >= 8 ? .max : (1 << (8 * UInt64(width))) - 1) }
        case .varint, .fixed64: Self.walkValues
        case .fixed32: Self.walkValues.map { $0 & 0xFFFF_FFFF }
        }
        var seen = Set<UInt64>()
        return mapped.filter { seen.insert($0).inserted }
    }
}

/// Every field of one container, with its bytes.
///
/// The header (major, minor, section count; its CRC is recomputed, not
/// walked), every section's tag and length, `NETW`'s compression and size
/// and, when the definition is stored uncompressed and `walkDefinition` is
/// set, every varint and fixed-width scalar inside the protobuf definition
/// (through its sub-messages), and in every `LAYR` the name length, storage
/// kind, rank, each shape dimension, bias count, codebook size, index width
/// and, per stream, its codec, width, count, alphabet and payload length.
struct ContainerMap {
    /// The container as encoded.
    let bytes: [UInt8]
    /// Its fields, in file order.
    private(set) var fields: [ContainerField] = []
    /// The parsed definition and where the `NETW` section sits, when walked.
    private var definition: (message: ProtoMessage, sectionStart: Int, sectionEnd: Int)?

    /// Why the bytes do not follow docs/FORMAT.md (the map is made of
    /// containers the library wrote, so this is a test failure).
    struct FormatMismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// Maps `bytes`, a container as `SqueezeContainer.encode` writes it.
    init(_ bytes: [UInt8], walkDefinition: Bool) throws {
        self.bytes = bytes
        var r = Cursor(bytes: bytes, offset: 8)
        fields.append(r.field("header: major version", 2))
        fields.append(r.field("header: minor version", 2))
        let sectionCount = Int(r.peek(4))
        fields.append(r.field("header: section count", 4))
        r.offset += 4  // header CRC-32C, recomputed
        for index in 0..<sectionCount {
            let start = r.offset
            let tag = String(decoding: bytes[r.offset..<(r.offset + 4)], as: UTF8.self)
            fields.append(r.field("section \(index + 1) (\(tag)): tag", 4))
            let length = Int(r.peek(4))
            fields.append(r.field("section \(index + 1) (\(tag)): length", 4))
            let end = r.offset + length
            switch tag {
            case "NETW":
                let compression = r.peek(1)
                fields.append(r.field("NETW: compression", 1))
                fields.append(r.field("NETW: definition size", 4))
                if compression == 0 && walkDefinition {
                    let message = try ProtoMessage(parsing: bytes[r.offset..<end], type: "NetParameter")
                    definition = (message, start, end + 4)
                    fields += message.leaves.enumerated().map { i, leaf in
                        let location: ContainerField.Location = switch leaf.wire {
                        case .fixed32: .fixed32(leaf: i)
                        case .fixed64: .fixed64(leaf: i)
                        default: .varint(leaf: i)
                        }
                        return ContainerField(name: "NETW definition: \(leaf.path)", location: location)
                    }
                }
                r.offset = end
            case "LAYR":
                try mapLayer(&r, end: end)
            default:
                throw FormatMismatch(description: "unknown tag \(tag) at \(start)")
            }
            guard r.offset == end else { throw FormatMismatch(description: "section \(index + 1) ends at \(r.offset), not \(end)") }
            r.offset += 4  // section CRC-32C, recomputed
        }
        guard r.offset == bytes.count else { throw FormatMismatch(description: "\(bytes.count - r.offset) bytes after the sections") }
    }

    /// `LAYR`: name, kind, rank, shape, biases, then by kind the codebook,
    /// index width and streams.
    private mutating func mapLayer(_ r: inout Cursor, end: Int) throws {
        let nameLength = Int(r.peek(2))
        let name = String(decoding: bytes[(r.offset + 2)..<(r.offset + 2 + nameLength)], as: UTF8.self)
        let prefix = "LAYR \(name): "
        fields.append(r.field(prefix + "name length", 2))
        r.offset += nameLength
        let kind = r.peek(1)
        fields.append(r.field(prefix + "storage kind", 1))
        let rank = Int(r.peek(1))
        fields.append(r.field(prefix + "rank", 1))
        for axis in 0..<rank { fields.append(r.field(prefix + "shape[\(axis)]", 4)) }
        let biasCount = Int(r.peek(4))
        fields.append(r.field(prefix + "bias count", 4))
        r.offset += 4 * biasCount
        func codebook() {
            let size = Int(r.peek(4))
            fields.append(r.field(prefix + "codebook size", 4))
            r.offset += 4 * size
        }
        func stream(_ role: String) {
            fields.append(r.field(prefix + "\(role) stream codec", 1))
            fields.append(r.field(prefix + "\(role) stream width", 1))
            fields.append(r.field(prefix + "\(role) stream count", 4))
            fields.append(r.field(prefix + "\(role) stream alphabet", 4))
            let length = Int(r.peek(4))
            fields.append(r.field(prefix + "\(role) stream payload length", 4))
            r.offset += length
        }
        switch kind {
        case 0:
            stream("values")
        case 1:
            fields.append(r.field(prefix + "index width", 1))
            stream("indices")
            stream("values")
        case 2:
            codebook()
            stream("codes")
        case 3:
            codebook()
            fields.append(r.field(prefix + "index width", 1))
            stream("codes")
            stream("indices")
        default:
            throw FormatMismatch(description: "\(prefix)storage kind \(kind)")
        }
        guard r.offset == end else { throw FormatMismatch(description: "\(prefix)ends at \(r.offset), not \(end)") }
    }

    /// The container with `field` set to `value` and every checksum
    /// recomputed (`SqueezeContainer.repairingChecksums`). Setting a value
    /// inside the definition re-encodes it and fixes up the lengths that
    /// enclose it: the sub-messages', the definition size and the section length.
    func setting(_ field: ContainerField, to value: UInt64) -> [UInt8] {
        var out = bytes
        switch field.location {
        case .fixed(let offset, let width):
            for i in 0..<width { out[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case .varint(let leaf), .fixed32(let leaf), .fixed64(let leaf):
            guard let (message, start, end) = definition else { preconditionFailure("no definition was mapped") }
            let encoded = message.serialized(replacingLeaf: leaf, with: value)
            var payload: [UInt8] = [0]
            payload += littleEndian(UInt64(encoded.count), width: 4)
            payload += encoded
            var section = Array(bytes[start..<(start + 4)])  // tag
            section += littleEndian(UInt64(payload.count), width: 4)
            section += payload
            section += [0, 0, 0, 0]  // CRC-32C, recomputed below
            out = Array(bytes[..<start]) + section + Array(bytes[end...])
        }
        return SqueezeContainer.repairingChecksums(out)
    }

    private func littleEndian(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// Reads fixed-width fields forward, recording where they are.
    private struct Cursor {
        let bytes: [UInt8]
        var offset: Int

        /// The little-endian value of `width` bytes at the cursor (not consumed).
        func peek(_ width: Int) -> UInt64 {
            (0..<width).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }

        /// Records the field of `width` bytes at the cursor and steps past it.
        mutating func field(_ name: String, _ width: Int) -> ContainerField {
            defer { offset += width }
            return ContainerField(name: name, location: .fixed(offset: offset, width: width))
        }
    }
}

// MARK: - Protobuf wire format

/// A protobuf message as a tree of fields, read by wire type with the names
/// and sub-message types of `caffe.proto` (Sources/SqueezeReader/Caffe/caffe.proto)
/// for the messages a network definition uses; anything else that is
/// length-delimited is kept as opaque bytes.
struct ProtoMessage {
    /// One field as it appears on the wire.
    indirect enum Node {
        case varint(field: Int, value: UInt64)
        case fixed64(field: Int, value: UInt64)
        case fixed32(field: Int, value: UInt32)
        case bytes(field: Int, [UInt8])
        case packed(field: Int, [UInt64])
        case message(field: Int, ProtoMessage)
    }

    /// A scalar that the walk sets: its wire type and a readable path.
    struct Leaf {
        enum Wire { case varint, fixed32, fixed64 }
        var wire: Wire
        var path: String
    }

    /// Why bytes are not the message they should be.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The message's type name in `caffe.proto`.
    var type: String
    /// Its fields in wire order.
    var nodes: [Node]

    /// Parses `bytes` as a message of `type`.
    init(parsing bytes: ArraySlice<UInt8>, type: String) throws {
        self.type = type
        nodes = []
        var i = bytes.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex, shift < 64 else { throw Malformed(description: "bad varint in \(type)") }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        func little(_ width: Int) throws -> UInt64 {
            guard bytes.endIndex - i >= width else { throw Malformed(description: "truncated \(type)") }
            defer { i += width }
            return (0..<width).reduce(0) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) }
        }
        while i < bytes.endIndex {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: nodes.append(.varint(field: field, value: try varint()))
            case 1: nodes.append(.fixed64(field: field, value: try little(8)))
            case 5: nodes.append(.fixed32(field: field, value: UInt32(try little(4))))
            case 2:
                let length = Int(try varint())
                guard bytes.endIndex - i >= length else { throw Malformed(description: "truncated \(type).\(field)") }
                let body = bytes[i..<(i + length)]
                i += length
                switch Self.schema[type]?[field]?.kind {
                case .message(let sub)?: nodes.append(.message(field: field, try ProtoMessage(parsing: body, type: sub)))
                case .packedVarint?:
                    var values: [UInt64] = []
                    var j = body.startIndex
                    while j < body.endIndex {
                        var value: UInt64 = 0, shift: UInt64 = 0
                        while true {
                            guard j < body.endIndex, shift < 64 else { throw Malformed(description: "bad packed varint") }
                            value |= UInt64(body[j] & 0x7F) << shift
                            j += 1
                            if body[j - 1] & 0x80 == 0 { break }
                            shift += 7
                        }
                        values.append(value)
                    }
                    nodes.append(.packed(field: field, values))
                default: nodes.append(.bytes(field: field, Array(body)))
                }
            default:
                throw Malformed(description: "wire type \(key & 7) in \(type)")
            }
        }
    }

    /// The scalars of the message and its sub-messages, depth first (the
    /// order `serialized(replacingLeaf:with:)` counts them in).
    var leaves: [Leaf] {
        var out: [Leaf] = []
        var counts: [Int: Int] = [:]
        for node in nodes {
            switch node {
            case .varint(let f, _): out.append(Leaf(wire: .varint, path: name(f, &counts)))
            case .fixed32(let f, _): out.append(Leaf(wire: .fixed32, path: name(f, &counts)))
            case .fixed64(let f, _): out.append(Leaf(wire: .fixed64, path: name(f, &counts)))
            case .packed(let f, let values):
                let base = name(f, &counts)
                out += values.indices.map { Leaf(wire: .varint, path: "\(base)[\($0)]") }
            case .message(let f, let sub):
                let base = name(f, &counts)
                out += sub.leaves.map { Leaf(wire: $0.wire, path: "\(base).\($0.path)") }
            case .bytes(let f, _): _ = name(f, &counts)
            }
        }
        return out
    }

    /// `name` for a singular field, `name[k]` for the k-th of a repeated one.
    private func name(_ field: Int, _ counts: inout [Int: Int]) -> String {
        let entry = Self.schema[type]?[field]
        let base = entry?.name ?? "field\(field)"
        let index = counts[field, default: 0]
        counts[field] = index + 1
        return entry?.repeated == true ? "\(base)[\(index)]" : base
    }

    /// The message's bytes with the `leaf`-th scalar set to `value` (a
    /// varint re-encoded, a fixed32 truncated to 32 bits) and every
    /// enclosing length recomputed.
    func serialized(replacingLeaf leaf: Int, with value: UInt64) -> [UInt8] {
        var counter = 0
        return serialize(leaf, value, &counter)
    }

    private func serialize(_ target: Int, _ value: UInt64, _ counter: inout Int) -> [UInt8] {
        var out: [UInt8] = []
        func hit() -> Bool {
            defer { counter += 1 }
            return counter == target
        }
        for node in nodes {
            switch node {
            case .varint(let f, let v):
                Self.appendVarint(UInt64(f << 3), to: &out)
                Self.appendVarint(hit() ? value : v, to: &out)
            case .fixed64(let f, let v):
                Self.appendVarint(UInt64(f << 3 | 1), to: &out)
                let w = hit() ? value : v
                out += (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * UInt64($0))) }
            case .fixed32(let f, let v):
                Self.appendVarint(UInt64(f << 3 | 5), to: &out)
                let w = hit() ? UInt32(truncatingIfNeeded: value) : v
                out += (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) }
            case .packed(let f, let values):
                var body: [UInt8] = []
                for v in values { Self.appendVarint(hit() ? value : v, to: &body) }
                Self.appendVarint(UInt64(f << 3 | 2), to: &out)
                Self.appendVarint(UInt64(body.count), to: &out)
                out += body
            case .message(let f, let sub):
                let body = sub.serialize(target, value, &counter)
                Self.appendVarint(UInt64(f << 3 | 2), to: &out)
                Self.appendVarint(UInt64(body.count), to: &out)
                out += body
            case .bytes(let f, let body):
                Self.appendVarint(UInt64(f << 3 | 2), to: &out)
                Self.appendVarint(UInt64(body.count), to: &out)
                out += body
            }
        }
        return out
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    // MARK: Schema

    /// How a field of `caffe.proto` is read.
    enum Kind {
        /// A scalar (varint, fixed32 or fixed64 on the wire), a string or bytes.
        case scalar
        /// A sub-message of the named type.
        case message(String)
        /// `[packed = true]` integers.
        case packedVarint
    }

    /// A field's name, kind and whether it repeats.
    struct Entry {
        var name: String
        var kind: Kind = .scalar
        var repeated = false
    }

    /// The fields of the `caffe.proto` messages a network definition is
    /// written with (CaffeNetworkBuilder.netParameter), by message and field number.
    static let schema: [String: [Int: Entry]] = [
        "NetParameter": [
            1: Entry(name: "name"), 3: Entry(name: "input", repeated: true),
            8: Entry(name: "input_shape", kind: .message("BlobShape"), repeated: true),
            4: Entry(name: "input_dim", repeated: true), 5: Entry(name: "force_backward"),
            6: Entry(name: "state", kind: .message("NetState")), 7: Entry(name: "debug_info"),
            100: Entry(name: "layer", kind: .message("LayerParameter"), repeated: true),
        ],
        "BlobShape": [1: Entry(name: "dim", kind: .packedVarint)],
        "NetState": [1: Entry(name: "phase"), 2: Entry(name: "level"), 3: Entry(name: "stage", repeated: true)],
        "LayerParameter": [
            1: Entry(name: "name"), 2: Entry(name: "type"), 3: Entry(name: "bottom", repeated: true),
            4: Entry(name: "top", repeated: true), 10: Entry(name: "phase"),
            5: Entry(name: "loss_weight", repeated: true), 11: Entry(name: "propagate_down", repeated: true),
            104: Entry(name: "concat_param", kind: .message("ConcatParameter")),
            106: Entry(name: "convolution_param", kind: .message("ConvolutionParameter")),
            108: Entry(name: "dropout_param", kind: .message("DropoutParameter")),
            117: Entry(name: "inner_product_param", kind: .message("InnerProductParameter")),
            118: Entry(name: "lrn_param", kind: .message("LRNParameter")),
            121: Entry(name: "pooling_param", kind: .message("PoolingParameter")),
            123: Entry(name: "relu_param", kind: .message("ReLUParameter")),
            125: Entry(name: "softmax_param", kind: .message("SoftmaxParameter")),
            143: Entry(name: "input_param", kind: .message("InputParameter")),
        ],
        "InputParameter": [1: Entry(name: "shape", kind: .message("BlobShape"), repeated: true)],
        "ConcatParameter": [2: Entry(name: "axis"), 1: Entry(name: "concat_dim")],
        "ConvolutionParameter": [
            1: Entry(name: "num_output"), 2: Entry(name: "bias_term"), 3: Entry(name: "pad", repeated: true),
            4: Entry(name: "kernel_size", repeated: true), 6: Entry(name: "stride", repeated: true),
            18: Entry(name: "dilation", repeated: true), 9: Entry(name: "pad_h"), 10: Entry(name: "pad_w"),
            11: Entry(name: "kernel_h"), 12: Entry(name: "kernel_w"), 13: Entry(name: "stride_h"),
            14: Entry(name: "stride_w"), 5: Entry(name: "group"), 15: Entry(name: "engine"), 16: Entry(name: "axis"),
            17: Entry(name: "force_nd_im2col"),
        ],
        "DropoutParameter": [1: Entry(name: "dropout_ratio")],
        "InnerProductParameter": [
            1: Entry(name: "num_output"), 2: Entry(name: "bias_term"), 5: Entry(name: "axis"),
            6: Entry(name: "transpose"),
        ],
        "LRNParameter": [
            1: Entry(name: "local_size"), 2: Entry(name: "alpha"), 3: Entry(name: "beta"),
            4: Entry(name: "norm_region"), 5: Entry(name: "k"), 6: Entry(name: "engine"),
        ],
        "PoolingParameter": [
            1: Entry(name: "pool"), 4: Entry(name: "pad"), 9: Entry(name: "pad_h"), 10: Entry(name: "pad_w"),
            2: Entry(name: "kernel_size"), 5: Entry(name: "kernel_h"), 6: Entry(name: "kernel_w"),
            3: Entry(name: "stride"), 7: Entry(name: "stride_h"), 8: Entry(name: "stride_w"),
            11: Entry(name: "engine"), 12: Entry(name: "global_pooling"), 13: Entry(name: "round_mode"),
        ],
        "ReLUParameter": [1: Entry(name: "negative_slope"), 2: Entry(name: "engine")],
        "SoftmaxParameter": [1: Entry(name: "engine"), 2: Entry(name: "axis")],
    ]
}
