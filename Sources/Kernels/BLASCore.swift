// Which of OpenBLAS's kernels run the matrix products, and a repair for CPUs it does not know.
//
// Debian's OpenBLAS (0.3.21, built DYNAMIC_ARCH) picks its kernels from the CPU's family and model
// numbers when it loads. A CPU newer than the library (an Intel Xeon of family 6, model 207, with
// AVX-512) is unknown to it, and it falls back to its "Prescott" kernels: SSE3, about a quarter of
// the speed (seed-cnn's fc_1 at 34–47 GFLOP/s against 145–191 with its Cooperlake kernels). oneDNN
// and the C loops test the instruction sets themselves and are not affected. The repair asks
// OpenBLAS to choose again, as its documented OPENBLAS_CORETYPE variable would, naming the kernels
// for what the CPU can run.
#if canImport(CBLAS)
import CBLAS
import Glibc
#endif

/// The OpenBLAS kernels in use ("Haswell", "SkylakeX", …), and the repair of a fallback choice.
public enum BLASCore {
    /// The name of the kernels the matrix products run on ("Accelerate" on macOS).
    public static var name: String {
        _ = Threads.count  // the set-up, with its repair, runs first
        return chosen
    }

    /// What OpenBLAS has chosen so far.
    private static var chosen: String {
        #if canImport(CBLAS)
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #else
        return "Accelerate"
        #endif
    }

    /// OpenBLAS kernel sets that use no AVX2: what it falls back to on a CPU it does not recognise.
    static let withoutAVX2: Set<String> = [
        "prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn", "dunnington",
        "nehalem", "atom", "sandybridge", "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer",
        "piledriver", "steamroller", "nano", "athlon", "unknown",
    ]

    /// The kernel set to ask for when OpenBLAS chose one without AVX2 on a CPU that has it; nil when
    /// its choice stands (it chose AVX2 or better, the CPU has no AVX2, or the user set
    /// OPENBLAS_CORETYPE). `instructionSet` is the C loops' level (`elementwiseInstructionSet`):
    /// "avx512f" is x86-64-v4 (AVX-512 F/CD/BW/DQ/VL, what the SkylakeX kernels use), "avx2" x86-64-v3
    /// (AVX2 + FMA, the Haswell kernels').
    static func replacement(current: String, userChoice: String?, instructionSet: String, bf16: Bool) -> String? {
        guard userChoice == nil, withoutAVX2.contains(current.lowercased()) else { return nil }
        switch instructionSet {
        case "avx512f": return bf16 ? "COOPERLAKE" : "SKYLAKEX"
        case "avx2": return "HASWELL"
        default: return nil
        }
    }

    /// Makes OpenBLAS choose its kernels again when it fell back to ones without AVX2 on a CPU that
    /// has AVX2 or AVX-512. Called once, before the first product (from `Threads`' set-up).
    static func repairFallback() {
        #if canImport(CBLAS)
        let user = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        guard let wanted = replacement(current: chosen, userChoice: user, instructionSet: elementwiseInstructionSet,
                                       bf16: Precision.cpuHasBF16),
              let library = dlopen(nil, RTLD_NOW),
              let quit = dlsym(library, "gotoblas_dynamic_quit"),
              let choose = dlsym(library, "gotoblas_dynamic_init")
        else { return }  // a build without run-time kernel choice keeps what it has
        defer { dlclose(library) }
        typealias Entry = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(choose, to: Entry.self)()
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }
}
