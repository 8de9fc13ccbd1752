import Foundation
import SqueezeImage
import SqueezeModel

/// A folder of unlabelled JPEGs (any names) as samples for what needs no
/// labels: distillation from the uncompressed model, calibration, bias
/// correction. Labels are -1 ("none"): a distillation loss measures agreement
/// with the teacher instead.
///
/// With a generator, loads are augmented as `ImageFolderSamples` does (a
/// random crop, then a mirror with probability 1/2).
public struct UnlabeledImageSamples: SampleSet, Hashable {
    /// The images, sorted by file name.
    public let files: [URL]
    /// How each image becomes a network input.
    public let preprocessing: Preprocessing

    /// Lists the JPEGs of `directory`.
    ///
    /// - Throws: ``DataError/fileNotFound(path:)`` for a missing folder,
    ///   ``DataError/empty(path:)`` for a folder without JPEGs,
    ///   ``DataError/unreadable(path:reason:)`` when listing fails.
    public init(directory: URL, preprocessing: Preprocessing = .caffeImageNet) throws(DataError) {
        do throws(ImageError) {
            files = try LabeledImageSet.imageFiles(in: directory)
        } catch {
            switch error {
            case .fileNotFound(let path), .notADirectory(let path): throw .fileNotFound(path: path)
            case .noImages(let path): throw .empty(path: path)
            case .unreadableFile(let path, let reason): throw .unreadable(path: path, reason: reason)
            default: throw .image(error.description)
            }
        }
        self.preprocessing = preprocessing
    }

    /// The number of images.
    public var count: Int { files.count }
    /// `[3, cropHeight, cropWidth]` of the preprocessing.
    public var sampleShape: [Int] { preprocessing.outputShape }
    /// No classes: the samples carry no labels.
    public var classCount: Int { 0 }
    /// -1: no label.
    public func label(at index: Int) -> Int { -1 }

    /// Decodes and preprocesses image `index`, augmented with a generator.
    ///
    /// - Throws: ``DataError/image(_:)`` when the JPEG cannot be read or decoded.
    public func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
        try preprocessing.load(files[index], random: &random, into: output)
    }
}
