// swift-tools-version: 6.1
// Benchmarks for SqueezeCompress, kept in a package of their own so that the
// benchmark harness (and its malloc interposer) never becomes a dependency of
// the toolkit itself. Run from this directory:
//
//   swift package --scratch-path /tmp/bench-build benchmark
import PackageDescription

let package = Package(
    name: "SqueezeCompressBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Only the malloc interposer: it backs the malloc metrics. The default
        // traits would also pull in the Swift 6.3 ARC runtime interposer
        // (swift-runtime-interposer), for ARC metrics these benchmarks do not use.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(name: "SqueezeCompress", path: ".."),
    ],
    targets: [
        /// Opening the imported SqueezeNet, batch-1 forward passes of both
        /// engines, and canonical Huffman coding of a million symbols.
        .executableTarget(
            name: "SqueezeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SqueezeCompress", package: "SqueezeCompress"),
            ],
            path: "Benchmarks/SqueezeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
