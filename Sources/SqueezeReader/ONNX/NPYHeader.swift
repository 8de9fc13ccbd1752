import SqueezeModel

/// The header of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0),
/// parsed strictly: the magic string, the version, the header's length, and
/// a Python dict literal with exactly the keys `descr`, `fortran_order` and
/// `shape`, holding one of the simple little-endian types ``DType`` in C order.
struct NPYHeader {
    /// The element types read, by their NumPy type string.
    enum DType: String, CaseIterable {
        case float32 = "<f4"
        case float64 = "<f8"
        case float16 = "<f2"
        case uint8 = "|u1"
        case int8 = "|i1"
        case int32 = "<i4"
        case int64 = "<i8"
        case bool = "|b1"

        /// Bytes per element.
        var size: Int {
            switch self {
            case .uint8, .int8, .bool: 1
            case .float16: 2
            case .float32, .int32: 4
            case .float64, .int64: 8
            }
        }
    }

    /// The first six bytes of every `.npy` file.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    /// The longest header read. NumPy writes a few hundred bytes at most for
    /// the shapes ``SizeLimits`` admits, and by default refuses over 10,000.
    static let maximumHeaderLength = 65_536

    /// The element type.
    var dtype: DType
    /// The shape (checked against ``SizeLimits``).
    var shape: [Int]
    /// Its element count.
    var count: Int
    /// Where the data starts.
    var dataOffset: Int

    /// Parses the header at the start of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) throws(ShapeCheck.ShapeFailure) {
        guard bytes.count >= 10, bytes.prefix(6).elementsEqual(Self.magic) else {
            throw .invalid("not a NumPy .npy file (it does not start with \\x93NUMPY)")
        }
        let major = bytes[6], minor = bytes[7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw .invalid(".npy format version \(major).\(minor) is not read (1.0, 2.0 and 3.0 are)")
        }
        guard bytes.count >= 8 + lengthBytes else { throw .invalid("the .npy header is cut short") }
        var length = 0
        for i in 0..<lengthBytes { length |= Int(bytes[8 + i]) << (8 * i) }
        let start = 8 + lengthBytes
        guard length <= Self.maximumHeaderLength else {
            throw .tooLarge("the .npy header claims \(ByteCount.grouped(length)) bytes, more than the "
                                + "\(ByteCount.grouped(Self.maximumHeaderLength)) read")
        }
        guard length <= bytes.count - start else {
            throw .invalid("the .npy header claims \(ByteCount.grouped(length)) bytes, the file has "
                               + "\(ByteCount.grouped(bytes.count - start)) after its start")
        }
        var parser = NPYHeaderParser(text: Array(bytes[start..<(start + length)]))
        let entries = try parser.dictionary()

        guard case .string(let descr)? = entries["descr"] else {
            throw .invalid("the .npy header's descr is not a type string (structured arrays are not read)")
        }
        guard let dtype = DType(rawValue: descr) else {
            throw .invalid("the .npy array has dtype \(ONNXText.quoted(descr)), which is not read (these are: "
                               + DType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        guard case .bool(let fortranOrder)? = entries["fortran_order"] else {
            throw .invalid("the .npy header's fortran_order is not True or False")
        }
        guard !fortranOrder else {
            throw .invalid("the .npy array is stored in Fortran (column-major) order; only C order is read")
        }
        guard case .tuple(let shape)? = entries["shape"] else { throw .invalid("the .npy header's shape is not a tuple") }
        self.dtype = dtype
        self.shape = shape
        count = try ShapeCheck.elementCount(shape, what: "the .npy array").get()
        dataOffset = start + length
    }
}

/// A strict parser of the Python dict literal in a `.npy` header:
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }` and padding.
struct NPYHeaderParser {
    /// A value in the dict.
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// The keys a header has, each exactly once.
    static let keys: Set<String> = ["descr", "fortran_order", "shape"]

    let text: [UInt8]
    private var index = 0

    init(text: [UInt8]) { self.text = text }

    /// The dict, with exactly ``keys``; nothing but blanks may follow it.
    mutating func dictionary() throws(ShapeCheck.ShapeFailure) -> [String: Value] {
        guard text.allSatisfy({ $0 < 0x80 }) else { throw .invalid("the .npy header is not ASCII text") }
        skipBlanks()
        try expect(UInt8(ascii: "{"))
        var entries: [String: Value] = [:]
        while true {
            skipBlanks()
            if peek == UInt8(ascii: "}") { index += 1; break }
            let key = try string()
            guard Self.keys.contains(key) else { throw .invalid("the .npy header has an unknown key \(ONNXText.quoted(key))") }
            guard entries[key] == nil else { throw .invalid("the .npy header gives \(ONNXText.quoted(key)) twice") }
            skipBlanks()
            try expect(UInt8(ascii: ":"))
            skipBlanks()
            entries[key] = try value()
            skipBlanks()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            skipBlanks()
            try expect(UInt8(ascii: "}"))
            break
        }
        skipBlanks()
        guard index == text.count else { throw .invalid("the .npy header has text after its dict, at byte \(index)") }
        for key in Self.keys.sorted() where entries[key] == nil {
            throw .invalid("the .npy header has no \(ONNXText.quoted(key))")
        }
        return entries
    }

    private var peek: UInt8? { index < text.count ? text[index] : nil }

    private mutating func skipBlanks() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { index += 1 }
    }

    private mutating func expect(_ c: UInt8) throws(ShapeCheck.ShapeFailure) {
        guard peek == c else { throw .invalid("the .npy header is malformed at byte \(index) (expected '\(Character(Unicode.Scalar(c)))')") }
        index += 1
    }

    /// A quoted string without escapes.
    private mutating func string() throws(ShapeCheck.ShapeFailure) -> String {
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw .invalid("the .npy header is malformed at byte \(index) (expected a quoted string)")
        }
        index += 1
        let start = index
        while let c = peek, c != quote {
            guard c != UInt8(ascii: "\\"), c >= 0x20 else { throw .invalid("the .npy header has an escape or control character in a string") }
            index += 1
        }
        guard peek == quote else { throw .invalid("the .npy header has an unterminated string") }
        index += 1
        return String(decoding: text[start..<(index - 1)], as: UTF8.self)
    }

    private mutating func value() throws(ShapeCheck.ShapeFailure) -> Value {
        switch peek {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "("): return .tuple(try tuple())
        default:
            for (word, value) in [("True", true), ("False", false)] where text[index...].starts(with: word.utf8) {
                index += word.utf8.count
                return .bool(value)
            }
            throw .invalid("the .npy header is malformed at byte \(index) (expected a string, a tuple, True or False)")
        }
    }

    /// `()`, `(5,)`, `(1, 3, 224, 224)`: whole numbers (Python 2 wrote `3L`).
    private mutating func tuple() throws(ShapeCheck.ShapeFailure) -> [Int] {
        try expect(UInt8(ascii: "("))
        var values: [Int] = []
        var comma = false
        while true {
            skipBlanks()
            if peek == UInt8(ascii: ")") { index += 1; break }
            guard values.count <= SizeLimits.maximumRank else {
                throw .tooLarge("the .npy array has more than the \(SizeLimits.maximumRank) dimensions a tensor may have")
            }
            values.append(try integer())
            skipBlanks()
            comma = peek == UInt8(ascii: ",")
            if comma { index += 1; continue }
            try expect(UInt8(ascii: ")"))
            break
        }
        // A one-element tuple needs its comma in Python: `(5)` is just 5.
        guard values.count != 1 || comma else { throw .invalid("the .npy header's shape is not a tuple") }
        return values
    }

    private mutating func integer() throws(ShapeCheck.ShapeFailure) -> Int {
        var negative = false
        if peek == UInt8(ascii: "-") { negative = true; index += 1 }
        let start = index
        var value = 0
        while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
            guard let next = Checked.multiply(value, 10).flatMap({ Checked.add($0, Int(c - UInt8(ascii: "0"))) }) else {
                throw .tooLarge("the .npy array has a dimension past 2^63")
            }
            value = next
            index += 1
        }
        guard index > start else { throw .invalid("the .npy header is malformed at byte \(index) (expected a whole number)") }
        if peek == UInt8(ascii: "L") { index += 1 }
        return negative ? -value : value
    }
}
