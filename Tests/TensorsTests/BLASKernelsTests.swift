import Foundation
import Tensors
import XCTest

/// Choosing OpenBLAS's kernels from the CPU's features, and `crossmodal` restarting itself with them.
final class BLASKernelsTests: XCTestCase {
    private let sapphireRapids: Set<String> = ["sse3", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "amx_bf16"]

    func testBestKernelsForTheCPUFeatures() {
        XCTAssertEqual(BLASKernels.best(forCPUFlags: sapphireRapids), "Cooperlake")
        XCTAssertEqual(BLASKernels.best(forCPUFlags: sapphireRapids.subtracting(["avx512_bf16"])), "SkylakeX")
        XCTAssertEqual(BLASKernels.best(forCPUFlags: ["avx2", "fma", "avx512f"]), "Haswell", "AVX-512 F alone is not SkylakeX's set")
        XCTAssertNil(BLASKernels.best(forCPUFlags: ["sse3", "avx"]))
    }

    func testPreferredOnlyWhenOpenBLASChoseWeakerKernelsAndTheUserSetNone() {
        XCTAssertEqual(BLASKernels.preferred(current: "Prescott", flags: sapphireRapids, environment: [:]), "Cooperlake")
        XCTAssertNil(BLASKernels.preferred(current: "Prescott", flags: sapphireRapids, environment: ["OPENBLAS_CORETYPE": "Haswell"]))
        XCTAssertNil(BLASKernels.preferred(current: "Cooperlake", flags: sapphireRapids, environment: [:]))
        XCTAssertNil(BLASKernels.preferred(current: "SkylakeX", flags: ["avx2", "fma"], environment: [:]), "never a weaker set")
        XCTAssertEqual(BLASKernels.preferred(current: "Haswell", flags: sapphireRapids.subtracting(["avx512_bf16"]), environment: [:]), "SkylakeX")
    }

    /// The command-line tool runs with the kernels `preferred` names for this machine (this test process, not
    /// restarted, runs OpenBLAS's own choice or the user's `OPENBLAS_CORETYPE`, which the tool keeps), and says
    /// who chose them.
    func testTheToolRestartsWithThePreferredKernels() throws {
        let tool = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("crossmodal")
        let process = Process(), pipe = Pipe()
        process.executableURL = tool
        process.arguments = ["bench", "seed", "--batch", "1", "--text-length", "8", "--pairs", "1", "--warmups", "0"]
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("BLAS: ") }, output)
        let mine = BLASKernels.current.core
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
           let preferred = BLASKernels.preferred(current: mine, flags: BLASKernels.cpuFlags, environment: [:]) {
            XCTAssertTrue(line.hasSuffix("\(preferred) kernels (set by crossmodal: OpenBLAS chose \(mine) for this CPU)"), String(line))
        } else {
            XCTAssertTrue(line.hasSuffix(" kernels") && !line.contains("set by crossmodal"), String(line))
        }
    }
}
