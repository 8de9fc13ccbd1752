// swift-tools-version: 6.0
// SqueezeCompress: Deep Compression (prune, weight-share, Huffman-code) for CNNs,
// and an executor that runs them straight from the compressed form.
import PackageDescription

/// Hot kernels are built for the deployment CPU class (AVX2 + FMA); without it
/// SIMD fused multiply-adds lower to library calls.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
]

/// The same sparse kernels with sixteen-float vectors, for processors with
/// AVX-512 (F, CD, BW, DQ, VL: the skylake-avx512 set); the executor calls
/// them only where `CCPUFeatures` finds that set.
let avx512KernelSettings: [SwiftSetting] = [
    .define("SQUEEZE_AVX512"),
    .unsafeFlags(["-target-cpu", "skylake-avx512"]),
]

let package = Package(
    name: "SqueezeCompress",
    products: [
        .library(name: "SqueezeCompress", targets: ["SqueezeCompress"]),
        .executable(name: "squeeze-compress", targets: ["squeeze-compress"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-numerics.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
    ],
    targets: [
        // MARK: System libraries (hidden; imported with `internal import`)
        .systemLibrary(
            name: "CLibJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        /// libjpeg reports errors by longjmp; this C shim keeps that inside C.
        .target(name: "CJPEGDecode", dependencies: ["CLibJPEG"]),
        /// CRC-32C with the SSE 4.2 instruction (the checksum of every container section).
        .target(name: "CCRC32C"),
        /// Which vector instructions the processor and the OS allow (cpuid, xgetbv).
        .target(name: "CCPUFeatures"),
        /// Float32 micro-kernels in C (indirect GEMM), one file per
        /// instruction set with target attributes, picked at run time.
        .target(name: "CSqueezeMicrokernels"),
        /// OpenBLAS opened at run time (dlopen) on first use, so processes that
        /// never multiply dense matrices never start its thread pool.
        /// Needs libopenblas0 (Debian; libopenblas-dev brings it) when used.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl")]),

        // MARK: The pipeline
        /// Network graph, operators (shapes, counts, dense forward and backward
        /// passes), limits and weight representations.
        .target(
            name: "SqueezeModel",
            dependencies: ["SqueezeKernels", .product(name: "RealModule", package: "swift-numerics")]
        ),
        /// Readers: Caffe prototxt/caffemodel, the Deep-Compression `.net` file.
        .target(
            name: "SqueezeReader",
            dependencies: [
                "SqueezeModel",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            // The schema is compiled once by tools/generate-protos.sh; the output is committed.
            exclude: ["Caffe/caffe.proto", "ONNX/onnx.proto"]
        ),
        /// Entropy coding: canonical Huffman, bit streams, CRC-32C, zstd.
        .target(
            name: "SqueezeEncode",
            dependencies: ["CZstd", "CCRC32C", .product(name: "HeapModule", package: "swift-collections")]
        ),
        /// The `.sqz` container: sections, checksums, per-layer coded streams.
        .target(name: "SqueezeContainer", dependencies: ["SqueezeModel", "SqueezeReader", "SqueezeEncode"]),
        /// Hot loops (GEMM, im2col, pooling); built for AVX2 + FMA.
        .target(
            name: "SqueezeKernels",
            dependencies: ["COpenBLAS", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: kernelSettings
        ),
        /// The sparse convolution kernels again, built for AVX-512 (the file
        /// here links to SqueezeKernels' copy).
        .target(name: "SqueezeKernelsAVX512", swiftSettings: avx512KernelSettings),
        /// Forward passes over a model.
        .target(
            name: "SqueezeExecutor",
            dependencies: ["SqueezeModel", "SqueezeKernels", "SqueezeKernelsAVX512", "CCPUFeatures", "CSqueezeMicrokernels"]
        ),
        /// JPEG decoding and Caffe-style preprocessing.
        .target(name: "SqueezeImage", dependencies: ["CJPEGDecode", "SqueezeModel"]),
        /// Training data: MNIST CSV digits, labelled JPEG folders with augmentation.
        .target(name: "SqueezeData", dependencies: ["CZlib", "SqueezeModel", "SqueezeImage"]),
        /// The training engine: backward passes, losses, SGD, data-parallel trainer.
        .target(
            name: "SqueezeTrain",
            dependencies: ["SqueezeModel", "SqueezeKernels", "SqueezeExecutor", "SqueezeData"]
        ),
        /// Stage one: magnitude pruning into sparse weights.
        .target(name: "SqueezePrune", dependencies: ["SqueezeModel"]),
        /// Stage two: k-means weight sharing.
        .target(name: "SqueezeQuantize", dependencies: ["SqueezeModel"]),
        /// Layer-wise reconstruction: output-aware pruning and weight sharing
        /// from a layer's input statistics (SparseGPT/GPTQ-style updates,
        /// least-squares centroids).
        .target(name: "SqueezeReconstruct", dependencies: ["SqueezeModel", "SqueezeKernels", "SqueezeQuantize"]),
        /// The toolkit's public face: model loading, classification, evaluation.
        .target(
            name: "SqueezeCompress",
            dependencies: [
                "SqueezeModel", "SqueezeReader", "SqueezeKernels", "SqueezeExecutor", "SqueezeImage",
                "SqueezeEncode", "SqueezeContainer", "SqueezeData", "SqueezeTrain", "SqueezePrune",
                "SqueezeQuantize", "SqueezeReconstruct",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .executableTarget(
            name: "squeeze-compress",
            dependencies: [
                "SqueezeCompress",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "SqueezeModelTests",
            dependencies: [
                "SqueezeModel", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "SqueezeReaderTests",
            dependencies: [
                "SqueezeReader", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "SqueezeEncodeTests",
            dependencies: [
                "SqueezeEncode",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "SqueezeContainerTests",
            dependencies: [
                // SqueezeCompress: the field walk runs both engines on every model that decodes.
                "SqueezeContainer", "SqueezeReader", "SqueezeCompress", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "SqueezeExecutorTests",
            dependencies: ["SqueezeExecutor", "SqueezeKernels", "SqueezeReader", "TestSupport"]
        ),
        .testTarget(
            name: "SqueezeMicrokernelTests",
            dependencies: ["CSqueezeMicrokernels"]
        ),
        .testTarget(
            name: "SqueezeImageTests",
            dependencies: ["SqueezeImage", "TestSupport"]
        ),
        .testTarget(
            name: "SqueezeDataTests",
            // CZlib: the gzip tests build their bombs in memory.
            dependencies: ["SqueezeData", "SqueezeModel", "CZlib", "TestSupport"]
        ),
        .testTarget(
            name: "SqueezeTrainTests",
            dependencies: ["SqueezeTrain", "SqueezeReader", "TestSupport"]
        ),
        .testTarget(
            name: "SqueezeQuantizeTests",
            dependencies: [
                "SqueezeQuantize", "SqueezePrune",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "SqueezeReconstructTests",
            dependencies: ["SqueezeReconstruct", "SqueezeModel", "SqueezeQuantize"]
        ),
        .testTarget(
            name: "SqueezeCompressTests",
            dependencies: ["SqueezeCompress", "TestSupport"]
        ),
        .testTarget(
            name: "CLITests",
            // Depending on the executable makes SwiftPM build it before the tests run.
            dependencies: ["TestSupport", "squeeze-compress"]
        ),
    ]
)
