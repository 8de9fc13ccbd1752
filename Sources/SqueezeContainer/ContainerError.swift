import SqueezeModel

/// Why a `.sqz` container could not be written or read.
///
/// Reading errors name the section at fault (its index, tag and, once known, layer).
public enum ContainerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file does not start with the `.sqz` magic bytes.
    case notAContainer(file: String)
    /// A format version this reader does not know.
    case unsupportedVersion(file: String, major: Int, minor: Int)
    /// The file ends inside a section (or its header).
    case truncated(file: String, section: String)
    /// A section's CRC-32C does not match its bytes.
    case checksumMismatch(file: String, section: String)
    /// A section's contents are inconsistent.
    case malformed(file: String, section: String, reason: String)
    /// Bytes follow the last section.
    case trailingBytes(file: String, count: Int)
    /// The model cannot be stored (or the stored one is invalid).
    case invalidModel(String)
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// Decoding would need more memory than the limit allows.
    case resource(ResourceError)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .notAContainer(let file): "\(file): not a .sqz container (bad magic bytes)"
        case .unsupportedVersion(let file, let major, let minor):
            "\(file): .sqz version \(major).\(minor) is not supported (this reader knows \(SqueezeFormat.majorVersion).x)"
        case .truncated(let file, let section): "\(file): truncated in \(section)"
        case .checksumMismatch(let file, let section): "\(file): checksum mismatch in \(section); the file is corrupt"
        case .malformed(let file, let section, let reason): "\(file): \(section): \(reason)"
        case .trailingBytes(let file, let count): "\(file): \(count) unexpected bytes after the last section"
        case .invalidModel(let reason): "cannot store the model: \(reason)"
        case .io(let path, let reason): "\(path): \(reason)"
        case .resource(let error): error.description
        }
    }
}
