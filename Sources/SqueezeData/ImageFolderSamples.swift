import SqueezeModel
import Foundation
import SqueezeImage

/// A folder of labelled JPEGs (`<synset>_*.JPEG`) as training or evaluation
/// samples, decoded and preprocessed on every load.
///
/// With a generator, loads are augmented as Caffe's training transform does:
/// a random crop, then a mirror with probability 1/2. Without one, the centre
/// crop is taken unmirrored, exactly as at evaluation time.
public struct ImageFolderSamples: SampleSet, Hashable {
    /// The images and their labels.
    public let images: LabeledImageSet
    /// The class list the labels index.
    public let synsets: Synsets
    /// How each image becomes a network input.
    public let preprocessing: Preprocessing

    /// Lists the images of `directory`.
    ///
    /// - Parameters:
    ///   - synsets: the class list; `directory/synsets.txt` when nil.
    ///   - preprocessing: resize, crop and mean subtraction (Caffe's ImageNet setting by default).
    /// - Throws: ``DataError/fileNotFound(path:)`` for a missing folder or synsets
    ///   file, ``DataError/empty(path:)`` for a folder without images,
    ///   ``DataError/unreadable(path:reason:)`` when listing or reading fails,
    ///   ``DataError/image(_:)`` for other problems (a bad synsets file or file name).
    public init(directory: URL, synsets: URL? = nil, preprocessing: Preprocessing = .caffeImageNet) throws(DataError) {
        let synsetsURL = synsets ?? directory.appendingPathComponent("synsets.txt")
        do throws(ImageError) {
            // The folder first, so a missing folder is reported as such rather
            // than as its missing synsets file.
            var isDirectory: ObjCBool = false
            if synsets == nil, !FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
                throw ImageError.fileNotFound(path: directory.path)
            }
            let classes = try Synsets(contentsOf: synsetsURL)
            self.images = try LabeledImageSet(directory: directory, synsets: classes)
            self.synsets = classes
        } catch {
            throw Self.dataError(error)
        }
        self.preprocessing = preprocessing
    }

    /// The number of images.
    public var count: Int { images.count }
    /// `[3, cropHeight, cropWidth]` of the preprocessing.
    public var sampleShape: [Int] { preprocessing.outputShape }
    /// The number of classes in the synsets list.
    public var classCount: Int { synsets.count }

    /// The class index of image `index`.
    public func label(at index: Int) -> Int { images[index].label }

    /// Decodes and preprocesses image `index`. With a generator the crop is
    /// drawn first, then the mirror bit, and the generator is advanced.
    ///
    /// - Throws: ``DataError/image(_:)`` when the JPEG cannot be read or decoded.
    public func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
        try preprocessing.load(images[index].url, random: &random, into: output)
    }

    private static func dataError(_ error: ImageError) -> DataError {
        switch error {
        case .fileNotFound(let path): .fileNotFound(path: path)
        case .unreadableFile(let path, let reason): .unreadable(path: path, reason: reason)
        case .noImages(let directory): .empty(path: directory)
        default: .image(error.description)
        }
    }
}

extension Preprocessing {
    /// Decodes and preprocesses the JPEG at `url`; with a generator, a random
    /// crop is drawn first, then the mirror bit (Caffe's training transform),
    /// and the generator is advanced.
    func load(_ url: URL, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
        var crop = CropPosition.center
        var mirror = false
        if var generator = random {
            crop = randomCrop(using: &generator)
            mirror = generator.next() >> 63 == 1
            random = generator
        }
        do throws(ImageError) {
            try preprocess(jpegAt: url, crop: crop, mirror: mirror, into: output)
        } catch {
            throw .image(error.description)
        }
    }
}
