// swift-tools-version: 6.0
// Coverage-guided fuzzing of SqueezeCompress's readers with libFuzzer.
//
// A package of its own so that the main package's build is untouched: it
// depends on the library by path, and each fuzz target is one executable whose
// `LLVMFuzzerTestOneInput` hands the bytes to `FuzzHarness` (the same file the
// main package's FuzzRegressionTests compile, through a symlink). Build and run
// with tools/fuzz.sh, which builds with
//
//     swift build --package-path Fuzz -c release \
//         -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
//
// (-Xcc: the main package's C targets get coverage and ASan too). Unlike
// swift-protobuf's FuzzTesting (tools version 5.3) there is no
// -parse-as-library: SwiftPM 5.5+ links an executable's `main` to its
// main.swift, which hands over to libFuzzer's driver (Sources/FuzzDriver).
// A plain `swift build` of this package does not link.
import PackageDescription

/// The fuzz targets, one executable each.
let targets = [
    "FuzzContainer", "FuzzContainerStructured", "FuzzDeepCompression", "FuzzPrototxt",
    "FuzzCaffeModel", "FuzzMNIST", "FuzzJPEG", "FuzzONNX",
]

let package = Package(
    name: "SqueezeCompressFuzz",
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(name: "SqueezeCompress", path: ".."),
    ],
    targets: [
        /// The target bodies, shared with the main package's regression tests.
        .target(
            name: "FuzzHarness",
            dependencies: [.product(name: "SqueezeCompress", package: "SqueezeCompress")]
        ),
        /// Calls libFuzzer's driver from a target's own main.
        .target(name: "FuzzDriver"),
    ] + targets.map { .executableTarget(name: $0, dependencies: ["FuzzHarness", "FuzzDriver"]) }
)
