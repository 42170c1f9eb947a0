import Checkpoint
import Foundation
import Tensor
import XCTest

/// Paths and comparisons shared by the test targets.
public enum TestSupport {
    /// The repository's `Tests/Fixtures` directory.
    public static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The tensors of a fixture file written by `scripts/make_fixtures.py`.
    public static func fixture(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.read(fixtures.appendingPathComponent(name)).tensors
    }

    /// The largest |a − b| over two tensors of equal shape (∞ if the shapes differ).
    public static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// True when every |a − b| ≤ atol + rtol·|b| (as `torch.allclose`).
    public static func allClose(_ a: Tensor, _ b: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> Bool {
        a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) }
    }

    /// A fresh empty directory under the system's temporary directory.
    public static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fashion-tests-\(ProcessInfo.processInfo.processIdentifier)")
            .appendingPathComponent(name.filter { $0.isLetter || $0.isNumber })
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The real Fashion-MNIST directory (Debian's dataset-fashion-mnist or $FASHION_MNIST_DIR), for
    /// the few tests that need the real images; nil, with the test failing rather than silently
    /// skipped, when it is not installed (set FASHION_ALLOW_MISSING_DATASET=1 to skip instead).
    public static func realDatasetDirectory(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let path = ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist"
        if FileManager.default.fileExists(atPath: path + "/train-images-idx3-ubyte.gz")
            || FileManager.default.fileExists(atPath: path + "/train-images-idx3-ubyte") {
            return URL(fileURLWithPath: path)
        }
        let message = "Fashion-MNIST not found in \(path): install dataset-fashion-mnist (bash scripts/setup.sh)"
        if ProcessInfo.processInfo.environment["FASHION_ALLOW_MISSING_DATASET"] == "1" { throw XCTSkip(message) }
        XCTFail(message, file: file, line: line)
        throw MissingDataset(description: message)
    }

    /// The real dataset is needed and not installed.
    public struct MissingDataset: Error, CustomStringConvertible {
        /// What to install.
        public var description: String
    }
}

/// The tensors of one PyTorch fixture file, by name; asking for a name the file lacks stops the
/// tests (a mistake in the test, not in the code under test).
public struct TorchFixture {
    /// The file's name in `Tests/Fixtures`.
    public let file: String
    /// Its tensors by name.
    public let tensors: [String: Tensor]

    /// Nothing loaded yet (before `setUp`).
    public static let empty = TorchFixture(file: "(not loaded)", tensors: [:])

    private init(file: String, tensors: [String: Tensor]) {
        self.file = file
        self.tensors = tensors
    }

    /// Reads `Tests/Fixtures/<file>`.
    public init(_ file: String) throws {
        self.init(file: file, tensors: try TestSupport.fixture(file))
    }

    /// The tensor called `name`.
    public subscript(name: String) -> Tensor {
        guard let tensor = tensors[name] else { fatalError("\(file) lacks \(name)") }
        return tensor
    }
}

/// SplitMix64: a tiny seeded generator for tests whose inputs must be the same on every run
/// (decoder robustness cases, the approximate-search vectors).
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
