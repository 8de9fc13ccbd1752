import Foundation
import SqueezeData
import SqueezeImage

/// Which part of a data set with a hold-out split to use.
public enum DataSplit: String, Hashable, Sendable, CaseIterable, Codable {
    /// Every sample.
    case all
    /// The samples not held out.
    case train
    /// The held-out samples.
    case test
}

/// A data set opened from a path: an MNIST CSV (plain or gzipped) or a folder
/// of labelled JPEGs, optionally restricted to one part of a deterministic split.
public struct TrainingData: Sendable {
    /// The samples.
    public let samples: AnySampleSet
    /// A one-line description for logs.
    public let summary: String

    /// Opens `path`: a folder is read as labelled JPEGs when it has a class
    /// list (`synsets`, default `DIR/synsets.txt`), else as unlabelled JPEGs
    /// (calibration images, for distillation); a file as MNIST CSV.
    ///
    /// - Parameters:
    ///   - holdout: with k >= 2, every k-th sample is the test part (0: no split).
    ///   - split: the part to keep.
    ///   - limit: keep at most this many samples (evenly spread), for quick runs.
    ///   - preprocessing: how images become inputs (the model's).
    public static func open(_ path: String, holdout: Int = 0, split: DataSplit = .all, synsets: String? = nil,
                            limit: Int? = nil, preprocessing: Preprocessing = .caffeImageNet) throws(DataError) -> TrainingData {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .fileNotFound(path: path) }
        let base: AnySampleSet
        let kind: String
        let directory = URL(fileURLWithPath: path)
        if isDirectory.boolValue, synsets == nil,
           !FileManager.default.fileExists(atPath: directory.appendingPathComponent("synsets.txt").path) {
            base = AnySampleSet(try UnlabeledImageSamples(directory: directory, preprocessing: preprocessing))
            kind = "unlabelled images"
        } else if isDirectory.boolValue {
            base = AnySampleSet(try ImageFolderSamples(directory: directory, synsets: synsets.map { URL(fileURLWithPath: $0) },
                                                        preprocessing: preprocessing))
            kind = "images"
        } else {
            base = AnySampleSet(try MNISTDigits(contentsOf: URL(fileURLWithPath: path)))
            kind = "digits"
        }
        var samples = base
        var part = ""
        if holdout >= 2, split != .all {
            let (train, test) = base.split(holdingOutEvery: holdout)
            samples = AnySampleSet(split == .train ? train : test)
            part = " (\(split.rawValue) part: \(split == .train ? "all but" : "") every \(holdout)th)"
                .replacingOccurrences(of: "  ", with: " ")
        }
        if let limit, limit < samples.count {
            let count = samples.count
            samples = AnySampleSet(SampleSubset(samples, indices: (0..<limit).map { $0 * count / limit }))
            part += " limited to \(limit)"
        }
        guard samples.count > 0 else { throw .empty(path: path) }
        return TrainingData(samples: samples, summary: "\(samples.count) \(kind) from \(path)\(part)")
    }

    /// Whether the samples carry labels (unlabelled images measure agreement
    /// with the uncompressed model instead of accuracy).
    public var isLabelled: Bool { samples.count == 0 || samples.label(at: 0) >= 0 }

    /// The samples as they are.
    public init(samples: some SampleSet, summary: String) {
        self.samples = AnySampleSet(samples)
        self.summary = summary
    }
}

