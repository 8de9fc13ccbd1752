import Foundation

/// Locates the read-only `../shared` folder (data, models, golden outputs) that the
/// tests read in place. `SQUEEZE_SHARED` overrides the default, which is the folder
/// next to the package root.
public enum SharedData {
    /// The package root (the folder holding `Package.swift`).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/TestSupport/SharedData.swift -> package root
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The shared data folder.
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["SQUEEZE_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    /// A path below the shared folder.
    public static func url(_ relative: String) -> URL {
        root.appendingPathComponent(relative)
    }

    /// `models/squeezenet-deep-compression/SqueezeNet_deploy.prototxt`.
    public static var squeezeNetPrototxt: URL { url("models/squeezenet-deep-compression/SqueezeNet_deploy.prototxt") }
    /// `models/squeezenet-deep-compression/compressed_SqueezeNet.net`.
    public static var squeezeNetWeights: URL { url("models/squeezenet-deep-compression/compressed_SqueezeNet.net") }
    /// `models/alexnet/bvlc_alexnet_deploy.prototxt`.
    public static var alexNetPrototxt: URL { url("models/alexnet/bvlc_alexnet_deploy.prototxt") }
    /// `data/imagenet-sample`.
    public static var imageNetSample: URL { url("data/imagenet-sample") }
    /// The 1,681 unlabelled calibration images.
    public static var calibration: URL { url("data/calibration") }
    /// `data/mnist-5k/mnist_4k_dev.csv.gz`.
    public static var mnistDigits: URL { url("data/mnist-5k/mnist_4k_dev.csv.gz") }
    /// `reference`.
    public static var reference: URL { url("reference") }
    /// The three images that have golden inputs and logits in `reference/`.
    public static let referenceImages = [
        "n01440764_tench", "n01484850_great_white_shark", "n01494475_hammerhead",
    ]

    /// Reads a little-endian float32 file.
    public static func readFloats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        precondition(data.count % 4 == 0, "\(url.path) is not a float32 file")
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("squeeze-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
