import Foundation

/// The labelled JPEGs of one directory: every file named `<synset>_*.JPEG`
/// (extension `.jpeg` or `.jpg`, any case), sorted by file name, each with its
/// class index from a ``Synsets`` list. Other files are ignored.
public struct LabeledImageSet: Hashable, Sendable, RandomAccessCollection {
    /// One labelled image.
    public struct Item: Hashable, Sendable {
        /// The image file.
        public let url: URL
        /// The synset id taken from the file name.
        public let synsetID: String
        /// The class index of `synsetID`.
        public let label: Int

        /// The file's name, such as `n01440764_tench.JPEG`.
        public var fileName: String { url.lastPathComponent }
    }

    /// The directory that was listed.
    public let directory: URL
    /// The images, sorted by file name.
    public let items: [Item]

    /// Lists the labelled images in `directory`.
    ///
    /// - Throws: ``ImageError/fileNotFound(path:)``, ``ImageError/notADirectory(path:)``,
    ///   ``ImageError/unreadableFile(path:reason:)`` when listing fails,
    ///   ``ImageError/noImages(directory:)``, and, naming the file,
    ///   ``ImageError/missingSynsetPrefix(file:)`` or ``ImageError/unknownSynset(file:id:)``.
    public init(directory: URL, synsets: Synsets) throws(ImageError) {
        var items: [Item] = []
        for url in try Self.imageFiles(in: directory) {
            let name = url.lastPathComponent
            guard let underscore = name.firstIndex(of: "_"), underscore != name.startIndex else {
                throw .missingSynsetPrefix(file: url.path)
            }
            let id = String(name[..<underscore])
            guard let label = synsets.index(of: id) else {
                throw .unknownSynset(file: url.path, id: id)
            }
            items.append(Item(url: url, synsetID: id, label: label))
        }
        self.directory = directory
        self.items = items
    }

    /// The JPEG files of `directory`, sorted by name (byte order, so the
    /// listing is the same on every platform and locale).
    ///
    /// - Throws: ``ImageError/fileNotFound(path:)``, ``ImageError/notADirectory(path:)``,
    ///   ``ImageError/unreadableFile(path:reason:)`` when listing fails,
    ///   ``ImageError/noImages(directory:)``.
    public static func imageFiles(in directory: URL) throws(ImageError) -> [URL] {
        let path = directory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard isDirectory.boolValue else { throw .notADirectory(path: path) }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw .unreadableFile(path: path, reason: "\(error.localizedDescription)")
        }
        let imageNames = names.filter(isImageFileName).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !imageNames.isEmpty else { throw .noImages(directory: path) }
        return imageNames.map { directory.appendingPathComponent($0) }
    }

    /// Whether a file name has a JPEG extension (`.jpeg` or `.jpg`, any case)
    /// and is not hidden.
    public static func isImageFileName(_ name: String) -> Bool {
        guard !name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return false }
        let ext = name[name.index(after: dot)...].lowercased()
        return ext == "jpeg" || ext == "jpg"
    }

    /// Index of the first image (0).
    public var startIndex: Int { 0 }
    /// One past the last image.
    public var endIndex: Int { items.count }
    /// The image at `index`.
    public subscript(index: Int) -> Item { items[index] }
}
