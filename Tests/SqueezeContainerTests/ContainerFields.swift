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
        /// The `leaf`-th scalar of the `GRPH` graph, in file order: a zigzag
        /// varint (a count, an int, a dimension, a string length), a `u8`
        /// (a rank, an attribute type) or a float32.
        case graph(leaf: Int, kind: GraphTokens.Kind)
    }

    /// What the field is, e.g. `LAYR fc_shared: codes stream count`,
    /// `NETW definition: layer[1].convolution_param.num_output` or
    /// `GRPH graph: layer[0] (conv1) kernel[1]`.
    var name: String
    /// Where it is.
    var location: Location

    var description: String { name }

    /// The walk's values: 0, 1, 2^31-1, 2^32-1 and 2^63-1. A value wider than
    /// the field is clamped to the field's largest (so for a u32 both 2^32-1
    /// and 2^63-1 give 0xFFFFFFFF, for a u8 the last three give 0xFF), and a
    /// float32 (a fixed32 of the definition, a float of the graph) takes the
    /// value's low 32 bits; values that coincide after that are walked once.
    /// Varints of the definition take all five.
    static let walkValues: [UInt64] = [0, 1, 1 << 31 - 1, 1 << 32 - 1, 1 << 63 - 1]

    /// The graph's varints are signed (zigzag): they take the five values and
    /// -1 and -2^63 too (as bit patterns; -2^63 is the longest varint, ten bytes).
    static let signedWalkValues: [UInt64] = walkValues + [UInt64(bitPattern: -1), UInt64(bitPattern: Int64.min)]

    /// The distinct values this field is set to.
    var values: [UInt64] {
        let mapped: [UInt64] = switch location {
        case .fixed(_, let width):
            Self.walkValues.map { min($0, width >= 8 ? .max : (1 << (8 * UInt64(width))) - 1) }
        case .varint, .fixed64: Self.walkValues
        case .fixed32, .graph(_, .f32): Self.walkValues.map { $0 & 0xFFFF_FFFF }
        case .graph(_, .u8): Self.walkValues.map { min($0, 0xFF) }
        case .graph(_, .varint): Self.signedWalkValues
        }
        var seen = Set<UInt64>()
        return mapped.filter { seen.insert($0).inserted }
    }

    /// `value` as a label shows it: signed for the graph's varints.
    func describe(_ value: UInt64) -> String {
        if case .graph(_, .varint) = location { return "\(Int64(bitPattern: value))" }
        return "\(value)"
    }
}

/// Every field of one container, with its bytes.
///
/// The header (major, minor, section count; its CRC is recomputed, not
/// walked), every section's tag and length;
/// - `GRPH`: its compression and size and, when the graph is stored
///   uncompressed and `walkDefinition` is set, every count, int, dimension,
///   string length, rank, attribute type and float of the graph;
/// - `NETW` (version 1.0): its compression and size and, when the definition
///   is stored uncompressed and `walkDefinition` is set, every varint and
///   fixed-width scalar inside the protobuf definition (through its sub-messages);
/// - `meta`: the entry count and per entry the key length, the type byte and
///   the value's fields (string lengths, the int, the float, list counts and
///   every float of a list);
/// - every `LAYR`: the name length, storage kind, rank, each shape
///   dimension, bias count, codebook size, index width and, per stream, its
///   codec, width, count, alphabet and payload length.
struct ContainerMap {
    /// The container as encoded.
    let bytes: [UInt8]
    /// Its fields, in file order.
    private(set) var fields: [ContainerField] = []
    /// The parsed network section (the `NETW` definition or the `GRPH`
    /// graph) and where the section sits, when walked.
    private var network: (body: NetworkBody, tag: [UInt8], sectionStart: Int, sectionEnd: Int)?

    /// A walked network section's contents.
    private enum NetworkBody {
        case definition(ProtoMessage)
        case graph(GraphTokens)
    }

    /// Why the bytes do not follow docs/FORMAT.md (the map is made of
    /// containers the library wrote, so this is a test failure).
    struct FormatMismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// Maps `bytes`, a container as `SqueezeContainer.encode` (or release
    /// 0.1.0, for version 1.0) writes it.
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
            let tagBytes = Array(bytes[r.offset..<(r.offset + 4)])
            let tag = String(decoding: tagBytes, as: UTF8.self)
            fields.append(r.field("section \(index + 1) (\(tag)): tag", 4))
            let length = Int(r.peek(4))
            fields.append(r.field("section \(index + 1) (\(tag)): length", 4))
            let end = r.offset + length
            switch tag {
            case "NETW", "GRPH":
                guard index == 0 else { throw FormatMismatch(description: "\(tag) as section \(index + 1)") }
                let compression = r.peek(1)
                let what = tag == "NETW" ? "definition" : "graph"
                fields.append(r.field("\(tag): compression", 1))
                let size = Int(r.peek(4))
                fields.append(r.field("\(tag): \(what) size", 4))
                guard compression == 0 || compression == 1 else { throw FormatMismatch(description: "\(tag) compression \(compression)") }
                if compression == 0 {
                    guard size == end - r.offset else { throw FormatMismatch(description: "\(tag) size \(size), \(end - r.offset) bytes") }
                }
                if compression == 0 && walkDefinition {
                    if tag == "NETW" {
                        let message = try ProtoMessage(parsing: bytes[r.offset..<end], type: "NetParameter")
                        network = (.definition(message), tagBytes, start, end + 4)
                        fields += message.leaves.enumerated().map { i, leaf in
                            let location: ContainerField.Location = switch leaf.wire {
                            case .fixed32: .fixed32(leaf: i)
                            case .fixed64: .fixed64(leaf: i)
                            default: .varint(leaf: i)
                            }
                            return ContainerField(name: "NETW definition: \(leaf.path)", location: location)
                        }
                    } else {
                        let graph = try GraphTokens(parsing: Array(bytes[r.offset..<end]))
                        network = (.graph(graph), tagBytes, start, end + 4)
                        fields += graph.leaves.enumerated().map { i, leaf in
                            ContainerField(name: "GRPH graph: \(leaf.name)", location: .graph(leaf: i, kind: graph.kind(of: leaf)))
                        }
                    }
                }
                r.offset = end
            case "meta":
                try mapMetadata(&r, end: end)
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

    /// `meta`: `u32` entry count, then per entry `u16` key length, key, `u8`
    /// type and the value (docs/FORMAT.md).
    private mutating func mapMetadata(_ r: inout Cursor, end: Int) throws {
        let count = Int(r.peek(4))
        fields.append(r.field("meta: entry count", 4))
        for _ in 0..<count {
            let prefix = mapName(&r, lengthField: "key length") { "meta '\($0)': " }
            let type = r.peek(1)
            fields.append(r.field(prefix + "type", 1))
            func string(_ what: String) {
                let length = Int(r.peek(4))
                fields.append(r.field(prefix + what + " length", 4))
                r.offset += length
            }
            switch type {
            case 0: string("string")
            case 1: fields.append(r.field(prefix + "int", 8))
            case 2: fields.append(r.field(prefix + "float", 8))
            case 3:
                let n = Int(r.peek(4))
                fields.append(r.field(prefix + "string count", 4))
                for i in 0..<n { string("string[\(i)]") }
            case 4:
                let n = Int(r.peek(4))
                fields.append(r.field(prefix + "float count", 4))
                for i in 0..<n { fields.append(r.field(prefix + "float[\(i)]", 8)) }
            default:
                throw FormatMismatch(description: "\(prefix)type \(type)")
            }
            guard r.offset <= end else { throw FormatMismatch(description: "\(prefix)runs past the section") }
        }
    }

    /// A name after its 16-bit length: the length is a field named
    /// `prefix(name) + lengthField`, the name's bytes are skipped; returns the
    /// prefix for the fields that follow.
    private mutating func mapName(_ r: inout Cursor, lengthField: String, prefix: (String) -> String) -> String {
        let length = Int(r.peek(2))
        let name = String(decoding: bytes[(r.offset + 2)..<(r.offset + 2 + length)], as: UTF8.self)
        let text = prefix(name)
        fields.append(r.field(text + lengthField, 2))
        r.offset += length
        return text
    }

    /// `LAYR`: name, kind, rank, shape, biases, then by kind the codebook,
    /// index width and streams.
    private mutating func mapLayer(_ r: inout Cursor, end: Int) throws {
        let prefix = mapName(&r, lengthField: "name length") { "LAYR \($0): " }
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
    /// inside the definition or the graph re-encodes it and fixes up the
    /// lengths that enclose it: the sub-messages' (definition), the
    /// definition or graph size and the section length.
    func setting(_ field: ContainerField, to value: UInt64) -> [UInt8] {
        var out = bytes
        switch field.location {
        case .fixed(let offset, let width):
            for i in 0..<width { out[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case .varint(let leaf), .fixed32(let leaf), .fixed64(let leaf):
            guard case (.definition(let message), let tag, let start, let end)? = network else {
                preconditionFailure("no definition was mapped")
            }
            out = ContainerBytes.replacingNetworkSection(of: bytes, range: start..<end, tag: tag, compression: 0,
                                                         size: nil, body: message.serialized(replacingLeaf: leaf, with: value))
        case .graph(let leaf, _):
            guard case (.graph(let graph), let tag, let start, let end)? = network else { preconditionFailure("no graph was mapped") }
            out = ContainerBytes.replacingNetworkSection(of: bytes, range: start..<end, tag: tag, compression: 0,
                                                         size: nil, body: graph.serialized(replacingLeaf: leaf, with: value))
        }
        return SqueezeContainer.repairingChecksums(out)
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

/// Edits of a container's framing, for building the walked containers and
/// setting fields inside the network section.
enum ContainerBytes {
    static func littleEndian(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    static func load(_ bytes: [UInt8], at offset: Int, width: Int) -> Int {
        (0..<width).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }

    /// `bytes` with the whole section in `range` (tag to CRC) replaced by
    /// `tag` and a network payload `u8 compression, u32 size, body`; `size`
    /// defaults to the body's length. The CRC is left zero (callers repair).
    static func replacingNetworkSection(of bytes: [UInt8], range: Range<Int>, tag: [UInt8], compression: UInt8,
                                        size: Int?, body: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = [compression]
        payload += littleEndian(UInt64(size ?? body.count), width: 4)
        payload += body
        var out = Array(bytes[..<range.lowerBound])
        out.reserveCapacity(bytes.count + payload.count)
        out += tag
        out += littleEndian(UInt64(payload.count), width: 4)
        out += payload
        out += [0, 0, 0, 0]  // CRC-32C, recomputed by the caller
        out += bytes[range.upperBound...]
        return out
    }

    /// The sections of a container: tag and the range from tag to CRC (inclusive).
    static func sections(of bytes: [UInt8]) -> [(tag: String, range: Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var offset = SqueezeFormat.headerSize
        for _ in 0..<load(bytes, at: 12, width: 4) {
            let length = load(bytes, at: offset + 4, width: 4)
            out.append((String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self), offset..<(offset + 12 + length)))
            offset += 12 + length
        }
        return out
    }

    /// The payload of the first section (the network): compression byte, size and body.
    static func networkPayload(of bytes: [UInt8]) -> (compression: UInt8, size: Int, body: [UInt8]) {
        let start = SqueezeFormat.headerSize
        let length = load(bytes, at: start + 4, width: 4)
        return (bytes[start + 8], load(bytes, at: start + 9, width: 4), Array(bytes[(start + 13)..<(start + 8 + length)]))
    }

    /// `bytes` with `section` (whole: tag, length, payload, CRC) inserted as
    /// section `index + 1` and the section count raised; checksums repaired.
    static func inserting(_ section: [UInt8], at index: Int, into bytes: [UInt8]) -> [UInt8] {
        let all = sections(of: bytes)
        let at = index < all.count ? all[index].range.lowerBound : bytes.count
        var out = Array(bytes[..<at]) + section + Array(bytes[at...])
        let count = load(bytes, at: 12, width: 4) + 1
        out.replaceSubrange(12..<16, with: littleEndian(UInt64(count), width: 4))
        return SqueezeContainer.repairingChecksums(out)
    }

    /// A whole section with `tag` (four ASCII letters) and `payload`, its CRC zero.
    static func section(_ tag: String, payload: [UInt8]) -> [UInt8] {
        Array(tag.utf8) + littleEndian(UInt64(payload.count), width: 4) + payload + [0, 0, 0, 0]
    }
}

// MARK: - The GRPH graph

/// A `GRPH` graph (docs/FORMAT.md) read as the flat sequence of what it is
/// written of: zigzag LEB128 varints (counts, ints, dimensions, string
/// lengths), `u8`s (ranks, attribute types), float32s and the bytes of
/// strings. It has no enclosing lengths, so setting one scalar and writing
/// the sequence out again is the edit: a longer varint shifts what follows.
struct GraphTokens {
    /// How a scalar is written.
    enum Kind: Hashable {
        case varint
        case u8
        case f32
    }

    /// One item of the graph in file order.
    enum Token {
        case varint(Int64)
        case u8(UInt8)
        case f32(UInt32)
        case bytes([UInt8])
    }

    /// A walkable scalar: which token, and a readable name.
    struct Leaf {
        var token: Int
        var name: String
    }

    /// Why bytes are not a graph as docs/FORMAT.md describes it.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var tokens: [Token] = []
    private(set) var leaves: [Leaf] = []

    func kind(of leaf: Leaf) -> Kind {
        switch tokens[leaf.token] {
        case .varint: .varint
        case .u8: .u8
        case .f32: .f32
        case .bytes: preconditionFailure("string bytes are not a leaf")
        }
    }

    /// Parses `bytes` by the layout of docs/FORMAT.md and checks that writing
    /// them out again gives the same bytes (every varint is minimal).
    init(parsing bytes: [UInt8]) throws {
        var i = 0
        func fail(_ what: String) -> Malformed { Malformed(description: "graph: \(what) at byte \(i)") }
        func varint(_ name: String) throws -> Int64 {
            var z: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 70 else { throw fail("bad varint (\(name))") }
                let b = bytes[i]
                i += 1
                z |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            let v = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
            leaves.append(Leaf(token: tokens.count, name: name))
            tokens.append(.varint(v))
            return v
        }
        func count(_ name: String) throws -> Int {
            let v = try varint(name)
            guard v >= 0, v <= 1 << 20 else { throw fail("count \(v) (\(name))") }
            return Int(v)
        }
        func u8(_ name: String) throws -> UInt8 {
            guard i < bytes.count else { throw fail("truncated (\(name))") }
            defer { i += 1 }
            leaves.append(Leaf(token: tokens.count, name: name))
            tokens.append(.u8(bytes[i]))
            return bytes[i]
        }
        func f32(_ name: String) throws {
            guard bytes.count - i >= 4 else { throw fail("truncated (\(name))") }
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) }
            i += 4
            leaves.append(Leaf(token: tokens.count, name: name))
            tokens.append(.f32(bits))
        }
        func string(_ name: String) throws -> String {
            let n = try count("\(name) length")
            guard bytes.count - i >= n else { throw fail("truncated string (\(name))") }
            let raw = Array(bytes[i..<(i + n)])
            i += n
            tokens.append(.bytes(raw))
            return String(decoding: raw, as: UTF8.self)
        }
        _ = try string("network name")
        for k in 0..<(try count("input count")) {
            let name = try string("input[\(k)] name")
            let rank = try u8("input[\(k)] (\(name)) rank")
            for d in 0..<Int(rank) { _ = try varint("input[\(k)] (\(name)) dim[\(d)]") }
        }
        for l in 0..<(try count("layer count")) {
            let name = try string("layer[\(l)] name")
            let p = "layer[\(l)] (\(name))"
            _ = try string("\(p) type")
            for k in 0..<(try count("\(p) input count")) { _ = try string("\(p) input[\(k)]") }
            for k in 0..<(try count("\(p) output count")) { _ = try string("\(p) output[\(k)]") }
            for a in 0..<(try count("\(p) attribute count")) {
                let key = try string("\(p) attribute[\(a)] name")
                let q = "\(p) \(key)"
                switch try u8("\(q) type") {
                case 0: _ = try varint("\(q) int")
                case 1: try f32("\(q) float")
                case 2: for k in 0..<(try count("\(q) count")) { _ = try varint("\(q)[\(k)]") }
                case 3: for k in 0..<(try count("\(q) count")) { try f32("\(q)[\(k)]") }
                case 4: _ = try string("\(q) string")
                case let t: throw fail("attribute type \(t) (\(q))")
                }
            }
        }
        guard i == bytes.count else { throw fail("\(bytes.count - i) bytes after the last layer") }
        guard serialized() == bytes else { throw Malformed(description: "graph: writing the parsed graph out again changes it") }
    }

    /// The graph's bytes with the `leaf`-th scalar set to `value` (a varint
    /// to `Int64(bitPattern: value)`, a `u8` or float32 to its low bits), or
    /// unchanged without a leaf.
    func serialized(replacingLeaf leaf: Int? = nil, with value: UInt64 = 0) -> [UInt8] {
        let target = leaf.map { leaves[$0].token }
        var out: [UInt8] = []
        out.reserveCapacity(tokens.count * 2)
        for (index, token) in tokens.enumerated() {
            let hit = index == target
            switch token {
            case .varint(let v):
                var z = UInt64(bitPattern: hit ? Int64(bitPattern: value) : v)
                z = (z << 1) ^ (UInt64(bitPattern: Int64(bitPattern: z) >> 63))
                while z >= 0x80 {
                    out.append(UInt8(truncatingIfNeeded: z) | 0x80)
                    z >>= 7
                }
                out.append(UInt8(z))
            case .u8(let v): out.append(hit ? UInt8(truncatingIfNeeded: value) : v)
            case .f32(let v):
                let w = hit ? UInt32(truncatingIfNeeded: value) : v
                out += (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * UInt32($0))) }
            case .bytes(let b): out += b
            }
        }
        return out
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
