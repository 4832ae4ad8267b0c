import Foundation
import Tensors

/// The project's PyTorch eager peer (`bench/peers/pytorch_seed.py`), run as a subprocess on the same weights,
/// inputs and thread count as the Swift benchmark; its JSON result.
public struct PyTorchPeer {
    public var script = "bench/peers/pytorch_seed.py"
    public var python = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"

    public init(script: String = "bench/peers/pytorch_seed.py") { self.script = script }

    public struct Result: Decodable {
        public let torch: String
        public let threads: Int
        public let train_ms: Double
        public let infer_ms: Double
        public let peak_rss_kib: Int
        public let rss_before_kib: Int
        public let eval_logits: [Float]

        public init(torch: String, threads: Int, train_ms: Double, infer_ms: Double, peak_rss_kib: Int, rss_before_kib: Int, eval_logits: [Float]) {
            (self.torch, self.threads, self.train_ms, self.infer_ms) = (torch, threads, train_ms, infer_ms)
            (self.peak_rss_kib, self.rss_before_kib, self.eval_logits) = (peak_rss_kib, rss_before_kib, eval_logits)
        }

        public var timings: SeedTimings {
            SeedTimings(trainMilliseconds: train_ms, inferMilliseconds: infer_ms, peakKiB: peak_rss_kib, baselineKiB: rss_before_kib)
        }
    }

    /// Why the peer could not run, with the fix.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes `inputs` (`SeedWorkload.peerInputs()`, taken before Swift trains) to a temporary file and runs
    /// the peer on them.
    public func run(_ inputs: [String: Tensor], threads: Int, warmups: Int, runs: Int) throws -> Result {
        guard FileManager.default.fileExists(atPath: script) else {
            throw Failure(description: "PyTorch peer script not found at \(script): run from the repository root or pass --peer-script <path>")
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-seed-\(getpid()).safetensors")
        try Safetensors.write(inputs, to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--input", input.path, "--threads", String(threads),
                             "--runs", String(runs), "--warmups", String(warmups),
                             "--width", String(SeedWorkload.width), "--classes", String(SeedWorkload.classes)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "PyTorch peer exited with status \(process.terminationStatus) (see its stderr above); install CPU torch with `make python-deps` or `pip install torch==2.13.0+cpu`")
        }
        do {
            return try JSONDecoder().decode(Result.self, from: data)
        } catch {
            throw Failure(description: "PyTorch peer printed no valid JSON result (\(error)); output was: \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
    }
}
