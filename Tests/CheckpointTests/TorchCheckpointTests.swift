@testable import Checkpoint
@testable import Data
import Foundation
import Tensor
import TestSupport
import XCTest

/// A checkpoint written by `safetensors.torch.save_file` for the PyTorch seed-cnn loads and predicts the same.
final class TorchCheckpointTests: XCTestCase {
    func testTorchWrittenSeedCNNGivesTorchLogits() throws {
        let compressed = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("torch_seed_cnn.safetensors.gz"))
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("seed_cnn_torch.safetensors")
        try gunzip(compressed).write(to: url)

        // The file has no metadata, so the architecture must be named.
        XCTAssertThrowsError(try ModelCheckpoint.load(url, defaultClassNames: FashionMNIST.classNames)) {
            XCTAssertTrue("\($0)".contains("no architecture"), "\($0)")
        }
        let checkpoint = try ModelCheckpoint.load(url, architecture: "seed-cnn", defaultClassNames: FashionMNIST.classNames)
        XCTAssertEqual(checkpoint.model.parameterCount, 3_274_634)

        let io = try TestSupport.fixture("torch_seed_cnn_io.safetensors")
        let logits = checkpoint.model(io["x"]!)
        XCTAssertTrue(TestSupport.allClose(logits, io["logits"]!, atol: 1e-5),
                      "max difference \(TestSupport.maxDifference(logits, io["logits"]!))")
    }
}
