// swift-tools-version:6.0
// The libFuzzer build of fashion's parsers: one executable whose target is chosen by
// FASHION_FUZZ_TARGET (see Sources/Fuzzing in the main package and scripts/fuzz.sh, which builds
// it with libFuzzer and AddressSanitizer).
import PackageDescription

let package = Package(
    name: "fashion-fuzz",
    dependencies: [.package(name: "fashion", path: "..")],
    targets: [
        .executableTarget(name: "fuzz", dependencies: [.product(name: "FashionFuzzing", package: "fashion")]),
    ],
    swiftLanguageModes: [.v5]
)
