import Foundation
#if !canImport(Accelerate)
import CBLAS
#endif

/// Which of OpenBLAS's kernel sets runs the matmuls. OpenBLAS picks one per CPU model when it loads, and a
/// release older than the CPU does not know it: Debian 12's OpenBLAS 0.3.21 runs its Prescott (SSE3) kernels
/// on Sapphire Rapids, 5× slower than its AVX-512 ones (sgemm 71 vs 382 GFLOP/s on 2 cores here). The
/// `OPENBLAS_CORETYPE` environment variable, read as the library loads, picks another set; `crossmodal` sets it
/// from the CPU's features when OpenBLAS chose a weaker set and the user did not set it (`preferred`).
public enum BLASKernels {
    /// The kernel set in use ("Cooperlake", "Prescott"…) and OpenBLAS's build line; "Accelerate" on macOS.
    public static var current: (core: String, config: String) {
        #if canImport(Accelerate)
        return ("Accelerate", "Accelerate")
        #else
        return (String(cString: openblas_get_corename()), String(cString: openblas_get_config()))
        #endif
    }

    /// The best of OpenBLAS's x86-64 kernel sets for a CPU with these /proc/cpuinfo `flags`: Cooperlake (AVX-512
    /// with BF16), SkylakeX (AVX-512 F/BW/DQ/VL), Haswell (AVX2 and FMA); nil for anything else.
    public static func best(forCPUFlags flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The kernel set to ask OpenBLAS for instead of `current`: `best` for the CPU's `flags` when it is
    /// stronger than `current` (an older SIMD level), unless `OPENBLAS_CORETYPE` is already in `environment`.
    public static func preferred(current: String, flags: Set<String>, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, let best = best(forCPUFlags: flags) else { return nil }
        return level(best) > level(current) ? best : nil
    }

    /// The SIMD level of a kernel set: 3 AVX-512 with BF16, 2 AVX-512, 1 AVX2, 0 older (or unknown to this list).
    static func level(_ core: String) -> Int {
        switch core.lowercased() {
        case "cooperlake", "sapphirerapids": 3
        case "skylakex": 2
        case "haswell", "zen", "excavator": 1
        default: 0
        }
    }

    /// One line for benchmark headers: the library, the kernel set, and who chose it.
    public static var summary: String {
        let (core, config) = current
        let version = config.split(separator: " ").prefix(2).joined(separator: " ")
        if let chosen = ProcessInfo.processInfo.environment["CROSSMODAL_BLAS_CHOSEN"] {
            return "\(version), \(core) kernels (set by crossmodal: OpenBLAS chose \(chosen) for this CPU)"
        }
        return "\(version), \(core) kernels"
    }

    /// The flags of the first CPU in /proc/cpuinfo (empty where there is none).
    public static var cpuFlags: Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
