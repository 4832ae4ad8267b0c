import Foundation
import Tensors

/// The project's PyTorch eager peer of the seed workload (`bench/peers/pytorch_seed.py`) as one live process,
/// on the same weights, inputs and thread count as the Swift side, so that the two alternate repetition by
/// repetition (`PairedComparison`).
public final class PyTorchPeer {
    public let torch: String, threads: Int
    /// Eval-mode logits of the weights it loaded (to check both sides compute the same thing).
    public let evalLogits: [Float]
    private let peer: PeerProcess

    /// Starts the peer on `inputs` (`SeedWorkload.peerInputs()`, taken before Swift trains), written to a
    /// temporary file it loads.
    public init(inputs: [String: Tensor], threads: Int, script: String = "bench/peers/pytorch_seed.py",
                python: String = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3") throws {
        guard FileManager.default.fileExists(atPath: script) else {
            throw PeerProcess.Failure(description: "PyTorch peer script not found at \(script): run from the repository root or pass --peer-script <path>")
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-seed-\(getpid())-\(UUID().uuidString).safetensors")
        try Safetensors.write(inputs, to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        peer = try PeerProcess([python, script, "--input", input.path, "--threads", String(threads),
                                "--width", String(SeedWorkload.width), "--classes", String(SeedWorkload.classes)],
                               hint: "install CPU torch with `make python-deps` or `pip install torch==2.13.0+cpu`")
        let info = try peer.ask("info")
        guard let torch = info["torch"] as? String, let threads = info["threads"] as? Int, let logits = info["eval_logits"] as? [Double] else {
            throw PeerProcess.Failure(description: "the PyTorch peer's info lacks torch, threads or eval_logits: \(info)")
        }
        (self.torch, self.threads, evalLogits) = (torch, threads, logits.map(Float.init))
    }

    /// Milliseconds of one training step (forward, cross-entropy, backward, clip_grad_norm_, AdamW).
    public func trainingStep() throws -> Double { try peer.milliseconds("train") }

    /// Milliseconds of one eval-mode forward pass.
    public func inference() throws -> Double { try peer.milliseconds("infer") }

    /// Resets the peer's peak resident set to its resident set now (KiB, returned).
    public func resetPeak() throws -> Int { try peer.ask("reset_peak")["rss_kib"] as? Int ?? 0 }

    /// The peer's peak resident set since `resetPeak` (KiB).
    public func peakKiB() throws -> Int { try peer.ask("peak")["peak_rss_kib"] as? Int ?? 0 }

    public func stop() { peer.stop() }
}
