import SqueezeModel

/// Why a data set could not be read.
///
/// Every ``description`` is one line that names the file.
public enum DataError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file or folder does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read or decompressed.
    case unreadable(path: String, reason: String)
    /// A line or record is malformed.
    case malformed(path: String, line: Int, reason: String)
    /// The set holds no samples.
    case empty(path: String)
    /// An image of the set could not be decoded.
    case image(String)
    /// The file holds, or expands to, more than data of its kind can plausibly
    /// be (too many samples, too much text, a gzip bomb); `reason` gives the
    /// bound and the figure that passed it.
    case tooLarge(path: String, reason: String)
    /// Reading the file would need more memory than the limit allows; the
    /// error's work names the file.
    case resource(ResourceError)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path): no such file or folder"
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .malformed(let path, let line, let reason): "\(path):\(line): \(reason)"
        case .empty(let path): "\(path): the data set is empty"
        case .image(let message): message
        case .tooLarge(let path, let reason): "\(path): refused: \(reason)"
        case .resource(let error): error.description
        }
    }
}
