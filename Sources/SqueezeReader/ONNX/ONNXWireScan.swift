import SqueezeModel

/// A pass over the protobuf wire format of an ONNX file before SwiftProtobuf
/// decodes it, so that what the decoding allocates is known, and refused when
/// too much, before it starts.
///
/// Decoded messages can be far larger than their bytes: a two-byte empty
/// `NodeProto` becomes a struct of a few hundred bytes, a one-byte varint in
/// `int64_data` eight bytes. The scan counts messages, numbers and strings
/// along the schema of onnx.proto and estimates the decoded size from them
/// (``decodedBytes``). It also refuses two encodings that valid writers never
/// produce and that make SwiftProtobuf's decoding quadratic in time: a
/// singular message field given more than once in one message (the
/// occurrences are merged, for example a tensor's values reserved anew for
/// each) and a repeated number field split into more than one packed run.
/// Groups (wire types 3 and 4), which ONNX never uses, are refused.
struct ONNXWireScan {
    /// The messages of onnx.proto.
    enum Message {
        case model, operatorSet, entry, graph, node, attribute, tensor, segment, valueInfo, type, typeTensor, shape, dimension
    }

    /// How numbers are encoded, for counting a packed run.
    enum Encoding {
        case varint, fixed32, fixed64
    }

    /// What a field of a message holds.
    enum Field {
        /// A message; a singular one may appear once.
        case message(Message, repeated: Bool)
        /// Numbers of `decodedSize` bytes each once decoded; repeated ones may be packed.
        case numbers(Encoding, decodedSize: Int, repeated: Bool)
        /// A string or bytes.
        case bytes
    }

    /// The estimated bytes of one decoded message: the struct or its storage
    /// object, its arrays' headers, and its share of the slack in the array
    /// that holds it. (In onnx.pb.swift a ModelProto is 216 bytes, a
    /// TensorProto 176, and an AttributeProto a 24-byte struct with a storage
    /// object of about 400.)
    static let bytesPerMessage = 512
    /// The estimated bytes a decoded string or bytes value adds to its length.
    static let bytesPerString = 48

    /// Messages seen.
    private(set) var messages = 0
    /// Nodes of the graph (`GraphProto.node`).
    private(set) var nodes = 0
    /// Estimated bytes of the numbers once decoded.
    private(set) var numberBytes = 0
    /// Estimated bytes of the strings and bytes once decoded.
    private(set) var stringBytes = 0

    /// The estimated bytes of the decoded message (saturating at `Int.max`).
    var decodedBytes: Int {
        Checked.saturatingAdd(Checked.saturatingMultiply(messages, Self.bytesPerMessage),
                              Checked.saturatingAdd(numberBytes, stringBytes))
    }

    /// Why the bytes are not a well-formed protobuf message, with the offset.
    struct Failure: Error {
        var reason: String
    }

    /// Scans `bytes` as a `root` message.
    init(_ bytes: UnsafeRawBufferPointer, root: Message) throws(Failure) {
        try scan(bytes, from: 0, to: bytes.count, as: root)
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int,
                               as message: Message) throws(Failure) {
        messages += 1
        // Field numbers (all below 64 in onnx.proto) of the singular messages
        // and packed runs seen in this occurrence of the message.
        var seen: UInt64 = 0
        var offset = start
        while offset < end {
            let tagOffset = offset
            let tag = try Self.varint(bytes, &offset, end)
            let number = tag >> 3
            guard number > 0, number <= 0x1FFF_FFFF else {
                throw Failure(reason: "field number \(number) at byte \(tagOffset)")
            }
            let field = Self.field(number, of: message)
            switch tag & 7 {
            case 0:
                _ = try Self.varint(bytes, &offset, end)
                count(field, occurrences: 1)
            case 1:
                try Self.skip(8, &offset, end, at: tagOffset)
                count(field, occurrences: 1)
            case 5:
                try Self.skip(4, &offset, end, at: tagOffset)
                count(field, occurrences: 1)
            case 2:
                let length = try Self.varint(bytes, &offset, end)
                guard length <= UInt64(end - offset) else {
                    throw Failure(reason: "field \(number) at byte \(tagOffset) claims \(length) bytes, \(end - offset) are left")
                }
                let bodyEnd = offset + Int(length)
                switch field {
                case .message(let inner, let repeated)?:
                    if !repeated { try once(number, &seen, at: tagOffset) }
                    if message == .graph, number == 1 { nodes += 1 }
                    try scan(bytes, from: offset, to: bodyEnd, as: inner)
                case .numbers(let encoding, let size, let repeated)?:
                    guard repeated else { break }  // SwiftProtobuf skips it as unknown
                    try once(number, &seen, at: tagOffset)
                    let elements = switch encoding {
                    case .fixed32: Int(length) / 4
                    case .fixed64: Int(length) / 8
                    // Every varint ends in a byte below 0x80.
                    case .varint: UnsafeRawBufferPointer(rebasing: bytes[offset..<bodyEnd]).reduce(0) { $0 + ($1 < 0x80 ? 1 : 0) }
                    }
                    numberBytes = Checked.saturatingAdd(numberBytes, Checked.saturatingMultiply(elements, size))
                case .bytes?:
                    stringBytes = Checked.saturatingAdd(stringBytes, Checked.saturatingAdd(Int(length), Self.bytesPerString))
                case nil:
                    break  // unknown fields are discarded while decoding
                }
                offset = bodyEnd
            default:
                throw Failure(reason: "wire type \(tag & 7) at byte \(tagOffset) (groups are not used by ONNX)")
            }
        }
    }

    /// Counts numbers given one at a time: twice their size, for the slack
    /// of an array grown by appending.
    private mutating func count(_ field: Field?, occurrences: Int) {
        guard case .numbers(_, let size, _)? = field else { return }
        numberBytes = Checked.saturatingAdd(numberBytes, Checked.saturatingMultiply(occurrences, 2 * size))
    }

    /// Refuses a second singular message or packed run `number` in one message.
    private func once(_ number: UInt64, _ seen: inout UInt64, at offset: Int) throws(Failure) {
        guard number < 64 else { return }
        let bit: UInt64 = 1 << number
        guard seen & bit == 0 else {
            throw Failure(reason: "field \(number) at byte \(offset) is given a second time in one message")
        }
        seen |= bit
    }

    /// A base-128 varint (at most ten bytes) at `offset`, which moves past it.
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int, _ end: Int) throws(Failure) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw Failure(reason: offset >= end ? "a number at byte \(start) runs past the end" : "an overlong number at byte \(start)")
    }

    /// Moves `offset` past `count` bytes.
    private static func skip(_ count: Int, _ offset: inout Int, _ end: Int, at tagOffset: Int) throws(Failure) {
        guard end - offset >= count else {
            throw Failure(reason: "field at byte \(tagOffset) runs past the end")
        }
        offset += count
    }

    /// What field `number` of `message` holds (onnx.proto), nil for a field
    /// the schema leaves out.
    static func field(_ number: UInt64, of message: Message) -> Field? {
        switch (message, number) {
        case (.model, 1), (.model, 5): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.model, 2), (.model, 3), (.model, 4), (.model, 6): .bytes
        case (.model, 7): .message(.graph, repeated: false)
        case (.model, 8): .message(.operatorSet, repeated: true)
        case (.model, 14): .message(.entry, repeated: true)
        case (.operatorSet, 1): .bytes
        case (.operatorSet, 2): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.entry, 1), (.entry, 2): .bytes
        case (.graph, 1): .message(.node, repeated: true)
        case (.graph, 2), (.graph, 10): .bytes
        case (.graph, 5): .message(.tensor, repeated: true)
        case (.graph, 11), (.graph, 12), (.graph, 13): .message(.valueInfo, repeated: true)
        case (.node, 1), (.node, 2), (.node, 3), (.node, 4), (.node, 6), (.node, 7): .bytes
        case (.node, 5): .message(.attribute, repeated: true)
        case (.attribute, 1), (.attribute, 4), (.attribute, 9), (.attribute, 13), (.attribute, 21): .bytes
        case (.attribute, 2): .numbers(.fixed32, decodedSize: 4, repeated: false)
        case (.attribute, 3), (.attribute, 20): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.attribute, 5): .message(.tensor, repeated: false)
        case (.attribute, 7): .numbers(.fixed32, decodedSize: 4, repeated: true)
        case (.attribute, 8): .numbers(.varint, decodedSize: 8, repeated: true)
        case (.attribute, 10): .message(.tensor, repeated: true)
        case (.tensor, 1), (.tensor, 7), (.tensor, 11): .numbers(.varint, decodedSize: 8, repeated: true)
        case (.tensor, 2), (.tensor, 14): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.tensor, 3): .message(.segment, repeated: false)
        case (.tensor, 4): .numbers(.fixed32, decodedSize: 4, repeated: true)
        case (.tensor, 5): .numbers(.varint, decodedSize: 4, repeated: true)
        case (.tensor, 6), (.tensor, 8), (.tensor, 9): .bytes
        case (.tensor, 10): .numbers(.fixed64, decodedSize: 8, repeated: true)
        case (.tensor, 13): .message(.entry, repeated: true)
        case (.segment, 1), (.segment, 2): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.valueInfo, 1), (.valueInfo, 3): .bytes
        case (.valueInfo, 2): .message(.type, repeated: false)
        case (.type, 1): .message(.typeTensor, repeated: false)
        case (.typeTensor, 1): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.typeTensor, 2): .message(.shape, repeated: false)
        case (.shape, 1): .message(.dimension, repeated: true)
        case (.dimension, 1): .numbers(.varint, decodedSize: 8, repeated: false)
        case (.dimension, 2): .bytes
        default: nil
        }
    }
}
