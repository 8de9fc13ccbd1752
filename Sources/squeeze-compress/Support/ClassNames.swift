import Foundation
import SqueezeCompress

/// Human-readable class names for printing predictions.
struct ClassNames {
    let synsets: Synsets

    /// The synsets file given with `--synsets`, or `synsets.txt` beside `image`
    /// when it exists; nil when neither is available.
    static func load(explicit: String?, besides image: URL) throws -> ClassNames? {
        if let explicit { return ClassNames(synsets: try Synsets(contentsOf: URL(fileURLWithPath: explicit))) }
        let candidate = image.deletingLastPathComponent().appendingPathComponent("synsets.txt")
        guard FileManager.default.fileExists(atPath: candidate.path) else { return nil }
        return ClassNames(synsets: try Synsets(contentsOf: candidate))
    }

    func id(_ index: Int) -> String? { index < synsets.count ? synsets[index].id : nil }

    func name(_ index: Int) -> String? { index < synsets.count ? synsets[index].name : nil }

    /// `n01440764 tench, Tinca tinca`.
    func label(_ index: Int) -> String? {
        guard index < synsets.count else { return nil }
        return "\(synsets[index].id) \(synsets[index].name)"
    }
}
