import SqueezeContainer
import SqueezeReader

/// Why a model could not be opened.
public enum ModelLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The extension names no known model format.
    case unknownFormat(path: String)
    /// The format keeps the network definition elsewhere and none was given.
    case missingDefinition(path: String, format: ModelFormat)
    /// The definition or weights could not be read.
    case reader(ReaderError)
    /// A `.sqz` container could not be read.
    case container(ContainerError)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .unknownFormat(let path):
            "\(path): unknown model format; expected one of "
                + ModelFormat.allCases.map { "." + $0.rawValue }.joined(separator: ", ")
        case .missingDefinition(let path, let format):
            "\(path): a \(format.displayName) file holds only weights; give the network with --prototxt"
        case .reader(let error):
            error.description
        case .container(let error):
            error.description
        }
    }
}
