import Foundation

/// Machine-readable output: one JSON document on standard output.
enum JSONOutput {
    /// Prints `value` as compact JSON with snake_case, sorted keys and a newline.
    static func print(_ value: some Encodable) throws {
        FileHandle.standardOutput.write(try encode(value))
    }

    /// `value` as compact JSON with snake_case and sorted keys, ending in a newline.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value) + Data("\n".utf8)
    }
}
