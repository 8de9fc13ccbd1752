import Foundation
import SqueezeModel
internal import SwiftProtobuf

/// Reads and writes Caffe network definitions (`.prototxt`, protobuf text format).
///
/// Layers are kept for the TEST phase (deploy definitions have no rules; a
/// train/val definition's TRAIN-only layers are dropped). The result has been
/// checked by shape inference.
public enum CaffeDefinition {
    /// The largest definition read, in bytes. Public deploy definitions are
    /// well under 1 MiB; parsing keeps about 16 bytes per byte of text.
    public static let maximumTextSize = 16 << 20

    /// Reads the definition in the file at `url`.
    public static func network(contentsOf url: URL) throws(ReaderError) -> Network {
        try network(prototxt: FileBytes.readText(url, maximumSize: maximumTextSize), source: url.path)
    }

    /// Reads a definition from its text; `source` names it in errors.
    public static func network(prototxt text: String, source: String = "<prototxt>") throws(ReaderError) -> Network {
        guard text.utf8.count <= maximumTextSize else {
            throw .tooLarge(file: source, reason: "\(ByteCount.describe(text.utf8.count)) of text is more than a "
                                + "definition may hold (\(ByteCount.describe(maximumTextSize)))")
        }
        var scanner = TextFormatScanner(text)
        let entries: [TextEntry]
        do {
            entries = try scanner.parse()
        } catch {
            throw .syntax(file: source, line: error.line, column: error.column, message: error.message)
        }
        let parameter: Caffe_NetParameter
        do {
            parameter = try Caffe_NetParameter(textFormatString: text)
        } catch {
            throw locateSchemaError(in: entries, source: source, fallback: error)
        }
        let layerEntries = entries.filter { $0.name == "layer" }
        return try CaffeNetworkBuilder(source: source, layerPositions: layerEntries.map { ($0.line, $0.column) })
            .network(from: parameter)
    }

    /// The definition of `network` as prototxt text (deploy form, no training fields).
    ///
    /// - Throws: `ReaderError.invalidNetwork` for a layer Caffe has no type for.
    public static func prototxt(for network: Network) throws(ReaderError) -> String {
        try CaffeNetworkBuilder.netParameter(for: network).textFormatString()
    }

    /// The definition of `network` as a binary `NetParameter` message (the
    /// network section of a version 1.0 container).
    ///
    /// - Throws: `ReaderError.invalidNetwork` for a layer Caffe has no type for.
    public static func binaryDefinition(for network: Network) throws(ReaderError) -> Data {
        let message = try CaffeNetworkBuilder.netParameter(for: network)
        // Serialising a message built from valid values cannot fail.
        return (try? message.serializedData()) ?? Data()
    }

    /// Reads a definition from a binary `NetParameter` message (as `binaryDefinition(for:)` writes).
    public static func network(binaryDefinition data: Data, source: String) throws(ReaderError) -> Network {
        let parameter: Caffe_NetParameter
        do {
            parameter = try Caffe_NetParameter(serializedBytes: data)
        } catch {
            throw .invalidNetwork(file: source, reason: "the network definition is not a valid message")
        }
        return try CaffeNetworkBuilder(source: source, layerPositions: []).network(from: parameter)
    }

    /// swift-protobuf reports no position; decode each entry on its own, wrapped in
    /// its ancestors, to find the first one the schema rejects.
    private static func locateSchemaError(in entries: [TextEntry], source: String, fallback: any Error) -> ReaderError {
        func explain(_ error: any Error, _ entry: TextEntry, parents: [String]) -> String {
            let path = (parents + [entry.name]).joined(separator: ".")
            switch error as? TextFormatDecodingError {
            case .unknownField?: return "unknown field '\(path)'"
            case .unrecognizedEnumValue?: return "'\(path)' has a value that is not one of its names"
            case .malformedNumber?: return "'\(path)' has a malformed number"
            default: return "'\(path)' has a value of the wrong kind"
            }
        }
        func search(_ entries: [TextEntry], parents: [String]) -> ReaderError? {
            for entry in entries {
                let probe: String
                if entry.children != nil {
                    probe = entry.name + " {}"
                } else {
                    probe = String(entry.text)
                }
                let wrapped = parents.reversed().reduce(probe) { inner, parent in "\(parent) { \(inner) }" }
                do {
                    _ = try Caffe_NetParameter(textFormatString: wrapped)
                } catch {
                    return .schema(file: source, line: entry.line, column: entry.column,
                                   message: explain(error, entry, parents: parents))
                }
                if let children = entry.children, let found = search(children, parents: parents + [entry.name]) {
                    return found
                }
            }
            return nil
        }
        return search(entries, parents: [])
            ?? .schema(file: source, line: 1, column: 1, message: "not a Caffe network definition (\(fallback))")
    }
}
