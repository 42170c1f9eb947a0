import Foundation
import Fuzzing

/// The harness named by FASHION_FUZZ_TARGET; an unknown or missing name stops with the list.
let harness: Harness = {
    let name = ProcessInfo.processInfo.environment["FASHION_FUZZ_TARGET"] ?? ""
    guard let harness = Harness.named(name) else {
        FileHandle.standardError.write(Data("Error: set FASHION_FUZZ_TARGET to one of \(Harness.all.map(\.name).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    return harness
}()

/// libFuzzer's entry point: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    harness.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
