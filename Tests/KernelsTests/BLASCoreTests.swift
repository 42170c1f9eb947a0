@testable import Kernels
import XCTest

/// OpenBLAS's kernel choice: the fallback on CPUs it does not know is replaced, nothing else is.
final class BLASCoreTests: XCTestCase {
    func testReplacementOnlyForAFallbackOnACapableCPU() {
        func pick(_ current: String, user: String? = nil, avx512: Bool = false, bf16: Bool = false, avx2: Bool = false) -> String? {
            BLASCore.replacement(current: current, userChoice: user,
                                 instructionSet: avx512 ? "avx512f" : avx2 ? "avx2" : "baseline", bf16: bf16)
        }
        // What Debian's 0.3.21 picks on an Intel Xeon (family 6, model 207) with AVX-512 and BF16.
        XCTAssertEqual(pick("Prescott", avx512: true, bf16: true, avx2: true), "COOPERLAKE")
        XCTAssertEqual(pick("Prescott", avx512: true, avx2: true), "SKYLAKEX")
        XCTAssertEqual(pick("Nehalem", avx2: true), "HASWELL")
        // A recognised CPU, a CPU without AVX2, and the user's own OPENBLAS_CORETYPE keep their choice.
        XCTAssertNil(pick("Haswell", avx2: true))
        XCTAssertNil(pick("Zen", avx512: true, bf16: true, avx2: true))
        XCTAssertNil(pick("SkylakeX", avx512: true, avx2: true))
        XCTAssertNil(pick("Prescott"))
        XCTAssertNil(pick("Prescott", user: "PRESCOTT", avx512: true, avx2: true))
    }

    func testKernelsInUseMatchTheCPU() throws {
        #if os(Linux)
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil, "OPENBLAS_CORETYPE chooses the kernels")
        let name = BLASCore.name.lowercased()
        if elementwiseInstructionSet != "baseline" {
            XCTAssertFalse(BLASCore.withoutAVX2.contains(name), "OpenBLAS runs \(name) kernels on a CPU with AVX2")
        }
        #endif
    }
}
