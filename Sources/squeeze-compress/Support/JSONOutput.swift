import Foundation

/// Machine-readable output: one JSON document on standard output.
enum JSONOutput {
    /// Prints `value` as compact JSON with snake_case, sorted keys and a newline.
    static func print(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
