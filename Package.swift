// swift-tools-version:6.0
// The package reads in the order the data flows:
// system libraries → kernels and tensors → layers → data → pictures (decoding, preprocessing) →
// models → checkpoints → photo datasets → inference → similarity → training → reports → CLI.
import Foundation
import PackageDescription

// oneDNN (Debian: libdnnl-dev) runs the convolutions when it is installed; without it, or with
// FASHION_PORTABLE=1 in the environment, they use the portable im2col + BLAS path.
let useDNNL = FileManager.default.fileExists(atPath: "/usr/include/oneapi/dnnl/dnnl.h")
    && ProcessInfo.processInfo.environment["FASHION_PORTABLE"] != "1"

// FAISS (Debian: libfaiss-dev, a static libfaiss.a built by GCC) needs GCC's OpenMP runtime
// (libgomp) and OpenBLAS; its HNSW header includes <omp.h>, which only GCC ships here. It is
// searched after clang's own headers (-idirafter) so that only omp.h comes from GCC.
let gccOpenMPInclude: [String] = {
    let root = "/usr/lib/gcc/x86_64-linux-gnu"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    let found = versions.sorted { $0.compare($1, options: .numeric) == .orderedDescending }
        .map { "\(root)/\($0)/include" }
        .first { FileManager.default.fileExists(atPath: "\($0)/omp.h") }
    return found.map { ["-idirafter", $0] } ?? []
}()

let package = Package(
    name: "fashion",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fashion", targets: ["fashion"]),
        .library(name: "FashionKit", targets: ["Tensor", "NN", "Data", "Models", "Checkpoint", "Training"]),
        // The fuzz targets, for the libFuzzer build in Fuzz/.
        .library(name: "FashionFuzzing", targets: ["Fuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),  // glibc's mallopt
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // A C interface to FAISS's HNSW index (C++ inside, no exception escapes).
        .target(name: "CFaiss", cxxSettings: [.unsafeFlags(gccOpenMPInclude)],
                linkerSettings: [.linkedLibrary("faiss"), .linkedLibrary("openblas"), .linkedLibrary("gomp")]),

        // MARK: Engine
        // The loops that compute on raw Float32 buffers: matrix products (BLAS), convolutions
        // (oneDNN or im2col), pooling, normalisation, optimiser updates, threads. The only unsafe code,
        // and the only target built -Ounchecked (also in debug builds, so `swift test` runs at
        // speed): its callers check shapes and counts before they get here.
        // The elementwise loops in C, compiled for AVX-512, AVX2 + FMA and baseline x86-64 with the
        // best variant chosen when the program loads (Swift code is compiled for baseline x86-64);
        // no floating-point contraction, so every variant gives the same numbers.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]),
        .target(name: "Kernels", dependencies: [
            "CKernels",
            .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            .target(name: "CMalloc", condition: .when(platforms: [.linux])),
        ] + (useDNNL ? [.target(name: "CDNNL", condition: .when(platforms: [.linux]))] : []), swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Float32 NCHW tensors (shape and elements, preconditions checked) and seeded random numbers.
        .target(name: "Tensor"),
        // Layers with explicit forward and backward passes, losses, optimisers.
        .target(name: "NN", dependencies: ["Tensor", "Kernels"]),

        // MARK: Data, models, checkpoints
        // IDX/gzip readers, the Fashion-MNIST split and batches.
        .target(name: "Data", dependencies: ["Tensor", "Kernels", "CZlib"]),
        // Named architectures built from NN layers.
        .target(name: "Models", dependencies: ["NN"]),
        // safetensors reading and writing, atomic files, SHA-256 of files (OpenSSL's libcrypto).
        .target(name: "Checkpoint", dependencies: ["Tensor", "NN", "Models", "CCrypto"]),

        // MARK: Pictures
        // RGB pictures, PNG files and a bitmap font for labels.
        .target(name: "Imaging", dependencies: ["CZlib"]),
        // Untrusted photo files (JPEG, PNG, WebP) to RGB pictures through libjpeg-turbo, libpng and
        // libwebp: format sniffing, size limits, EXIF orientation, reduced-scale JPEG decoding.
        .target(name: "Decoding", dependencies: ["Imaging", "CJPEG", "CPNG", "CWebP"]),
        // Photo to 28×28 grayscale as the model sees it: the Fashion-MNIST paper's steps and a
        // pipeline for real photos (pure functions on pictures).
        .target(name: "Preprocessing", dependencies: ["Imaging"]),
        // The HTML run report: charts, tables and pictures of predictions.
        .target(name: "Report", dependencies: ["Imaging", "Training", "Inference", "Models", "Data", "Tensor"]),

        // Labelled photo folders (one sub-folder per class) as training data: decoded and
        // preprocessed once on all cores, cached by the files' sizes and modification times.
        .target(name: "PhotoDataset", dependencies: ["Data", "Decoding", "Preprocessing", "Checkpoint", "Imaging"]),

        // MARK: Inference
        // Predictions of a loaded model: batches, test-time views, calibrated probabilities,
        // top-k and abstention, photos through decoding and preprocessing (no trainer linked).
        .target(name: "Inference", dependencies: ["NN", "Data", "Models", "Checkpoint", "Decoding", "Preprocessing"]),
        // Approximate nearest neighbours by inner product: an HNSW index through CFaiss, in files.
        .target(name: "ApproximateSearch", dependencies: ["CFaiss"]),
        // More like this: catalogue indexes of unit embeddings (a safetensors file), exact cosine
        // search, duplicates and retrieval quality.
        .target(name: "Similarity", dependencies: ["Tensor", "Kernels", "NN", "Data", "Checkpoint", "Decoding", "Preprocessing", "Inference",
                                              "ApproximateSearch"]),

        // MARK: Serving
        // The HTTP service (Hummingbird 2): classify, similar items, catalogue updates, KServe v2
        // health/metadata/infer, Prometheus metrics and the web page, over one batching inference queue.
        // Untrusted request bodies: media types and multipart/form-data (no server code, so it is fuzzed alone).
        .target(name: "Uploads", swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Server", dependencies: [
            "Inference", "Similarity", "Checkpoint", "Decoding", "Preprocessing", "Imaging", "Data", "NN", "Tensor", "Kernels", "Uploads",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: [.swiftLanguageMode(.v6)]),

        // MARK: Training and the command-line program
        .target(name: "Training", dependencies: ["NN", "Data", "Models", "Checkpoint", "Inference", "Kernels"]),
        .executableTarget(name: "fashion", dependencies: [
            "Training", "Inference", "Models", "Data", "Checkpoint", "Tensor", "Kernels", "Imaging", "Decoding",
            "Preprocessing", "Report", "Similarity", "ApproximateSearch", "PhotoDataset", "Server",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Fuzzing
        // Every parser of outside data as a fuzz target (bytes in, parse or throw): built with
        // libFuzzer by Fuzz/Package.swift (scripts/fuzz.sh), replayed over the seed corpora by the tests.
        .target(name: "Fuzzing", dependencies: ["Data", "Checkpoint", "Training", "Decoding", "Preprocessing", "Inference",
                                                "Similarity", "ApproximateSearch", "Report", "Imaging", "Uploads"]),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Tensor", "NN", "Checkpoint", "Imaging"], path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Tensor", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Kernels", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Kernels", "Data", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NN", "Tensor"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "Data", "Models", "NN", "Tensor", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "Imaging", "TestSupport"]),
        .testTarget(name: "PreprocessingTests", dependencies: ["Preprocessing", "Imaging"]),
        .testTarget(name: "PhotoDatasetTests", dependencies: ["PhotoDataset", "Preprocessing", "Imaging", "Data", "TestSupport"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Data", "Models", "NN", "Tensor", "TestSupport"]),
        .testTarget(name: "SimilarityTests", dependencies: ["Similarity", "Inference", "Checkpoint", "Data", "Tensor", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Imaging", "Training", "Inference", "Data", "TestSupport"]),
        .testTarget(name: "ApproximateSearchTests", dependencies: ["ApproximateSearch", "CBLAS", "Kernels", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "PhotoDataset", "TestSupport"]),
        .testTarget(name: "FuzzingTests", dependencies: ["Fuzzing"]),
        .testTarget(name: "UploadsTests", dependencies: ["Uploads"]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Inference", "Similarity", "Checkpoint", "Models", "NN", "Data", "Imaging", "Decoding", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Checkpoint", "Models", "Imaging", "fashion"]),
    ],
    // Swift 5 mode: kernels share raw buffers across threads by design (see parallelFor).
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
