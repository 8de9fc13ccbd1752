import Foundation

/// The class list of an ImageNet-style data set, read from `synsets.txt`:
/// one class per line, `<synset id> <human-readable name>` (for example
/// `n01440764 tench, Tinca tinca`), class index = line number - 1.
public struct Synsets: Hashable, Sendable, RandomAccessCollection {
    /// One class.
    public struct Entry: Hashable, Sendable {
        /// Class index (0-based line number).
        public let index: Int
        /// WordNet id, such as `n01440764`.
        public let id: String
        /// Everything after the id on its line (may be empty).
        public let name: String
    }

    /// The classes in index order.
    public let entries: [Entry]
    private let indexByID: [String: Int]

    /// The largest synsets file read: ImageNet-21k's 21,841 classes take
    /// about 1 MiB.
    public static let maximumFileSize = 16 << 20

    /// Reads a synsets file; errors name the file.
    public init(contentsOf url: URL) throws(ImageError) {
        let bytes = try FileBytes.contents(of: url, maximumSize: Self.maximumFileSize)
        try self.init(text: String(decoding: bytes, as: UTF8.self), file: url.path)
    }

    /// Parses synsets text; `file` labels errors. Lines may end in LF or CRLF; trailing blank lines are
    /// ignored; a blank line between entries is an error because it would
    /// shift every later class index.
    public init(text: String, file: String = "synsets") throws(ImageError) {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else { throw .emptySynsets(file: file) }

        var entries: [Entry] = []
        var indexByID: [String: Int] = [:]
        entries.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            let parts = line.split(maxSplits: 1, omittingEmptySubsequences: true) { $0 == " " || $0 == "\t" }
            guard let id = parts.first.map(String.init) else {
                throw .malformedSynsetLine(file: file, line: index + 1)
            }
            if let first = indexByID[id] {
                throw .duplicateSynset(file: file, id: id, line: index + 1, firstLine: first + 1)
            }
            let name = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            indexByID[id] = index
            entries.append(Entry(index: index, id: id, name: name))
        }
        self.entries = entries
        self.indexByID = indexByID
    }

    /// The class index of a synset id, or `nil` if the list does not have it.
    public func index(of id: some StringProtocol) -> Int? {
        indexByID[String(id)]
    }

    /// The entry for a synset id, or `nil` if the list does not have it.
    public func entry(for id: some StringProtocol) -> Entry? {
        index(of: id).map { entries[$0] }
    }

    /// Index of the first class (0).
    public var startIndex: Int { 0 }
    /// One past the last class index.
    public var endIndex: Int { entries.count }
    /// The class at `index`.
    public subscript(index: Int) -> Entry { entries[index] }
}
